"""The building blocks of an exercise rule: thresholds, faults, the verdict,
and a view of one frame's body in pixel space.

A rule judges ONE frame. It keeps no state: smoothing, timers, rep counting
and cue debouncing live in :mod:`coach.engine`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

from coach.geometry import midpoint
from coach.landmarks import SIDE_JOINTS, Landmark
from coach.pose import PoseFrame

# Verdict statuses
CANT_SEE = "cant_see"
NOT_IN_POSITION = "not_in_position"
GOOD = "good"
FAULT = "fault"
STATUSES = (CANT_SEE, NOT_IN_POSITION, GOOD, FAULT)


@dataclass(frozen=True)
class Threshold:
    """One tunable number: name, unit, default, allowed range, one-line meaning."""

    name: str
    unit: str
    default: float
    min: float
    max: float
    meaning: str

    def __post_init__(self) -> None:
        if not (self.min <= self.default <= self.max):
            raise ValueError(f"threshold {self.name}: default {self.default} outside [{self.min}, {self.max}]")


@dataclass(frozen=True)
class Fault:
    """A form fault a rule can report. Lower priority number = more important."""

    name: str
    cue: str
    priority: int
    meaning: str


@dataclass(frozen=True)
class Limit:
    """A threshold drawn as a line on a measure's chart: at ``sign * value``."""

    threshold: str
    sign: float = 1.0
    label: str = ""


@dataclass(frozen=True)
class KeyMeasure:
    """A measure that matters for an exercise, for charts and the video overlay.

    name: key in :attr:`Verdict.measures`; limits: the thresholds that judge it;
    line: two joints (on the verdict's side) drawn as the reference line on the
    video, e.g. ``("shoulder", "ankle")`` for the plank's straight body line;
    joint: the joint the measure is about (highlighted); horizontal: also draw
    a level line through ``joint`` (e.g. hip level for the bird-dog).
    """

    name: str
    label: str
    unit: str = "deg"
    limits: tuple[Limit, ...] = ()
    line: tuple[str, str] | None = None
    joint: str | None = None
    horizontal: bool = False


@dataclass(frozen=True)
class Verdict:
    """The judgement of one frame.

    status: "cant_see" (body not visible enough to judge), "not_in_position"
        (visible, but not in the exercise's working position), "good" or "fault".
    side: the body side measured ("left"/"right"), or the side that is moving
        for rep exercises, or the supporting side for a side plank.
    measures: named numbers (degrees unless the name says otherwise).
    faults: names of the faults present, most important first.
    cue: a short instruction for the most important problem (or how to get
        into position / into view), None when the form is good.
    rep_value: the number the rep counter follows (rep exercises only).
    """

    exercise: str
    status: str
    side: str | None = None
    measures: Mapping[str, float] = field(default_factory=dict)
    faults: tuple[str, ...] = ()
    cue: str | None = None
    reason: str = ""
    rep_value: float | None = None

    @property
    def visible(self) -> bool:
        return self.status != CANT_SEE

    @property
    def in_position(self) -> bool:
        return self.status in (GOOD, FAULT)

    @property
    def good(self) -> bool:
        return self.status == GOOD

    def to_dict(self) -> dict:
        return {
            "exercise": self.exercise,
            "status": self.status,
            "side": self.side,
            "measures": {k: (None if not math.isfinite(v) else round(float(v), 2)) for k, v in self.measures.items()},
            "faults": list(self.faults),
            "cue": self.cue,
            "reason": self.reason,
            "rep_value": None if self.rep_value is None or not math.isfinite(self.rep_value) else round(float(self.rep_value), 2),
        }


# Normalized coordinates farther than this outside the image count as out of frame.
FRAME_MARGIN = 0.02


