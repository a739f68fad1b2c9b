"""The time policy: how frame timestamps become the time the coach counts.

Every count (hold time, time in position, fault time, reps) comes from the
frames' own timestamps, never the wall clock, so a replayed recording gives
exactly the live result. One :class:`FrameClock` per stream applies the
policy, and everything downstream uses the ``dt`` it returns:

* a frame at or before the last frame's time is **dropped** (a duplicate or a
  frame out of order; nothing is reset);
* a gap up to :data:`MAX_FRAME_GAP_S` counts in full (ordinary frame jitter and
  dropped frames);
* a longer gap counts as :data:`MAX_FRAME_GAP_S` only;
* a gap longer than :data:`BREAK_GAP_S` is a **break**: the current hold ends
  there and nothing of the gap is credited (the person may have left, the
  camera stopped, the recording was cut);
* a new stream (a reconnected camera, the next clip) gets a new clock, and a
  new pose-estimator timeline (:class:`coach.media.estimator.PoseEstimator`
  needs increasing timestamps; the live session starts a new estimator).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

#: Longest gap between two frames that still counts in full.
MAX_FRAME_GAP_S = 0.5
#: A gap longer than this ends the current hold; nothing of it is credited.
BREAK_GAP_S = 3.0


@dataclass(frozen=True, slots=True)
class Tick:
    """One accepted frame's place in time: its timestamp ``t``, the time ``dt``
    credited since the previous frame, and whether a break came before it."""

    t: float
    dt: float
    brk: bool = False


class FrameClock:
    """Applies the time policy to one stream's timestamps (see the module docstring)."""

    def __init__(self, max_gap_s: float = MAX_FRAME_GAP_S, break_gap_s: float = BREAK_GAP_S):
        self.max_gap_s = max_gap_s
        self.break_gap_s = break_gap_s
        self.last: float | None = None
        self.dropped = 0

    def tick(self, t: float) -> Tick | None:
        """The frame's :class:`Tick`, or None when the frame is to be dropped
        (not later than the last accepted frame, or not a finite time)."""
        t = float(t)
        if not math.isfinite(t) or (self.last is not None and t <= self.last):
            self.dropped += 1
            return None
        if self.last is None:
            self.last = t
            return Tick(t, 0.0)
        gap = t - self.last
        self.last = t
        if gap > self.break_gap_s:
            return Tick(t, 0.0, True)
        return Tick(t, min(gap, self.max_gap_s))


class RateLimit:
    """At most ``max_fps`` frames a second, by frame time (a monitor's
    ``judge_fps``): :meth:`take` says whether a frame is to be used, i.e.
    at least ``1 / max_fps`` after the last one taken (a frame back in time
    is taken: a new stream). None or 0: every frame."""

    def __init__(self, max_fps: float | None):
        self.every = 1.0 / max_fps if max_fps else 0.0
        self.last: float | None = None

    def take(self, t: float) -> bool:
        if self.every and self.last is not None and 0.0 <= t - self.last < self.every - 1e-6:
            return False
        self.last = t
        return True


__all__ = ["MAX_FRAME_GAP_S", "BREAK_GAP_S", "Tick", "FrameClock", "RateLimit"]
