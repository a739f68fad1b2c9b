"""Comparing reports in tests."""
from __future__ import annotations

import math

from coach.engine.report import Report


def _plain(obj):
    """A report's JSON-able dict with NaN made comparable (NaN != NaN)."""
    if isinstance(obj, float) and math.isnan(obj):
        return "NaN"
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def same_report(a: Report, b: Report) -> bool:
    """Two reports say the same: every field of their JSON, timeline included."""
    assert isinstance(a, Report) and isinstance(b, Report)
    return _plain(a.to_dict()) == _plain(b.to_dict())


def goal_part(summary: dict, kind: str) -> dict:
    """One goal of a JSON report's summary: the goal itself, or one part of a goal set."""
    goal = summary["goal"]
    parts = goal.get("parts") or [goal]
    found = [p for p in parts if p["kind"] == kind]
    assert len(found) == 1, f"no single {kind} goal in {goal}"
    return found[0]
