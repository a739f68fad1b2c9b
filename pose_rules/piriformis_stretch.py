"""Piriformis stretch (figure-4), lying: on the back, one ankle crossed over
the opposite knee, the supporting thigh pulled towards the chest. A
stretch: move in slowly, no bouncing, hold 30 s, each side.

Measures (side view): the distance of the crossed ankle from the other knee
(in torso lengths), and the supporting leg's hip angle (trunk to thigh:
lying with the knees bent reads 120-135, pulled in 35-60 in the shared
knee-to-chest photos). The stretched side is the crossed leg's.
"""
from __future__ import annotations

from typing import Mapping

from coach.core.geometry import dist
from .base import (GOOD, NOT_IN_POSITION, Body, Fault, KeyMeasure, Limit, Rule, Steadiness, Threshold, Verdict,
                   common_thresholds)
from .goals import Repeats
import pose_rules.lying as Ly

_THRESHOLDS = common_thresholds(oblique=False) + (
    Threshold("max_ankle_dist", "torso lengths", 0.45, 0.15, 1.0,
              "crossed ankle farther than this from the other knee = not crossed"),
    Threshold("in_deg", "deg", 125.0, 90.0, 150.0,
              "supporting hip angle below this, ankle crossed = in the stretch"),
    Threshold("pull_deg", "deg", 100.0, 50.0, 130.0,
              "supporting hip angle above this = pull the thigh closer to the chest"),
    Ly.LYING_FLAT,
)

_FAULTS = (
    Fault("not_pulled_in", "Pull your thigh towards your chest", 1, "the supporting thigh is not pulled in",
          aliases=("shallow",)),
)


class PiriformisStretch(Rule):
    name = "piriformis_stretch"
    title = "Piriformis stretch (figure-4)"
    description = ("On your back, cross one ankle over the other knee, then pull that thigh towards your chest. "
                   "Move in slowly, hold, no bouncing; each side.")
    thresholds = _THRESHOLDS
    faults = _FAULTS
    goal = Repeats(30.0, 2, hold_range=(10.0, 60.0), count_range=(2, 5))
    steady = Steadiness(-1.0, "deg", 90.0, 12.0, speed_basis="a 60 deg pull in under a second",
                        bounce_basis="still-pose jitter of this angle is under 3 deg after smoothing")
    view = "side"
    lying = True
    setup_joints = ("shoulder", "hip", "knee", "ankle", "ear")
    key_measures = (
        KeyMeasure("support_hip_deg", "Supporting hip angle (small = thigh pulled in)", "deg",
                   (Limit("in_deg", 1.0, "in the stretch"), Limit("pull_deg", 1.0, "pull closer",
                                                                   fault="not_pulled_in"))),
        KeyMeasure("ankle_dist", "Crossed ankle to the other knee", "torso lengths",
                   (Limit("max_ankle_dist", 1.0, "crossed"),)),
    )

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        side = body.facing_side(("shoulder", "hip", "knee", "ankle"))
        missing = body.missing(side, ("shoulder", "hip", "knee"))
        if missing:
            return self.cant_see(missing, side)
        legs = Ly.seen_legs(body, "knee", "ankle")
        if len(legs) < 2:
            return self.cant_see(Ly.missing_legs(body), side)
        tl = Ly.torso_len(body)
        # the crossed leg: its ankle nearer the other knee
        d = {s: dist(body.j(s, "ankle"), body.j("right" if s == "left" else "left", "knee")) / tl for s in legs}
        crossed = min(d, key=d.get)
        support = "right" if crossed == "left" else "left"
        ang = Ly.hip_angle(body, support, side)
        trunk = Ly.trunk_deg(body, side)
        m = {"support_hip_deg": ang, "ankle_dist": d[crossed], "trunk_deg": trunk}

        def out(reason, cue, rep=None):
            return self.verdict(NOT_IN_POSITION, side=crossed, measures=m, cue=cue, reason=reason, rep_value=rep)

        if abs(trunk) > th["max_trunk_deg"]:
            return out("not lying on the back", "Lie on your back, knees bent")
        if d[crossed] > th["max_ankle_dist"]:
            return out("ankle not crossed", "Cross one ankle over the other knee")
        if body.j(support, "knee")[1] > body.j(support, "hip")[1]:
            return out("knee below the hip", "Lie on your back, knees bent")
        if ang > th["in_deg"]:
            return out("thigh not pulled in", "Pull your thigh towards your chest", ang)
        faults = ["not_pulled_in"] if ang > th["pull_deg"] else []
        return self.verdict(GOOD, side=crossed, measures=m, faults=faults, rep_value=ang)


RULES = (PiriformisStretch(),)
