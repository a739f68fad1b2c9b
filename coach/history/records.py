"""What the history keeps of a session: typed, frozen records made from the
engine's reports (:func:`record_from_reports`), stored by
:class:`coach.history.store.History` and written as JSON while the database
cannot take them (``to_dict`` / ``from_dict``).

A record holds numbers only: per exercise, per side and per counted goal, what
was done, what was done in good form, the target and the fault time. No
video, no picture and no landmarks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Mapping, Sequence

from pose_rules.goals import clock

if TYPE_CHECKING:  # pragma: no cover
    from coach.engine.report import Report

#: The kinds of session: a live session (one exercise), a guided routine, free
#: practice, a reviewed clip (saved only when the user asks) and a desk
#: posture session (the Desk page or ``coach desk``).
KINDS = ("live", "routine", "free", "clip", "desk")
#: A posture-time goal (the desk's "sitting") is kept as its sitting time
#: (``done``; ``good``: upright) and these counts, each a result of its own.
POSTURE_COUNTS = ("breaks", "reminders")
#: The sides a result can be for ("both": sides do not matter).
SIDES = ("both", "left", "right")

RECORD_VERSION = 1


def _finite(x, default: float = 0.0) -> float:
    """A finite float rounded to 3 decimals (as in the reports' JSON), else ``default``."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return default
    return round(v, 3) if math.isfinite(v) else default


def _target(x) -> float | None:
    if x is None:
        return None
    v = _finite(x, math.nan)
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class ExerciseResult:
    """One counted goal of one exercise on one side: ``goal`` "hold", "reps",
    "repeats" or "timed"; ``unit`` "s" for a hold, else the count's unit;
    ``done`` / ``good`` seconds or counts (``good``: in good form);
    ``target`` per side (None: no target); ``faults``: {fault name: seconds}."""

    exercise: str
    title: str
    goal: str
    unit: str
    side: str
    target: float | None
    done: float
    good: float
    longest_s: float = 0.0
    time_in_position_s: float = 0.0
    reached: bool = False
    faults: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self):
        if not self.exercise or not isinstance(self.exercise, str):
            raise ValueError("a result needs the exercise's name")
        if self.side not in SIDES:
            raise ValueError(f"side must be one of {', '.join(SIDES)}, not {self.side!r}")
        for name in ("done", "good", "longest_s", "time_in_position_s"):
            object.__setattr__(self, name, _finite(getattr(self, name)))
        object.__setattr__(self, "target", _target(self.target))
        object.__setattr__(self, "reached", bool(self.reached))
        object.__setattr__(self, "faults", {str(k): _finite(v) for k, v in sorted(dict(self.faults).items())})

    def text(self) -> str:
        """The result in words: "plank 42.0 of 60 s", "bird_dog left 3 of 5 reps"."""
        return describe_result(self.to_dict())

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "title": self.title, "goal": self.goal, "unit": self.unit,
                "side": self.side, "target": self.target, "done": self.done, "good": self.good,
                "longest_s": self.longest_s, "time_in_position_s": self.time_in_position_s,
                "reached": self.reached, "faults": dict(self.faults)}

    @classmethod
    def from_dict(cls, d: Mapping) -> "ExerciseResult":
        return cls(exercise=d["exercise"], title=d.get("title") or d["exercise"], goal=d.get("goal") or "",
                   unit=d.get("unit") or "", side=d.get("side") or "both", target=d.get("target"),
                   done=d.get("done", 0.0), good=d.get("good", 0.0), longest_s=d.get("longest_s", 0.0),
                   time_in_position_s=d.get("time_in_position_s", 0.0), reached=bool(d.get("reached")),
                   faults=d.get("faults") or {})


@dataclass(frozen=True)
class SessionRecord:
    """A session as the history keeps it. ``kind``: one of :data:`KINDS`;
    ``started_at``: timezone-aware (kept in UTC); ``routine``: the routine's
    name (routines); ``source``: where it came from (a clip's path)."""

    kind: str
    started_at: datetime
    duration_s: float
    results: tuple[ExerciseResult, ...]
    routine: str | None = None
    source: str = ""
    note: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not isinstance(self.started_at, datetime) or self.started_at.utcoffset() is None:
            raise ValueError("started_at must be a timezone-aware datetime")
        object.__setattr__(self, "started_at", self.started_at.astimezone(timezone.utc))
        object.__setattr__(self, "duration_s", max(0.0, _finite(self.duration_s)))
        object.__setattr__(self, "results", tuple(self.results))
        object.__setattr__(self, "source", str(self.source or ""))

    @property
    def day(self):
        """The local calendar date the session started on."""
        return self.started_at.astimezone().date()

    def to_dict(self) -> dict:
        return {"record_version": RECORD_VERSION, "kind": self.kind, "started_at": self.started_at.isoformat(),
                "duration_s": self.duration_s, "routine": self.routine, "source": self.source, "note": self.note,
                "results": [r.to_dict() for r in self.results]}

    @classmethod
    def from_dict(cls, d: Mapping) -> "SessionRecord":
        """The record ``to_dict`` wrote (ValueError / KeyError / TypeError when it is not one)."""
        if not isinstance(d, Mapping):
            raise ValueError("a session record must be a JSON object")
        started = datetime.fromisoformat(str(d["started_at"]))
        return cls(kind=d["kind"], started_at=started, duration_s=d.get("duration_s", 0.0),
                   results=tuple(ExerciseResult.from_dict(r) for r in d.get("results") or ()),
                   routine=d.get("routine"), source=d.get("source") or "", note=d.get("note"))


