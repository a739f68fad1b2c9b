"""Bird-dog and quadruped hip extension: on all fours, lift one leg (bird-dog:
and the opposite arm) to hip level, hold, lower; reps per side.

Measure: the lifted thigh's elevation (hip -> knee angle above the horizontal):
-90 = hanging under the hip, 0 = knee at hip level, positive = above it. The
rep counter follows it (with hysteresis); the rep side is the lifted leg.
Camera: side view.
"""
from __future__ import annotations

from typing import Mapping

from coach.core.geometry import angle_at, elevation
from .base import GOOD, NOT_IN_POSITION, Body, Fault, KeyMeasure, Limit, Rule, Threshold, Verdict, common_thresholds
from .goals import Reps

_COMMON = common_thresholds() + (
    Threshold("leg_level_deg", "deg", 0.0, -20.0, 20.0,
              "the lifted thigh's reading at this person's hip level (limits are offsets from it; calibration sets it)"),
    Threshold("leg_high_deg", "deg", 10.0, 0.0, 45.0,
              "lifted thigh more than this above hip level = leg kicked above hip level", calibrated=10.0),
    Threshold("leg_low_deg", "deg", 20.0, 5.0, 45.0,
              "lifted thigh more than this below hip level (while lifting) = knee not up to hip level", calibrated=15.0),
    Threshold("lifting_deg", "deg", 55.0, 30.0, 80.0,
              "thigh rising above this angle below horizontal = the leg counts as lifting"),
    Threshold("rep_up_deg", "deg", -40.0, -60.0, 0.0,
              "rep counter: thigh elevation above this = top of the rep"),
    Threshold("rep_down_deg", "deg", -55.0, -85.0, -20.0,
              "rep counter: thigh elevation below this = back down (must be below rep_up_deg)"),
    Threshold("moving_deg_s", "deg/s", 40.0, 5.0, 200.0,
              "lifted thigh turning faster than this = lifting or lowering: leg faults wait until it settles"),
    Threshold("min_support_knee_deg", "deg", 60.0, 30.0, 120.0,
              "supporting knee more bent than this = sitting back (child's pose), not on all fours"),
    Threshold("max_trunk_deg", "deg", 35.0, 10.0, 60.0,
              "shoulder-hip line steeper than this from horizontal = not on all fours"),
    Threshold("support_deg", "deg", 50.0, 30.0, 85.0,
              "supporting thigh and arm at least this steeply below the hip/shoulder = on all fours"),
)

_ARM = (
    Threshold("arm_low_deg", "deg", 45.0, 10.0, 80.0,
              "lifted arm (shoulder to wrist) more than this below horizontal = arm not raised"),
)
_KNEE = (
    Threshold("max_knee_deg", "deg", 130.0, 100.0, 175.0,
              "lifted knee straighter than this = knee not bent at about 90 degrees"),
)

_LEG_FAULTS = (
    Fault("leg_too_high", "Lower your leg to hip level", 1, "leg kicked above hip level (arches the lower back)",
          aliases=("leg_high", "too_high")),
    Fault("leg_too_low", "Knee up to hip level", 2, "the lifted leg stays below hip level", aliases=("leg_low", "too_low")),
)


