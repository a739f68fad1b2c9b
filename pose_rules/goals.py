"""What an exercise counts: its goal.

A rule declares one goal object (``goal = Hold(60.0)``); the goal is the only
code that knows what kind of counting it is. It declares the thresholds it
needs (targets, rep timing), makes the counter the engine feeds one frame at a
time, and puts its progress into words for the report, the CLI, the HUD, the
charts, speech and the app's pages. Everything else asks it.

Kinds:

* :class:`Hold` - good-form hold time, one timer (plank) or one per side
  (side plank: ``Hold(45, per_side=True)``);
* :class:`Reps` - reps with hysteresis on the rule's rep value, per side
  (bird-dog) or bilateral (``sides=("both",)``: bridge lifts, crunches);
* :class:`Repeats` - a stretch held ``hold_target_s`` in good form, repeated
  ``repeat_target`` times per side, one side at a time;
* :class:`GoalSet` - several goals counted together, the first one deciding
  when the target is reached (``Hold(60) + Reps(...)``: the glute bridge's
  hold and its lifts).

Progress is a frozen :class:`Progress`; what is said at a frame comes as
:class:`Event` objects in ``Progress.events``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Mapping, Sequence

from coach.core.counting import HoldTimer, RepCounter

from .base import Threshold

if TYPE_CHECKING:  # pragma: no cover
    from coach.core.timing import Tick
    from .base import Verdict

BOTH = ("both",)
LEFT_RIGHT = ("left", "right")


@dataclass(frozen=True)
class Event:
    """Something to say at a frame: ``kind`` "rep" (a rep or repeat done),
    "target" (a target reached) or "side" (switch sides)."""

    kind: str
    text: str


@dataclass(frozen=True)
class Step:
    """What a goal's counter is given for one frame (by the engine).

    hold_state: "good", "pending" (a problem not shown yet), "bad" (a problem
    shown) or "unseen" (cannot judge: nothing counts); shown_faults: the faults
    the user is being told about."""

    tick: "Tick"
    verdict: "Verdict"
    hold_state: str
    shown_faults: tuple[str, ...] = ()
    #: The person snoozed the coach: reminders wait (see :meth:`coach.engine.engine.Engine.snooze`).
    snoozed: bool = False


@dataclass(frozen=True, eq=False)
class Progress:
    """Where a goal stands after a frame (read-only). ``done`` and ``good``
    are per side ("both" for a goal without sides): good-form seconds for a
    hold (``good`` = ``done``), reps or repeats otherwise (``good``: those
    without a fault). ``target`` is per side."""

    goal: "Goal"
    done: Mapping[str, float]
    good: Mapping[str, float]
    target: float | None
    side: str | None = None  # the side being worked now (None: not known / no sides)
    current_s: float = 0.0  # the current unbroken good-form hold (holds, repeats)
    longest_s: float = 0.0  # the longest unbroken good-form hold
    active: bool = False  # a rep or repeat is in progress
    events: tuple[Event, ...] = ()
    parts: tuple["Progress", ...] = ()  # GoalSet: each goal's progress
    hold_s: float | None = None  # repeats: the hold each repeat needs
    stats: Mapping[str, float] = field(default_factory=dict)  # posture time: its counts (see Sitting)
    now: tuple[str, ...] = ()  # posture time: the state at the last frame ("sitting", its faults...)

    @property
    def kind(self) -> str:
        return self.goal.kind

    @property
    def total(self) -> float:
        return float(sum(self.done.values()))

    @property
    def reached(self) -> bool:
        return self.goal.reached(self)

    def text(self, short: bool = False) -> str:
        """The count in words: "23 / 60 s", "left 2, right 1", "L 2  R 1" (short)."""
        return self.goal.text(self, short)

    def headline(self) -> "Headline":
        return self.goal.headline(self)

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) rows for summaries (CLI, pages)."""
        return self.goal.lines(self)

    def metrics(self) -> list[tuple[str, str, str]]:
        """(label, value, help) for the app's big numbers."""
        return self.goal.metrics(self)

    @cached_property
    def _values(self) -> dict[str, dict[str, float]]:
        ps = self.parts or (self,)
        return {p.goal.name: {k: float(v) for k, v in p.done.items()} for p in ps}

    def values(self) -> dict[str, dict[str, float]]:
        """{goal name: {side: done}} for every counted goal (timeline rows,
        charts). Computed once per snapshot: treat it as read-only."""
        return self._values

    def part(self, name: str) -> "Progress | None":
        for p in self.parts or (self,):
            if p.goal.name == name:
                return p
        return None

    def to_dict(self) -> dict:
        num = float if self.goal.unit == "s" else int  # seconds, or a count
        d = {"goal": self.goal.name, "kind": self.kind, "unit": self.goal.unit,
             "target": None if self.target is None else num(self.target),
             "sides": list(self.goal.sides), "done": {k: num(v) for k, v in self.done.items()},
             "good": {k: num(v) for k, v in self.good.items()}, "total": num(self.total),
             "longest_s": self.longest_s, "reached": self.reached, "text": self.text()}
        if self.parts:
            d["parts"] = [p.to_dict() for p in self.parts]
        if self.stats:
            d["stats"] = {k: round(float(v), 2) for k, v in self.stats.items()}
            d["now"] = list(self.now)
        return d


