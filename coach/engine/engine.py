"""The coaching engine: all the state between frames.

Feed it one :class:`~coach.core.pose.PoseFrame` at a time (``engine.update(frame)``);
it applies the time policy (:mod:`coach.core.timing`), smooths the landmarks,
asks the exercise rule for a verdict, debounces the cues and feeds the rule's
goal (:mod:`pose_rules.goals`: hold timer, rep counter, repeats), whose
progress it returns. Time comes only from the frames' timestamps, so replaying
a recorded track gives exactly the live result.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from coach.core.pose import PoseFrame
from coach.core.timing import MAX_FRAME_GAP_S, FrameClock
from pose_rules.base import BOUNCING, CANT_SEE, TIMED, TOO_FAST, Rule, Steadiness, Verdict
from pose_rules.goals import Progress, Step
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


class SteadyGuard:
    """The rules of moving into a position and holding it (a rule's
    :class:`~pose_rules.base.Steadiness`), from the key measure over time:

    * too fast in: on entering the position (after at least
      ``ENTRY_MIN_OUT_S`` out of it), the measure (the median of the
      last ``MEDIAN_FRAMES``) moved deeper faster
      than ``max_entry_speed`` (over any ``SPEED_WINDOW_S``, from
      ``ENTRY_BEFORE_S`` before entering to ``ENTRY_AFTER_S`` after): flagged
      for ``TOO_FAST_SHOW_S``, or until the position is left;
    * bouncing: while in position, the measure turned back ``MIN_TURNS`` times by ``bounce_amp`` or
      more (a turning point is only counted once the measure has come back
      that far from its extreme) within ``bounce_window_s``.

    ``update`` returns the flags for the frame (``"too_fast"``, ``"bouncing"``)."""

    SPEED_WINDOW_S = 0.25
    ENTRY_BEFORE_S = 0.5
    ENTRY_AFTER_S = 0.75
    TOO_FAST_SHOW_S = 2.5
    #: An entry is a move in from at least this long out of the position: a
    #: tracking glitch that drops out of it for a moment is no entry.
    ENTRY_MIN_OUT_S = 1.0
    #: Bouncing: turning points needed within the window. Both checks read the
    #: median of the last MEDIAN_FRAMES (a live camera's tracking glitches jump
    #: 20-70 deg for a frame or a few and settle: measured on a real photo
    #: streamed through VP8).
    MIN_TURNS = 3
    MEDIAN_FRAMES = 5

    def __init__(self, steady: Steadiness, th: Mapping[str, float]):
        self.dir = 1.0 if steady.direction >= 0 else -1.0
        self.max_speed = th["max_entry_speed"]
        self.amp = th.get("bounce_amp") if steady.bounce_amp is not None else None
        self.window_s = th.get("bounce_window_s", 2.0)
        self._hist: deque[tuple[float, float]] = deque()  # (t, value) over SPEED_WINDOW_S
        self._speeds: deque[tuple[float, float]] = deque()  # (t, deeper speed) over ENTRY_BEFORE_S
        self._out_since: float | None = None  # out of the position since (None: in it, or no frame yet)
        self._entry_until = -math.inf
        self._fast_until = -math.inf
        self._ext: float | None = None  # the extreme since the last turning point
        self._trend = 0.0  # +1 / -1: the direction since the last turning point
        self._turns: deque[float] = deque()
        self._recent: deque[float] = deque(maxlen=self.MEDIAN_FRAMES)

    def _reset_bounce(self) -> None:
        self._ext, self._trend = None, 0.0
        self._turns.clear()

    def update(self, t: float, value: float | None, in_position: bool) -> tuple[str, ...]:
        if value is None or not math.isfinite(value):
            if self._out_since is None:
                self._out_since = t
            self._hist.clear()
            self._speeds.clear()
            self._recent.clear()
            self._reset_bounce()
            self._fast_until = self._entry_until = -math.inf
            return ()
        # the median of the last frames: a tracking glitch of a frame or a few is not a movement
        self._recent.append(value)
        value = sorted(self._recent)[len(self._recent) // 2]
        h = self._hist
        h.append((t, value))
        while len(h) > 2 and h[1][0] <= t - self.SPEED_WINDOW_S:
            h.popleft()
        t0, v0 = h[0]
        if t - t0 >= 0.5 * self.SPEED_WINDOW_S:
            self._speeds.append((t, self.dir * (value - v0) / (t - t0)))
        while self._speeds and self._speeds[0][0] < t - self.ENTRY_BEFORE_S:
            self._speeds.popleft()

        flags: list[str] = []
        if not in_position:
            if self._out_since is None:
                self._out_since = t
            self._fast_until = self._entry_until = -math.inf
            self._reset_bounce()
            return ()
        if self._out_since is not None and t - self._out_since >= self.ENTRY_MIN_OUT_S:
            self._entry_until = t + self.ENTRY_AFTER_S  # entering, from out of the position
        self._out_since = None
        if t <= self._entry_until and any(sp > self.max_speed for _, sp in self._speeds):
            self._fast_until = t + self.TOO_FAST_SHOW_S
            self._entry_until = -math.inf
        if t < self._fast_until:
            flags.append(TOO_FAST)

        if self.amp is not None:
            if self._ext is None:
                self._ext = value
            elif self._trend == 0.0:
                if abs(value - self._ext) >= self.amp:
                    self._trend = 1.0 if value > self._ext else -1.0
                    self._ext = value
            elif (value - self._ext) * self._trend > 0:
                self._ext = value  # further the same way
            elif abs(value - self._ext) >= self.amp:  # came back far enough: a turning point
                self._turns.append(t)
                self._trend, self._ext = -self._trend, value
            while self._turns and self._turns[0] < t - self.window_s:
                self._turns.popleft()
            if len(self._turns) >= self.MIN_TURNS:
                flags.append(BOUNCING)
        return tuple(flags)


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
    dt: float  # the time credited since the previous frame (see coach.core.timing)
    verdict: Verdict
    frame: PoseFrame  # smoothed landmarks
    status: str  # verdict status: good / fault / not_in_position / cant_see
    faults: tuple[str, ...]  # debounced faults (what the user is told about)
    cue: str | None
    progress: Progress  # the goal's count (hold time, reps, repeats); ask it for words
    time_in_position_s: float
    side: str | None
    moving: bool  # between positions in a rep (faults are not cued meanwhile)
    fault_onsets: Mapping[str, float] = field(default_factory=dict)  # when each shown fault began


class Engine:
    """Stateful coach for one exercise and one stream of frames.
    ``update(frame)`` once per frame; returns None for a frame the time
    policy drops (not later than the previous one)."""

    def __init__(self, rule: Rule, thresholds: Mapping[str, float] | None = None):
        self.rule = rule
        self.th = rule.resolve(thresholds)
        self.clock = FrameClock(rule.max_frame_gap_s, rule.break_gap_s)
        self.smoother = LandmarkSmoother(self.th["smoothing_hz"])
        self.cues = CueDebouncer(self.th["cue_delay_s"])
        self.counter = rule.goal.counter(self.th)
        self.time_in_position = 0.0
        self.time_visible = 0.0
        self._fault_cues = {f.name: f.cue for f in rule.faults}
        self.motion = MotionGate(self.th[rule.motion]) if rule.motion else None
        self.steady = SteadyGuard(rule.steady, self.th) if rule.steady is not None else None
        self._steady_faults = {f.name for f in rule.steady.faults()} if rule.steady is not None else set()
        self.snooze_until = -math.inf

    def retune(self, thresholds: Mapping[str, float] | None) -> None:
        """New threshold overrides (a calibration made during the session)
        from the next frame on; what was counted so far is kept. The goal's
        own thresholds (targets) stay as they were."""
        th = self.rule.resolve(thresholds)
        self.th = {**th, **{t.name: self.th[t.name] for t in self.rule.goal.thresholds()}}
        self.cues.delay_s = self.th["cue_delay_s"]

    def snooze(self, until: float) -> None:
        """No cue is shown, and a goal's reminders wait, until frame time
        ``until`` (a frame time, so a replay with the same snooze gives the same
        result); ``-inf`` ends a snooze."""
        self.snooze_until = float(until)

    def snoozed(self, t: float) -> bool:
        return t < self.snooze_until

    @property
    def progress(self) -> Progress:
        return self.counter.progress

    def update(self, frame: PoseFrame) -> EngineState | None:
        tick = self.clock.tick(frame.timestamp)
        if tick is None:
            return None
        t, dt = tick.t, tick.dt
        smoothed = self.smoother(frame)
        v = self.rule.evaluate(smoothed, self.th)

        visible = v.status != CANT_SEE
        moving = self.motion.update(t, v.rep_value) if self.motion is not None else False
        if self.steady is not None:
            flags = self.steady.update(t, v.rep_value, v.in_position)
            if flags and v.in_position:  # too fast in, bouncing: faults of this frame
                v = self.rule.verdict(v.status, side=v.side, measures=v.measures, faults=flags + v.faults,
                                      reason=v.reason, rep_value=v.rep_value, limbs=v.limbs)
        # Problems in priority order: faults while in position (not while
        # moving through a rep, except those of moving itself), else the
        # positioning / visibility instruction.
        if v.in_position:
            present = [f for f in v.faults if not moving or f in self._steady_faults]
        elif v.cue:
            present = ["@" + v.cue]
        else:
            present = []
        active = self.cues.update(t, present)
        faults = tuple(k for k in active if not k.startswith("@"))
        cue = None
        snoozed = t < self.snooze_until
        if active and not snoozed:
            k = active[0]
            cue = k[1:] if k.startswith("@") else self._fault_cues[k]

        # what the goal counts agrees with what the user is told: the hold
        # stops while a problem is shown, and a problem not (yet) shown costs
        # nothing (a cue kept on screen for CUE_RELEASE_S after its problem
        # ended does not stop it: the form is good again)
        if not visible or v.status == TIMED:
            hold_state = "unseen"
        elif v.good:
            hold_state = "good"
        else:
            hold_state = "bad" if any(k in active for k in present) else "pending"
        progress = self.counter.update(Step(tick, v, hold_state, faults, snoozed))
        if visible:
            self.time_visible += dt
        if v.in_position:
            self.time_in_position += dt

        return EngineState(
            timestamp=t, dt=dt, verdict=v, frame=smoothed, status=v.status, faults=faults, cue=cue,
            progress=progress, time_in_position_s=self.time_in_position, side=v.side, moving=moving,
            fault_onsets={k: self.cues.onset(k) for k in faults},
        )
