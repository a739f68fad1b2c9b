"""Run the engine over a whole source (a landmark track or a video) and build
the report: summary, fault intervals, reps and a per-frame timeline.

Report (JSON, ``REPORT_VERSION`` 1)::

    {
      "report_version": 1, "exercise": "plank", "source": "...", "model": "full",
      "thresholds": {...all values in force...},
      "summary": {
        "duration_s", "frames", "frames_with_person", "time_visible_s",
        "time_in_position_s", "good_hold_s", "longest_hold_s",
        "hold_by_side_s": {"left": .., "right": ..} (side plank) or {"both": ..},
        "hold_target_s", "target_reached",
        "reps": {"left": n, "right": n} ({"both": n} for bridge lifts), "reps_total",
        "good_reps": {...}, "rep_target",
        "fault_time_s": {"hips_sagging": seconds, ...}
      },
      "faults": [{"fault", "cue", "start", "end", "duration_s"}, ...],
      "reps": [{"side", "leg", "arm", "start", "end", "top_s", "peak", "faults", "good"}, ...],
      "timeline": [{"t", "status", "side", "faults", "cue", "hold_s",
                    "current_hold_s", "reps": {...}, "measures": {...}}, ...]
    }

Times are seconds from the start of the source (frame timestamps).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from pose_rules.base import Rule
from .engine import Engine, EngineState, rep_text
from .pose import PoseFrame, PoseTrack

REPORT_VERSION = 1


def _r(x: float, nd: int = 3):
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


@dataclass
class ReportBuilder:
    """Collects engine states into a report (fed one state per frame)."""

    rule: Rule
    thresholds: Mapping[str, float]
    source: str = ""
    model: str | None = None
    timeline: bool = True
    frames: int = 0
    frames_with_person: int = 0
    first_t: float | None = None
    last: EngineState | None = None
    fault_open: dict = field(default_factory=dict)
    fault_list: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    fault_time: dict = field(default_factory=dict)
    _prev_t: float | None = None

    def add(self, frame: PoseFrame, st: EngineState) -> None:
        t = st.timestamp
        if self.first_t is None:
            self.first_t = t
        dt = 0.0 if self._prev_t is None else min(t - self._prev_t, 0.5)
        self._prev_t = t
        self.frames += 1
        self.frames_with_person += frame.detected
        for f in st.faults:
            self.fault_time[f] = self.fault_time.get(f, 0.0) + dt
            if f not in self.fault_open:
                self.fault_open[f] = st.fault_onsets.get(f, t)
        for f in list(self.fault_open):
            if f not in st.faults:
                self._close(f, t)
        self.last = st
        if self.timeline:  # raw floats here; rounded when written as JSON (to_json)
            self.rows.append({
                "t": t, "status": st.status, "side": st.side, "faults": list(st.faults), "cue": st.cue,
                "hold_s": st.hold_s, "current_hold_s": st.current_hold_s,
                "reps": st.reps or None, "measures": st.verdict.measures,
            })

    def _close(self, f: str, t: float) -> None:
        start = self.fault_open.pop(f)
        self.fault_list.append({"fault": f, "cue": self.rule.fault(f).cue, "start": _r(start, 2),
                                "end": _r(t, 2), "duration_s": _r(t - start, 2)})

    def report(self, engine: Engine) -> dict:
        end_t = self.last.timestamp if self.last else 0.0
        for f in list(self.fault_open):
            self._close(f, end_t)
        timers = engine.timers
        good = sum(tm.total for tm in timers.values())
        longest = max((tm.longest for tm in timers.values()), default=0.0)
        target = engine.th.get("hold_target_s")
        reached = target is not None and all(s in timers and timers[s].total >= target for s in self.rule.hold_sides)
        summary = {
            "duration_s": _r(end_t - (self.first_t or 0.0) if self.frames else 0.0, 2),
            "frames": self.frames,
            "frames_with_person": self.frames_with_person,
            "time_visible_s": _r(engine.time_visible, 2),
            "time_in_position_s": _r(engine.time_in_position, 2),
            "good_hold_s": _r(good, 2),
            "longest_hold_s": _r(longest, 2),
            "hold_by_side_s": {k: _r(tm.total, 2) for k, tm in timers.items()},
            "hold_target_s": target,
            "target_reached": bool(reached) if target is not None else None,
            "reps": dict(engine.reps.counts) if engine.reps else None,
            "reps_total": sum(engine.reps.counts.values()) if engine.reps else None,
            "good_reps": dict(engine.reps.good_counts) if engine.reps else None,
            "rep_target": int(engine.th["rep_target"]) if engine.reps else None,
            "fault_time_s": {k: _r(v, 2) for k, v in sorted(self.fault_time.items())},
        }
        return {
            "report_version": REPORT_VERSION,
            "exercise": self.rule.name,
            "exercise_title": self.rule.title,
            "source": self.source,
            "model": self.model,
            "thresholds": dict(engine.th),
            "summary": summary,
            "faults": sorted(self.fault_list, key=lambda d: (d["start"], d["fault"])),
            "reps": [r.to_dict() for r in engine.reps.reps] if engine.reps else [],
            "timeline": self.rows,
        }


def to_json(report: dict, indent: int | None = 1) -> str:
    """The report as JSON: floats rounded to 3 decimals, NaN / inf as null."""
    def clean(o):
        if isinstance(o, float):
            return round(o, 3) if math.isfinite(o) else None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        return o
    return json.dumps(clean(report), indent=indent, allow_nan=False)


def analyze_frames(frames: Iterable[PoseFrame], rule: Rule, thresholds: Mapping[str, float] | None = None,
                   source: str = "", model: str | None = None, timeline: bool = True,
                   on_state: Callable[[PoseFrame, EngineState], None] | None = None) -> dict:
    """Feed frames through a fresh engine; returns the report dict."""
    engine = Engine(rule, thresholds)
    rb = ReportBuilder(rule, engine.th, source=source, model=model, timeline=timeline)
    for frame in frames:
        st = engine.update(frame)
        rb.add(frame, st)
        if on_state is not None:
            on_state(frame, st)
    return rb.report(engine)


def analyze_track(track: PoseTrack, rule: Rule, thresholds: Mapping[str, float] | None = None,
                  timeline: bool = True, on_state=None) -> dict:
    return analyze_frames(track, rule, thresholds, source=str(track.meta.get("source", "")),
                          model=track.meta.get("model"), timeline=timeline, on_state=on_state)


def format_summary(rep: dict) -> str:
    """Human-readable summary of a report."""
    s = rep["summary"]
    lines = [f"{rep['exercise_title']} — {rep['source'] or 'input'}",
             f"  duration            {s['duration_s']:.1f} s ({s['frames']} frames, person seen in {s['frames_with_person']})",
             f"  time in position    {s['time_in_position_s']:.1f} s"]
    if s["hold_target_s"] is not None:
        by_side = s["hold_by_side_s"]
        side_txt = ""
        if set(by_side) - {"both"}:
            side_txt = "  (" + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(by_side.items())) + ")"
        lines.append(f"  good-form hold      {s['good_hold_s']:.1f} s of {s['hold_target_s']:.0f} s target{side_txt}"
                     + ("  — target reached" if s["target_reached"] else ""))
        lines.append(f"  longest good hold   {s['longest_hold_s']:.1f} s")
    if s["reps"] is not None:
        lines.append(f"  reps                {rep_text(s['reps'])}  (good form: {rep_text(s['good_reps'])})")
    if rep["faults"]:
        lines.append("  faults:")
        for f in rep["faults"]:
            lines.append(f"    {f['start']:7.2f}-{f['end']:7.2f} s  {f['fault']:<14} \"{f['cue']}\"")
    else:
        lines.append("  faults: none")
    if s["frames_with_person"] == 0:
        lines.append("  note: no person was found in this input; nothing could be judged")
    elif s["time_in_position_s"] == 0:
        lines.append(f"  note: never in the {rep['exercise']} position")
    return "\n".join(lines)