class Body:
    """One frame's landmarks as pixel points with visibility tests.

    Points are ``(x, y)`` tuples in pixels; a landmark counts as seen when its
    visibility is at least ``min_visibility`` and it lies inside the image
    (with a small margin)."""

    __slots__ = ("min_visibility", "px", "vis")

    def __init__(self, frame: PoseFrame, min_visibility: float):
        self.min_visibility = min_visibility
        w, h = frame.image_size
        lo, hi = -FRAME_MARGIN, 1 + FRAME_MARGIN
        px, vis = [], []
        for x, y, _z, v in frame.landmarks.tolist():
            px.append((x * w, y * h))
            # NaN fails every comparison, so unknown points count as unseen
            vis.append(v if (lo <= x <= hi and lo <= y <= hi and v >= 0) else 0.0)
        self.px, self.vis = px, vis

    def p(self, lm: Landmark | int) -> tuple[float, float]:
        return self.px[int(lm)]

    def j(self, side: str, joint: str) -> tuple[float, float]:
        return self.px[_JOINT_INDEX[side][joint]]

    def visible(self, *lms: Landmark | int) -> bool:
        mv, vis = self.min_visibility, self.vis
        for i in lms:
            if not vis[int(i)] >= mv:
                return False
        return True

    def side_visible(self, side: str, *joints: str) -> bool:
        mv, vis, idx = self.min_visibility, self.vis, _JOINT_INDEX[side]
        for j in joints:
            if not vis[idx[j]] >= mv:
                return False
        return True

    def side_score(self, side: str, joints: tuple[str, ...]) -> float:
        idx, vis = _JOINT_INDEX[side], self.vis
        return sum(vis[idx[j]] for j in joints) / len(joints)

    def facing_side(self, joints: tuple[str, ...]) -> str:
        """The body side turned towards the camera: higher mean visibility."""
        return "left" if self.side_score("left", joints) >= self.side_score("right", joints) else "right"

    def mid(self, joint: str) -> tuple[float, float]:
        return midpoint(self.j("left", joint), self.j("right", joint))

    def missing(self, side: str, joints: tuple[str, ...]) -> list[str]:
        mv, vis, idx = self.min_visibility, self.vis, _JOINT_INDEX[side]
        return [f"{side} {j}" for j in joints if not vis[idx[j]] >= mv]


_JOINT_INDEX = {side: {j: int(lm) for j, lm in joints.items()} for side, joints in SIDE_JOINTS.items()}


def common_thresholds(min_visibility: float = 0.5) -> tuple[Threshold, ...]:
    return (
        Threshold("min_visibility", "0-1", min_visibility, 0.1, 0.95,
                  "landmarks with lower MediaPipe visibility count as not seen"),
    )


def view_hint(missing: list[str]) -> str:
    """A plain instruction for a person partly out of view."""
    text = " ".join(missing)
    if any(w in text for w in ("ankle", "heel", "foot", "knee")):
        return "Move back so your feet are in view"
    if any(w in text for w in ("shoulder", "elbow", "wrist", "ear")):
        return "Move so your upper body is in view"
    return "Move so your whole body is in view"


class Rule:
    """Base class for an exercise rule module.

    Subclasses set the class attributes and implement :meth:`judge`.
    """

    name: str = ""
    title: str = ""
    description: str = ""
    thresholds: tuple[Threshold, ...] = ()
    faults: tuple[Fault, ...] = ()
    #: Hold target in seconds for hold exercises (None for rep exercises).
    hold_target_s: float | None = None
    #: The sides the hold target must be reached on: ("both",) for one timer,
    #: ("left", "right") for a timer per side (side plank).
    hold_sides: tuple[str, ...] = ("both",)
    #: Rep exercises: thresholds (names) for the counter, ``(up, down)``; the
    #: counter follows :attr:`Verdict.rep_value`.
    rep_thresholds: tuple[str, str] | None = None
    #: Which camera view the exercise needs: "side" or "front".
    view: str = "side"
    #: Joints the live camera check wants in view on the side facing the camera.
    setup_joints: tuple[str, ...] = ("shoulder", "hip", "knee", "ankle")
    #: The measures that matter, most important first (charts, video overlay).
    key_measures: tuple[KeyMeasure, ...] = ()

    @property
    def hold_per_side(self) -> bool:
        return self.hold_sides != ("both",)

    def fault(self, name: str) -> Fault:
        for f in self.faults:
            if f.name == name:
                return f
        raise KeyError(name)

    def verdict(self, status: str, *, side=None, measures=None, faults=(), cue=None, reason="", rep_value=None) -> Verdict:
        faults = tuple(sorted(faults, key=lambda n: self.fault(n).priority))
        if faults and cue is None:
            cue = self.fault(faults[0]).cue
        if status in (GOOD, FAULT):
            status = FAULT if faults else GOOD
        return Verdict(self.name, status, side, dict(measures or {}), faults, cue, reason, rep_value)

    def cant_see(self, missing: list[str], side: str | None = None) -> Verdict:
        reason = "cannot see " + ", ".join(missing[:4]) if missing else "no person in view"
        cue = view_hint(missing) if missing else "Step into the camera's view"
        return Verdict(self.name, CANT_SEE, side, {}, (), cue, reason)

    def evaluate(self, frame: PoseFrame, th: Mapping[str, float]) -> Verdict:
        if not frame.detected:
            return self.cant_see([])
        return self.judge(Body(frame, th["min_visibility"]), th)

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:  # pragma: no cover - abstract
        raise NotImplementedError
