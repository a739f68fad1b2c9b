"""The report of a session: one typed record for a clip, a track or a live
session alike, built from the engine's states one frame at a time.

JSON (``Report.to_json()``, ``REPORT_VERSION`` 2)::

    {
      "report_version": 2, "exercise": "plank", "exercise_title": "...",
      "source": "...", "model": "full",
      "thresholds": {...all values in force...},
      "summary": {
        "duration_s", "frames", "frames_with_person", "time_visible_s", "time_in_position_s",
        "goal": {"goal": "hold", "kind": "hold", "unit": "s", "target": 60, "sides": ["both"],
                 "done": {"both": 41.2}, "good": {...}, "total": 41.2, "longest_s": 30.5,
                 "reached": false, "text": "41.2 of 60 s", "parts": [...]   (several goals only)},
        "fault_time_s": {"hips_sagging": seconds, ...},
        "most_frequent_fault": {"fault", "cue", "time_s"} or null,
        "note": null or why nothing could be judged,
        "still": null, or for a one-frame input (a photo) its verdict:
                 {"status", "faults": [most important first], "cue", "reason"}
      },
      "faults": [{"fault", "cue", "start", "end", "duration_s"}, ...],
      "reps": [{"side", "start", "end", ...}, ...]      (reps and repeats done),
      "timeline": [{"t", "status", "side", "faults", "cue", "progress": {"hold": {"both": s}},
                    "current_hold_s", "measures": {...}}, ...]
    }

Times are seconds from the start of the source (frame timestamps). The
``goal`` object has the same keys for every kind of goal; ``done`` is per side
("both" when sides do not matter): seconds for a hold, a count otherwise.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from typing import Mapping

from coach.core.pose import PoseFrame
from pose_rules.base import Rule
from pose_rules.goals import Progress

from .engine import Engine, EngineState

REPORT_VERSION = 2


def _r(x: float | None, nd: int = 3):
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


@dataclass(frozen=True)
class FaultInterval:
    """A shown fault from its onset to its end (seconds)."""

    fault: str
    cue: str
    start: float
    end: float

    @property
    def duration_s(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict:
        return {"fault": self.fault, "cue": self.cue, "start": _r(self.start, 2), "end": _r(self.end, 2),
                "duration_s": _r(self.duration_s, 2)}


@dataclass(frozen=True)
class Summary:
    duration_s: float
    frames: int
    frames_with_person: int
    time_visible_s: float
    time_in_position_s: float
    fault_time_s: Mapping[str, float]
    most_frequent_fault: Mapping | None
    note: str | None
    #: A one-frame input (a photo): its verdict as judged, before any cue
    #: delay (which a single frame never outlasts); None otherwise.
    still: Mapping | None = None

    def to_dict(self, progress: Progress) -> dict:
        return {"duration_s": _r(self.duration_s, 2), "frames": self.frames,
                "frames_with_person": self.frames_with_person, "time_visible_s": _r(self.time_visible_s, 2),
                "time_in_position_s": _r(self.time_in_position_s, 2), "goal": progress.to_dict(),
                "fault_time_s": {k: _r(v, 2) for k, v in sorted(self.fault_time_s.items())},
                "most_frequent_fault": dict(self.most_frequent_fault) if self.most_frequent_fault else None,
                "note": self.note, "still": dict(self.still) if self.still else None}


@dataclass(frozen=True, eq=False)
class Report:
    """A session's report. ``progress`` is the goal's final count (ask it for
    words: ``report.progress.lines()``); ``to_dict()`` / ``to_json()`` give the
    JSON above."""

    rule: Rule
    source: str
    model: str | None
    thresholds: Mapping[str, float]
    summary: Summary
    progress: Progress
    faults: tuple[FaultInterval, ...]
    reps: tuple[dict, ...]
    timeline: tuple[dict, ...] = ()
    version: int = REPORT_VERSION

    @property
    def exercise(self) -> str:
        return self.rule.name

    def to_dict(self) -> dict:
        return {"report_version": self.version, "exercise": self.rule.name, "exercise_title": self.rule.title,
                "source": self.source, "model": self.model, "thresholds": dict(self.thresholds),
                "summary": self.summary.to_dict(self.progress),
                "faults": [f.to_dict() for f in self.faults], "reps": [dict(r) for r in self.reps],
                "timeline": list(self.timeline)}

    def to_json(self, indent: int | None = 1) -> str:
        return to_json(self.to_dict(), indent)

    def with_labels(self, source: str | None = None, model: str | None = None) -> "Report":
        return replace(self, source=self.source if source is None else source,
                       model=self.model if model is None else model)


@dataclass
class ReportBuilder:
    """Collects engine states into a :class:`Report` (fed one state per frame)."""

    rule: Rule
    source: str = ""
    model: str | None = None
    timeline: bool = True
    frames: int = 0
    frames_with_person: int = 0
    frames_in_position: int = 0
    first_t: float | None = None
    last: EngineState | None = None
    fault_open: dict = field(default_factory=dict)
    fault_list: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    fault_time: dict = field(default_factory=dict)

    def add(self, frame: PoseFrame, st: EngineState) -> None:
        t = st.timestamp
        if self.first_t is None:
            self.first_t = t
        self.frames += 1
        self.frames_with_person += frame.detected
        self.frames_in_position += st.verdict.in_position
        for f in st.faults:
            self.fault_time[f] = self.fault_time.get(f, 0.0) + st.dt
            if f not in self.fault_open:
                self.fault_open[f] = st.fault_onsets.get(f, t)
        for f in list(self.fault_open):
            if f not in st.faults:
                self._close(f, t, self.fault_list)
        self.last = st
        if self.timeline:  # raw floats here; rounded when written as JSON (to_json)
            p = st.progress
            self.rows.append({
                "t": t, "status": st.status, "side": st.side, "faults": list(st.faults), "cue": st.cue,
                "progress": p.values(), "current_hold_s": p.current_s, "measures": st.verdict.measures,
            })

    def _still(self) -> dict | None:
        if self.frames != 1 or self.last is None:
            return None
        v = self.last.verdict
        return {"status": v.status, "faults": list(v.faults), "cue": v.cue, "reason": v.reason or None}

    def _close(self, f: str, t: float, into: list) -> None:
        start = self.fault_open[f]
        into.append(FaultInterval(f, self.rule.fault(f).cue, start, t))
        del self.fault_open[f]

    def report(self, engine: Engine, note: str | None = None) -> Report:
        """The report so far (open fault intervals end at the last frame; the
        builder can go on being fed afterwards)."""
        end_t = self.last.timestamp if self.last else 0.0
        faults = list(self.fault_list)
        for f, start in self.fault_open.items():
            faults.append(FaultInterval(f, self.rule.fault(f).cue, start, end_t))
        faults.sort(key=lambda f: (_r(f.start, 2), f.fault))
        most = None
        if self.fault_time:
            name = max(self.fault_time, key=lambda k: self.fault_time[k])
            most = {"fault": name, "cue": self.rule.fault(name).cue, "time_s": _r(self.fault_time[name], 2)}
        if note is None:
            if not self.rule.judged:
                note = "a timed step: the camera does not judge it (no form verdict, no faults)"
            elif self.frames and self.frames_with_person == 0:
                note = "no person was found in this input; nothing could be judged"
            elif self.frames and self.frames_in_position == 0:
                note = f"never in the {self.rule.name} position"
        summary = Summary(
            duration_s=(end_t - (self.first_t or 0.0)) if self.frames else 0.0, frames=self.frames,
            frames_with_person=self.frames_with_person, time_visible_s=engine.time_visible,
            time_in_position_s=engine.time_in_position, fault_time_s=dict(self.fault_time),
            most_frequent_fault=most, note=note, still=self._still())
        return Report(self.rule, self.source, self.model, dict(engine.th), summary, engine.progress,
                      tuple(faults), tuple(engine.counter.units()), tuple(self.rows))


def to_json(obj: dict, indent: int | None = 1) -> str:
    """A report (or any JSON-able dict) as JSON: floats rounded to 3 decimals,
    NaN / inf as null."""
    def clean(o):
        if isinstance(o, float):
            return round(o, 3) if math.isfinite(o) else None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        return o
    return json.dumps(clean(obj), indent=indent, allow_nan=False)


def still_words(still: Mapping, rule: Rule) -> str:
    """A photo's verdict in words: "good form", "fault: hips sagging ("Lift
    your hips")", "not in the plank position", "cannot judge: ..."."""
    status, cue = still.get("status"), still.get("cue")
    if status == "good":
        return "good form"
    if status == "fault":
        names = ", ".join(f.replace("_", " ") for f in still.get("faults") or ())
        return f"fault: {names}" + (f' ("{cue}")' if cue else "")
    if status == "not_in_position":
        return f"not in the {rule.name.replace('_', ' ')} position" + (f' ("{cue}")' if cue else "")
    return "cannot judge: " + (still.get("reason") or cue or "the body is not seen")


def format_summary(rep: Report) -> str:
    """Human-readable summary of a report."""
    s = rep.summary
    lines = [f"{rep.rule.title} — {rep.source or 'input'}",
             f"  duration            {s.duration_s:.1f} s ({s.frames} frames, person seen in {s.frames_with_person})"]
    if rep.rule.judged and not rep.rule.monitor:
        lines.append(f"  time in position    {s.time_in_position_s:.1f} s")
    if s.still and rep.rule.judged and not rep.rule.monitor:  # a monitor's goal words its photo itself
        lines.append(f"  {'photo':<19} {still_words(s.still, rep.rule)}")
    for label, text in rep.progress.lines() + rep.progress.goal.unit_lines(rep.reps):
        lines.append(f"  {label:<19} {text}")
    # the shown faults; none for a photo: its verdict is above (one frame never outlasts the cue delay)
    what = None if s.still else "posture cues shown" if rep.rule.monitor else "faults"
    if what and rep.faults:
        lines.append(f"  {what}:")
        for f in rep.faults:
            lines.append(f"    {f.start:7.2f}-{f.end:7.2f} s  {f.fault:<14} \"{f.cue}\"")
    elif what and rep.rule.judged:
        lines.append(f"  {what}: none")
    if s.note:
        lines.append(f"  note: {s.note}")
    return "\n".join(lines)


__all__ = ["REPORT_VERSION", "Report", "Summary", "FaultInterval", "ReportBuilder", "to_json", "format_summary", "still_words"]
