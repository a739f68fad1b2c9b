"""Lying knee twist: on the back, one leg straight, the other knee bent and
crossed over the body towards the floor, the opposite shoulder staying down.
A stretch: cross slowly, no bouncing, hold 20 s, 3 times a side.

Measures (side view, see :mod:`pose_rules.rotation_stretch` for the depth
measures and their limits): where the crossing knee lies in depth between its
own hip (-1), the midline (0) and the other hip (+1); the other leg's hip
angle (straight: 150-180); the shoulders' turn from flat.
"""
from __future__ import annotations

from typing import Mapping

from .base import GOOD, NOT_IN_POSITION, Body, KeyMeasure, Limit, Steadiness, Threshold, Verdict
from .goals import Repeats
from .rotation_stretch import _COMMON, _SHOULDER, _SHOULDER_KM, _Lying, _other
import pose_rules.lying as Ly


class KneeTwist(_Lying):
    name = "knee_twist"
    title = "Lying knee twist"
    description = ("On your back, one leg straight. Bend the other knee and cross it over your body towards the "
                   "floor, the opposite shoulder staying down; hold, no bouncing; each side.")
    thresholds = _COMMON + (
        Threshold("min_cross", "hip widths", 0.4, -0.5, 2.0,
                  "crossing knee at least this far past the midline (0 = midline, 1 = the other hip, in depth) "
                  "= across the body"),
        Threshold("max_knee_deg", "deg", 140.0, 90.0, 170.0,
                  "crossing knee straighter than this = not bent"),
        Threshold("straight_leg_deg", "deg", 145.0, 110.0, 178.0,
                  "the other leg's hip angle at least this = lying straight"),
    )
    faults = (_SHOULDER,)
    goal = Repeats(20.0, 3, hold_range=(5.0, 60.0), count_range=(2, 5))
    steady = Steadiness(1.0, "hip widths", 3.0, 0.45, speed_basis="the knee crossing 1.5 hip widths in half a "
                        "second", bounce_basis="still-pose jitter of this depth ratio is under 0.15")
    key_measures = (
        KeyMeasure("cross", "Crossing knee past the midline (hip widths)", "hip widths",
                   (Limit("min_cross", 1.0, "across"),)),
        _SHOULDER_KM,
    )

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        side, early = self._base(body, th)
        if early is not None:
            return early
        angles = {s: Ly.hip_angle(body, s, side) for s in ("left", "right")}
        leg = min(angles, key=angles.get)
        other = _other(leg)
        knee = Ly.knee_angle(body, leg) if body.side_visible(leg, "ankle") else float("nan")
        z_own, z_other = Ly.depth(body, "hip", leg), Ly.depth(body, "hip", other)
        half = (z_other - z_own) / 2.0
        zmid = (z_own + z_other) / 2.0
        cross = (Ly.depth(body, "knee", leg) - zmid) / half if abs(half) > 1e-6 else float("nan")
        trunk = Ly.trunk_deg(body, side)
        roll = Ly.shoulder_roll_deg(body)
        m = {"cross": cross, "shoulder_roll_deg": roll, "knee_angle_deg": knee, "other_hip_deg": angles[other],
             "trunk_deg": trunk}

        def out(reason, cue, rep=None):
            return self.verdict(NOT_IN_POSITION, side=leg, measures=m, cue=cue, reason=reason, rep_value=rep)

        if abs(trunk) > th["max_trunk_deg"]:
            return out("not lying on the back", "Lie on your back, one leg straight")
        if angles[other] < th["straight_leg_deg"]:
            return out("other leg not straight", "Keep one leg straight on the floor")
        if not knee <= th["max_knee_deg"]:
            return out("knee not bent", "Bend one knee and cross it over your body")
        if not cross >= th["min_cross"]:
            return out("knee not across", "Cross the bent knee over your body", cross)
        faults = ["shoulder_lifted"] if roll > th["shoulder_roll_deg"] else []
        return self.verdict(GOOD, side=leg, measures=m, faults=faults, rep_value=cross)



RULES = (KneeTwist(),)
