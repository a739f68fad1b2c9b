"""Prone (isometric) back extension: face down, legs straight on the floor,
hands behind the head; raise the chest and shoulders off the floor, hold
7 seconds, relax; repeat. The neck stays in line (not cranked back), the
hips and legs stay down.

Measures (side view): the lift, as the angle of the hip->shoulder line above
the leg line (ankle->hip: the legs lie on the floor; the shared photos read
2-6 flat and 26-28 lifted); the head raised above the trunk line (26-32 in
the lifted photo, neutral neck); the legs' elevation from the horizontal
(1-9 lying, 28-31 in a superman); the hips above the knee-ankle line. Face
down is told from lying on the back by the toes: on the floor below the
heels (-0.4 to -1 of a foot length) rather than pointing up (+1).
"""
from __future__ import annotations

from typing import Mapping

from coach.core.geometry import dist, height_above_line
from .base import (GOOD, NOT_IN_POSITION, Body, Fault, KeyMeasure, Limit, Rule, Threshold, Verdict,
                   common_thresholds)
from .goals import BOTH, Repeats
import pose_rules.lying as Ly

_THRESHOLDS = common_thresholds(oblique=False) + (
    Threshold("min_lift_deg", "deg", 12.0, 5.0, 30.0,
              "chest lifted at least this far above the leg line = up (photos: flat 2-6, lifted 26-28)"),
    Threshold("neck_deg", "deg", 52.0, 30.0, 90.0,
              "head raised this far above the trunk line = neck cranked back (neutral lifted reads 26-32)"),
    Threshold("max_leg_deg", "deg", 18.0, 8.0, 40.0,
              "legs raised this far from the horizontal = legs off the floor (lying 1-9, a superman 28-31)"),
    Threshold("hip_lift", "thigh lengths", 0.3, 0.1, 1.0,
              "hip this far above the knee-ankle line = hips off the floor"),
    Threshold("min_knee_deg", "deg", 125.0, 90.0, 175.0,
              "knee bent more than this = legs not straight on the floor"),
    Threshold("max_shoulder_stack", "ratio", 0.35, 0.1, 1.0,
              "vertical shoulder-to-shoulder gap over torso length above this = lying on the side "
              "(face down reads 0.12-0.21, side lying 0.47-0.52)"),
    Threshold("max_toes_up", "foot lengths", 0.3, -0.5, 1.0,
              "toes pointing up more than this = lying on the back, not face down"),
)

_FAULTS = (
    Fault("legs_lifted", "Keep your legs on the floor", 1, "legs raised off the floor (a superman, not this)",
          aliases=("legs_up",)),
    Fault("hips_lifted", "Keep your hips on the floor", 2, "hips raised off the floor", aliases=("hips_up",)),
    Fault("neck_cranked", "Keep your neck long, look at the floor", 3, "head tilted back, neck cranked",
          aliases=("neck", "head_back")),
)


class ProneExtension(Rule):
    name = "prone_extension"
    title = "Prone back extension"
    description = ("Face down, legs straight, hands behind your head. Lift your chest and shoulders off the "
                   "floor, look at the floor, hold 7 seconds, relax. Hips and legs stay down.")
    thresholds = _THRESHOLDS
    faults = _FAULTS
    goal = Repeats(7.0, 5, repeat_sides=BOTH, hold_range=(3.0, 30.0), count_range=(1, 15))
    view = "side"
    lying = True
    setup_joints = ("shoulder", "hip", "knee", "ankle", "ear")
    key_measures = (
        KeyMeasure("lift_deg", "Chest lifted above the leg line", "deg", (Limit("min_lift_deg", 1.0, "up"),),
                   line=("ankle", "hip"), joint="shoulder"),
        KeyMeasure("neck_deg", "Head raised above the trunk line", "deg",
                   (Limit("neck_deg", 1.0, "cranked", fault="neck_cranked"),)),
    )

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        side = body.facing_side(("shoulder", "hip", "knee", "ankle"))
        missing = body.missing(side, ("shoulder", "hip", "knee", "ankle"))
        if missing:
            return self.cant_see(missing, side)
        S, H, K, A = (body.j(side, j) for j in ("shoulder", "hip", "knee", "ankle"))
        lift = Ly.signed_turn(A, H, S)
        neck = Ly.head_deg(body, side) if body.side_visible(side, "ear") else float("nan")
        legs = Ly.leg_elevation(body, side)
        knee = Ly.knee_angle(body, side)
        thigh = dist(H, K)
        hip_up = height_above_line(H, A, K) / (thigh or 1.0)
        toes = Ly.toes_up(body, side)
        m = {"lift_deg": lift, "neck_deg": neck, "legs_deg": legs, "knee_angle_deg": knee, "hip_lift": hip_up}

        def out(reason, cue, rep=None):
            return self.verdict(NOT_IN_POSITION, side="both", measures=m, cue=cue, reason=reason, rep_value=rep)

        if toes is not None and toes > th["max_toes_up"]:
            return out("lying on the back", "Lie face down")
        if knee < th["min_knee_deg"]:
            return out("knees bent", "Lie face down, legs straight")
        stack = abs(body.j("left", "shoulder")[1] - body.j("right", "shoulder")[1]) / Ly.torso_len(body)
        m["shoulder_stack"] = stack
        if body.side_visible("left", "shoulder") and body.side_visible("right", "shoulder") \
                and stack > th["max_shoulder_stack"]:
            return out("lying on the side", "Lie face down")
        if abs(Ly.trunk_deg(body, side)) > 60:
            return out("not lying", "Lie face down")
        if lift < th["min_lift_deg"]:
            return out("chest on the floor", "Lift your chest and shoulders", lift)
        faults = []
        if legs > th["max_leg_deg"]:
            faults.append("legs_lifted")
        elif hip_up > th["hip_lift"]:
            faults.append("hips_lifted")
        if neck > th["neck_deg"]:
            faults.append("neck_cranked")
        return self.verdict(GOOD, side="both", measures=m, faults=faults, rep_value=lift)


RULES = (ProneExtension(),)
