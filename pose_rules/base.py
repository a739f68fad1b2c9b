"""The building blocks of an exercise rule: thresholds, faults, the verdict,
and a view of one frame's body in pixel space.

A rule judges ONE frame. It keeps no state: smoothing, timers, rep counting
and cue debouncing live in :mod:`coach.engine.engine`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

from coach.core.geometry import midpoint
from coach.core.landmarks import SIDE_JOINTS, Landmark
from coach.core.pose import PoseFrame
from coach.core.timing import BREAK_GAP_S, MAX_FRAME_GAP_S

# Verdict statuses
CANT_SEE = "cant_see"
NOT_IN_POSITION = "not_in_position"
GOOD = "good"
FAULT = "fault"
#: A step the camera does not judge (the abdominal drawing-in): the coach only keeps time.
TIMED = "timed"
STATUSES = (CANT_SEE, NOT_IN_POSITION, GOOD, FAULT, TIMED)


@dataclass(frozen=True)
class Threshold:
    """One tunable number: name, unit, default, allowed range, one-line meaning."""

    name: str
    unit: str
    default: float
    min: float
    max: float
    meaning: str
    #: The value used once a person's own neutral reading is known (calibration);
    #: None: calibration leaves it alone.
    calibrated: float | None = None

    def __post_init__(self) -> None:
        for v in (self.default, self.calibrated):
            if v is not None and not (self.min <= v <= self.max):
                raise ValueError(f"threshold {self.name}: {v} outside [{self.min}, {self.max}]")


def name_key(name) -> str:
    """How a typed name is looked up: "Knee-to chest " -> "knee_to_chest"."""
    return str(name).strip().lower().replace("-", "_").replace(" ", "_")


class ThresholdError(ValueError):
    """A threshold value, override or thresholds file is invalid (message is one line)."""


#: The engine's timing parameters, tunable for every exercise.
TIMING_THRESHOLDS = (
    Threshold("grace_s", "s", 0.5, 0.0, 3.0,
              "bad or out-of-position time shorter than this does not break a hold"),
    Threshold("cue_delay_s", "s", 0.5, 0.0, 3.0,
              "a fault must last this long before its cue is shown"),
    Threshold("smoothing_hz", "Hz", 3.0, 0.5, 30.0,
              "landmark smoothing cut-off; lower = steadier, higher = faster reaction"),
)


@dataclass(frozen=True)
class Fault:
    """A form fault a rule can report. Lower priority number = more important."""

    name: str
    cue: str
    priority: int
    meaning: str
    #: Other names a labels file may use for this fault (``coach evaluate``).
    aliases: tuple[str, ...] = ()


#: The faults of moving into a position and holding it (see :class:`Steadiness`).
TOO_FAST, BOUNCING = "too_fast", "bouncing"


@dataclass(frozen=True)
class Steadiness:
    """The rules of moving into a position and holding it, which need time and
    so are checked by the engine (:class:`coach.engine.engine.SteadyGuard`),
    on the rule's key measure (:attr:`Verdict.rep_value`). A rule declares one
    (``steady = Steadiness(...)``); its thresholds and faults are added to the
    rule's own.

    direction: +1 when a larger value is deeper into the position, -1 when
    smaller is deeper (a hip angle closing as the knee comes to the chest).
    entry_speed: default of ``max_entry_speed`` (unit per second): the measure
    moving deeper faster than this just before or after entering the position
    = too fast (``entry_cue``). bounce_amp: default of ``bounce_amp`` (unit):
    two swings back and forth at least this big within ``bounce_window_s``
    while in position = bouncing ("Hold still, don't bounce"); the held time
    does not count meanwhile. None: no bounce check (the crunch).
    """

    direction: float
    unit: str
    entry_speed: float
    bounce_amp: float | None = None
    entry_cue: str = "Slowly into the stretch"
    speed_basis: str = ""
    bounce_basis: str = ""

    def thresholds(self) -> tuple["Threshold", ...]:
        out = (Threshold("max_entry_speed", f"{self.unit}/s", self.entry_speed, round(self.entry_speed / 4, 3),
                         round(self.entry_speed * 4, 3),
                         "key measure moving deeper faster than this while entering the position = too fast"
                         + (f" ({self.speed_basis})" if self.speed_basis else "")),)
        if self.bounce_amp is not None:
            out += (Threshold("bounce_amp", self.unit, self.bounce_amp, round(self.bounce_amp / 4, 3),
                              round(self.bounce_amp * 4, 3),
                              "a swing back and forth at least this big while holding counts as a bounce"
                              + (f" ({self.bounce_basis})" if self.bounce_basis else "")),
                    Threshold("bounce_window_s", "s", 2.0, 0.5, 6.0,
                              "two bounces within this time = bouncing: a cue, and the time does not count"))
        return out

    def faults(self) -> tuple["Fault", ...]:
        out = (Fault(TOO_FAST, self.entry_cue, 0, "moved into the position too fast"),)
        if self.bounce_amp is not None:
            out += (Fault(BOUNCING, "Hold still, don't bounce", 0, "bouncing while holding the position",
                          aliases=("bounce",)),)
        return out


@dataclass(frozen=True)
class Limit:
    """A threshold drawn as a line on a measure's chart: at ``sign * value``,
    measured from the key measure's neutral reading when ``relative``."""

    threshold: str
    sign: float = 1.0
    label: str = ""
    relative: bool = False
    fault: str | None = None  # the fault beyond this limit


