"""The coaching engine: all the state between frames.

Feed it one :class:`~coach.pose.PoseFrame` at a time (``engine.update(frame)``);
it smooths the landmarks, asks the exercise rule for a verdict, and keeps the
form-gated hold timer, the per-side rep counter and the debounced cue. Time
comes only from the frames' timestamps, so replaying a recorded track gives
exactly the live result.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from pose_rules.base import CANT_SEE, Rule, Verdict
from .pose import PoseFrame
from .thresholds import resolve

#: Longest gap between two frames that still counts as continuous time.
MAX_FRAME_GAP_S = 0.5
#: A cue stays up this long after its fault ends (stops flicker at the edge).
CUE_RELEASE_S = 0.25


class LandmarkSmoother:
    """First-order low-pass filter on landmark positions and visibility,
    with the time constant taken from the frame timestamps."""

    def __init__(self, cutoff_hz: float):
        self.tau = 1.0 / (2.0 * math.pi * cutoff_hz)
        self._state: np.ndarray | None = None
        self._t: float | None = None

    def reset(self) -> None:
        self._state = None
        self._t = None

    def __call__(self, frame: PoseFrame) -> PoseFrame:
        if not frame.detected:
            self.reset()
            return frame
        x = frame.landmarks
        t = frame.timestamp
        if self._state is None or not (0 < t - self._t <= MAX_FRAME_GAP_S):
            state = np.array(x, dtype=np.float32)
        else:
            a = (t - self._t) / (self.tau + t - self._t)
            state = self._state + np.float32(a) * (x - self._state)
            if not np.isfinite(state.sum()):  # a landmark appeared or vanished: take the new value
                state = np.where(np.isfinite(state), state, x)
        state.flags.writeable = False
        self._state, self._t = state, t
        return PoseFrame._trusted(state, frame.world, t, frame.image_size, True)


class HoldTimer:
    """Counts good-form time, in agreement with what the user is told.

    Each frame is one of: ``"good"`` (in position, good form), ``"pending"``
    (a fault or out of position, but not yet shown to the user: shorter than
    the cue delay), ``"bad"`` (the problem is shown) or ``"unseen"`` (paused:
    neither counts nor resets). Pending time continues whatever came before:
    after good form it is counted, so a glitch too short to produce a cue
    costs no hold time; once the problem is shown, the pending time is taken
    back (the hold ended when the problem began). A shown problem shorter than
    ``grace_s`` does not break the current (unbroken) hold."""

    def __init__(self, grace_s: float):
        self.grace_s = grace_s
        self.total = 0.0
        self.current = 0.0
        self.longest = 0.0
        self._bad = 0.0
        self._pending = 0.0
        self._holding = False  # the last definite state was good form

    def update(self, dt: float, state: str) -> None:
        """state: "good", "pending", "bad" or "unseen"."""
        if state == "good":
            self._holding = True
            self._pending = 0.0
            self._bad = 0.0
            self._count(dt)
        elif state == "pending":
            if self._holding:
                self._pending += dt
                self._count(dt)
        elif state == "bad":
            if self._pending:
                self.total -= self._pending
                self.current = max(0.0, self.current - self._pending)
                self._bad += self._pending
                self._pending = 0.0
            self._holding = False
            self._bad += dt
            if self._bad > self.grace_s:
                self.current = 0.0
        # "unseen": paused, nothing changes

    def _count(self, dt: float) -> None:
        self.total += dt
        self.current += dt
        # the longest hold is confirmed once its time can no longer be taken back
        if not self._pending:
            self.longest = max(self.longest, self.current)


@dataclass
class Rep:
    side: str
    start: float
    end: float = float("nan")
    top_s: float = 0.0
    peak: float = float("-inf")
    faults: set = field(default_factory=set)
    limbs: dict = field(default_factory=dict)  # e.g. {"leg": "left", "arm": "right"}

    @property
    def label(self) -> str:
        """How the rep is named to the user: "Left leg, right arm", "Left", or ""."""
        if self.limbs:
            return ", ".join(f"{v} {k}" for k, v in self.limbs.items()).capitalize()
        return "" if self.side == "both" else self.side.capitalize()

    def to_dict(self) -> dict:
        return {"side": self.side, **self.limbs, "start": round(self.start, 3),
                "end": round(self.end, 3), "top_s": round(self.top_s, 3), "peak": round(self.peak, 2),
                "faults": sorted(self.faults), "good": not self.faults}


def rep_text(reps: Mapping[str, int] | None, short: bool = False) -> str:
    """Rep counts for people: "left 2, right 1" ("L 2  R 1" short) for reps per
    side, "3" for bilateral reps."""
    reps = dict(reps or {})
    if set(reps) == {"both"}:
        return str(reps["both"])
    if short:
        return f"L {reps.get('left', 0)}  R {reps.get('right', 0)}"
    return f"left {reps.get('left', 0)}, right {reps.get('right', 0)}"


class RepCounter:
    """Counts reps per side with hysteresis: up when the value rises to
    ``up``; the rep counts when it falls back below ``down`` after at least
    ``min_top_s`` at the top. Frames without a rep value (the rule says the
    person left the exercise's position) for longer than ``cancel_after_s``
    cancel a rep in progress (a shorter gap is a glitch and is skipped);
    frames that cannot be seen change nothing. ``sides``: ("left", "right")
    for reps per side, ("both",) for bilateral reps (bridge lifts)."""

    def __init__(self, up: float, down: float, min_top_s: float, sides: tuple[str, ...] = ("left", "right"),
                 cancel_after_s: float = 0.0):
        if down >= up:
            raise ValueError("rep down threshold must be below the up threshold")
        self.up, self.down, self.min_top_s = up, down, min_top_s
        self.cancel_after_s = cancel_after_s
        self._gap = 0.0
        self.sides = tuple(sides)
        self.counts = {s: 0 for s in self.sides}
        self.good_counts = {s: 0 for s in self.sides}
        self.reps: list[Rep] = []
        self.current: Rep | None = None

    def update(self, t: float, dt: float, value: float | None, side: str | None, visible: bool,
               faults=(), limbs: Mapping[str, str] | None = None) -> Rep | None:
        """Returns the rep completed at this frame, if any."""
        if not visible:
            return None
        if self.sides == ("both",):
            side = "both"
        if value is None or side is None or side not in self.counts:
            self._gap += dt
            if self._gap > self.cancel_after_s:
                self.current = None
            return None
        self._gap = 0.0
        if self.current is None:
            if value >= self.up:
                self.current = Rep(side, t, peak=value, limbs=dict(limbs or {}))
            return None
        rep = self.current
        if value < self.down:
            self.current = None
            if rep.top_s >= self.min_top_s - 1e-9:
                rep.end = t
                self.counts[rep.side] += 1
                if not rep.faults:
                    self.good_counts[rep.side] += 1
                self.reps.append(rep)
                return rep
            return None
        if value >= self.up:
            rep.top_s += dt
        if value > rep.peak:
            rep.peak = value
            if limbs:
                rep.limbs = dict(limbs)
        rep.faults.update(faults)
        return None


class MotionGate:
    """Tells a rep exercise's transitions (lifting, lowering) from held
    positions: the rep value changing faster than ``rate`` per second over
    the last ``window_s``. Faults are not cued while the body is moving
    through them (a bridge on its way down is not "hips too low"; a leg on
    its way up is not "knee up to hip level" yet)."""

    def __init__(self, rate: float, window_s: float = 0.25):
        self.rate, self.window_s = rate, window_s
        self._hist: deque[tuple[float, float]] = deque()

    def update(self, t: float, value: float | None) -> bool:
        h = self._hist
        if value is None or not math.isfinite(value):
            h.clear()
            return False
        h.append((t, value))
        while len(h) > 2 and h[1][0] <= t - self.window_s:
            h.popleft()
        t0, v0 = h[0]
        if t - t0 < 0.5 * self.window_s:
            return False
        return abs(value - v0) / (t - t0) > self.rate


class CueDebouncer:
    """Shows a problem's cue only after it has lasted ``delay_s``; one cue at a
    time, the most important one; a shown cue is kept ``CUE_RELEASE_S`` after
    its problem ends."""

    def __init__(self, delay_s: float):
        self.delay_s = delay_s
        self._since: dict[str, float] = {}
        self._last_seen: dict[str, float] = {}
        self._active: dict[str, float] = {}  # key -> onset time

    def update(self, t: float, present: list[str]) -> list[str]:
        """``present``: problem keys in priority order. Returns the active keys,
        in priority order (those kept only by the release delay go last)."""
        for k in present:
            self._since.setdefault(k, t)
            self._last_seen[k] = t
            if k not in self._active and t - self._since[k] >= self.delay_s - 1e-9:
                self._active[k] = self._since[k]
        for k in list(self._since):
            if k not in present:
                del self._since[k]
        for k in list(self._active):
            if k not in present and t - self._last_seen[k] > CUE_RELEASE_S:
                del self._active[k]
        order = [k for k in present if k in self._active]
        return order + [k for k in self._active if k not in order]

    def onset(self, key: str) -> float:
        return self._active.get(key, float("nan"))


@dataclass(slots=True)
class EngineState:
    """What the coach knows after one frame (a snapshot: treat as read-only)."""

    timestamp: float
    verdict: Verdict
    frame: PoseFrame  # smoothed landmarks
    status: str  # verdict status: good / fault / not_in_position / cant_see
    faults: tuple[str, ...]  # debounced faults (what the user is told about)
    cue: str | None
    hold_s: float  # good-form time (this side, for per-side holds)
    current_hold_s: float
    longest_hold_s: float
    hold_by_side: Mapping[str, float]
    hold_target_s: float | None
    target_reached: bool
    reps: Mapping[str, int]
    good_reps: Mapping[str, int]
    rep_target: int | None
    rep_in_progress: bool
    rep_completed: Rep | None
    time_in_position_s: float
    side: str | None
    moving: bool  # between positions in a rep (faults are not cued meanwhile)
    fault_onsets: Mapping[str, float] = field(default_factory=dict)  # when each shown fault began


class Engine:
    """Stateful coach for one exercise. ``update(frame)`` once per frame."""

    def __init__(self, rule: Rule, thresholds: Mapping[str, float] | None = None):
        self.rule = rule
        self.th = resolve(rule, thresholds)
        self.smoother = LandmarkSmoother(self.th["smoothing_hz"])
        self.timers: dict[str, HoldTimer] = {}
        self.cues = CueDebouncer(self.th["cue_delay_s"])
        self.reps = (RepCounter(self.th[rule.rep_thresholds[0]], self.th[rule.rep_thresholds[1]],
                                self.th["rep_min_top_s"], rule.rep_sides, self.th["grace_s"])
                     if rule.rep_thresholds else None)
        self.time_in_position = 0.0
        self.time_visible = 0.0
        self._t: float | None = None
        self._fault_cues = {f.name: f.cue for f in rule.faults}
        self.motion = MotionGate(self.th[rule.rep_motion]) if rule.rep_motion else None

    def timer(self, key: str) -> HoldTimer:
        if key not in self.timers:
            self.timers[key] = HoldTimer(self.th["grace_s"])
        return self.timers[key]

    def update(self, frame: PoseFrame) -> EngineState:
        t = frame.timestamp
        dt = 0.0 if self._t is None else t - self._t
        if dt < 0:
            raise ValueError(f"frame timestamps must not go back ({t:.3f} s after {self._t:.3f} s)")
        dt = min(dt, MAX_FRAME_GAP_S)
        self._t = t
        smoothed = self.smoother(frame)
        v = self.rule.evaluate(smoothed, self.th)

        visible = v.status != CANT_SEE
        moving = self.motion.update(t, v.rep_value) if self.motion is not None else False
        # Problems in priority order: faults while in position (not while
        # moving through a rep), else the positioning / visibility instruction.
        if v.in_position:
            present = [] if moving else list(v.faults)
        elif v.cue:
            present = ["@" + v.cue]
        else:
            present = []
        active = self.cues.update(t, present)
        faults = tuple(k for k in active if not k.startswith("@"))
        cue = None
        if active:
            k = active[0]
            cue = k[1:] if k.startswith("@") else self._fault_cues[k]

        key = (v.side or "both") if self.rule.hold_per_side else "both"
        timer = self.timer(key)
        # what the timer does agrees with what the user is told: it stops while
        # a problem is shown, and a problem not (yet) shown costs nothing (a
        # cue kept on screen for CUE_RELEASE_S after its problem ended does not
        # stop it: the form is good again)
        if not visible:
            hold_state = "unseen"
        elif v.good:
            hold_state = "good"
        else:
            hold_state = "bad" if any(k in active for k in present) else "pending"
        timer.update(dt, hold_state)
        if visible:
            self.time_visible += dt
        if v.in_position:
            self.time_in_position += dt

        done = None
        if self.reps is not None:
            done = self.reps.update(t, dt, v.rep_value, v.side, visible, faults, v.limbs)

        target = self.th.get("hold_target_s")
        by_side = {k: tm.total for k, tm in self.timers.items()}
        return EngineState(
            timestamp=t, verdict=v, frame=smoothed, status=v.status, faults=faults, cue=cue,
            hold_s=timer.total, current_hold_s=timer.current, longest_hold_s=timer.longest,
            hold_by_side=by_side, hold_target_s=target,
            target_reached=target is not None and timer.total >= target,
            reps=dict(self.reps.counts) if self.reps else {}, good_reps=dict(self.reps.good_counts) if self.reps else {},
            rep_target=int(self.th["rep_target"]) if self.reps else None,
            rep_in_progress=bool(self.reps and self.reps.current is not None),
            rep_completed=done, time_in_position_s=self.time_in_position, side=v.side, moving=moving,
            fault_onsets={k: self.cues.onset(k) for k in faults},
        )
