"""Partial crunch: lying on the back, knees bent, feet flat, arms crossed on
the chest (or hands lightly behind the head); curl the shoulders off the
floor, hold a second at the top, lower slowly. Not a sit-up; the lower back
stays on the floor; slow, no jerking.

Measures (side view): the curl, as the angle of the shoulder->ear line above
the hip->shoulder line (MediaPipe barely moves its shoulder point in a crunch:
the curl shows in the upper back and head; the shared photos read 36-44
lying and 76-80 curled up); the trunk's own lift from the floor (a sit-up
lifts the whole hip-shoulder line: lying reads -7 to +10); the hips rising
above the planted feet (a bridge, not a crunch). Every curl up and down is a
rep (bilateral).
"""
from __future__ import annotations

from typing import Mapping

from .base import (GOOD, NOT_IN_POSITION, Body, Fault, KeyMeasure, Limit, Rule, Steadiness, Threshold, Verdict,
                   common_thresholds)
from .goals import BOTH, Reps
import pose_rules.lying as Ly

_THRESHOLDS = common_thresholds(oblique=False) + (
    Threshold("rep_up_deg", "deg", 64.0, 45.0, 100.0,
              "curl (head-shoulder line above the trunk line) at least this = up (photos: lying 36-46, up 76-80)"),
    Threshold("rep_down_deg", "deg", 52.0, 20.0, 90.0,
              "curl below this = back down (must be below rep_up_deg)"),
    Threshold("situp_deg", "deg", 32.0, 15.0, 70.0,
              "hip-shoulder line lifted this far from the floor = a sit-up, not a partial crunch "
              "(lying and curled reads -7 to +10)"),
    Threshold("hip_lift_deg", "deg", 16.0, 5.0, 45.0,
              "hips raised this far above the planted feet = lower back off the floor (lying reads -8 to +8, "
              "a bridge 21-25)"),
    Threshold("max_seated_deg", "deg", 36.0, 25.0, 60.0,
              "hips this far above the feet = sitting (seated photos read 42-52), not lying with the feet planted"),
    Threshold("max_knee_deg", "deg", 125.0, 80.0, 170.0,
              "knee straighter than this = knees not bent (lying knees bent reads 55-85)"),
    Threshold("max_lying_deg", "deg", 70.0, 40.0, 85.0,
              "hip-shoulder line steeper than this = sitting up, not lying on the back"),
    Threshold("min_trunk_deg", "deg", -13.0, -30.0, 0.0,
              "shoulders lower than the hips by more than this = hips raised in a bridge (lying reads -7 to +10, "
              "bridges -16 to -21)"),
    Threshold("moving_curl_dps", "deg/s", 40.0, 5.0, 300.0,
              "curl changing faster than this = curling up or lowering: faults wait until it settles"),
)

_FAULTS = (
    Fault("sit_up", "Only lift your shoulders, not a full sit-up", 1, "the whole trunk lifts off the floor",
          aliases=("too_high", "situp")),
    Fault("lower_back_lifted", "Keep your lower back on the floor", 2, "hips lifted off the floor",
          aliases=("hips_lifted", "back_lifted")),
)


class PartialCrunch(Rule):
    name = "partial_crunch"
    title = "Partial crunch"
    description = ("On your back, knees bent, feet flat, arms crossed on the chest. Curl your shoulders off the "
                   "floor, hold a second, lower slowly. Counts every curl.")
    thresholds = _THRESHOLDS
    faults = _FAULTS
    goal = Reps("rep_up_deg", "rep_down_deg", rep_sides=BOTH, target=10, top_s=1.0, title="crunches")
    motion = "moving_curl_dps"
    steady = Steadiness(1.0, "deg", 120.0, None, entry_cue="Curl up slowly, no jerking",
                        speed_basis="a curl of 35 deg in under 0.3 s")
    view = "side"
    lying = True
    setup_joints = ("shoulder", "hip", "knee", "ankle", "ear")
    key_measures = (
        KeyMeasure("curl_deg", "Curl: head-shoulder line above the trunk line", "deg",
                   (Limit("rep_up_deg", 1.0, "up"), Limit("rep_down_deg", 1.0, "down"))),
        KeyMeasure("trunk_deg", "Trunk lifted from the floor", "deg",
                   (Limit("situp_deg", 1.0, "sit-up", fault="sit_up"),)),
    )

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        side = body.facing_side(("shoulder", "hip", "knee", "ankle"))
        missing = body.missing(side, ("shoulder", "hip", "knee", "ankle", "ear"))
        if missing:
            return self.cant_see(missing, side)
        curl = Ly.head_deg(body, side)
        trunk = Ly.trunk_deg(body, side)
        knee = Ly.knee_angle(body, side)
        hip_lift = -Ly.leg_elevation(body, side)  # hips above the feet: the feet lie below the hip line
        m = {"curl_deg": curl, "trunk_deg": trunk, "knee_angle_deg": knee, "hip_lift_deg": hip_lift}

        def out(reason, cue, rep=None):
            return self.verdict(NOT_IN_POSITION, side="both", measures=m, cue=cue, reason=reason, rep_value=rep)

        if abs(trunk) > th["max_lying_deg"]:
            return out("not lying on the back", "Lie on your back, knees bent")
        if trunk < th["min_trunk_deg"]:
            return out("hips raised", "Lower your hips to the floor")
        if hip_lift > th["max_seated_deg"]:
            return out("sitting", "Lie on your back, knees bent, feet flat")
        if knee > th["max_knee_deg"]:
            return out("knees not bent", "Bend your knees, feet flat on the floor")
        if body.j(side, "knee")[1] > body.j(side, "hip")[1]:
            return out("knees below the hips", "Lie on your back, knees bent")
        if curl < th["rep_up_deg"] and trunk < th["situp_deg"]:
            return out("lying down", "Curl your shoulders up", curl)
        faults = []
        if trunk > th["situp_deg"]:
            faults.append("sit_up")
        if hip_lift > th["hip_lift_deg"]:
            faults.append("lower_back_lifted")
        return self.verdict(GOOD, side="both", measures=m, faults=faults, rep_value=max(curl, th["rep_up_deg"]))


RULES = (PartialCrunch(),)
