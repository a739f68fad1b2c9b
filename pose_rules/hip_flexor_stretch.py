"""Hip flexor stretch, half-kneeling: one knee on the floor, the other foot
forward with the knee bent; push the hips forward until the front of the back
thigh stretches, trunk upright, lower back not arched. A stretch: move in
slowly, no bouncing, hold 30 s, each side.

Measures (side view): the back thigh's angle from vertical, positive with the
hip ahead of the knee (hips pushed forward: the back thigh extended); the
trunk's lean from vertical, positive leaning forward over the front leg,
negative leaning back (a lean back is how an arched lower back shows from the
side). The stretched side is the back (kneeling) leg's. The trunk of the
kneeling photo in the shared set reads 25 deg forward of vertical with the
hands clasped in front; an upright lunge reads within about 10.
"""
from __future__ import annotations

import math
from typing import Mapping

from coach.core.geometry import angle_at
from .base import (GOOD, NOT_IN_POSITION, Body, Fault, KeyMeasure, Limit, Rule, Steadiness, Threshold, Verdict,
                   common_thresholds)
from .goals import Repeats
import pose_rules.lying as Ly

_THRESHOLDS = common_thresholds() + (
    Threshold("push_deg", "deg", 10.0, 0.0, 40.0,
              "back thigh less than this behind vertical = push your hips forward"),
    Threshold("in_thigh_deg", "deg", -10.0, -30.0, 10.0,
              "back thigh at least this far from vertical (forward +) = in the lunge"),
    Threshold("lean_deg", "deg", 25.0, 10.0, 50.0,
              "trunk leaning forward more than this from vertical = sit up tall"),
    Threshold("arch_deg", "deg", 15.0, 5.0, 40.0,
              "trunk leaning back more than this from vertical = arching the lower back"),
    Threshold("max_back_knee", "torso lengths", 0.3, 0.1, 0.8,
              "back knee higher than this above its ankle = the knee is not on the floor"),
    Threshold("min_front_knee_deg", "deg", 50.0, 20.0, 90.0,
              "front knee angle between this and max_front_knee_deg = front foot planted forward"),
    Threshold("max_front_knee_deg", "deg", 150.0, 110.0, 175.0,
              "front knee straighter than this = not a lunge"),
)

_FAULTS = (
    Fault("trunk_leaning", "Sit up tall, trunk upright", 1, "trunk leaning forward", aliases=("lean",)),
    Fault("back_arched", "Don't arch your back: tuck your tailbone under", 2, "leaning back, lower back arched",
          aliases=("arching", "arched")),
    Fault("hips_back", "Push your hips forward", 3, "hips not pushed forward, back thigh not stretched",
          aliases=("not_forward",)),
)


def _lean(body: Body, side: str, forward: float) -> float:
    """Trunk lean from vertical, positive towards ``forward`` (+1: image right)."""
    H, S = body.j(side, "hip"), body.j(side, "shoulder")
    return math.degrees(math.atan2((S[0] - H[0]) * forward, H[1] - S[1]))


class HipFlexorStretch(Rule):
    name = "hip_flexor_stretch"
    title = "Hip flexor stretch (half-kneeling)"
    description = ("Kneel on one knee, the other foot forward. Trunk upright, tuck the tailbone under and push "
                   "the hips forward until the front of the back thigh stretches. Slowly, hold, no bouncing; "
                   "each side.")
    thresholds = _THRESHOLDS
    faults = _FAULTS
    goal = Repeats(30.0, 2, hold_range=(10.0, 60.0), count_range=(2, 5))
    steady = Steadiness(1.0, "deg", 60.0, 8.0, speed_basis="the hips pushed 30 deg forward in half a second",
                        bounce_basis="still-pose jitter of this angle is under 3 deg after smoothing")
    view = "side"
    placement = ("Turn side-on to the camera, 2–3 m away, camera at hip height, your whole body from head to the "
                 "back foot in view.")
    key_measures = (
        KeyMeasure("thigh_deg", "Back thigh from vertical (+ hips forward)", "deg",
                   (Limit("push_deg", 1.0, "hips forward", fault="hips_back"),)),
        KeyMeasure("lean_deg", "Trunk lean from vertical (+ forward, - back)", "deg",
                   (Limit("lean_deg", 1.0, "leaning", fault="trunk_leaning"),
                    Limit("arch_deg", -1.0, "arching", fault="back_arched"))),
    )

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        side = body.facing_side(("shoulder", "hip", "knee", "ankle"))
        missing = body.missing(side, ("shoulder", "hip"))
        if missing:
            return self.cant_see(missing, side)
        legs = Ly.seen_legs(body, "knee", "ankle")
        if len(legs) < 2:
            return self.cant_see(Ly.missing_legs(body), side)
        back = max(legs, key=lambda s: body.j(s, "knee")[1])  # the lower knee kneels
        front = "right" if back == "left" else "left"
        tl = Ly.torso_len(body)
        forward = 1.0 if body.j(front, "ankle")[0] >= body.j(back, "knee")[0] else -1.0
        K, H = body.j(back, "knee"), body.j(back, "hip")
        thigh = math.degrees(math.atan2((H[0] - K[0]) * forward, K[1] - H[1]))
        lean = _lean(body, side, forward)
        back_knee_h = (body.j(back, "ankle")[1] - K[1]) / tl
        fk = angle_at(body.j(front, "hip"), body.j(front, "knee"), body.j(front, "ankle"))
        m = {"thigh_deg": thigh, "lean_deg": lean, "front_knee_deg": fk, "back_knee_height": back_knee_h}

        def out(reason, cue, rep=None):
            return self.verdict(NOT_IN_POSITION, side=back, measures=m, cue=cue, reason=reason, rep_value=rep)

        if abs(lean) > 60:
            return out("trunk not upright", "Kneel on one knee, trunk upright")
        if back_knee_h > th["max_back_knee"]:
            return out("no knee on the floor", "Kneel on one knee, the other foot forward")
        if not (th["min_front_knee_deg"] <= fk <= th["max_front_knee_deg"]):
            return out("front foot not forward", "Put the other foot forward, knee bent")
        if (body.j(front, "knee")[1] - K[1]) > -0.15 * tl:
            return out("both knees down", "Put one foot forward, knee bent")
        if thigh < th["in_thigh_deg"]:
            return out("hips back", "Push your hips forward", thigh)
        oblique = self.too_oblique(body, th, ("shoulder", "hip", "knee"), back, m)
        if oblique is not None:
            return oblique
        faults = []
        if lean > th["lean_deg"]:
            faults.append("trunk_leaning")
        elif lean < -th["arch_deg"]:
            faults.append("back_arched")
        if thigh < th["push_deg"]:
            faults.append("hips_back")
        return self.verdict(GOOD, side=back, measures=m, faults=faults, rep_value=thigh)


RULES = (HipFlexorStretch(),)
