"""The coaching engine: all the state between frames.

Feed it one :class:`~coach.pose.PoseFrame` at a time (``engine.update(frame)``);
it smooths the landmarks, asks the exercise rule for a verdict, and keeps the
form-gated hold timer, the per-side rep counter and the debounced cue. Time
comes only from the frames' timestamps, so replaying a recorded track gives
exactly the live result.
"""
from __future__ import annotations

import math
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
    """Counts good-form time. Bad or out-of-position time shorter than
    ``grace_s`` does not break the current hold; time out of view pauses it."""

    def __init__(self, grace_s: float):
        self.grace_s = grace_s
        self.total = 0.0
        self.current = 0.0
        self.longest = 0.0
        self._bad = 0.0

    def update(self, dt: float, state: str) -> None:
        """state: "good", "bad" or "unseen"."""
        if state == "good":
            self.total += dt
            self.current += dt
            self.longest = max(self.longest, self.current)
            self._bad = 0.0
        elif state == "bad":
            self._bad += dt
            if self._bad > self.grace_s:
                self.current = 0.0
        # "unseen": paused, nothing changes


@dataclass
class Rep:
    side: str
    start: float
    end: float = float("nan")
    top_s: float = 0.0
    peak: float = float("-inf")
    faults: set = field(default_factory=set)

    def to_dict(self) -> dict:
        return {"side": self.side, "start": round(self.start, 3), "end": round(self.end, 3),
                "top_s": round(self.top_s, 3), "peak": round(self.peak, 2), "faults": sorted(self.faults),
                "good": not self.faults}


class RepCounter:
    """Counts reps per side with hysteresis: up when the value rises to
    ``up``; the rep counts when it falls back below ``down`` after at least
    ``min_top_s`` at the top. Leaving the position cancels a rep in progress."""

    def __init__(self, up: float, down: float, min_top_s: float):
        if down >= up:
            raise ValueError("rep down threshold must be below the up threshold")
        self.up, self.down, self.min_top_s = up, down, min_top_s
        self.counts = {"left": 0, "right": 0}
        self.good_counts = {"left": 0, "right": 0}
        self.reps: list[Rep] = []
        self.current: Rep | None = None

    def update(self, t: float, dt: float, value: float | None, side: str | None,
               in_position: bool, visible: bool, faults=()) -> Rep | None:
        """Returns the rep completed at this frame, if any."""
        if not visible:
            return None
        if not in_position or value is None or side is None:
            self.current = None
            return None
        if self.current is None:
            if value >= self.up:
                self.current = Rep(side, t, peak=value)
            return None
        rep = self.current
        if value < self.down:
            self.current = None
            if rep.top_s >= self.min_top_s:
                rep.end = t
                self.counts[rep.side] += 1
                if not rep.faults:
                    self.good_counts[rep.side] += 1
                self.reps.append(rep)
                return rep
            return None
        if value >= self.up:
            rep.top_s += dt
        rep.peak = max(rep.peak, value)
        rep.faults.update(faults)
        return None


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
                                self.th["rep_min_top_s"]) if rule.rep_thresholds else None)
        self.time_in_position = 0.0
        self.time_visible = 0.0
        self._t: float | None = None
        self._fault_cues = {f.name: f.cue for f in rule.faults}

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
        key = (v.side or "both") if self.rule.hold_per_side else "both"
        timer = self.timer(key)
        timer.update(dt, "unseen" if not visible else ("good" if v.good else "bad"))
        if visible:
            self.time_visible += dt
        if v.in_position:
            self.time_in_position += dt

        # Problems in priority order: faults while in position, else the
        # positioning / visibility instruction.
        if v.in_position:
            present = list(v.faults)
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

        done = None
        if self.reps is not None:
            done = self.reps.update(t, dt, v.rep_value, v.side, v.in_position, visible, faults)

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
            rep_completed=done, time_in_position_s=self.time_in_position, side=v.side,
            fault_onsets={k: self.cues.onset(k) for k in faults},
        )
