"""Camera set-up check for the live coach: is the whole body in view, and is
the camera at the angle the exercise needs?

Run on the RAW (unsmoothed) pose of one frame, before coaching starts, so a
person placing the phone gets one plain instruction at a time::

    chk = check_setup(rule, frame)
    chk.ok        # True once the camera is set up
    chk.message   # "Move back so your feet are in view", ... or "Camera set up"
    chk.person    # a person was detected at all

Everything is measured in pixels (normalized landmarks times the image size),
so the view test is right for portrait and landscape images alike.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from pose_rules.base import Body, Rule, view_hint
from coach.core.pose import PoseFrame

#: Side view (plank, bridge, bird-dog): seen from the side, the left and right
#: shoulders (and hips) nearly overlap in the image. The mean of the 2D
#: shoulder-pair and hip-pair distances, divided by the 2D torso length
#: (mid-shoulder to mid-hip), must be BELOW this. Seen from the front the pairs
#: are about a shoulder width apart (ratio ~0.6-0.9 for an adult); seen from the
#: side they are a few centimetres apart (ratio ~0-0.2).
SIDE_VIEW_MAX_RATIO = 0.5
#: Front view (side plank, filmed facing the camera): the same ratio must be
#: ABOVE this, so the shoulders and hips are seen side by side (stacked, in a
#: side plank) rather than overlapping as in a side view.
FRONT_VIEW_MIN_RATIO = 0.3

#: The joints that must be visible and inside the image on the side facing the
#: camera (wrists are not required: they are often hidden under the body). A
#: rule can name its own (``Rule.setup_joints``), e.g. the bird-dog, judged
#: without the feet, needs the wrists instead of the ankles.
SETUP_JOINTS = ("shoulder", "hip", "knee", "ankle")

SETUP_OK_MESSAGE = "Camera set up"
#: A step the camera does not judge needs no set-up.
NOT_JUDGED_MESSAGE = "No camera set-up needed: this step is timed, not judged"
#: Lying exercises: the face towards the camera helps MediaPipe keep front and back apart.
LYING_FACE_MESSAGE = "Turn your face towards the camera"
NO_PERSON_MESSAGE = "Step into the camera's view"
TURN_SIDE_ON_MESSAGE = "Turn side-on to the camera"
FACE_CAMERA_MESSAGE = "Face the camera"


@dataclass(frozen=True)
class SetupCheck:
    """The result of :func:`check_setup`.

    ok: the camera is set up for this exercise.
    message: one plain instruction when not ok, ``"Camera set up"`` when ok.
    person: a person was detected at all.
    """

    ok: bool
    message: str
    person: bool


def _pair_ratio(body: Body) -> float | None:
    """Mean of the shoulder-pair and hip-pair distances over the torso length,
    in pixels; None when it cannot be measured (a point unknown, no torso)."""
    ls, rs = body.j("left", "shoulder"), body.j("right", "shoulder")
    lh, rh = body.j("left", "hip"), body.j("right", "hip")
    pts = (ls, rs, lh, rh)
    if not all(math.isfinite(c) for p in pts for c in p):
        return None
    shoulders = math.hypot(ls[0] - rs[0], ls[1] - rs[1])
    hips = math.hypot(lh[0] - rh[0], lh[1] - rh[1])
    ms = ((ls[0] + rs[0]) / 2.0, (ls[1] + rs[1]) / 2.0)
    mh = ((lh[0] + rh[0]) / 2.0, (lh[1] + rh[1]) / 2.0)
    torso = math.hypot(ms[0] - mh[0], ms[1] - mh[1])
    if torso < 1e-6:
        return math.inf
    return (shoulders + hips) / 2.0 / torso


def check_setup(rule: Rule, frame: PoseFrame, min_visibility: float = 0.5) -> SetupCheck:
    """Is the camera set up for ``rule``? See the module docstring.

    Checks, in order: a person is found; shoulders, hips, knees and ankles of
    the side facing the camera are visible (visibility >= ``min_visibility``)
    and inside the image (for a lying exercise also the ear: the head in view,
    the face towards the camera where possible; for a front-view exercise also both shoulders and
    both hips, and the knee and ankle of the lower side, which carries the side
    plank); the view angle (see :data:`SIDE_VIEW_MAX_RATIO`,
    :data:`FRONT_VIEW_MIN_RATIO`).
    """
    if not rule.judged:
        return SetupCheck(True, NOT_JUDGED_MESSAGE, frame.detected)
    if not frame.detected:
        return SetupCheck(False, NO_PERSON_MESSAGE, False)
    body = Body(frame, min_visibility)
    front = rule.view == "front"
    if front:
        missing = [m for side in ("left", "right") for m in body.missing(side, ("shoulder", "hip"))]
        if missing:
            return SetupCheck(False, view_hint(missing), True)
        # the side plank's supporting (lower) side must show its legs
        side = "left" if body.j("left", "shoulder")[1] > body.j("right", "shoulder")[1] else "right"
        joints = SETUP_JOINTS
    else:
        joints = tuple(getattr(rule, "setup_joints", None) or SETUP_JOINTS)
        side = body.facing_side(joints)
    if rule.lying:  # the head too: lying, MediaPipe needs the face to tell front from back
        joints = tuple(dict.fromkeys(joints + ("ear",)))
    missing = body.missing(side, joints)
    if missing:
        if rule.lying and missing == [f"{side} ear"]:
            return SetupCheck(False, LYING_FACE_MESSAGE, True)
        return SetupCheck(False, view_hint(missing), True)

    ratio = _pair_ratio(body)
    if ratio is not None:  # the far side is unknown: nothing to say about the angle
        if front and not ratio > FRONT_VIEW_MIN_RATIO:
            return SetupCheck(False, FACE_CAMERA_MESSAGE, True)
        if not front and not ratio < SIDE_VIEW_MAX_RATIO:
            return SetupCheck(False, TURN_SIDE_ON_MESSAGE, True)
    return SetupCheck(True, SETUP_OK_MESSAGE, True)


__all__ = ["SetupCheck", "check_setup", "SIDE_VIEW_MAX_RATIO", "FRONT_VIEW_MIN_RATIO", "SETUP_JOINTS",
           "SETUP_OK_MESSAGE", "NO_PERSON_MESSAGE", "NOT_JUDGED_MESSAGE", "LYING_FACE_MESSAGE", "TURN_SIDE_ON_MESSAGE", "FACE_CAMERA_MESSAGE"]
