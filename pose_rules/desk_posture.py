"""Sitting at a desk: posture, and "get up every 30 minutes" (an all-day monitor).

One frame is judged as seen by either camera:

* **front** (the laptop's own webcam, often head and shoulders only): the
  nose's height above the shoulder line and the ears' height, over the
  shoulder width (head dropped: the nose sinks towards the shoulder line,
  more than the ears; shoulders raised: the ears sink as much as the nose);
  the ear-to-ear width over the shoulder width (head forward: the head comes
  towards the camera, the face grows against the shoulders); after
  calibration also the face and the shoulders against their own calibrated
  sizes in the picture (the face alone grows: head forward; the shoulders
  narrow with the face unchanged: shoulders rounded; both grow: too close
  to the screen); leaning to one side (the shoulder line tilted, or the
  trunk from hips to shoulders off vertical when the hips are seen);
* **side** (a camera beside the desk): the trunk from hip to shoulder against
  vertical (slouched forward, reclined) and the ear ahead of the shoulder
  (head forward), signed towards the way the person faces.

The view is told by the shoulder width against the torso (or, without the
hips, against the head's height above the shoulders). Standing (legs seen
straight, thighs steep) is "not in position": the goal counts it towards a
break, as it counts nobody in view ("can't see"). Each posture measure has a
neutral that calibration ("sit upright for a few seconds") sets to the
person's own; before calibration the neutrals are typical readings and the
limits are wider.

Where the defaults come from (MediaPipe full model): side view, the shared
``sittingposture_nvv`` / ``openposture`` photos (two people): trunk upright
-8.6 to -11.6 deg, slouched +19.0 to +42.9, reclined -30.4 to -37.3, legs
tucked -14.4 to -15.8; ear ahead of the shoulder upright +10.3 to +18.0,
hunched +31.8 to +63.6, reclined -5.4 to +19.5. Front view, the seated and
standing polybag clips (upright frames): nose height 0.62-0.71 shoulder
widths, ear height 0.63-0.73, ear width 0.28-0.41 shoulder widths, shoulder
line within 3 deg of level; seated side bends tilt it 24-51 deg. Standing:
knees 161-180 deg and thigh/shin 0.98-1.39 in the picture; seated knees
71-152 deg (front view thighs foreshortened to 0.61-0.95 of the shin).
"""
from __future__ import annotations

import math
from typing import Mapping

from coach.core.geometry import angle_at, dist
from .base import (GOOD, NOT_IN_POSITION, TIMING_THRESHOLDS, Body, Fault, KeyMeasure, Limit, Rule, Threshold,
                   Verdict)
from .goals import Sitting

NOSE, L_EAR, R_EAR = 0, 7, 8
#: The measure set (1.0) on a "can't see" verdict when a face is seen but not the shoulders.
FACE_SEEN = "face_seen"

