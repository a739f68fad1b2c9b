"""Glute bridge (also single-leg): lying on the back, knees bent, feet on the
floor, hips pushed up until shoulders, hips and knees make a straight line.

Measures: the signed bend of the hip out of the shoulder-knee line (negative =
hips too low), judged from the person's own straight-line reading
(``hip_neutral_deg``), and how high the hip is above the floor line through
shoulder and ankle, in thigh lengths. Lying on the back with the feet planted
is the bridge's start position: from there every lift of the hips is a rep
(up at ``rep_up_lift``, down again below ``rep_down_lift``), and the hold timer
counts good-form time once the hips are clearly off the floor.
Camera: side view.
"""
from __future__ import annotations

from typing import Mapping

from coach.core.geometry import angle_at, dist, elevation, height_above_line, signed_bend
from .base import GOOD, NOT_IN_POSITION, Body, Fault, KeyMeasure, Limit, Rule, Threshold, Verdict, common_thresholds
from .goals import BOTH, Hold, Reps

_THRESHOLDS = common_thresholds() + (
    Threshold("hip_neutral_deg", "deg", 0.0, -15.0, 15.0,
              "the hip bend MediaPipe reads for this person's straight bridge (limits are offsets from it; "
              "calibration sets it)"),
    Threshold("low_deg", "deg", 15.0, 3.0, 45.0,
              "hips this far below the straight shoulder-knee line (from the neutral reading) = hips too low",
              calibrated=11.0),
    Threshold("arch_deg", "deg", 20.0, 5.0, 45.0,
              "hips this far above the shoulder-knee line (from the neutral reading) = over-arching the lower back",
              calibrated=13.0),
    Threshold("min_lift", "thigh lengths", 0.2, 0.05, 0.6,
              "hip height above the shoulder-ankle floor line needed to count as lifted (in position)"),
    Threshold("rep_up_lift", "thigh lengths", 0.32, 0.1, 0.8,
              "rep counter: hips at least this high = top of a lift"),
    Threshold("rep_down_lift", "thigh lengths", 0.2, 0.0, 0.6,
              "rep counter: hips below this = back down (must be below rep_up_lift)"),
    Threshold("moving_lift_s", "thigh lengths/s", 0.12, 0.02, 2.0,
              "hips rising or sinking faster than this = lifting or lowering: faults wait until they settle"),
    Threshold("max_trunk_deg", "deg", 55.0, 20.0, 80.0,
              "shoulder-to-hip line steeper than this = not lying on the back"),
    Threshold("max_knee_deg", "deg", 135.0, 90.0, 175.0,
              "supporting knee straighter than this = feet not planted"),
)

_FAULTS = (
    Fault("hips_too_low", "Lift your hips", 1, "hips below the shoulder-knee line",
          aliases=("hips_low", "sagging", "low")),
    Fault("over_arching", "Don't over-arch, lower your hips a little", 2, "hips pushed above the shoulder-knee line",
          aliases=("hips_high", "arching", "high")),
)


class GluteBridge(Rule):
    name = "glute_bridge"
    title = "Glute bridge"
    description = ("On the back, knees bent, feet flat; lift the hips until shoulders, hips and knees are in line. "
                   "Counts the good-form hold and every lift of the hips.")
    thresholds = _THRESHOLDS
    faults = _FAULTS
    goal = Hold(60.0) + Reps("rep_up_lift", "rep_down_lift", rep_sides=BOTH)
    #: "Hold for three deep breaths": about 15 s (three slow breaths of ~5 s).
    targets = {"breaths": ("three deep breaths (about 15 s)", {"hold_target_s": 15.0})}
    motion = "moving_lift_s"
    view = "side"
    key_measures = (
        KeyMeasure("hip_bend_deg", "Hip bend out of the shoulder-knee line (+ up, - down)", "deg",
                   (Limit("low_deg", -1.0, "too low", relative=True, fault="hips_too_low"), Limit("arch_deg", 1.0, "over-arch", relative=True, fault="over_arching")),
                   line=("shoulder", "knee"), joint="hip", neutral="hip_neutral_deg"),
        KeyMeasure("hip_lift", "Hip height above the floor line", "thigh lengths",
                   (Limit("min_lift", 1.0, "in position"), Limit("rep_up_lift", 1.0, "rep up"),
                    Limit("rep_down_lift", 1.0, "rep down"))),
    )

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        side = body.facing_side(("shoulder", "hip", "knee", "ankle"))
        missing = body.missing(side, ("shoulder", "hip"))
        if missing:
            return self.cant_see(missing, side)
        # The supporting leg is the one with its foot lower (on the floor).
        legs = [s for s in ("left", "right") if body.side_visible(s, "knee", "ankle")]
        if not legs:
            return self.cant_see(body.missing(side, ("knee", "ankle")), side)
        leg = max(legs, key=lambda s: body.j(s, "ankle")[1])
        S, H = body.j(side, "shoulder"), body.j(side, "hip")
        K, A = body.j(leg, "knee"), body.j(leg, "ankle")
        thigh = dist(H, K) or 1.0
        bend = signed_bend(S, H, K)
        lift = height_above_line(H, S, A) / thigh
        trunk = elevation(S, H)
        knee = angle_at(H, K, A)
        m = {"hip_bend_deg": bend, "hip_lift": lift, "trunk_deg": trunk, "knee_angle_deg": knee}

        def out(reason: str, cue: str, rep_value=None) -> Verdict:
            return self.verdict(NOT_IN_POSITION, side=side, measures=m, cue=cue, reason=reason, rep_value=rep_value)

        if abs(trunk) > th["max_trunk_deg"]:
            return out("not lying on the back", "Lie on your back, knees bent")
        if knee > th["max_knee_deg"]:
            return out("feet not planted", "Bend your knees, feet flat on the floor")
        if K[1] > H[1] + 0.25 * thigh and K[1] > S[1]:
            return out("knees below the hips", "Lie on your back, knees bent")
        # on the back with the feet planted: the start position of a lift (reps follow the hip height)
        if lift < th["min_lift"]:
            return out("hips on the floor", "Push your hips up", rep_value=lift)
        oblique = self.too_oblique(body, th, ("shoulder", "hip", "knee"), side, m)
        if oblique is not None:
            return oblique
        faults = []
        d = bend - th["hip_neutral_deg"]
        if d < -th["low_deg"]:
            faults.append("hips_too_low")
        elif d > th["arch_deg"]:
            faults.append("over_arching")
        return self.verdict(GOOD, side=side, measures=m, faults=faults, rep_value=lift)


RULES = (GluteBridge(),)
