"""Front plank: forearm plank, high (straight-arm) plank and the knees-down
plank. Faults: hips sagging and hips piked, told apart by the SIGNED bend of
the hip out of the shoulder-ankle line (shoulder-knee line for the knee plank).

Camera: side view, whole body in frame.
"""
from __future__ import annotations

from typing import Mapping

from coach.geometry import angle_at, dist, elevation, incline, signed_bend
from .base import (GOOD, NOT_IN_POSITION, Body, Fault, KeyMeasure, Limit, Rule, Threshold, Verdict,
                   common_thresholds)

_SIDE_JOINTS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")

_THRESHOLDS = common_thresholds() + (
    Threshold("sag_deg", "deg", 12.0, 3.0, 40.0,
              "hips this far below the straight shoulder-ankle line = sagging"),
    Threshold("pike_deg", "deg", 15.0, 3.0, 45.0,
              "hips this far above the straight shoulder-ankle line = piked"),
    Threshold("max_body_incline_deg", "deg", 35.0, 10.0, 60.0,
              "body line steeper than this from horizontal = not in plank position"),
    Threshold("min_arm_drop_deg", "deg", 45.0, 20.0, 85.0,
              "elbow (or hand) at least this steeply below the shoulder = arms supporting"),
    Threshold("max_shoulder_stack", "ratio", 0.35, 0.1, 1.0,
              "vertical shoulder-to-shoulder gap over torso length above this = side-on (side plank), not a plank"),
    Threshold("min_knee_deg", "deg", 140.0, 110.0, 180.0,
              "knee angle below this = knees bent (toe planks)"),
    Threshold("kneeling_knee_deg", "deg", 120.0, 60.0, 150.0,
              "knee angle below this = kneeling / on all fours, not a toe plank"),
)


_HIP_LINE = KeyMeasure("hip_bend_deg", "Hip bend out of the shoulder-ankle line (+ up, - down)", "deg",
                       (Limit("sag_deg", -1.0, "sag"), Limit("pike_deg", 1.0, "pike")),
                       line=("shoulder", "ankle"), joint="hip")


class _PlankBase(Rule):
    view = "side"
    key_measures = (_HIP_LINE,)
    hold_target_s = 60.0
    #: "any", "forearm" or "hands"
    support = "any"
    on_knees = False

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        side = body.facing_side(_SIDE_JOINTS)
        end = "knee" if self.on_knees else "ankle"
        need = ("shoulder", "elbow", "hip", "knee", end) + (("wrist",) if self.support == "hands" else ())
        missing = body.missing(side, need)
        if missing:
            return self.cant_see(missing, side)
        S, E, H, K = (body.j(side, j) for j in ("shoulder", "elbow", "hip", "knee"))
        end_pt = body.j(side, end)
        A = body.j(side, "ankle") if body.side_visible(side, "ankle") else None
        W = body.j(side, "wrist") if body.side_visible(side, "wrist") else None

        bend = signed_bend(S, H, end_pt)
        body_incline = incline(S, end_pt)
        elbow_drop = -elevation(S, E)
        wrist_drop = -elevation(S, W) if W is not None else float("nan")
        elbow_angle = angle_at(S, E, W) if W is not None else float("nan")
        knee = angle_at(H, K, A) if A is not None else float("nan")
        torso = dist(S, H) or 1.0
        stack = abs(float(body.j("left", "shoulder")[1] - body.j("right", "shoulder")[1])) / torso \
            if body.visible(11, 12) else 0.0
        m = {"hip_bend_deg": bend, "body_incline_deg": body_incline, "elbow_drop_deg": elbow_drop,
             "elbow_angle_deg": elbow_angle, "knee_angle_deg": knee, "shoulder_stack": stack}

        def out(reason: str, cue: str) -> Verdict:
            return self.verdict(NOT_IN_POSITION, side=side, measures=m, cue=cue, reason=reason)

        if body_incline > th["max_body_incline_deg"]:
            return out("body not horizontal", "Get down into the plank position")
        if stack > th["max_shoulder_stack"]:
            return out("side-on to the camera like a side plank", "Turn side-on to the camera")
        forearm = elbow_drop >= th["min_arm_drop_deg"] and (elbow_angle != elbow_angle or elbow_angle < 135)
        hands = W is not None and wrist_drop >= th["min_arm_drop_deg"] and elbow_angle >= 135
        ok_support = {"any": forearm or hands, "forearm": forearm, "hands": hands}[self.support]
        if not ok_support:
            cue = {"forearm": "Rest on your forearms, elbows under shoulders",
                   "hands": "Hands under your shoulders, arms straight"}.get(self.support, "Elbows or hands under your shoulders")
            return out("arms not supporting under the shoulders", cue)
        if not self.on_knees and knee == knee and knee < th["kneeling_knee_deg"]:
            return out("kneeling, not on the toes", "Straighten your legs, up on your toes")

        faults = []
        if bend < -th["sag_deg"]:
            faults.append("hips_sagging")
        elif bend > th["pike_deg"]:
            faults.append("hips_piked")
        if not self.on_knees and knee == knee and knee < th["min_knee_deg"]:
            faults.append("knees_bent")
        return self.verdict(GOOD, side=side, measures=m, faults=faults)


_FAULTS = (
    Fault("hips_sagging", "Lift your hips", 1, "hips dropped below the shoulder-ankle line"),
    Fault("hips_piked", "Lower your hips", 2, "hips pushed up above the shoulder-ankle line"),
    Fault("knees_bent", "Straighten your legs", 3, "knees bent in a toe plank"),
)


class Plank(_PlankBase):
    name = "plank"
    title = "Plank (forearms or hands)"
    description = "Front plank on the forearms or on straight arms, on the toes; body in one straight line."
    thresholds = _THRESHOLDS
    faults = _FAULTS


class ForearmPlank(_PlankBase):
    name = "forearm_plank"
    title = "Forearm plank"
    description = "Plank on the forearms, elbows under the shoulders, on the toes."
    support = "forearm"
    thresholds = _THRESHOLDS
    faults = _FAULTS


class HighPlank(_PlankBase):
    name = "high_plank"
    title = "High plank"
    description = "Plank on straight arms, hands under the shoulders, on the toes."
    support = "hands"
    thresholds = _THRESHOLDS
    faults = _FAULTS


class KneePlank(_PlankBase):
    name = "knee_plank"
    title = "Knee plank"
    description = "Plank on elbows (or hands) and knees; body straight from shoulders to knees."
    on_knees = True
    key_measures = (KeyMeasure("hip_bend_deg", "Hip bend out of the shoulder-knee line (+ up, - down)", "deg",
                               _HIP_LINE.limits, line=("shoulder", "knee"), joint="hip"),)
    thresholds = tuple(
        Threshold(t.name, t.unit, t.default, t.min, t.max,
                  t.meaning.replace("shoulder-ankle", "shoulder-knee"))
        for t in _THRESHOLDS if t.name not in ("kneeling_knee_deg", "min_knee_deg")
    )
    faults = _FAULTS[:2]


RULES = (Plank(), ForearmPlank(), HighPlank(), KneePlank())
