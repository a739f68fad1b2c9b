"""Knee-to-chest stretch: lying on the back, one knee pulled to the chest
with both hands, the other leg down (straight, or bent with the foot on the
floor); the variant pulls both knees in. A stretch: move in slowly, no
bouncing, hold (20 s by default), 2-3 times a side, one side at a time.

Measures (side view): the angle at the hip between the trunk and the pulled
thigh (about 120-135 lying with the knees bent, 35-60 with the knee at the
chest in the shared photos), how high the other ankle is above the hip,
how far the head is raised off the trunk line, and whether a hand is at the
knee. The pulled side is the leg with the smaller hip angle, as MediaPipe
names it (lying with the face hidden it can swap left and right).
"""
from __future__ import annotations

from typing import Mapping

from .base import (GOOD, NOT_IN_POSITION, Body, Fault, KeyMeasure, Limit, Rule, Steadiness, Threshold, Verdict,
                   common_thresholds)
from .goals import BOTH, Repeats
import pose_rules.lying as Ly

_THRESHOLDS = common_thresholds(oblique=False) + (
    Threshold("in_deg", "deg", 100.0, 70.0, 130.0,
              "hip angle (trunk to pulled thigh) below this = in the stretch (lying knees bent reads 120-135)"),
    Threshold("pull_deg", "deg", 80.0, 40.0, 110.0,
              "hip angle above this = pull the knee closer (the shared photos read 35-60 at the chest)"),
    Ly.LYING_FLAT,
    Threshold("max_hand_dist", "torso lengths", 0.5, 0.2, 1.5,
              "nearer wrist farther than this from the knee = not holding the knee (photos: 0.03-0.32 holding)"),
    Ly.OTHER_LEG_LIFT,
    Ly.HEAD_UP,
)

_FAULTS = (
    Fault("other_leg_up", "Keep your other leg down", 1, "the other leg is lifted off the floor",
          aliases=("other_leg", "leg_up")),
    Fault("not_pulled_in", "Pull your knee closer to your chest", 2, "the knee is not pulled in far enough",
          aliases=("shallow",)),
    Fault("head_lifted", "Rest your head on the floor", 3, "the head is lifted off the floor",
          aliases=("head_up",)),
)

_STEADY = Steadiness(-1.0, "deg", 90.0, 12.0, speed_basis="a 70 deg pull in under a second",
                     bounce_basis="MediaPipe's still-pose jitter of this angle is under 3 deg after smoothing")


class _KneeToChest(Rule):
    family = "Knee to chest"
    variant_label = "Knees"
    thresholds = _THRESHOLDS
    faults = _FAULTS
    steady = _STEADY
    view = "side"
    lying = True
    setup_joints = ("shoulder", "hip", "knee", "ankle", "ear")
    key_measures = (
        KeyMeasure("hip_angle_deg", "Hip angle, trunk to pulled thigh (small = knee at the chest)", "deg",
                   (Limit("in_deg", 1.0, "in the stretch"), Limit("pull_deg", 1.0, "pull closer",
                                                                   fault="not_pulled_in"))),
        KeyMeasure("head_deg", "Head raised above the trunk line", "deg",
                   (Limit("head_up_deg", 1.0, "head up", fault="head_lifted"),)),
    )
    both = False

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        side = body.facing_side(("shoulder", "hip", "knee", "ankle"))
        missing = body.missing(side, ("shoulder", "hip", "knee"))
        if missing:
            return self.cant_see(missing, side)
        legs = Ly.seen_legs(body, "knee")
        angles = {s: Ly.hip_angle(body, s, side) for s in legs}
        pulled = min(angles, key=angles.get)
        ang = angles[pulled]
        trunk = Ly.trunk_deg(body, side)
        head = Ly.head_deg(body, side) if body.side_visible(side, "ear") else float("nan")
        m = {"hip_angle_deg": ang, "head_deg": head, "trunk_deg": trunk}
        for s, a in angles.items():
            m[f"{s}_hip_angle_deg"] = a
        rep_side = BOTH[0] if self.both else pulled

        def out(reason, cue, rep=None):
            return self.verdict(NOT_IN_POSITION, side=rep_side, measures=m, cue=cue, reason=reason, rep_value=rep)

        if abs(trunk) > th["max_trunk_deg"]:
            return out("not lying on the back", "Lie on your back")
        if body.j(pulled, "knee")[1] > body.j(pulled, "hip")[1]:
            return out("knee below the hip", "Lie on your back")
        if self.both:
            # both knees in: the one farther out decides (a far knee hidden behind the near one follows it)
            ang = max(angles.values())
            m["hip_angle_deg"] = ang
            if ang > th["in_deg"]:
                return out("knees not pulled in", "Pull both knees to your chest", ang)
        elif ang > th["in_deg"]:
            return out("knee not pulled in", "Pull one knee to your chest", ang)
        hand = Ly.hands_near(body, body.j(pulled, "knee"))
        if hand is not None:
            m["hand_dist"] = hand
            if hand > th["max_hand_dist"]:
                return out("hands not on the knee", "Hold your knee with both hands", ang)
        faults = []
        if not self.both:
            other = "right" if pulled == "left" else "left"
            if not body.side_visible(other, "knee", "ankle", "hip"):
                # the other leg hidden (behind the pulled one, or out of view): cannot tell it is down
                return self.cant_see(body.missing(other, ("hip", "knee", "ankle")), rep_side)
            lift = Ly.other_ankle_lift(body, pulled)
            m["other_ankle_lift"] = lift
            if lift > th["other_leg_lift"]:
                faults.append("other_leg_up")
        if ang > th["pull_deg"]:
            faults.append("not_pulled_in")
        if head > th["head_up_deg"]:
            faults.append("head_lifted")
        return self.verdict(GOOD, side=rep_side, measures=m, faults=faults, rep_value=ang)


class KneeToChest(_KneeToChest):
    name = "knee_to_chest"
    title = "Knee-to-chest stretch"
    variant = "One knee"
    description = ("On your back, pull one knee to your chest with both hands, the other leg down; head down. "
                   "Move in slowly, hold, no bouncing; one side at a time.")
    goal = Repeats(20.0, 3, hold_range=(5.0, 60.0), count_range=(2, 5))


class KneeToChestBoth(_KneeToChest):
    name = "knee_to_chest_both"
    title = "Knee-to-chest stretch, both knees"
    variant = "Both knees"
    description = ("On your back, pull both knees to your chest with your hands; head down. "
                   "Move in slowly, hold, no bouncing.")
    goal = Repeats(20.0, 3, repeat_sides=BOTH, hold_range=(5.0, 60.0), count_range=(2, 5))
    both = True
    faults = tuple(f for f in _FAULTS if f.name != "other_leg_up")


RULES = (KneeToChest(), KneeToChestBoth())