def _count(v: float) -> str:
    return f"{int(round(v))}"


def _plural(n: float, word: str) -> str:
    k = int(round(n))
    return f"{k} {word if k == 1 else word + 's'}"


def _slouched(row: Mapping) -> str:
    done, good = _finite(row.get("done")), _finite(row.get("good"))
    return f"slouched {100.0 * max(0.0, done - good) / done:.0f} %" if done > 0 else "slouched 0 %"


def describe_result(row: Mapping) -> str:
    """A result row (a :meth:`ExerciseResult.to_dict` or a ``History.results``
    row) in words: "plank 42.0 of 60 s", "bird_dog left 3 of 5 reps",
    "glute_bridge 4 reps", "desk_posture sitting 1:05:00, slouched 12 %"."""
    name = row["exercise"] + ("" if row.get("side", "both") == "both" else f" {row['side']}")
    if row.get("goal") == "sitting":
        return f"{name} sitting {clock(_finite(row.get('done')))}, {_slouched(row)}"
    if row.get("goal") in POSTURE_COUNTS:
        return f"{name} {_plural(_finite(row.get('done')), row['goal'][:-1])}"
    unit, target = row.get("unit") or "", row.get("target")
    fmt = (lambda v: f"{v:.1f}") if unit == "s" else _count
    done = fmt(_finite(row.get("done")))
    if target is None:
        return f"{name} {done} {unit}".rstrip()
    return f"{name} {done} of {target:.0f} {unit}".rstrip()


def describe_results(rows: Sequence[Mapping]) -> list[str]:
    """A session's result rows in words, one text per result, except that a
    desk session's rows make one: "Desk posture: sitting 1:05:00, slouched
    12 %, 2 breaks, 1 reminder"."""
    out: list[str] = []
    desk: dict[str, int] = {}  # exercise -> its text's index in out
    for r in rows:
        goal = r.get("goal")
        if goal == "sitting":
            desk[r["exercise"]] = len(out)
            title = str(r.get("title") or r["exercise"]).split(" (")[0]  # "Desk posture (sitting)" -> "Desk posture"
            out.append(f"{title}: sitting {clock(_finite(r.get('done')))}, {_slouched(r)}")
        elif goal in POSTURE_COUNTS and r["exercise"] in desk:
            i = desk[r["exercise"]]
            out[i] += f", {_plural(_finite(r.get('done')), goal[:-1])}"
        else:
            out.append(describe_result(r))
    return out


def _posture_results(rep: "Report", part, faults: Mapping[str, float]) -> list[ExerciseResult]:
    """A posture-time goal's results: its sitting time (``good``: upright;
    ``longest_s``: the longest without a break; faults: the sitting time with
    each posture fault) and its counts (:data:`POSTURE_COUNTS`)."""
    st = dict(part.stats or {})
    posture = {k[6:]: _finite(v) for k, v in st.items() if k.startswith("fault:") and _finite(v) > 0}
    common = dict(exercise=rep.rule.name, title=rep.rule.title, side="both", target=None,
                  time_in_position_s=_finite(rep.summary.time_in_position_s), reached=False)
    out = [ExerciseResult(goal=part.goal.name, unit=part.goal.unit, done=_finite(part.total),
                          good=_finite(sum(part.good.values())), longest_s=_finite(part.longest_s),
                          faults=posture or dict(faults), **common)]
    for name in POSTURE_COUNTS:
        n = _finite(st.get(name, 0.0))
        out.append(ExerciseResult(goal=name, unit=name, done=n, good=n, **common))
    return out


def record_from_reports(reports: Sequence["Report"], kind: str, *, started_at: datetime | None = None,
                        routine: str | None = None, source: str = "") -> SessionRecord:
    """A session record from the engine's reports (one per exercise done):
    one result per report, per counted goal (each part of a goal set, e.g. the
    glute bridge's hold and its lifts) and per side. A report's fault times go
    on its first result only (one side of one goal), so they are counted once.
    ``started_at`` defaults to now (UTC) less the reports' summed durations."""
    reports = list(reports)
    results: list[ExerciseResult] = []
    notes: list[str] = []
    total = 0.0
    for rep in reports:
        s = rep.summary
        total += _finite(s.duration_s)
        faults = {k: _finite(v) for k, v in s.fault_time_s.items() if _finite(v) > 0}
        first = True
        for part in rep.progress.parts or (rep.progress,):
            goal = part.goal
            if goal.kind == "posture":  # the desk's sitting time
                results.extend(_posture_results(rep, part, faults if first else {}))
                first = False
                continue
            for side in goal.sides:
                done = _finite(part.done.get(side, 0.0))
                target = _target(part.target)
                results.append(ExerciseResult(
                    exercise=rep.rule.name, title=rep.rule.title, goal=goal.name, unit=goal.unit, side=side,
                    target=target, done=done, good=_finite(part.good.get(side, 0.0)),
                    longest_s=_finite(part.longest_s), time_in_position_s=_finite(s.time_in_position_s),
                    reached=target is not None and done >= target - 1e-9, faults=faults if first else {}))
                first = False
        if s.note:
            notes.append(s.note if len(reports) == 1 else f"{rep.rule.name}: {s.note}")
    if started_at is None:
        started_at = datetime.now(timezone.utc) - timedelta(seconds=total)
    return SessionRecord(kind=kind, started_at=started_at, duration_s=total, results=tuple(results),
                         routine=routine, source=source, note="; ".join(notes) or None)


__all__ = ["KINDS", "SIDES", "POSTURE_COUNTS", "ExerciseResult", "SessionRecord", "record_from_reports",
           "describe_result", "describe_results"]