_VIEW = (
    Threshold("min_visibility", "0-1", 0.5, 0.1, 0.95, "landmarks with lower MediaPipe visibility count as not seen"),
    Threshold("front_min_ratio", "ratio", 0.45, 0.25, 0.7,
              "shoulder width over torso length above this = a front view (front 0.70-0.86, side 0.04-0.19)"),
    Threshold("front_min_head_ratio", "ratio", 0.8, 0.4, 1.4,
              "without the hips: shoulder width over the nose's height above the shoulders above this = "
              "a front view (front 1.4-1.6 upright, side 0.1-0.4)"),
    Threshold("max_trunk_incline_deg", "deg", 60.0, 40.0, 80.0,
              "trunk (hips to shoulders) further than this from vertical = not sitting (lying, bending down)"),
    Threshold("standing_knee_deg", "deg", 158.0, 140.0, 175.0,
              "front view: knees straighter than this (every leg seen), thighs not foreshortened = standing"),
    Threshold("standing_thigh_deg", "deg", 55.0, 35.0, 80.0,
              "side view: a thigh steeper than this from horizontal = standing (sitting reads 2-42)"),
    Threshold("standing_thigh_shin", "ratio", 0.85, 0.6, 1.0,
              "front view: thigh at least this long against the shin in the picture (not foreshortened "
              "towards the camera) with straight knees = standing"),
)
_FRONT = (
    Threshold("head_neutral", "shoulder widths", 0.66, 0.2, 1.2,
              "the nose's height above the shoulder line sitting upright (calibration sets it)"),
    Threshold("head_drop", "shoulder widths", 0.18, 0.05, 0.5,
              "nose this much lower than upright, mostly by tilting down = head dropped", calibrated=0.12),
    Threshold("ear_neutral", "shoulder widths", 0.68, 0.2, 1.2,
              "the ears' height above the shoulder line sitting upright (calibration sets it)"),
    Threshold("shrug", "shoulder widths", 0.15, 0.05, 0.5,
              "ears this much closer to the shoulder line than upright, the head level = shoulders raised",
              calibrated=0.10),
    Threshold("face_neutral", "shoulder widths", 0.37, 0.2, 0.7,
              "ear-to-ear width over shoulder width sitting upright (calibration sets it)"),
    Threshold("head_forward_ratio", "shoulder widths", 0.09, 0.02, 0.3,
              "ear width this much above upright (the head come towards the camera) = head forward",
              calibrated=0.05),
    Threshold("face_size_neutral", "image widths", 0.0, 0.0, 1.0,
              "the ear-to-ear width in the picture sitting upright (calibration sets it; 0 = not calibrated: "
              "the size checks below are off)"),
    Threshold("shoulder_size_neutral", "image widths", 0.0, 0.0, 2.0,
              "the shoulder width in the picture sitting upright (calibration sets it; 0 = not calibrated)"),
    Threshold("rounded_pct", "%", 8.0, 3.0, 30.0,
              "after calibration: shoulders this much narrower, the face no bigger = shoulders rounded"),
    Threshold("too_close_pct", "%", 25.0, 10.0, 80.0,
              "after calibration: face and shoulders this much bigger = too close to the screen"),
    Threshold("tilt_neutral_deg", "deg", 0.0, -10.0, 10.0,
              "the shoulder line's tilt sitting upright (calibration sets it)"),
    Threshold("trunk_lean_neutral_deg", "deg", 0.0, -10.0, 10.0,
              "the trunk's sideways lean (hips to shoulders) sitting upright, when the hips are seen "
              "(calibration sets it)"),
    Threshold("lean_deg", "deg", 10.0, 4.0, 30.0,
              "shoulder line tilted (or the trunk off vertical) this far from upright = leaning to one side",
              calibrated=8.0),
)
_SIDE = (
    Threshold("trunk_neutral_deg", "deg", -10.0, -25.0, 10.0,
              "the trunk's angle from vertical sitting upright, + forward (calibration sets it)"),
    Threshold("slouch_deg", "deg", 20.0, 6.0, 40.0,
              "trunk this much further forward than upright = slouched forward", calibrated=12.0),
    Threshold("recline_deg", "deg", 15.0, 6.0, 40.0,
              "trunk this much further back than upright = reclined (slumped back)", calibrated=12.0),
    Threshold("ear_fwd_neutral_deg", "deg", 14.0, -25.0, 40.0,
              "shoulder-to-ear angle from vertical sitting upright, + ear ahead (calibration sets it)"),
    Threshold("head_fwd_deg", "deg", 12.0, 5.0, 40.0,
              "ear this much further ahead of the shoulder than upright = head forward", calibrated=10.0),
)

_FAULTS = (
    Fault("slouched", "Sit up tall, back against the backrest", 1, "trunk bent forward (slouching, stooping)",
          aliases=("slouched_forward", "hunched", "slouch")),
    Fault("leaning", "Sit straight, not leaning to one side", 2, "leaning to one side", aliases=("lean",)),
    Fault("reclined", "Sit upright against the backrest", 3, "trunk slumped back", aliases=("recline",)),
    Fault("too_close", "Sit back from the screen", 4, "face and shoulders much closer to the camera than upright"),
    Fault("head_forward", "Bring your head back over your shoulders", 5, "head pushed forward of the shoulders",
          aliases=("forward_head", "slouched_forward_head")),
    Fault("head_dropped", "Lift your head, screen at eye level", 6, "head dropped, looking down"),
    Fault("shoulders_rounded", "Open your shoulders", 7, "shoulders rounded forward"),
    Fault("shoulders_raised", "Relax your shoulders down", 8, "shoulders raised towards the ears"),
)

