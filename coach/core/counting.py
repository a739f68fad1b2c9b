"""Counting tools fed one frame at a time: the form-gated hold timer and the
rep counter with hysteresis. Plain objects with no knowledge of exercises;
the goals in :mod:`pose_rules.goals` compose them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


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

    def brk(self) -> None:
        """A break in time (see :mod:`coach.core.timing`): the current hold
        ends where the frames stopped; pending time stays counted."""
        if self._pending:
            self.longest = max(self.longest, self.current)
        self.current = 0.0
        self._pending = 0.0
        self._bad = 0.0
        self._holding = False

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


__all__ = ["HoldTimer", "Rep", "RepCounter"]
