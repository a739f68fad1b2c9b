"""Thresholds as data: the one place that lists every tunable number of an
exercise (the rule's own thresholds plus the engine's timing parameters), and
the thresholds file format read by the CLI, the tests and the tuning UI.

Thresholds file (JSON)::

    {
      "profile": "my physio",                 # optional name
      "plank": {"sag_deg": 8, "hold_target_s": 30},
      "bird_dog": {"leg_high_deg": 5}
    }

Top-level keys are exercise names (see ``coach exercises``); each maps
threshold names to numbers. Unknown exercises, unknown threshold names,
non-numbers and values outside a threshold's range are errors. An optional
``"calibration"`` object records, per exercise, how ``coach calibrate`` (or
the app) measured the values it set (source, time range, readings); it is
information only and changes nothing by itself.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import pose_rules
from pose_rules.base import Rule, Threshold, ThresholdError


#: Top-level key of a thresholds file holding calibration records.
CALIBRATION_KEY = "calibration"


def all_thresholds(rule: Rule) -> tuple[Threshold, ...]:
    """The rule's thresholds, its goal's and the engine's timing parameters."""
    return rule.all_thresholds()


def session_thresholds(rule: Rule) -> tuple[Threshold, ...]:
    """The thresholds that are not about judging a frame: the goal's targets
    and the engine's timing (the tuning page lists them apart)."""
    return rule.goal.thresholds() + tuple(rule.timing)


def defaults(rule: Rule) -> dict[str, float]:
    return rule.defaults()


def resolve(rule: Rule, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Defaults with ``overrides`` applied (see :meth:`pose_rules.base.Rule.resolve`)."""
    return rule.resolve(overrides)


def parse_profile(data) -> dict[str, dict[str, float]]:
    """Validate a loaded thresholds document; returns {exercise: overrides}."""
    RULES = pose_rules.RULES
    if not isinstance(data, dict):
        raise ThresholdError("a thresholds file must be a JSON object of exercise names")
    out: dict[str, dict[str, float]] = {}
    for key, value in data.items():
        if key == "profile":
            if not isinstance(value, str):
                raise ThresholdError("'profile' must be a name (a string)")
            continue
        if key == CALIBRATION_KEY:
            if not isinstance(value, dict) or not all(k in RULES and isinstance(v, dict) for k, v in value.items()):
                raise ThresholdError("'calibration' must map exercise names to objects")
            continue
        if key not in RULES:
            raise ThresholdError(f"unknown exercise {key!r} in thresholds file (known: {', '.join(RULES)})")
        if not isinstance(value, dict):
            raise ThresholdError(f"{key!r} must map threshold names to numbers")
        resolve(RULES[key], value)  # validates
        out[key] = {k: float(v) for k, v in value.items()}
    return out


def load_profile(path: str | Path) -> dict[str, dict[str, float]]:
    path = Path(path)
    if not path.is_file():
        raise ThresholdError(f"thresholds file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))  # a byte-order mark is fine
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ThresholdError(f"{path}: not valid JSON ({e.__class__.__name__}: {str(e).splitlines()[0]})") from None
    except RecursionError:
        raise ThresholdError(f"{path}: JSON nested too deeply to be a thresholds file") from None
    try:
        return parse_profile(data)
    except ThresholdError as e:
        raise ThresholdError(f"{path}: {e}") from None


def read_calibrations(path: str | Path) -> dict[str, dict]:
    """The calibration records of a thresholds file ({} when none or unreadable)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return {}
    cal = doc.get(CALIBRATION_KEY) if isinstance(doc, dict) else None
    return {k: v for k, v in cal.items() if isinstance(v, dict)} if isinstance(cal, dict) else {}


def save_profile(path: str | Path, profile: Mapping[str, Mapping[str, float]], name: str | None = None,
                 calibration: Mapping[str, dict] | None = None) -> None:
    """Write a thresholds file (validated first). Only non-default values are
    kept; ``calibration`` records (per exercise) are written as they are."""
    RULES = pose_rules.RULES
    doc: dict = {"profile": name} if name else {}
    for ex, vals in profile.items():
        rule = RULES[ex]
        resolved = resolve(rule, vals)
        d = defaults(rule)
        changed = {k: v for k, v in resolved.items() if v != d[k]}
        if changed:
            doc[ex] = changed
    if calibration:
        doc[CALIBRATION_KEY] = {k: dict(v) for k, v in calibration.items() if k in RULES}
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def describe(rule: Rule) -> list[dict]:
    """Threshold declarations as plain dicts (for listings and UIs)."""
    return [dict(name=t.name, unit=t.unit, default=t.default, min=t.min, max=t.max, meaning=t.meaning)
            for t in all_thresholds(rule)]


__all__ = ["ThresholdError", "Threshold", "all_thresholds", "session_thresholds", "defaults", "resolve", "parse_profile",
           "load_profile", "save_profile", "read_calibrations", "describe", "CALIBRATION_KEY"]
