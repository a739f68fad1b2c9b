"""Hamstring stretch, lying: on the back, one leg raised straight (hands or
a towel behind the thigh), the other leg down; the back stays flat. A
stretch: raise the leg slowly, no bouncing, hold 30 s, each side.

Measures (side view): how far the raised leg is lifted from the trunk line
(180 minus the angle at the hip between shoulder and ankle: 0 lying flat;
the straight leg lying in the shared knee-to-chest photo reads 2), the raised
knee's angle (a straight leg lying reads 173-174), how high the other ankle
is, and the head raised off the trunk line (the back flat). The seated reach
variant is not judged here.
"""
from __future__ import annotations

from typing import Mapping

from coach.core.geometry import angle_at
from .base import (GOOD, NOT_IN_POSITION, Body, Fault, KeyMeasure, Limit, Rule, Steadiness, Threshold, Verdict,
                   common_thresholds)
from .goals import Repeats
import pose_rules.lying as Ly

_THRESHOLDS = common_thresholds(oblique=False) + (
    Threshold("in_raise_deg", "deg", 35.0, 15.0, 60.0,
              "leg raised at least this far from the trunk line, fairly straight = in the stretch"),
    Threshold("target_raise_deg", "deg", 60.0, 30.0, 90.0,
              "leg raised less than this = raise it higher (the target angle)"),
    Threshold("straight_knee_deg", "deg", 158.0, 130.0, 178.0,
              "raised knee bent more than this = straighten the knee (a straight leg reads 173-174)"),
    Threshold("min_knee_deg", "deg", 120.0, 90.0, 160.0,
              "raised knee bent more than this = a knee pulled in, not this stretch"),
    Ly.OTHER_LEG_LIFT,
    Ly.HEAD_UP,
    Ly.LYING_FLAT,
)

_FAULTS = (
    Fault("knee_bent", "Straighten your knee", 1, "the raised knee is bent", aliases=("bent_knee",)),
    Fault("leg_too_low", "Raise your leg a little higher", 2, "the leg is below the target angle",
          aliases=("too_low",)),
    Fault("other_leg_up", "Keep your other leg down", 3, "the other leg is lifted", aliases=("other_leg",)),
    Fault("back_lifted", "Keep your back and head on the floor", 4, "head and shoulders lifted",
          aliases=("head_lifted",)),
)


class HamstringStretch(Rule):
    name = "hamstring_stretch"
    title = "Hamstring stretch (lying)"
    description = ("On your back, raise one leg straight (hands or a towel behind the thigh), the other leg "
                   "down, back flat. Raise it slowly, hold, no bouncing; each side.")
    thresholds = _THRESHOLDS
    faults = _FAULTS
    goal = Repeats(30.0, 2, hold_range=(10.0, 60.0), count_range=(2, 5))
    steady = Steadiness(1.0, "deg", 90.0, 10.0, speed_basis="a 60 deg raise in under a second",
                        bounce_basis="still-pose jitter of this angle is under 3 deg after smoothing")
    view = "side"
    lying = True
    setup_joints = ("shoulder", "hip", "knee", "ankle", "ear")
    key_measures = (
        KeyMeasure("raise_deg", "Leg raised from the trunk line", "deg",
                   (Limit("in_raise_deg", 1.0, "in the stretch"), Limit("target_raise_deg", 1.0, "target",
                                                                         fault="leg_too_low"))),
        KeyMeasure("knee_angle_deg", "Raised knee angle", "deg",
                   (Limit("straight_knee_deg", 1.0, "straight", fault="knee_bent"),)),
    )

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        side = body.facing_side(("shoulder", "hip", "knee", "ankle"))
        missing = body.missing(side, ("shoulder", "hip"))
        if missing:
            return self.cant_see(missing, side)
        legs = Ly.seen_legs(body, "knee", "ankle")
        if not legs:
            return self.cant_see(body.missing(side, ("knee", "ankle")), side)
        S = body.j(side, "shoulder")
        raises = {s: 180.0 - angle_at(S, body.j(s, "hip"), body.j(s, "ankle")) for s in legs}
        leg = max(raises, key=raises.get)
        raise_ = raises[leg]
        knee = Ly.knee_angle(body, leg)
        trunk = Ly.trunk_deg(body, side)
        head = Ly.head_deg(body, side) if body.side_visible(side, "ear") else float("nan")
        m = {"raise_deg": raise_, "knee_angle_deg": knee, "trunk_deg": trunk, "head_deg": head}

        def out(reason, cue, rep=None):
            return self.verdict(NOT_IN_POSITION, side=leg, measures=m, cue=cue, reason=reason, rep_value=rep)

        if abs(trunk) > th["max_trunk_deg"]:
            return out("not lying on the back", "Lie on your back")
        if knee < th["min_knee_deg"]:
            return out("knee pulled in", "Raise one leg, knee straight")
        if raise_ < th["in_raise_deg"]:
            return out("leg not raised", "Raise one leg, knee straight", raise_)
        if all((Ly.toes_up(body, s) or 0.0) < -0.3 for s in Ly.LEGS):  # toes on the floor, both feet
            return out("face down", "Lie on your back")
        faults = []
        if knee < th["straight_knee_deg"]:
            faults.append("knee_bent")
        if raise_ < th["target_raise_deg"]:
            faults.append("leg_too_low")
        lift = Ly.other_ankle_lift(body, leg)
        if lift is not None:
            m["other_ankle_lift"] = lift
            if lift > th["other_leg_lift"]:
                faults.append("other_leg_up")
        if head > th["head_up_deg"]:
            faults.append("back_lifted")
        return self.verdict(GOOD, side=leg, measures=m, faults=faults, rep_value=raise_)


RULES = (HamstringStretch(),)
