"""What the live coach says, and when. The browser speaks it (speechSynthesis)
and plays the short beep; this module only decides.

An :class:`Announcer` is fed the current cue once per frame and the one-off
events (countdown numbers, "Go", "Target reached", a finished rep). Time comes
only from the frame timestamps passed in. Rules for cues:

* one cue at a time: the cue passed in is the current one;
* a cue is spoken when it becomes current, but not within ``min_gap_s`` of the
  previous utterance (cue or event); if it is blocked, it is spoken once the
  gap has passed, if it is still current;
* the same cue text is not spoken again within ``repeat_s`` of the last time;
* a cue that stays current is repeated every ``repeat_s`` (a reminder for
  someone holding a sagging plank).

Events are always issued, and count as the previous utterance for the gap.
Utterance ids increase strictly, so a poller asks for ``since(last_id)``.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

#: Utterance kinds
CUE, COUNTDOWN, START, TARGET, REP, SETUP = "cue", "countdown", "start", "target", "rep", "setup"
#: The desk's "time to get up" (the browser also shows a notification) and its stretch suggestion.
REMINDER, SUGGESTION = "reminder", "suggestion"
KINDS = (CUE, COUNTDOWN, START, TARGET, REP, SETUP, REMINDER, SUGGESTION)
#: Beeps the browser can play with an utterance
SOUNDS = ("tick", "go", "done", "rep", "chime")

#: How many utterances an Announcer keeps for :meth:`Announcer.since`.
KEEP = 50


@dataclass(frozen=True)
class Utterance:
    """One thing to say.

    id: strictly increasing (from 1, or ``first_id``) within an Announcer.
    t: frame time it was issued (seconds).
    text: what to say ("Lift your hips", "3", "Go", "Target reached", "Left, 3").
    kind: "cue" | "countdown" | "start" | "target" | "rep" | "setup".
    sound: "tick" | "go" | "done" | "rep" | None: a short beep played with it.
    """

    id: int
    t: float
    text: str
    kind: str
    sound: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "t": self.t, "text": self.text, "kind": self.kind, "sound": self.sound}


class Announcer:
    """Decides when cues are spoken (see the module docstring). Not
    thread-safe on its own: the live session calls it under its lock."""

    def __init__(self, repeat_s: float = 6.0, min_gap_s: float = 2.5, *, first_id: int = 1):
        if not (math.isfinite(repeat_s) and repeat_s >= 0 and math.isfinite(min_gap_s) and min_gap_s >= 0):
            raise ValueError("repeat_s and min_gap_s must be finite and not negative")
        self.repeat_s = float(repeat_s)
        self.min_gap_s = float(min_gap_s)
        self._next_id = int(first_id)
        self._log: deque[Utterance] = deque(maxlen=KEEP)
        self._last_t: float | None = None  # time of the previous utterance (any kind)
        self._spoken: dict[str, float] = {}  # cue text -> last time spoken
        self._now: float | None = None  # latest time seen

    @property
    def next_id(self) -> int:
        """The id the next utterance will get."""
        return self._next_id

    @property
    def last_id(self) -> int:
        """The id of the latest utterance (``first_id - 1`` before any)."""
        return self._next_id - 1

    def _clock(self, t: float) -> float:
        # Frames come in time order (the time policy, coach.core.timing, drops
        # the others before they get here; a new stream gets a new Announcer).
        t = float(t)
        if self._now is not None and t < self._now:
            t = self._now
        self._now = t
        return t

    def _issue(self, t: float, text: str, kind: str, sound: str | None) -> Utterance:
        u = Utterance(self._next_id, t, text, kind, sound)
        self._next_id += 1
        self._log.append(u)
        self._last_t = t
        return u

    def cue(self, t: float, text: str | None, kind: str = CUE) -> Utterance | None:
        """Called every frame with the current cue (None = no cue). Returns the
        utterance when the cue is to be spoken now."""
        t = self._clock(t)
        if not text:
            return None
        due = -math.inf
        if self._last_t is not None:
            due = self._last_t + self.min_gap_s
        last = self._spoken.get(text)
        if last is not None:
            due = max(due, last + self.repeat_s)
        if t < due - 1e-9:
            return None
        self._spoken[text] = t
        return self._issue(t, text, kind, None)

    def event(self, t: float, text: str, kind: str, sound: str | None = None) -> Utterance:
        """Always issued (countdown, start, target reached, rep done)."""
        t = self._clock(t)
        return self._issue(t, text, kind, sound)

    def since(self, last_id: int) -> list[Utterance]:
        """Utterances issued after ``last_id`` (of the last :data:`KEEP`), oldest first."""
        return [u for u in self._log if u.id > last_id]


__all__ = ["Utterance", "Announcer", "KINDS", "SOUNDS", "CUE", "COUNTDOWN", "START", "TARGET", "REP", "SETUP",
           "REMINDER", "SUGGESTION"]
