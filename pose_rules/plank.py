"""Front plank: forearm plank, high (straight-arm) plank and the knees-down
plank. Faults: hips sagging and hips piked, told apart by the SIGNED bend of
the hip out of the shoulder-ankle line (shoulder-knee line for the knee plank),
measured from the person's own straight-body reading (``hip_neutral_deg``):
MediaPipe puts the hip landmark above that line in a straight plank by an
amount that depends on the body and the camera, so the limits are offsets from
a neutral that calibration can set to the person's own.

In position (checked in this order, each independent of the hip bend so that
a strong pike or sag is still judged as the fault it is): the body line near
horizontal; side-on (not stacked like a side plank); the arms supporting (the
elbow or the hand clearly below the shoulder; forearm or hand told apart by
the forearm lying on the floor); for the toe plank no knee on the floor and
no leg kneeling (both legs, where seen), and the hips off the floor; for the
knee plank the knees down, not on all fours, hips off the floor.

Camera: side view, whole body in frame.
"""
from __future__ import annotations

from typing import Mapping

from coach.core.geometry import angle_at, dist, elevation, height_above_line, incline, signed_bend
from .base import (GOOD, NOT_IN_POSITION, Body, Fault, KeyMeasure, Limit, Rule, Threshold, Verdict,
                   common_thresholds)
from .goals import Hold

_SIDE_JOINTS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")

_LINE = (
    Threshold("hip_neutral_deg", "deg", 5.0, -15.0, 25.0,
              "the hip bend MediaPipe reads for this person's straight body (limits are offsets from it; "
              "calibration sets it)"),
    Threshold("sag_deg", "deg", 16.0, 3.0, 40.0,
              "hips this far below the straight line (from the neutral reading) = sagging", calibrated=11.0),
    Threshold("pike_deg", "deg", 16.0, 3.0, 45.0,
              "hips this far above the straight line (from the neutral reading) = piked", calibrated=11.0),
)
_POSITION = (
    Threshold("max_body_incline_deg", "deg", 35.0, 10.0, 60.0,
              "body line steeper than this from horizontal = not in plank position"),
    Threshold("min_arm_drop_deg", "deg", 30.0, 10.0, 85.0,
              "elbow (or hand) at least this steeply below the shoulder = arms supporting"),
    Threshold("max_forearm_deg", "deg", 20.0, 5.0, 60.0,
              "forearm (elbow to wrist) flatter than this = resting on the forearm, steeper = on the hands"),
    Threshold("max_shoulder_stack", "ratio", 0.35, 0.1, 1.0,
              "vertical shoulder-to-shoulder gap over torso length above this = side-on (side plank), not a plank"),
)
_TOES = (
    Threshold("min_knee_deg", "deg", 160.0, 110.0, 180.0,
              "knee angle below this = knees bent (toe planks)"),
    Threshold("kneeling_knee_deg", "deg", 120.0, 60.0, 150.0,
              "knee angle below this (either leg) = kneeling / on all fours, not a toe plank"),
    Threshold("min_knee_lift", "torso lengths", 0.15, 0.0, 0.6,
              "knee lower than this above the floor line (support to toes) = knee on the floor"),
    Threshold("min_hip_lift", "torso lengths", 0.25, 0.0, 1.0,
              "hip lower than this above the floor line (support to toes) with a knee down = lying on the floor"),
)
_KNEES = (
    Threshold("min_knee_lift", "torso lengths", 0.15, 0.0, 0.6,
              "knee lower than this above the floor line (support to feet) = knee on the floor"),
    Threshold("lying_knee_deg", "deg", 150.0, 110.0, 178.0,
              "knee plank: legs straighter than this with the hips low (min_hip_lift) = lying on the floor"),
    Threshold("all_fours_deg", "deg", 55.0, 30.0, 90.0,
              "knee plank: hip bent, or thigh steeper than this = on all fours (thighs under the hips)"),
    Threshold("min_hip_lift", "torso lengths", 0.18, -0.5, 1.0,
              "knee plank: hip lower than this above the support-knee line, legs out straight = lying on the floor"),
)


def _hip_line(end: str) -> KeyMeasure:
    return KeyMeasure("hip_bend_deg", f"Hip bend out of the shoulder-{end} line (+ up, - down)", "deg",
                      (Limit("sag_deg", -1.0, "sag", relative=True, fault="hips_sagging"), Limit("pike_deg", 1.0, "pike", relative=True, fault="hips_piked")),
                      line=("shoulder", end), joint="hip", neutral="hip_neutral_deg")


