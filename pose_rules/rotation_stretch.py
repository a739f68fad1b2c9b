"""Lower-back rotation stretch (and the shared parts of the lying knee twist,
:mod:`pose_rules.knee_twist`): lying on the back, the
knees rolled to one side (rotation: both knees bent together; knee twist: one
bent knee crossed over the body, the other leg straight), both shoulders
staying on the floor. Stretches: roll slowly, no bouncing, hold, each side.

Seen side-on, knees rolling towards or away from the camera come down
towards the floor line: the rotation is measured by the knees' height above
the hips (in torso lengths: 0.5-0.75 lying with the knees up in the shared
photos), the direction (which side) from MediaPipe's depth of the knees
against the hips. The knee twist's crossing is measured in depth too: where
the crossing knee lies between its own hip (-1), the body's midline (0) and
the other hip (+1). A shoulder lifting shows as the two shoulders coming
apart in height against their separation in depth (lying flat reads 1-9
deg). MediaPipe's depth is its least certain output, and no real footage of
these two stretches was available: their thresholds rest on readings of real
lying photos and on variants derived from them (see the README).
"""
from __future__ import annotations

from typing import Mapping

from coach.core.geometry import dist
from .base import (GOOD, NOT_IN_POSITION, Body, Fault, KeyMeasure, Limit, Rule, Steadiness, Threshold, Verdict,
                   common_thresholds)
from .goals import Repeats
import pose_rules.lying as Ly

_COMMON = common_thresholds(oblique=False) + (
    Ly.LYING_FLAT,
    Threshold("shoulder_roll_deg", "deg", 25.0, 10.0, 60.0,
              "the shoulders turned this far from flat = a shoulder lifts off the floor (lying flat reads 1-9)"),
    Threshold("min_trunk_deg", "deg", -13.0, -30.0, 0.0,
              "shoulders lower than the hips by more than this = hips raised in a bridge (lying reads -7 to +10, "
              "bridges -16 to -21)"),
    Threshold("min_knee_height", "torso lengths", -0.25, -0.6, 0.2,
              "knees lower than this below the hips = not lying on the back (on all fours, kneeling)"),
    Threshold("min_side_depth", "torso lengths", 0.45, 0.1, 1.5,
              "knees at least this much nearer or farther than the hips in depth = rolled to that side"),
)

_SHOULDER_KM = KeyMeasure("shoulder_roll_deg", "Shoulders turned from flat", "deg",
                          (Limit("shoulder_roll_deg", 1.0, "shoulder up", fault="shoulder_lifted"),))
_SHOULDER = Fault("shoulder_lifted", "Keep both shoulders on the floor", 1, "a shoulder lifts off the floor",
                  aliases=("shoulder_up", "shoulders_lifted"))


def _other(s: str) -> str:
    return "right" if s == "left" else "left"


class _Lying(Rule):
    view = "side"
    lying = True
    setup_joints = ("shoulder", "hip", "knee", "ankle", "ear")

    def _base(self, body: Body, th):
        side = body.facing_side(("shoulder", "hip", "knee", "ankle"))
        missing = body.missing(side, ("shoulder", "hip", "knee"))
        if missing:
            return side, self.cant_see(missing, side)
        legs = Ly.seen_legs(body, "knee")
        if len(legs) < 2:
            return side, self.cant_see(body.missing(_other(side), ("hip", "knee")), side)
        trunk = Ly.trunk_deg(body, side)
        H = body.mid("hip")
        if trunk < th["min_trunk_deg"]:
            return side, self.verdict(NOT_IN_POSITION, side=None, measures={"trunk_deg": trunk},
                                      cue="Lower your hips to the floor", reason="hips raised")
        low = max(body.j("left", "knee")[1], body.j("right", "knee")[1])  # the lower knee
        if (H[1] - low) / Ly.torso_len(body) < th["min_knee_height"]:
            return side, self.verdict(NOT_IN_POSITION, side=None, measures={"trunk_deg": trunk},
                                      cue="Lie on your back", reason="not lying on the back")
        return side, None


class RotationStretch(_Lying):
    name = "rotation_stretch"
    title = "Lower-back rotation stretch"
    description = ("On your back, knees bent and together, feet flat. Roll both knees slowly to one side, both "
                   "shoulders staying on the floor; hold, no bouncing; then the other side.")
    thresholds = _COMMON + (
        Threshold("in_knee_height", "torso lengths", 0.32, 0.1, 0.6,
                  "knees lower than this above the hips = rolled into the stretch (knees up reads 0.5-0.75)"),
        Threshold("max_leg_reach", "torso lengths", 1.35, 0.8, 2.0,
                  "ankles farther than this from the hips = legs straight, not knees bent"),
    )
    faults = (_SHOULDER,)
    goal = Repeats(10.0, 3, hold_range=(5.0, 30.0), count_range=(2, 5))
    steady = Steadiness(-1.0, "torso lengths", 0.8, 0.1, speed_basis="the knees dropped 0.4 torso lengths in "
                        "half a second", bounce_basis="still-pose jitter of the knee height is under 0.03")
    key_measures = (
        KeyMeasure("knee_height", "Knees above the hips (low = rolled to the side)", "torso lengths",
                   (Limit("in_knee_height", 1.0, "rolled"),)),
        _SHOULDER_KM,
    )

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        side, early = self._base(body, th)
        if early is not None:
            return early
        tl = Ly.torso_len(body)
        H, K = body.mid("hip"), body.mid("knee")
        height = (H[1] - K[1]) / tl
        dz = (Ly.mid_depth(body, "knee") - Ly.mid_depth(body, "hip")) / tl
        trunk = Ly.trunk_deg(body, side)
        roll = Ly.shoulder_roll_deg(body)
        m = {"knee_height": height, "knee_depth": dz, "shoulder_roll_deg": roll, "trunk_deg": trunk}
        reach = [dist(body.j(s, "hip"), body.j(s, "ankle")) / tl for s in Ly.seen_legs(body, "ankle")]
        # rolled towards the camera: to the side facing it; away: the other
        roll_side = side if dz < 0 else _other(side)

        def out(reason, cue, rep=None, s=None):
            return self.verdict(NOT_IN_POSITION, side=s, measures=m, cue=cue, reason=reason, rep_value=rep)

        if abs(trunk) > th["max_trunk_deg"]:
            return out("not lying on the back", "Lie on your back, knees bent")
        if reach and max(reach) > th["max_leg_reach"]:
            return out("legs straight", "Bend your knees, feet flat on the floor")
        if height > th["in_knee_height"]:
            return out("knees up", "Roll both knees slowly to one side", height)
        if abs(dz) < th["min_side_depth"]:
            return out("knees not rolled to a side", "Roll both knees to one side", height)
        faults = ["shoulder_lifted"] if roll > th["shoulder_roll_deg"] else []
        return self.verdict(GOOD, side=roll_side, measures=m, faults=faults, rep_value=height)


RULES = (RotationStretch(),)