@dataclass(frozen=True)
class KeyMeasure:
    """A measure that matters for an exercise, for charts and the video overlay.

    name: key in :attr:`Verdict.measures`; limits: the thresholds that judge it;
    line: two joints (on the verdict's side) drawn as the reference line on the
    video, e.g. ``("shoulder", "ankle")`` for the plank's straight body line;
    joint: the joint the measure is about (highlighted); horizontal: also draw
    a level line through ``joint`` (e.g. hip level for the bird-dog); neutral:
    see below.
    """

    name: str
    label: str
    unit: str = "deg"
    limits: tuple[Limit, ...] = ()
    line: tuple[str, str] | None = None
    joint: str | None = None
    horizontal: bool = False
    #: The threshold holding the person's neutral reading of this measure: the
    #: relative limits are offsets from it, and calibration sets it (None: not calibrated).
    neutral: str | None = None
    #: Measured only in this camera view ("front" / "side"; None: always):
    #: calibration in the other view leaves its neutral alone.
    view: str | None = None

    def limit_value(self, lim: Limit, th: Mapping[str, float]) -> float:
        """Where a limit lies on this measure's scale, for thresholds ``th``."""
        base = th.get(self.neutral, 0.0) if (lim.relative and self.neutral) else 0.0
        return base + lim.sign * th[lim.threshold]


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
    rep_value: the number the rep counter follows (rep exercises only); None
        when the person is not in the exercise's position (cancels a rep).
    limbs: which limbs are working, e.g. {"leg": "left", "arm": "right"} for a
        bird-dog (names the rep to the user).
    """

    exercise: str
    status: str
    side: str | None = None
    measures: Mapping[str, float] = field(default_factory=dict)
    faults: tuple[str, ...] = ()
    cue: str | None = None
    reason: str = ""
    rep_value: float | None = None
    limbs: Mapping[str, str] = field(default_factory=dict)

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
            "limbs": dict(self.limbs),
        }


# Normalized coordinates farther than this outside the image count as out of frame.
FRAME_MARGIN = 0.02


class Body:
    """One frame's landmarks as pixel points with visibility tests.

    Points are ``(x, y)`` tuples in pixels; a landmark counts as seen when its
    visibility is at least ``min_visibility`` and it lies inside the image
    (with a small margin)."""

    __slots__ = ("min_visibility", "px", "vis", "_z", "_frame")

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
        self._frame, self._z = frame, None

    @property
    def image_size(self) -> tuple[int, int]:
        return self._frame.image_size

    @property
    def z(self) -> list[float]:
        """MediaPipe's relative depth of each landmark, in pixels (it is on
        about the scale of x), computed when first asked for."""
        if self._z is None:
            self._z = (self._frame.landmarks[:, 2] * self._frame.image_size[0]).tolist()
        return self._z

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

    def out_of_plane(self, *joints: str) -> float:
        """How far the body line through ``joints`` (midpoints of both sides,
        e.g. shoulder, hip, ankle) points out of the image plane, in degrees,
        from MediaPipe's depth estimate: about 0 when the camera sees it
        side-on (or, for a front-view exercise, face-on), growing as the camera
        turns towards a three-quarter view. The median over the segments
        between consecutive joints and from the first to the last, as the depth
        of a single segment is noisy. 0 when there is no depth (z all 0)."""
        ia, ib, z = _JOINT_INDEX["left"], _JOINT_INDEX["right"], self.z
        pts = [(*self.mid(j), (z[ia[j]] + z[ib[j]]) / 2.0) for j in joints]
        pairs = list(zip(pts, pts[1:]))
        if len(pts) > 2:
            pairs.append((pts[0], pts[-1]))
        angles = sorted(_out_of_plane(a, b) for a, b in pairs)
        n = len(angles)
        return angles[n // 2] if n % 2 else (angles[n // 2 - 1] + angles[n // 2]) / 2.0

    def missing(self, side: str, joints: tuple[str, ...]) -> list[str]:
        mv, vis, idx = self.min_visibility, self.vis, _JOINT_INDEX[side]
        return [f"{side} {j}" for j in joints if not vis[idx[j]] >= mv]


def _out_of_plane(a, b) -> float:
    """Angle of the segment a-b ((x, y, z) points) out of the image plane, degrees."""
    d2 = math.hypot(b[0] - a[0], b[1] - a[1])
    dz = b[2] - a[2]
    if not (math.isfinite(dz) and math.isfinite(d2)) or (d2 == 0 and dz == 0):
        return 0.0
    return math.degrees(math.atan2(abs(dz), d2))


_JOINT_INDEX = {side: {j: int(lm) for j, lm in joints.items()} for side, joints in SIDE_JOINTS.items()}


def common_thresholds(min_visibility: float = 0.5, oblique: bool = True) -> tuple[Threshold, ...]:
    out = (
        Threshold("min_visibility", "0-1", min_visibility, 0.1, 0.95,
                  "landmarks with lower MediaPipe visibility count as not seen"),
    )
    if oblique:
        out += (Threshold("max_oblique_deg", "deg", MAX_OBLIQUE_DEG, 10.0, 90.0,
                          "body line turned further than this out of the picture (a three-quarter view) = "
                          "the angles cannot be judged reliably"),)
    return out


#: Default limit of :meth:`Body.out_of_plane` for judging angles. Side views
#: read 0-12 deg upright or on all fours (the polybag clips' 95th percentile:
#: 12) and up to 24 deg lying on the back (MediaPipe's depth is noisier there);
#: the shared set's three-quarter photos read 36-46 deg. At 40 deg
#: foreshortening changes a measured angle by up to ~25 %.
MAX_OBLIQUE_DEG = 40.0
#: How a "can't see" verdict caused by a three-quarter view begins its reason.
OBLIQUE_REASON = "camera angle"
TURN_TO_JUDGE_CUE = "Turn side-on to the camera so I can judge your form"
FACE_TO_JUDGE_CUE = "Face the camera square-on so I can judge your form"


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
    #: How the app's picker groups exercises: the family (default: the title)
    #: and, where a family has several rules, this one's variant and the
    #: question the variants answer (e.g. "Plank" / "Forearms" / "Support").
    family: str = ""
    variant: str = ""
    variant_label: str = "Variant"
    thresholds: tuple[Threshold, ...] = ()
    faults: tuple[Fault, ...] = ()
    #: What is counted (:mod:`pose_rules.goals`): a hold, reps, repeats...
    goal: "pose_rules.goals.Goal"  # noqa: F821 (declared by each rule; goals.py imports this module)
    #: The threshold giving the rep value's speed (units per second) above
    #: which the body is between positions (lifting, lowering): faults wait.
    motion: str | None = None
    #: Which camera view the exercise needs: "side" or "front".
    view: str = "side"
    #: Joints the live camera check wants in view on the side facing the camera.
    setup_joints: tuple[str, ...] = ("shoulder", "hip", "knee", "ankle")
    #: The measures that matter, most important first (charts, video overlay).
    key_measures: tuple[KeyMeasure, ...] = ()
    #: The rules of moving into the position and holding it still (stretches:
    #: slowly in, no bouncing; the crunch: no jerking), or None.
    steady: Steadiness | None = None
    #: Lying on the floor: the camera check also wants the head in view, and
    #: the app explains how to place the camera for a lying exercise.
    lying: bool = False
    #: False for a step the camera cannot judge (timed only; see ``TIMED``).
    judged: bool = True
    #: Where to put the camera, in one sentence (the app and ``coach exercises``);
    #: empty: derived from ``view``.
    placement: str = ""
    #: Target choices besides the default (e.g. the bridge's "three deep
    #: breaths"): {name: (label, threshold overrides)}; the app offers them
    #: and ``coach analyze --target NAME`` takes them.
    targets: Mapping[str, tuple[str, Mapping[str, float]]] = {}
    #: The engine's timing thresholds for this rule (an all-day monitor waits
    #: tens of seconds before a cue, where an exercise waits half a second).
    timing: tuple[Threshold, ...] = TIMING_THRESHOLDS
    #: The time policy (:mod:`coach.core.timing`): the longest frame gap that
    #: counts in full, and the gap that is a break. A monitor judging a frame
    #: or two a second needs longer ones.
    max_frame_gap_s: float = MAX_FRAME_GAP_S
    break_gap_s: float = BREAK_GAP_S
    #: Frames judged per second at most (None: every frame). The live coach,
    #: ``coach desk`` and ``coach analyze`` skip the others before pose estimation.
    judge_fps: float | None = None
    #: An all-day monitor (the desk posture), not an exercise: kept out of the
    #: exercise pickers, routines, recognition and the negatives of evaluation.
    monitor: bool = False

    def target(self, name: str | None) -> dict[str, float]:
        """The threshold overrides of target choice ``name`` (None: the default)."""
        if not name:
            return {}
        key = name_key(name)
        if key not in self.targets:
            known = ", ".join(self.targets) or "none besides the default"
            raise ThresholdError(f"{self.name}: unknown target {name!r} (choices: {known})")
        return dict(self.targets[key][1])

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        steady = getattr(cls, "steady", None)
        if steady is not None:  # its faults and thresholds join the rule's own
            names = {f.name for f in cls.faults}
            cls.faults = tuple(cls.faults) + tuple(f for f in steady.faults() if f.name not in names)
            names = {t.name for t in cls.thresholds}
            cls.thresholds = tuple(cls.thresholds) + tuple(t for t in steady.thresholds() if t.name not in names)

    def camera_placement(self) -> str:
        if self.placement:
            return self.placement
        if not self.judged:
            return "No camera needed: this step is timed, not judged."
        if self.view == "front":
            return "Face the camera (chest towards it), 2–3 m away, whole body in view."
        if self.lying:
            return ("Camera at floor height or on a low table, side-on, 2–3 m away, the whole body from head to "
                    "feet in view, your face towards the camera where you can.")
        return "Turn side-on to the camera, 2–3 m away, whole body from head to feet in view."

    # -- thresholds -----------------------------------------------------------
    def all_thresholds(self) -> tuple[Threshold, ...]:
        """Every tunable number: the rule's own, its goal's and the engine's timing."""
        return tuple(self.thresholds) + self.goal.thresholds() + tuple(self.timing)

    def defaults(self) -> dict[str, float]:
        return {t.name: t.default for t in self.all_thresholds()}

    def resolve(self, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
        """Defaults with ``overrides`` applied; unknown names, non-numbers,
        values outside a threshold's range and values that do not fit together
        raise :class:`ThresholdError`."""
        table = {t.name: t for t in self.all_thresholds()}
        values = {n: t.default for n, t in table.items()}
        for key, value in (overrides or {}).items():
            if key not in table:
                raise ThresholdError(f"{self.name}: unknown threshold {key!r} (known: {', '.join(table)})")
            t = table[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ThresholdError(f"{self.name}.{key}: expected a number, got {value!r}")
            if not (t.min <= value <= t.max):
                raise ThresholdError(f"{self.name}.{key} = {value} is outside its range {t.min}..{t.max} {t.unit}")
            values[key] = float(value)
        problem = self.goal.check(values)
        if problem:
            raise ThresholdError(f"{self.name}: {problem}")
        return values

    def fault(self, name: str) -> Fault:
        for f in self.faults:
            if f.name == name:
                return f
        raise KeyError(name)

    def verdict(self, status: str, *, side=None, measures=None, faults=(), cue=None, reason="", rep_value=None,
                limbs=None) -> Verdict:
        faults = tuple(sorted(faults, key=lambda n: self.fault(n).priority))
        if faults and cue is None:
            cue = self.fault(faults[0]).cue
        if status in (GOOD, FAULT):
            status = FAULT if faults else GOOD
        return Verdict(self.name, status, side, dict(measures or {}), faults, cue, reason, rep_value,
                       dict(limbs or {}))

    def cant_see(self, missing: list[str], side: str | None = None) -> Verdict:
        reason = "cannot see " + ", ".join(missing[:4]) if missing else "no person in view"
        cue = view_hint(missing) if missing else "Step into the camera's view"
        return Verdict(self.name, CANT_SEE, side, {}, (), cue, reason)

    def too_oblique(self, body: Body, th: Mapping[str, float], joints: tuple[str, ...], side=None,
                    measures: dict | None = None) -> Verdict | None:
        """A "can't see" verdict when the body line through ``joints`` points
        too far out of the picture for its angles to be judged (see
        :meth:`Body.out_of_plane`); records the angle in ``measures["oblique_deg"]``."""
        ob = body.out_of_plane(*joints)
        if measures is not None:
            measures["oblique_deg"] = ob
        if ob <= th.get("max_oblique_deg", 90.0):
            return None
        cue = FACE_TO_JUDGE_CUE if self.view == "front" else TURN_TO_JUDGE_CUE
        return Verdict(self.name, CANT_SEE, side, dict(measures or {}), (), cue,
                       f"{OBLIQUE_REASON}: {ob:.0f} deg from {'face' if self.view == 'front' else 'side'}-on, "
                       "angles can't be judged")

    def evaluate(self, frame: PoseFrame, th: Mapping[str, float]) -> Verdict:
        if not frame.detected:
            return self.cant_see([])
        return self.judge(Body(frame, th["min_visibility"]), th)

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:  # pragma: no cover - abstract
        raise NotImplementedError