class _PlankBase(Rule):
    view = "side"
    key_measures = (_hip_line("ankle"),)
    goal = Hold(60.0)
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
        W = body.j(side, "wrist") if body.side_visible(side, "wrist") else None

        bend = signed_bend(S, H, end_pt)
        body_incline = incline(S, end_pt)
        elbow_drop = -elevation(S, E)
        wrist_drop = -elevation(S, W) if W is not None else float("nan")
        forearm_tilt = abs(elevation(E, W)) if W is not None else float("nan")
        torso = dist(S, H) or 1.0
        stack = abs(float(body.j("left", "shoulder")[1] - body.j("right", "shoulder")[1])) / torso \
            if body.visible(11, 12) else 0.0
        # the floor: from the support on the floor (forearm: elbow; hands: wrist) to the toes
        on_forearm = W is None or forearm_tilt <= th["max_forearm_deg"]
        P = E if on_forearm else W
        other = "right" if side == "left" else "left"
        toe = next((body.j(s, j) for s in (side, other) for j in ("foot_index", "heel", "ankle")
                    if body.side_visible(s, j)), None)
        floor_end = toe if toe is not None else end_pt
        hip_lift = height_above_line(H, P, floor_end) / torso
        legs = {}
        for s in ("left", "right"):
            if body.side_visible(s, "hip", "knee", "ankle"):
                hs, ks, as_ = body.j(s, "hip"), body.j(s, "knee"), body.j(s, "ankle")
                legs[s] = (angle_at(hs, ks, as_), height_above_line(ks, P, floor_end) / torso)
            elif s == side:
                legs[s] = (float("nan"), height_above_line(K, P, floor_end) / torso)
        knee = legs[side][0]
        m = {"hip_bend_deg": bend, "body_incline_deg": body_incline, "elbow_drop_deg": elbow_drop,
             "wrist_drop_deg": wrist_drop, "forearm_tilt_deg": forearm_tilt, "knee_angle_deg": knee,
             "knee_lift": min(v[1] for v in legs.values()), "hip_lift": hip_lift, "shoulder_stack": stack}

        def out(reason: str, cue: str) -> Verdict:
            return self.verdict(NOT_IN_POSITION, side=side, measures=m, cue=cue, reason=reason)

        if body_incline > th["max_body_incline_deg"]:
            return out("body not horizontal", "Get down into the plank position")
        if stack > th["max_shoulder_stack"]:
            return out("side-on to the camera like a side plank", "Turn side-on to the camera")
        support_point_ok = elbow_drop >= th["min_arm_drop_deg"] or (W is not None and wrist_drop >= th["min_arm_drop_deg"])
        ok_support = {"any": support_point_ok, "forearm": support_point_ok and on_forearm,
                      "hands": support_point_ok and not on_forearm}[self.support]
        if not ok_support:
            cue = {"forearm": "Rest on your forearms, elbows under shoulders",
                   "hands": "Hands under your shoulders, arms straight"}.get(self.support, "Elbows or hands under your shoulders")
            return out("arms not supporting under the shoulders", cue)

        faults = []
        if self.on_knees:
            # the knee that the body line runs to must be the one on the floor
            ang, lift = legs[side]
            if not lift < th["min_knee_lift"]:
                return out("knees not down on the floor", "Put your knees down on the floor")
            m["thigh_incline_deg"] = thigh_incline = incline(K, H)
            if bend > th["all_fours_deg"] or thigh_incline > th["all_fours_deg"]:
                return out("on all fours, thighs under the hips", "Walk your hands forward, body in one line to the knees")
            m["hip_lift"] = hip_lift = height_above_line(H, P, K) / torso
            if hip_lift < th["min_hip_lift"] and not (ang == ang and ang < th["lying_knee_deg"]):
                return out("lying on the floor", "Lift your body off the floor")
        else:  # no leg kneeling and no knee on the floor (either leg, where seen)
            knee_down = [s for s, (ang, lift) in legs.items()
                         if lift < th["min_knee_lift"] or (ang == ang and ang < th["kneeling_knee_deg"])]
            if knee_down:
                if hip_lift < th["min_hip_lift"]:
                    return out("lying on the floor", "Lift your body off the floor, up on your toes")
                return out("kneeling, not on the toes", "Straighten your legs, up on your toes")
            if knee == knee and knee < th["min_knee_deg"]:
                faults.append("knees_bent")

        # in position: the angles are judged only if the camera sees the body side-on
        oblique = self.too_oblique(body, th, ("shoulder", "hip", end), side, m)
        if oblique is not None:
            return oblique
        d = bend - th["hip_neutral_deg"]
        if d < -th["sag_deg"]:
            faults.append("hips_sagging")
        elif d > th["pike_deg"]:
            faults.append("hips_piked")
        return self.verdict(GOOD, side=side, measures=m, faults=faults)


_FAULTS = (
    Fault("hips_sagging", "Lift your hips", 1, "hips dropped below the shoulder-ankle line",
          aliases=("hips_low", "sagging", "low_back", "low")),
    Fault("hips_piked", "Lower your hips", 2, "hips pushed up above the shoulder-ankle line",
          aliases=("hips_high", "piked", "high_back", "high")),
    Fault("knees_bent", "Straighten your legs", 3, "knees bent in a toe plank"),
)


class Plank(_PlankBase):
    name = "plank"
    title = "Plank (forearms or hands)"
    family, variant, variant_label = "Plank", "Forearms or hands", "Support"
    description = "Front plank on the forearms or on straight arms, on the toes; body in one straight line."
    thresholds = common_thresholds() + _LINE + _POSITION + _TOES
    faults = _FAULTS


class ForearmPlank(Plank):
    name = "forearm_plank"
    title = "Forearm plank"
    variant = "Forearms"
    description = "Plank on the forearms, elbows under the shoulders, on the toes."
    support = "forearm"


class HighPlank(Plank):
    name = "high_plank"
    title = "High plank"
    variant = "Straight arms (high plank)"
    description = "Plank on straight arms, hands under the shoulders, on the toes."
    support = "hands"


class KneePlank(_PlankBase):
    name = "knee_plank"
    title = "Knee plank"
    description = "Plank on elbows (or hands) and knees; body straight from shoulders to knees."
    on_knees = True
    key_measures = (_hip_line("knee"),)
    thresholds = common_thresholds() + tuple(
        Threshold(t.name, t.unit, t.default, t.min, t.max, t.meaning.replace("shoulder-ankle", "shoulder-knee"),
                  t.calibrated) for t in _LINE) + _POSITION + _KNEES
    faults = tuple(Fault(f.name, f.cue, f.priority, f.meaning.replace("shoulder-ankle", "shoulder-knee"), f.aliases)
                   for f in _FAULTS[:2])


RULES = (Plank(), ForearmPlank(), HighPlank(), KneePlank())