class _Quadruped(Rule):
    view = "side"
    goal = Reps("rep_up_deg", "rep_down_deg")
    motion = "moving_deg_s"
    setup_joints = ("shoulder", "wrist", "hip", "knee")  # judged without the feet, which may leave the frame
    key_measures = (
        KeyMeasure("lifted_thigh_deg", "Lifted thigh above hip level (0 = level, -90 = hanging)", "deg",
                   (Limit("leg_high_deg", 1.0, "too high", relative=True, fault="leg_too_high"), Limit("leg_low_deg", -1.0, "too low", relative=True, fault="leg_too_low"),
                    Limit("rep_up_deg", 1.0, "rep up"), Limit("rep_down_deg", 1.0, "rep down")),
                   line=("hip", "knee"), joint="hip", horizontal=True, neutral="leg_level_deg"),
    )
    check_arm = False
    check_knee = False

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        side = body.facing_side(("shoulder", "hip", "knee", "wrist"))
        missing = body.missing(side, ("shoulder", "hip", "knee", "wrist"))
        if missing:
            return self.cant_see(missing, side)
        legs = [s for s in ("left", "right") if body.side_visible(s, "hip", "knee")]
        thigh = {s: elevation(body.j(s, "hip"), body.j(s, "knee")) for s in legs}
        arms = [s for s in ("left", "right") if body.side_visible(s, "shoulder", "wrist")]
        arm = {s: elevation(body.j(s, "shoulder"), body.j(s, "wrist")) for s in arms}
        trunk = elevation(body.mid("shoulder"), body.mid("hip")) if len(legs) == 2 and len(arms) == 2 \
            else elevation(body.j(side, "shoulder"), body.j(side, "hip"))
        lifted = max(legs, key=lambda s: thigh[s])
        support_leg = min(legs, key=lambda s: thigh[s])
        support_arm = min(arms, key=lambda s: arm[s])
        m = {"lifted_thigh_deg": thigh[lifted], "support_thigh_deg": thigh[support_leg],
             "trunk_deg": trunk, "support_arm_deg": arm[support_arm]}
        other = "right" if lifted == "left" else "left"
        if self.check_arm and other in arm:
            m["lifted_arm_deg"] = arm[other]
        if self.check_knee and body.side_visible(lifted, "ankle"):
            m["lifted_knee_deg"] = angle_at(body.j(lifted, "hip"), body.j(lifted, "knee"), body.j(lifted, "ankle"))

        def out(reason: str, cue: str) -> Verdict:
            return self.verdict(NOT_IN_POSITION, side=lifted, measures=m, cue=cue, reason=reason)

        if abs(trunk) > th["max_trunk_deg"]:
            return out("back not horizontal", "Get on all fours, hands under shoulders")
        if -thigh[support_leg] < th["support_deg"] or -arm[support_arm] < th["support_deg"]:
            return out("not on hands and knees", "Knees under hips, hands under shoulders")
        if body.side_visible(support_leg, "ankle"):
            sk = angle_at(body.j(support_leg, "hip"), body.j(support_leg, "knee"), body.j(support_leg, "ankle"))
            m["support_knee_deg"] = sk
            if sk < th["min_support_knee_deg"]:
                return out("sitting back on the heels", "Hips over your knees")

        oblique = self.too_oblique(body, th, ("shoulder", "hip", "knee"), lifted, m)
        if oblique is not None:
            return oblique
        faults = []
        t = thigh[lifted]
        lifting = t > -th["lifting_deg"] and len(legs) == 2
        limbs = {"leg": lifted}
        if lifting:
            d = t - th["leg_level_deg"]
            if d > th["leg_high_deg"]:
                faults.append("leg_too_high")
            elif d < -th["leg_low_deg"]:
                faults.append("leg_too_low")
            if self.check_arm:
                # the raised arm (if one is seen raised) names the rep and is checked
                raised = max(arms, key=lambda s: arm[s]) if len(arms) == 2 else None
                if raised is not None and arm[raised] >= -th["arm_low_deg"]:
                    limbs["arm"] = raised
                    if raised == lifted:
                        faults.append("same_side_arm")
                if "lifted_arm_deg" in m and m["lifted_arm_deg"] < -th["arm_low_deg"] and "same_side_arm" not in faults:
                    faults.append("arm_too_low")
            if self.check_knee:
                if "lifted_knee_deg" not in m:  # the knee angle is judged: never "good" without seeing it
                    return self.cant_see(body.missing(lifted, ("knee", "ankle")) or [f"{lifted} ankle"], lifted)
                if m["lifted_knee_deg"] > th["max_knee_deg"]:
                    faults.append("knee_straight")
        return self.verdict(GOOD, side=lifted, measures=m, faults=faults, rep_value=t if len(legs) == 2 else None,
                            limbs=limbs)


class BirdDog(_Quadruped):
    name = "bird_dog"
    title = "Bird-dog"
    description = "On all fours; extend one leg back to hip level and the opposite arm forward to shoulder level, hold, switch sides."
    thresholds = _COMMON + _ARM
    faults = _LEG_FAULTS + (
        Fault("same_side_arm", "Lift the opposite arm", 3, "the arm on the side of the lifted leg is raised",
              aliases=("wrong_limb_pairing", "hold_wrong_limb_pairing", "ipsilateral")),
        Fault("arm_too_low", "Reach your arm forward to shoulder height", 4, "the opposite arm is not raised"),
    )
    check_arm = True


class HipExtension(_Quadruped):
    name = "hip_extension"
    title = "Quadruped hip extension"
    description = "On all fours; keep the knee bent at 90 degrees and lift it to the level of the hip, lower, switch sides."
    thresholds = _COMMON + _KNEE
    faults = _LEG_FAULTS + (Fault("knee_straight", "Keep the knee bent at 90 degrees", 3, "the lifted knee is straightening"),)
    check_knee = True


RULES = (BirdDog(), HipExtension())