@dataclass(frozen=True)
class Headline:
    """The HUD's big number: ``big`` ("12 / 60 s", "L 2  R 1"), ``sub`` (a
    smaller line under it, or ""), ``fraction`` (0..1 for a progress bar, or
    None), ``reached``, and ``extra`` lines (other counted goals)."""

    big: str
    sub: str = ""
    fraction: float | None = None
    reached: bool = False
    extra: tuple[str, ...] = ()


def _side_text(values: Mapping[str, float], fmt, short: bool) -> str:
    if set(values) == {"both"}:
        return fmt(values["both"])
    if short:
        return "  ".join(f"{k[0].upper()} {fmt(values.get(k, 0))}" for k in LEFT_RIGHT)
    return ", ".join(f"{k} {fmt(values.get(k, 0))}" for k in LEFT_RIGHT)


def _int(v: float) -> str:
    return f"{int(round(v))}"


def _sec(v: float) -> str:
    return f"{v:.1f} s"


class Goal:
    """Base class of the goals (see the module docstring)."""

    kind: str = ""
    #: The name of what is counted (keys in reports and timelines).
    name: str = ""
    unit: str = ""
    sides: tuple[str, ...] = BOTH
    #: How the count is labelled in charts.
    chart_label: str = ""

    # -- declarations --------------------------------------------------------
    def thresholds(self) -> tuple[Threshold, ...]:
        return ()

    def check(self, values: Mapping[str, float]) -> str | None:
        """A reason the threshold values do not fit together, or None."""
        return None

    def parts(self) -> tuple["Goal", ...]:
        return (self,)

    #: The counted position is held only briefly (the top of a rep), not for long.
    brief_top: bool = False

    def at_top(self, verdict: "Verdict", th: Mapping[str, float]) -> bool:
        """Whether the verdict shows the position this goal counts (a held
        pose; for reps, the top of a rep): where calibration reads the
        person's best form."""
        return True

    def describe(self, th: Mapping[str, float] | None = None) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def per_side(self) -> bool:
        return self.sides != BOTH

    def __add__(self, other: "Goal") -> "GoalSet":
        return GoalSet(self.parts() + other.parts())

    # -- counting --------------------------------------------------------------
    def counter(self, th: Mapping[str, float]) -> "Counter":  # pragma: no cover - abstract
        raise NotImplementedError

    def start(self, th: Mapping[str, float]) -> Progress:
        """The progress before the first frame."""
        return self.counter(th).progress

    # -- words ---------------------------------------------------------------
    def reached(self, p: Progress) -> bool:
        return p.target is not None and all(p.done.get(s, 0.0) >= p.target - 1e-9 for s in self.sides)

    def text(self, p: Progress, short: bool = False) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def headline(self, p: Progress) -> Headline:  # pragma: no cover - abstract
        raise NotImplementedError

    def lines(self, p: Progress) -> list[tuple[str, str]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def metrics(self, p: Progress) -> list[tuple[str, str, str]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def judged_form(self, p: Progress) -> "tuple[float | None, Mapping[str, float]] | None":
        """For a goal that judges form itself (the desk's posture time): the
        share of judged frames in good form (%, None: none judged) and the
        seconds with each fault; None (the default): the engine's shown
        faults are what counts."""
        return None

    def unit_lines(self, units: Sequence[Mapping]) -> list[tuple[str, str]]:
        """(label, value) rows for a summary that lists when things happened
        (``units``: the report's reps, reminders, breaks); none by default."""
        return []


class Counter:
    """A goal's running count; ``update(step)`` once per frame."""

    progress: Progress

    def update(self, step: Step) -> Progress:  # pragma: no cover - abstract
        raise NotImplementedError

    def units(self) -> list[dict]:
        """The finished reps or repeats, for the report."""
        return []


# ----------------------------------------------------------------------------- hold

@dataclass(frozen=True)
class Hold(Goal):
    """Good-form hold time: ``target_s`` in one timer, or per side."""

    target_s: float
    hold_sides: tuple[str, ...] = BOTH
    kind = "hold"
    name = "hold"
    unit = "s"
    chart_label = "good-form hold (s)"

    @property
    def sides(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.hold_sides

    def thresholds(self) -> tuple[Threshold, ...]:
        return (Threshold("hold_target_s", "s", self.target_s, 5.0, 600.0,
                          "good-form hold time to aim for" + (" (per side)" if self.per_side else "")),)

    def describe(self, th=None) -> str:
        t = (th or {}).get("hold_target_s", self.target_s)
        if len(self.sides) == 1 and self.per_side:
            return f"hold {t:.0f} s, {self.sides[0]} side"
        return f"hold {t:.0f} s" + (" per side" if self.per_side else "")

    def counter(self, th) -> "_HoldCounter":
        return _HoldCounter(self, th)

    def _done(self, p: Progress) -> float:
        """The hold time that counts now: this side's for a per-side hold."""
        if not self.per_side:
            return p.total
        return p.done.get(p.side, 0.0) if p.side in p.done else max(p.done.values(), default=0.0)

    def text(self, p: Progress, short: bool = False) -> str:
        done = self._done(p)
        if short:
            return f"{done:.0f} / {p.target:.0f} s"
        return f"{done:.1f} of {p.target:.0f} s"

    def headline(self, p: Progress) -> Headline:
        done = self._done(p)
        frac = max(0.0, min(1.0, done / p.target)) if p.target else None
        reached = p.target is not None and done >= p.target - 1e-9
        sub = f"{p.side} side" if (self.per_side and p.side in self.sides) else ""
        return Headline(f"{done:.0f} / {p.target:.0f} s", sub, frac, reached)

    def lines(self, p: Progress) -> list[tuple[str, str]]:
        side_txt = ""
        if self.per_side:
            side_txt = "  (" + ", ".join(f"{k} {p.done.get(k, 0.0):.1f} s" for k in self.sides) + ")"
        hold = f"{p.total:.1f} s of {p.target:.0f} s target" + (" per side" if self.per_side else "")
        return [("good-form hold", hold + side_txt + ("  — target reached" if p.reached else "")),
                ("longest good hold", f"{p.longest_s:.1f} s")]

    def metrics(self, p: Progress) -> list[tuple[str, str, str]]:
        help_ = f"Target {p.target:.0f} s" + (" per side" if self.per_side else "")
        if self.per_side:
            label = " / ".join(self.sides)
            return [(f"Good-form hold {label}", " / ".join(f"{p.done.get(k, 0):.1f}" for k in self.sides) + " s",
                     help_), ("Longest good hold", _sec(p.longest_s), "")]
        return [("Good-form hold", _sec(p.total), help_), ("Longest good hold", _sec(p.longest_s), "")]


class _HoldCounter(Counter):
    def __init__(self, goal: Hold, th):
        self.goal = goal
        self.grace_s = th["grace_s"]
        self.target = th["hold_target_s"]
        self.timers: dict[str, HoldTimer] = {s: HoldTimer(self.grace_s) for s in goal.sides}
        self.side: str | None = None
        self._said: set[str] = set()
        self._state: tuple = (None,)
        self.progress = self._progress(None, ())

    def update(self, step: Step) -> Progress:
        if step.tick.brk:
            for tm in self.timers.values():
                tm.brk()
        v = step.verdict
        key = v.side if self.goal.per_side else "both"
        events = ()
        if key in self.timers:
            self.side = key
            tm = self.timers[key]
            tm.update(step.tick.dt, step.hold_state)
            if tm.total >= self.target - 1e-9 and key not in self._said:
                self._said.add(key)
                events = (Event("target", "Target reached"),)
        side = key if key in self.timers else self.side
        tm = self.timers.get(side)
        state = (side, tm.total, tm.current, tm.longest, tm._holding) if tm is not None else (side,)
        # a frame that changes nothing (out of position, can't see) reuses the snapshot
        if events or self.progress.events or state != self._state:
            self._state = state
            self.progress = self._progress(side, events)
        return self.progress

    def _progress(self, side, events) -> Progress:
        timers = self.timers
        cur = timers[side].current if side in timers else 0.0
        done = {k: tm.total for k, tm in timers.items()}
        return Progress(self.goal, done, done, self.target, side, cur,
                        max((tm.longest for tm in timers.values()), default=0.0),
                        side in timers and timers[side]._holding, events)


# ----------------------------------------------------------------------------- reps

@dataclass(frozen=True)
class Reps(Goal):
    """Reps with hysteresis on the rule's rep value (``Verdict.rep_value``):
    up when it reaches threshold ``up``, counted when it falls below ``down``
    after ``rep_min_top_s`` at the top. ``sides``: ("left", "right") for reps
    per side (the verdict's side), ("both",) for bilateral reps."""

    up: str
    down: str
    rep_sides: tuple[str, ...] = LEFT_RIGHT
    target: int = 5
    title: str = "reps"
    #: Default of ``rep_min_top_s``: the time at the top a rep needs.
    top_s: float = 0.35
    kind = "reps"
    name = "reps"
    unit = "reps"
    chart_label = "reps"

    @property
    def sides(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.rep_sides

    def thresholds(self) -> tuple[Threshold, ...]:
        return (Threshold("rep_min_top_s", "s", self.top_s, 0.0, 10.0,
                          "time at the top needed for a rep to count (brisk reps top for 0.3-1 s)"),
                Threshold("rep_target", "reps", self.target, 1, 50,
                          "reps per side to aim for" if self.per_side else "reps to aim for"))

    brief_top = True

    def at_top(self, verdict, th) -> bool:
        return verdict.rep_value is not None and verdict.rep_value >= th[self.up]

    def check(self, values) -> str | None:
        if values[self.down] >= values[self.up]:
            return f"{self.down} ({values[self.down]}) must be below {self.up} ({values[self.up]})"
        return None

    def describe(self, th=None) -> str:
        n = int((th or {}).get("rep_target", self.target))
        return f"{n} reps per side" if self.per_side else f"{n} reps"

    def counter(self, th) -> "_RepCounter":
        return _RepCounter(self, th)

    def text(self, p: Progress, short: bool = False) -> str:
        return _side_text(p.done, _int, short)

    def headline(self, p: Progress) -> Headline:
        sub = f"of {p.target:.0f}" + (" a side" if self.per_side else "")
        return Headline(self.text(p, short=True), sub, None, p.reached)

    def lines(self, p: Progress) -> list[tuple[str, str]]:
        return [(self.title, f"{self.text(p)}  (good form: {_side_text(p.good, _int, False)})")]

    def metrics(self, p: Progress) -> list[tuple[str, str, str]]:
        t = self.title.capitalize()
        if self.per_side:
            return [(f"{t} left / right", f"{_int(p.done.get('left', 0))} / {_int(p.done.get('right', 0))}",
                     f"Target {p.target:.0f} a side"),
                    (f"Good-form {self.title} left / right",
                     f"{_int(p.good.get('left', 0))} / {_int(p.good.get('right', 0))}", "")]
        return [(t, _int(p.total), f"Target {p.target:.0f}"), (f"Good-form {self.title}", _int(sum(p.good.values())), "")]


class _RepCounter(Counter):
    def __init__(self, goal: Reps, th):
        self.goal = goal
        self.counter = RepCounter(th[goal.up], th[goal.down], th["rep_min_top_s"], goal.sides, th["grace_s"])
        self.target = float(int(th["rep_target"]))
        self.progress = self._progress(None, ())

    def update(self, step: Step) -> Progress:
        v, tick = step.verdict, step.tick
        if tick.brk:  # a break in time: a rep in progress is not finished across it
            self.counter.current = None
        rep = self.counter.update(tick.t, tick.dt, v.rep_value, v.side, v.visible, step.shown_faults, v.limbs)
        events = ()
        if rep is not None:
            n = self.counter.counts[rep.side]
            events = (Event("rep", f"{rep.label}, {n}" if rep.label else str(n)),)
        side = "both" if self.goal.sides == BOTH else v.side
        p = self.progress
        # most frames change nothing: the progress (a frozen snapshot) is reused
        if events or p.events or side != p.side or (self.counter.current is not None) != p.active:
            self.progress = self._progress(side, events)
        return self.progress

    def _progress(self, side, events) -> Progress:
        c = self.counter
        return Progress(self.goal, dict(c.counts), dict(c.good_counts), self.target, side,
                        active=c.current is not None, events=events)

    def units(self) -> list[dict]:
        return [r.to_dict() for r in self.counter.reps]


# ----------------------------------------------------------------------------- repeats

@dataclass(frozen=True)
class Repeats(Goal):
    """A stretch: hold ``hold_s`` in good form, ``count`` times per side, one
    side at a time. A repeat counts when its unbroken good-form hold reaches
    the hold target; the next one starts after the person has come out of the
    stretch (out of position for at least ``grace_s``)."""

    hold_s: float
    count: int = 3
    repeat_sides: tuple[str, ...] = LEFT_RIGHT
    #: Allowed ranges of the hold and of the repeat count (tuning).
    hold_range: tuple[float, float] = (1.0, 120.0)
    count_range: tuple[int, int] = (1, 10)
    kind = "repeats"
    name = "repeats"
    unit = "repeats"
    chart_label = "repeats"

    @property
    def sides(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.repeat_sides

    def thresholds(self) -> tuple[Threshold, ...]:
        return (Threshold("hold_target_s", "s", self.hold_s, *self.hold_range, "good-form hold time of each repeat"),
                Threshold("repeat_target", "repeats", self.count, *self.count_range,
                          "repeats per side to aim for" if self.per_side else "repeats to aim for"))

    def describe(self, th=None) -> str:
        th = th or {}
        n, s = int(th.get("repeat_target", self.count)), th.get("hold_target_s", self.hold_s)
        return f"{n} x {s:.0f} s hold" + (" per side" if self.per_side else "")

    def counter(self, th) -> "_RepeatCounter":
        return _RepeatCounter(self, th)

    def text(self, p: Progress, short: bool = False) -> str:
        return _side_text(p.done, _int, short)

    def headline(self, p: Progress) -> Headline:
        sub = f"of {p.target:.0f}" + (" a side" if self.per_side else "")
        frac = None
        if p.active and p.hold_s:
            frac = max(0.0, min(1.0, p.current_s / p.hold_s))
            sub += f"  ·  {p.current_s:.0f} / {p.hold_s:.0f} s"
        return Headline(self.text(p, short=True), sub, frac, p.reached)

    def lines(self, p: Progress) -> list[tuple[str, str]]:
        return [("repeats", f"{self.text(p)} of {p.target:.0f}" + (" a side" if self.per_side else "")
                 + ("  — target reached" if p.reached else "")),
                ("longest good hold", f"{p.longest_s:.1f} s")]

    def metrics(self, p: Progress) -> list[tuple[str, str, str]]:
        if self.per_side:
            return [("Repeats left / right", f"{_int(p.done.get('left', 0))} / {_int(p.done.get('right', 0))}",
                     f"Target {p.target:.0f} a side"), ("Longest good hold", _sec(p.longest_s), "")]
        return [("Repeats", _int(p.total), f"Target {p.target:.0f}"), ("Longest good hold", _sec(p.longest_s), "")]


class _RepeatCounter(Counter):
    def __init__(self, goal: Repeats, th):
        self.goal = goal
        self.hold_s = th["hold_target_s"]
        self.target = float(int(th["repeat_target"]))
        self.grace_s = th["grace_s"]
        self.timer = HoldTimer(self.grace_s)
        self.counts = {s: 0 for s in goal.sides}
        self.side: str | None = None
        self.done_units: list[dict] = []
        self._released = True  # out of the stretch since the last repeat counted
        self._out = 0.0
        self.progress = self._progress(())

    def update(self, step: Step) -> Progress:
        v, tick = step.verdict, step.tick
        side = "both" if self.goal.sides == BOTH else v.side
        events: list[Event] = []
        if tick.brk:  # a break in time: the repeat in progress starts again
            self.timer = HoldTimer(self.grace_s)
        if step.hold_state == "unseen":
            pass
        elif side not in self.counts or not v.in_position:
            self._out += tick.dt
            if self._out > self.grace_s:
                self._released = True
                self.timer = HoldTimer(self.grace_s)
        else:
            self._out = 0.0
            if side != self.side:  # another side: a new repeat
                self.timer = HoldTimer(self.grace_s)
                self._released = True
                self.side = side
            if self._released:
                self.timer.update(tick.dt, step.hold_state)
                if self.timer.current >= self.hold_s - 1e-9:
                    self.counts[side] += 1
                    n = self.counts[side]
                    # the repeat's unbroken hold began this long ago
                    self.done_units.append({"side": side, "start": round(tick.t - self.timer.current, 3),
                                            "end": round(tick.t, 3), "hold_s": round(self.timer.current, 3)})
                    self._released = False
                    label = "" if side == "both" else f"{side.capitalize()}, "
                    events.append(Event("rep", f"{label}{n}. Relax"))
                    if all(c >= self.target for c in self.counts.values()):
                        events.append(Event("target", "Target reached"))
                    elif n == int(self.target) and self.goal.per_side:
                        events.append(Event("side", "Now the other side"))
        self.progress = self._progress(tuple(events))
        return self.progress

    def _progress(self, events) -> Progress:
        counts = {k: float(v) for k, v in self.counts.items()}
        longest = max([u["hold_s"] for u in self.done_units] + [self.timer.longest], default=0.0)
        return Progress(self.goal, counts, counts, self.target, self.side,
                        self.timer.current if self._released else 0.0, longest,
                        self._released and self.timer.current > 0, events, hold_s=self.hold_s)

    def units(self) -> list[dict]:
        return list(self.done_units)


# ----------------------------------------------------------------------------- timed (not judged)

@dataclass(frozen=True)
class Timed(Goal):
    """A step the camera cannot judge (the abdominal drawing-in): the coach
    keeps time only. A ``rest_s`` "get ready" first, then ``count`` times:
    hold ``hold_s`` (``say_hold`` is spoken), rest ``rest_s`` ("Relax").
    Counted from the frames' time whatever the pose; a break in time (frames
    stopping) starts the hold in progress again."""

    hold_s: float
    count: int = 5
    rest_s: float = 5.0
    say_hold: str = "Hold"
    kind = "timed"
    name = "timed"
    unit = "repeats"
    chart_label = "timed holds"

    def thresholds(self) -> tuple[Threshold, ...]:
        return (Threshold("hold_target_s", "s", self.hold_s, 3.0, 60.0, "each timed hold"),
                Threshold("repeat_target", "repeats", self.count, 1, 20, "timed holds to do"),
                Threshold("rest_s", "s", self.rest_s, 2.0, 60.0, "rest between the timed holds"))

    def describe(self, th=None) -> str:
        th = th or {}
        n, s = int(th.get("repeat_target", self.count)), th.get("hold_target_s", self.hold_s)
        return f"{n} x {s:.0f} s, timed (not judged)"

    def counter(self, th) -> "_TimedCounter":
        return _TimedCounter(self, th)

    def text(self, p: Progress, short: bool = False) -> str:
        return f"{_int(p.total)} / {p.target:.0f}" if short else f"{_int(p.total)} of {p.target:.0f} timed holds"

    def headline(self, p: Progress) -> Headline:
        if p.reached:
            sub = "done · not judged"
        elif p.active:
            sub = f"hold {p.current_s:.0f} / {p.hold_s:.0f} s · not judged"
        else:
            sub = "rest · not judged"
        frac = max(0.0, min(1.0, p.current_s / p.hold_s)) if (p.active and p.hold_s) else None
        return Headline(self.text(p, short=True), sub, frac, p.reached)

    def lines(self, p: Progress) -> list[tuple[str, str]]:
        return [("timed holds", f"{self.text(p)} ({p.hold_s:.0f} s each; the camera does not judge this step)"
                 + ("  — done" if p.reached else ""))]

    def metrics(self, p: Progress) -> list[tuple[str, str, str]]:
        return [("Timed holds", _int(p.total), f"Target {p.target:.0f}; not judged by the camera")]


class _TimedCounter(Counter):
    def __init__(self, goal: Timed, th):
        self.goal = goal
        self.hold_s, self.rest_s = th["hold_target_s"], th["rest_s"]
        self.target = float(int(th["repeat_target"]))
        self.done = 0
        self.holding = False
        self.phase_s = 0.0  # time in the current phase (rest or hold)
        self.start: float | None = None
        self.done_units: list[dict] = []
        self.progress = self._progress(())

    def update(self, step: Step) -> Progress:
        tick = step.tick
        events: list[Event] = []
        if self.done >= self.target:
            return self._keep()
        if tick.brk and self.holding:  # the frames stopped: this hold starts again after a rest
            self.holding, self.phase_s = False, 0.0
        self.phase_s += tick.dt
        if not self.holding and self.phase_s >= self.rest_s - 1e-9:
            self.holding, self.phase_s, self.start = True, 0.0, tick.t
            events.append(Event("side", self.goal.say_hold))
        elif self.holding and self.phase_s >= self.hold_s - 1e-9:
            self.done += 1
            self.done_units.append({"side": "both", "start": round(self.start or tick.t, 3), "end": round(tick.t, 3),
                                    "hold_s": round(self.phase_s, 3)})
            self.holding, self.phase_s = False, 0.0
            if self.done >= self.target:
                events.append(Event("target", "Done. Well done"))
            else:
                events.append(Event("rep", f"{self.done}. Relax"))
        self.progress = self._progress(tuple(events))
        return self.progress

    def _keep(self) -> Progress:
        if self.progress.events:
            self.progress = self._progress(())
        return self.progress

    def _progress(self, events) -> Progress:
        done = {"both": float(self.done)}
        cur = self.phase_s if self.holding else 0.0
        return Progress(self.goal, done, done, self.target, None, cur, max([u["hold_s"] for u in self.done_units],
                                                                               default=cur),
                        self.holding, events, hold_s=self.hold_s)

    def units(self) -> list[dict]:
        return list(self.done_units)


# ----------------------------------------------------------------------------- several

@dataclass(frozen=True)
class GoalSet(Goal):
    """Several goals counted together; the first decides the target."""

    goals: tuple[Goal, ...] = field(default_factory=tuple)
    kind = "set"

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.goals[0].name

    @property
    def unit(self) -> str:  # type: ignore[override]
        return self.goals[0].unit

    @property
    def sides(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.goals[0].sides

    @property
    def chart_label(self) -> str:  # type: ignore[override]
        return self.goals[0].chart_label

    def parts(self) -> tuple[Goal, ...]:
        return self.goals

    @property
    def brief_top(self) -> bool:  # type: ignore[override]
        return any(g.brief_top for g in self.goals)

    def at_top(self, verdict, th) -> bool:
        return all(g.at_top(verdict, th) for g in self.goals)

    def thresholds(self) -> tuple[Threshold, ...]:
        seen, out = set(), []
        for g in self.goals:
            for t in g.thresholds():
                if t.name not in seen:
                    seen.add(t.name)
                    out.append(t)
        return tuple(out)

    def check(self, values) -> str | None:
        for g in self.goals:
            r = g.check(values)
            if r:
                return r
        return None

    def describe(self, th=None) -> str:
        return " + ".join(g.describe(th) for g in self.goals)

    def counter(self, th) -> "_SetCounter":
        return _SetCounter(self, th)

    def reached(self, p: Progress) -> bool:
        return p.parts[0].reached

    def text(self, p: Progress, short: bool = False) -> str:
        return p.parts[0].text(short)

    def headline(self, p: Progress) -> Headline:
        h = p.parts[0].headline()
        extra = tuple(f"{q.goal.chart_label.capitalize()} {q.text(short=True)}" for q in p.parts[1:])
        return Headline(h.big, h.sub, h.fraction, h.reached, h.extra + extra)

    def lines(self, p: Progress) -> list[tuple[str, str]]:
        return [row for q in p.parts for row in q.lines()]

    def metrics(self, p: Progress) -> list[tuple[str, str, str]]:
        return [m for q in p.parts for m in q.metrics()]

    def unit_lines(self, units) -> list[tuple[str, str]]:
        return [row for g in self.goals for row in g.unit_lines(units)]


class _SetCounter(Counter):
    def __init__(self, goal: GoalSet, th):
        self.goal = goal
        self.counters = [g.counter(th) for g in goal.goals]
        self.progress = self._progress()

    def update(self, step: Step) -> Progress:
        for c in self.counters:
            c.update(step)
        self.progress = self._progress()
        return self.progress

    def _progress(self) -> Progress:
        parts = tuple(c.progress for c in self.counters)
        first = parts[0]
        return Progress(self.goal, first.done, first.good, first.target, first.side, first.current_s,
                        first.longest_s, first.active, tuple(e for p in parts for e in p.events), parts)

    def units(self) -> list[dict]:
        return [u for c in self.counters for u in c.units()]



# ----------------------------------------------------------------------------- posture time (the desk)

def clock(seconds: float) -> str:
    """Seconds as "m:ss" (or "h:mm:ss" from an hour)."""
    s = int(max(0.0, seconds) + 1e-6)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


#: What the person is doing at a frame, for :attr:`Progress.now`.
SITTING, STANDING, AWAY = "sitting", "standing", "away"


@dataclass(frozen=True)
class Sitting(Goal):
    """Posture time at the desk ("get up every 30 minutes"): the continuous
    sitting time, breaks and reminders, and the time in each posture fault.

    * Sitting = a frame in position (the rule's sitting check), or a "can't
      see" frame whose ``face_seen`` measure is 1 (a face at the desk, the
      shoulders out of view: sitting, posture not judged). Standing (not
      in position) or away (nobody seen) for ``break_s`` in a row is a
      break: the sitting time starts again from 0. Shorter interruptions
      neither add to it nor reset it.
    * A reminder ("reminder" event) when the sitting time reaches
      ``sit_limit_min`` (exactly: the frame that reaches it), then every
      ``remind_again_min`` of further sitting. While the person has snoozed
      the coach (:attr:`Step.snoozed`) a due reminder waits for the snooze to
      end; none is given while standing or away.
    * A break in the frames (:mod:`coach.core.timing`: the camera paused or
      stopped) credits nothing: the sitting time is kept as it was.
    * Slouched time: sitting frames whose verdict has a fault (the raw
      judgement, before the cue delay), in total and per fault.

    ``Progress.stats`` has the numbers (seconds unless named otherwise);
    ``Progress.now`` the state at the last frame ("sitting" and its faults,
    "standing" or "away")."""

    limit_min: float = 30.0
    break_s: float = 60.0
    again_min: float = 10.0
    kind = "posture"
    name = "sitting"
    unit = "s"
    chart_label = "sitting time (s)"

    def thresholds(self) -> tuple[Threshold, ...]:
        return (Threshold("sit_limit_min", "min", self.limit_min, 0.5, 180.0,
                          "continuous sitting time before a reminder to get up"),
                Threshold("break_s", "s", self.break_s, 10.0, 900.0,
                          "standing up or away from the camera this long = a break (the sitting time starts again)"),
                Threshold("remind_again_min", "min", self.again_min, 1.0, 120.0,
                          "after a reminder, sitting on this long gives the next one"))

    def describe(self, th=None) -> str:
        th = th or {}
        return (f"get up every {th.get('sit_limit_min', self.limit_min):.0f} min "
                f"(a break: {th.get('break_s', self.break_s):.0f} s standing or away)")

    def counter(self, th) -> "_SittingCounter":
        return _SittingCounter(self, th)

    def reached(self, p: Progress) -> bool:  # an all-day monitor has no target to reach
        return False

    def text(self, p: Progress, short: bool = False) -> str:
        st = p.stats
        if short:
            return f"{clock(p.current_s)} sitting"
        if _is_still(p):  # a photo: its posture
            return posture_words(p.now)
        share = f", slouched {100.0 * st.get('slouched_s', 0.0) / p.total:.0f} %" if p.total > 0 else ""
        return (f"sitting {clock(p.current_s)} now, {clock(p.total)} in all{share}; "
                f"{_count(st.get('breaks', 0), 'break')}, {_count(st.get('reminders', 0), 'reminder')}")

    def judged_form(self, p: Progress):
        """Good form = sitting frames without a posture fault (as judged, not
        delayed like the cues), and the sitting time with each fault."""
        st = p.stats
        sat = st.get("frames_sitting", 0.0) - st.get("frames_unseen", 0.0)
        pct = 100.0 * (sat - st.get("frames_slouched", 0.0)) / sat if sat > 0 else None
        return pct, {k[6:]: v for k, v in st.items() if k.startswith("fault:")}

    def headline(self, p: Progress) -> Headline:
        st = p.stats
        if p.now and p.now[0] != SITTING and st.get("off_s", 0.0) > 0 and p.current_s > 0:
            sub = f"{p.now[0]}: break {clock(st['off_s'])} of {clock(st.get('break_s', self.break_s))}"
        elif st.get("snoozed", 0.0):
            sub = "snoozed: reminders wait"
        else:
            sub = f"get up at {clock(st.get('next_reminder_s', p.target or 0.0))}"
        due = st.get("next_reminder_s", p.target or 0.0)
        frac = max(0.0, min(1.0, p.current_s / due)) if due else None  # towards the next reminder
        extra = (f"slouched {clock(st.get('slouched_s', 0.0))} · breaks {int(st.get('breaks', 0))} · "
                 f"reminders {int(st.get('reminders', 0))}",)
        return Headline(f"{clock(p.current_s)} sitting", sub, frac, False, extra)

    def lines(self, p: Progress) -> list[tuple[str, str]]:
        st = p.stats
        out = []
        if _is_still(p):  # a photo: no time
            out.append(("posture", posture_words(p.now)))
        sit = p.total
        out.append(("time sitting", f"{clock(sit)} in all, longest without a break {clock(p.longest_s)}"))
        slouched = st.get("slouched_s", 0.0)
        share = f" ({100.0 * slouched / sit:.0f} % of the sitting time)" if sit > 0 else ""
        faults = sorted(((k[6:], v) for k, v in st.items() if k.startswith("fault:") and v > 0),
                        key=lambda kv: -kv[1])
        detail = ("; " + ", ".join(f"{k.replace('_', ' ')} {clock(v)}" for k, v in faults)) if faults else ""
        out.append(("time slouched", f"{clock(slouched)}{share}{detail}"))
        if st.get("frames", 0):
            out.append(("frames judged", f"{int(st['frames'])}: sitting {int(st.get('frames_sitting', 0))}, "
                        f"with a posture fault {int(st.get('frames_slouched', 0))}"))
        out.append(("breaks taken", f"{int(st.get('breaks', 0))} (standing {clock(st.get('standing_s', 0.0))}, "
                    f"away {clock(st.get('away_s', 0.0))})"))
        out.append(("reminders given", f"{int(st.get('reminders', 0))} (every {clock(p.target or 0.0)} of sitting)"))
        return out

    def metrics(self, p: Progress) -> list[tuple[str, str, str]]:
        st = p.stats
        return [("Sitting now", clock(p.current_s), f"A reminder at {clock(p.target or 0.0)} of sitting"),
                ("Time sitting", clock(p.total), f"Longest without a break {clock(p.longest_s)}"),
                ("Slouched", clock(st.get("slouched_s", 0.0)), "Sitting with a posture fault"),
                ("Breaks", str(int(st.get("breaks", 0))), f"{clock(st.get('break_s', self.break_s))} standing or away"),
                ("Reminders", str(int(st.get("reminders", 0))), "")]

    def unit_lines(self, units) -> list[tuple[str, str]]:
        """When each reminder and break happened, in the recording's time:
        "30:00 (sitting 30:00)", a break "41:10 (after sitting 35:02)" (when
        the person stood up or left); the first 8 of each."""
        rem = [u for u in units if u.get("kind") == "reminder"]
        brk = [u for u in units if u.get("kind") == "break"]
        out = []
        if rem:
            out.append(("reminders at", _first(f"{clock(u['start'])} (sitting {clock(u.get('sitting_s', 0.0))})"
                                               for u in rem)))
        if brk:
            out.append(("breaks at", _first(f"{clock(u['start'])} (after sitting {clock(u.get('sitting_before_s', 0.0))})"
                                            for u in brk)))
        return out


def _is_still(p: Progress) -> bool:
    """One frame judged and no time (a photo)."""
    return p.stats.get("frames", 0) == 1 and p.total == 0 and p.stats.get("seconds", 0.0) == 0


def _count(n: float, word: str) -> str:
    """ "1 break", "2 breaks", "0 reminders"."""
    n = int(n)
    return f"{n} {word}{'' if n == 1 else 's'}"


def _first(items, n: int = 8) -> str:
    """The first ``n`` items joined by ", ", then "and K more"."""
    items = list(items)
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def _duration_words(seconds: float) -> str:
    """ "30 minutes", "1 minute", "45 seconds", "1 hour 5 minutes" (spoken)."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} second{'s' if s != 1 else ''}"
    h, m = divmod(int(round(seconds / 60.0)), 60)
    mins = f"{m} minute{'s' if m != 1 else ''}" if m else ""
    if not h:
        return mins
    return f"{h} hour{'s' if h != 1 else ''}" + (f" {mins}" if mins else "")


def posture_words(now: tuple[str, ...]) -> str:
    """The state at a frame in words: "sitting upright", "sitting: head forward", "standing", "away"."""
    if not now:
        return "not judged"
    if now[0] != SITTING:
        return {AWAY: "away (nobody seen)"}.get(now[0], now[0])
    if len(now) == 1:
        return "sitting upright"
    if now[1:] == ("unseen",):
        return "sitting (posture not seen)"
    return "sitting: " + ", ".join(f.replace("_", " ") for f in now[1:])


class _SittingCounter(Counter):
    def __init__(self, goal: Sitting, th):
        self.goal = goal
        self.limit_s = 60.0 * th["sit_limit_min"]
        self.break_s = th["break_s"]
        self.again_s = 60.0 * th["remind_again_min"]
        self.streak = 0.0  # sitting time since the last break
        self.longest = 0.0
        self.total = 0.0
        self.off = 0.0  # standing or away since the last sitting frame
        self.next_due = self.limit_s
        self.st = {"sitting_s": 0.0, "slouched_s": 0.0, "breaks": 0.0, "reminders": 0.0, "standing_s": 0.0,
                   "away_s": 0.0, "frames": 0.0, "frames_sitting": 0.0, "frames_unseen": 0.0, "frames_slouched": 0.0,
                   "seconds": 0.0}
        self.now: tuple[str, ...] = ()
        self.snoozed = False
        self.units_: list[dict] = []
        self.progress = self._progress(())

    def update(self, step: Step) -> Progress:
        v, dt, t = step.verdict, step.tick.dt, step.tick.t
        st = self.st
        st["frames"] += 1
        st["seconds"] += dt
        self.snoozed = step.snoozed
        events: list[Event] = []
        present = v.status == "cant_see" and v.measures.get("face_seen") == 1.0  # at the desk, posture unseen
        if v.in_position or present:
            self.now = (SITTING,) + (("unseen",) if present else tuple(v.faults))
            st["frames_sitting"] += 1
            st["frames_unseen"] += present
            self.off = 0.0
            self.streak += dt
            self.total += dt
            self.longest = max(self.longest, self.streak)
            if v.faults:
                st["frames_slouched"] += 1
                st["slouched_s"] += dt
                for f in v.faults:
                    st["fault:" + f] = st.get("fault:" + f, 0.0) + dt
            if self.streak >= self.next_due - 1e-9 and not step.snoozed:
                st["reminders"] += 1
                self.units_.append({"side": "both", "start": round(t, 3), "end": round(t, 3),
                                    "kind": "reminder", "sitting_s": round(self.streak, 3)})
                self.next_due = self.streak + self.again_s
                events.append(Event("reminder", f"You have been sitting for {_duration_words(self.streak)}. "
                                                "Time to stand up and move for a minute"))
        else:
            away = v.status == "cant_see"
            self.now = (AWAY if away else STANDING,)
            st["away_s" if away else "standing_s"] += dt
            had_sat = self.streak > 0
            self.off += dt
            if had_sat and self.off >= self.break_s - 1e-9:
                st["breaks"] += 1
                self.units_.append({"side": "both", "start": round(t - self.off, 3), "end": round(t, 3),
                                    "kind": "break", "sitting_before_s": round(self.streak, 3)})
                self.streak = 0.0
                self.next_due = self.limit_s
                events.append(Event("break", "Break taken: the sitting time starts again"))
        self.progress = self._progress(tuple(events))
        return self.progress

    def _progress(self, events) -> Progress:
        st = dict(self.st, sitting_s=self.streak, off_s=self.off, break_s=self.break_s,
                  next_reminder_s=self.next_due, snoozed=float(self.snoozed))
        done = {"both": self.total}
        return Progress(self.goal, done, {"both": self.total - self.st["slouched_s"]}, self.limit_s, None,
                        self.streak, self.longest, bool(self.now) and self.now[0] == SITTING, events,
                        stats=st, now=self.now)

    def units(self) -> list[dict]:
        return list(self.units_)

__all__ = ["Goal", "Hold", "Reps", "Repeats", "Timed", "GoalSet", "Sitting", "posture_words", "clock", "Progress", "Headline", "Event", "Step", "Counter",
           "BOTH", "LEFT_RIGHT"]