#: Timing for an all-day monitor: a fault is told only after it has lasted
#: tens of seconds; the landmarks are smoothed over about a second.
_TIMING = tuple(
    {"cue_delay_s": Threshold("cue_delay_s", "s", 30.0, 5.0, 600.0,
                              "a posture fault must last this long before it is told (an all-day monitor, not a plank)"),
     "smoothing_hz": Threshold("smoothing_hz", "Hz", 1.0, 0.1, 5.0,
                               "landmark smoothing cut-off; lower = steadier (a frame or two a second is judged)"),
     }.get(t.name, t) for t in TIMING_THRESHOLDS) + (
    Threshold("cue_repeat_min", "min", 10.0, 1.0, 120.0,
              "a posture cue is said at most once in this many minutes (the screen shows it meanwhile)"),)


class DeskPosture(Rule):
    name = "desk_posture"
    title = "Desk posture (sitting)"
    family = "Desk"
    description = ("Sitting at the desk: upright, head over the shoulders, no slouching; "
                   "get up every 30 minutes.")
    placement = ("The laptop's camera in front of you (head and shoulders in view is enough), or a camera beside "
                 "the desk, side-on, hips to head in view.")
    view = "front"
    setup_joints = ("shoulder", "ear")
    thresholds = _VIEW + _FRONT + _SIDE
    faults = _FAULTS
    timing = _TIMING
    goal = Sitting(30.0, 60.0, 10.0)
    max_frame_gap_s = 2.0
    break_gap_s = 10.0
    judge_fps = 2.0
    monitor = True
    key_measures = (
        KeyMeasure("head_height", "Nose above the shoulder line (shoulder widths)", "shoulder widths",
                   (Limit("head_drop", -1.0, "head dropped", relative=True, fault="head_dropped"),),
                   neutral="head_neutral", view="front"),
        KeyMeasure("ear_height", "Ears above the shoulder line (shoulder widths)", "shoulder widths",
                   (Limit("shrug", -1.0, "shoulders raised", relative=True, fault="shoulders_raised"),),
                   neutral="ear_neutral", view="front"),
        KeyMeasure("face_ratio", "Ear width over shoulder width", "shoulder widths",
                   (Limit("head_forward_ratio", 1.0, "head forward", relative=True, fault="head_forward"),),
                   neutral="face_neutral", view="front"),
        KeyMeasure("shoulder_tilt_deg", "Shoulder line tilt (deg)", "deg",
                   (Limit("lean_deg", -1.0, "leaning", relative=True, fault="leaning"),
                    Limit("lean_deg", 1.0, "leaning", relative=True, fault="leaning")),
                   neutral="tilt_neutral_deg", view="front"),
        KeyMeasure("trunk_lean_deg", "Trunk's sideways lean, hips to shoulders (deg)", "deg",
                   (Limit("lean_deg", -1.0, "leaning", relative=True, fault="leaning"),
                    Limit("lean_deg", 1.0, "leaning", relative=True, fault="leaning")),
                   neutral="trunk_lean_neutral_deg", view="front"),
        KeyMeasure("face_size", "Ear width in the picture (image widths)", "image widths",
                   neutral="face_size_neutral", view="front"),
        KeyMeasure("shoulder_size", "Shoulder width in the picture (image widths)", "image widths",
                   neutral="shoulder_size_neutral", view="front"),
        KeyMeasure("trunk_fwd_deg", "Trunk from vertical (+ forward, - back)", "deg",
                   (Limit("slouch_deg", 1.0, "slouched", relative=True, fault="slouched"),
                    Limit("recline_deg", -1.0, "reclined", relative=True, fault="reclined")),
                   line=("hip", "shoulder"), joint="shoulder", neutral="trunk_neutral_deg", view="side"),
        KeyMeasure("ear_fwd_deg", "Ear ahead of the shoulder (deg from vertical)", "deg",
                   (Limit("head_fwd_deg", 1.0, "head forward", relative=True, fault="head_forward"),),
                   line=("shoulder", "ear"), joint="ear", neutral="ear_fwd_neutral_deg", view="side"),
    )

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        both_shoulders = body.visible(11, 12)
        side = body.facing_side(("shoulder", "ear", "hip"))
        hips = [s for s in ("left", "right") if body.side_visible(s, "hip")]
        if not both_shoulders and not body.side_visible(side, "shoulder", "ear"):
            v = self.cant_see(body.missing(side, ("ear", "shoulder")) if body.visible(NOSE) or
                              body.side_visible(side, "shoulder") else [])
            if body.visible(NOSE) and (body.visible(L_EAR) or body.visible(R_EAR)):
                # a face at the desk with the shoulders out of view (sitting close): the person is
                # there, the posture cannot be judged (the goal counts it as sitting, never as good form)
                return Verdict(self.name, v.status, None, {FACE_SEEN: 1.0}, (),
                               "Move back so your shoulders are in view", "cannot see the shoulders")
            return v
        front = False
        m: dict[str, float] = {}
        if both_shoulders:
            ls, rs = body.j("left", "shoulder"), body.j("right", "shoulder")
            sw = dist(ls, rs)
            sm = body.mid("shoulder")
            if len(hips) == 2:
                torso = dist(sm, body.mid("hip")) or 1.0
                m["view_ratio"] = sw / torso
                front = m["view_ratio"] > th["front_min_ratio"]
            elif body.visible(NOSE):
                rise = max(1e-6, sm[1] - body.p(NOSE)[1])
                m["view_ratio"] = sw / rise if sm[1] > body.p(NOSE)[1] else 0.0
                front = m["view_ratio"] > th["front_min_head_ratio"]
        m["front_view"] = 1.0 if front else 0.0
        if front:
            return self._front(body, th, m)
        return self._side(body, th, side, m)

    # -- shared --------------------------------------------------------------------
    def _standing(self, body: Body, th, front: bool, m: dict) -> bool:
        """Side view: a thigh seen steep (sitting, it is near level). Front view
        (thighs point at the camera when sitting): every leg seen straight with
        a thigh not foreshortened against its shin."""
        if not front:
            for s in ("left", "right"):
                if body.side_visible(s, "hip", "knee"):
                    h, k = body.j(s, "hip"), body.j(s, "knee")
                    m[f"thigh_{s}_deg"] = steep = math.degrees(math.atan2(abs(k[1] - h[1]), abs(k[0] - h[0]) or 1e-9))
                    if steep >= th["standing_thigh_deg"]:
                        return True
            return False
        legs = [s for s in ("left", "right") if body.side_visible(s, "hip", "knee", "ankle")]
        if not legs:
            return False
        for s in legs:
            h, k, a = body.j(s, "hip"), body.j(s, "knee"), body.j(s, "ankle")
            m[f"knee_{s}_deg"] = knee = angle_at(h, k, a)
            if knee < th["standing_knee_deg"] or dist(h, k) < th["standing_thigh_shin"] * (dist(k, a) or 1.0):
                return False
        return True

    def _out(self, m, reason: str, cue: str) -> Verdict:
        return self.verdict(NOT_IN_POSITION, measures=m, cue=cue, reason=reason)

    # -- front view ----------------------------------------------------------------
    def _front(self, body: Body, th, m: dict) -> Verdict:
        if not body.visible(NOSE):
            return self.cant_see(["nose"])
        ls, rs = body.j("left", "shoulder"), body.j("right", "shoulder")
        sm = body.mid("shoulder")
        sw = dist(ls, rs) or 1.0
        nose = body.p(NOSE)
        w = body.image_size[0]
        if body.visible(23, 24):
            hm = body.mid("hip")
            m["trunk_lean_deg"] = math.degrees(math.atan2(sm[0] - hm[0], hm[1] - sm[1]))
            if abs(m["trunk_lean_deg"]) > th["max_trunk_incline_deg"] or sm[1] >= hm[1]:
                return self._out(m, "not sitting upright (lying or bending down)", "Sit at the desk, facing the camera")
            if self._standing(body, th, True, m):
                return self._out(m, "standing", "")
        if nose[1] >= sm[1] + 0.5 * sw:
            return self._out(m, "head below the shoulders: not sitting at the desk", "Sit at the desk, facing the camera")
        tilt = math.degrees(math.atan2(rs[1] - ls[1], abs(ls[0] - rs[0]) or 1e-9))  # + : the person's right shoulder lower
        m["shoulder_tilt_deg"] = tilt
        m["head_height"] = (sm[1] - nose[1]) / sw
        m["shoulder_size"] = sw / w
        ears = body.visible(L_EAR, R_EAR)
        if ears:
            el, er = body.p(L_EAR), body.p(R_EAR)
            m["ear_height"] = (sm[1] - (el[1] + er[1]) / 2.0) / sw
            m["face_ratio"] = dist(el, er) / sw
            m["face_size"] = dist(el, er) / w
        faults = []
        lean = abs(tilt - th["tilt_neutral_deg"]) > th["lean_deg"] or \
            abs(m.get("trunk_lean_deg", th["trunk_lean_neutral_deg"]) - th["trunk_lean_neutral_deg"]) > th["lean_deg"]
        if lean:
            faults.append("leaning")  # the head's heights are not comparable while leaning
        else:
            head_drop = th["head_neutral"] - m["head_height"]
            ear_drop = th["ear_neutral"] - m["ear_height"] if ears else 0.0
            if head_drop > th["head_drop"] and (not ears or head_drop - ear_drop >= 0.3 * head_drop):
                faults.append("head_dropped")
            elif ears and ear_drop > th["shrug"]:
                faults.append("shoulders_raised")
        if ears:
            fs0, ss0 = th["face_size_neutral"], th["shoulder_size_neutral"]
            if fs0 > 0 and ss0 > 0:  # calibrated sizes: the face and the shoulders apart
                face_g = 100.0 * (m["face_size"] / fs0 - 1.0)
                sh_g = 100.0 * (m["shoulder_size"] / ss0 - 1.0)
                m["face_growth_pct"], m["shoulder_growth_pct"] = face_g, sh_g
                if face_g > th["too_close_pct"] and sh_g > 0.6 * th["too_close_pct"]:
                    faults.append("too_close")
                elif m["face_ratio"] - th["face_neutral"] > th["head_forward_ratio"]:
                    faults.append("shoulders_rounded" if (sh_g < -th["rounded_pct"] and face_g < th["rounded_pct"])
                                  else "head_forward")
            elif m["face_ratio"] - th["face_neutral"] > th["head_forward_ratio"]:
                faults.append("head_forward")
        return self.verdict(GOOD, measures=m, faults=faults)

    # -- side view -----------------------------------------------------------------
    def _side(self, body: Body, th, side: str, m: dict) -> Verdict:
        if not body.side_visible(side, "shoulder", "ear"):
            return self.cant_see(body.missing(side, ("ear", "shoulder")), side)
        S, E = body.j(side, "shoulder"), body.j(side, "ear")
        H = body.j(side, "hip") if body.side_visible(side, "hip") else None
        K = body.j(side, "knee") if body.side_visible(side, "knee") else None
        # which way the person faces: the knees point forward when sitting; else the nose is ahead of the ear
        if H is not None and K is not None and abs(K[0] - H[0]) > 0.3 * (dist(S, H) or 1.0):
            facing = 1.0 if K[0] > H[0] else -1.0
        elif body.visible(NOSE):
            facing = 1.0 if body.p(NOSE)[0] > E[0] else -1.0
        else:
            facing = 1.0
        m["facing"] = facing
        m["ear_fwd_deg"] = math.degrees(math.atan2((E[0] - S[0]) * facing, S[1] - E[1]))
        faults = []
        if H is not None:
            trunk = math.degrees(math.atan2((S[0] - H[0]) * facing, H[1] - S[1]))
            m["trunk_fwd_deg"] = trunk
            if abs(trunk) > th["max_trunk_incline_deg"]:
                return self._out(m, "not sitting upright (lying or bending down)", "Sit at the desk")
            if self._standing(body, th, False, m):
                return self._out(m, "standing", "")
            d = trunk - th["trunk_neutral_deg"]
            if d > th["slouch_deg"]:
                faults.append("slouched")
            elif d < -th["recline_deg"]:
                faults.append("reclined")
        if m["ear_fwd_deg"] - th["ear_fwd_neutral_deg"] > th["head_fwd_deg"]:
            faults.append("head_forward")
        return self.verdict(GOOD, side=side, measures=m, faults=faults)


RULES = (DeskPosture(),)
