"""Side plank on the forearm (or hand), left or right side down.

"Left" means resting on the left forearm. Camera: facing the person's front
(or back), so the body line lies in the image. Faults: hips dropping below the
shoulder-ankle line, hips pushed too high. The hold timer runs per side.
"""
from __future__ import annotations

from typing import Mapping

from coach.core.geometry import angle_at, dist, elevation, height_above_line, incline, signed_bend
from .base import GOOD, NOT_IN_POSITION, Body, Fault, KeyMeasure, Limit, Rule, Threshold, Verdict, common_thresholds
from .goals import LEFT_RIGHT, Hold

_JOINTS = ("shoulder", "elbow", "hip", "knee", "ankle")

_THRESHOLDS = common_thresholds() + (
    Threshold("hip_neutral_deg", "deg", 0.0, -15.0, 15.0,
              "the hip bend MediaPipe reads for this person's straight side plank (limits are offsets from it; "
              "calibration sets it)"),
    Threshold("drop_deg", "deg", 6.5, 2.0, 40.0,
              "hips this far below the straight line (from the neutral reading) = hips dropping", calibrated=6.0),
    Threshold("high_deg", "deg", 15.0, 3.0, 45.0,
              "hips this far above the straight line (from the neutral reading) = hips too high", calibrated=11.0),
    Threshold("min_lift", "torso lengths", 0.1, 0.0, 0.8,
              "lower hip closer than this to the floor line (supporting elbow to ankle) = resting on the floor"),
    Threshold("max_body_incline_deg", "deg", 45.0, 15.0, 70.0,
              "shoulder-ankle line steeper than this from horizontal = not in position"),
    Threshold("min_arm_drop_deg", "deg", 45.0, 20.0, 85.0,
              "supporting elbow (or hand) at least this steeply below its shoulder = arm supporting"),
    Threshold("min_knee_deg", "deg", 140.0, 90.0, 175.0,
              "supporting knee more bent than this = not a straight-leg side plank"),
    Threshold("min_shoulder_stack", "ratio", 0.25, 0.05, 1.0,
              "vertical shoulder-to-shoulder gap over torso length below this = not side-on"),
)

_FAULTS = (
    Fault("hips_dropping", "Lift your hips", 1, "hips sagging below the shoulder-ankle line",
          aliases=("hips_low", "sagging", "hips_sagging")),
    Fault("hips_too_high", "Lower your hips into a straight line", 2, "hips pushed above the shoulder-ankle line",
          aliases=("hips_high", "piked", "hips_piked")),
)


class SidePlank(Rule):
    name = "side_plank"
    title = "Side plank (either side)"
    family, variant, variant_label = "Side plank", "Both sides, timed separately", "Side"
    description = "Side plank on one forearm or hand, body in a straight line; timed per side."
    thresholds = _THRESHOLDS
    faults = _FAULTS
    goal = Hold(45.0, LEFT_RIGHT)
    view = "front"
    key_measures = (
        KeyMeasure("hip_bend_deg", "Hip bend out of the shoulder-ankle line (+ up, - down)", "deg",
                   (Limit("drop_deg", -1.0, "drop", relative=True, fault="hips_dropping"), Limit("high_deg", 1.0, "too high", relative=True, fault="hips_too_high")),
                   line=("shoulder", "ankle"), joint="hip", neutral="hip_neutral_deg"),
        KeyMeasure("hip_lift", "Lower hip off the floor", "torso lengths", (Limit("min_lift", 1.0, "on the floor"),)),
    )
    only_side: str | None = None

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:
        missing = [m for side in ("left", "right") for m in body.missing(side, ("shoulder", "hip"))]
        if missing:
            return self.cant_see(missing)
        # The supporting side is the lower shoulder (nearer the floor).
        down = "left" if body.j("left", "shoulder")[1] > body.j("right", "shoulder")[1] else "right"
        missing = body.missing(down, _JOINTS)
        if missing:
            return self.cant_see(missing, down)
        S = body.mid("shoulder")
        H = body.mid("hip")
        A = body.j(down, "ankle")
        if body.side_visible("left" if down == "right" else "right", "ankle"):
            A = body.mid("ankle")
        bend = signed_bend(S, H, A)
        torso = dist(S, H) or 1.0
        stack = abs(float(body.j("left", "shoulder")[1] - body.j("right", "shoulder")[1])) / torso
        arm_drop = -elevation(body.j(down, "shoulder"), body.j(down, "elbow"))
        # the lower hip is the one that touches the floor when the hips come down
        lift = height_above_line(body.j(down, "hip"), body.j(down, "elbow"), body.j(down, "ankle")) / torso
        knee = angle_at(body.j(down, "hip"), body.j(down, "knee"), body.j(down, "ankle"))
        m = {"hip_bend_deg": bend, "hip_lift": lift, "knee_angle_deg": knee, "body_incline_deg": incline(S, A), "arm_drop_deg": arm_drop, "shoulder_stack": stack}

        def out(reason: str, cue: str) -> Verdict:
            return self.verdict(NOT_IN_POSITION, side=down, measures=m, cue=cue, reason=reason)

        if self.only_side and down != self.only_side:
            return out(f"resting on the {down} side", f"Rest on your {self.only_side} forearm")
        if stack < th["min_shoulder_stack"]:
            return out("not side-on (shoulders not stacked)", "Face the camera, shoulders stacked")
        if m["body_incline_deg"] > th["max_body_incline_deg"]:
            return out("body line not near horizontal", "Get down into the side plank")
        if arm_drop < th["min_arm_drop_deg"]:
            return out("supporting elbow not under the shoulder", "Elbow under your shoulder")
        if knee < th["min_knee_deg"]:
            return out("knees bent", "Straighten your legs")
        if lift < th["min_lift"]:
            return out("hips on the floor", "Lift your hips off the floor into the side plank")
        oblique = self.too_oblique(body, th, ("shoulder", "hip", "ankle"), down, m)
        if oblique is not None:
            return oblique
        faults = []
        d = bend - th["hip_neutral_deg"]
        if d < -th["drop_deg"]:
            faults.append("hips_dropping")
        elif d > th["high_deg"]:
            faults.append("hips_too_high")
        return self.verdict(GOOD, side=down, measures=m, faults=faults)


class SidePlankLeft(SidePlank):
    name = "side_plank_left"
    title = "Side plank, left side down"
    variant = "Left side down"
    description = "Side plank resting on the left forearm."
    only_side = "left"
    goal = Hold(45.0, ("left",))


class SidePlankRight(SidePlank):
    name = "side_plank_right"
    title = "Side plank, right side down"
    variant = "Right side down"
    description = "Side plank resting on the right forearm."
    only_side = "right"
    goal = Hold(45.0, ("right",))


RULES = (SidePlank(), SidePlankLeft(), SidePlankRight())
