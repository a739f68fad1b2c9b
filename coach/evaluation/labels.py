"""Labelled material for ``coach evaluate``: the labels file format.

The format is the one of ``../shared/clips/dev_labels.json`` (and of this
repository's ``devset/labels.json``): a JSON object whose sections map a file
path (relative to the labels file, or to ``media_root`` when given) to its
label::

    {
      "media_root": "../shared/clips",          # optional
      "clips":  {"polybag/bird_dog.mp4": ITEM, ...},          # videos
      "stills": {"free_exercise_db/Plank/1.jpg": ITEM, ...},  # photos
      "landmark_sequences": {"keraal/X.json": ITEM, ...},     # BlazePose JSON
      "tracks": {"tracks/plank_pike20.npz": ITEM, ...}        # our .npz tracks
    }

A key may end in ``#anything`` to label the same file a second time (e.g. for
another exercise, or judged with a calibration).

    ITEM = {
      "exercise": "plank",            # a rule name; anything else = a negative
      "position_intervals": [[t0, t1], ...] | null,
      "form": [[t0, t1, "good" | FAULT | other, "note"], ...] | "good" | FAULT | null,
      "excluded_intervals": [[t0, t1], ...],   # not scored (also "excluded")
      "reps": {"total": n, "left": n, "right": n} | n | null,
      "good_hold_s": seconds | null,
      "negative_for": ["plank", ...],           # rules that must NOT see this as in position
      "synthetic": true,                        # AI-generated: smoke test only, not pooled
      "view": "three_quarter",                  # the coach may say it cannot judge the angles
      "calibration": {"track": PATH, "from": t0, "to": t1},  # judge with the person's calibration
                                                # from that file (a path as in the sections)
      "aspect": "16:9", "fps": 30, "image_size": [w, h], ... informational
    }

Times are seconds from the start of the item. A form label is scored when it
names good form or one of the rule's faults (or an alias the rule declares,
e.g. ``hips_high`` for ``hips_piked``); other labels ("lifting",
"start_quadruped") mark time that is in position but not scored. For a still,
``form`` is one string; ``"not_in_position"`` means the coach must not see the
exercise there. An item whose exercise is not a rule name is a *negative*: it
is checked against ``negative_for`` (default: every rule), none of which may
judge it to be in position.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

SECTIONS = ("clips", "stills", "landmark_sequences", "tracks")
GOOD_LABEL = "good"
NOT_IN_POSITION_LABEL = "not_in_position"


class LabelError(ValueError):
    """A labels file is missing or malformed (one-line message)."""


@dataclass(frozen=True)
class FormSpan:
    start: float
    end: float
    label: str


@dataclass(frozen=True)
class LabelItem:
    """One labelled file."""

    key: str  # the path as written in the labels file
    path: Path  # resolved
    kind: str  # clips | stills | landmark_sequences | tracks
    exercise: str
    position: tuple[tuple[float, float], ...] | None  # None: the whole item (stills) or unknown
    form: tuple[FormSpan, ...]
    still_form: str | None
    excluded: tuple[tuple[float, float], ...]
    reps: dict | None  # {"total", "left", "right"} (values may be None)
    good_hold_s: float | None
    negative_for: tuple[str, ...] | None
    synthetic: bool
    aspect: str | None
    three_quarter: bool
    calibration: dict | None  # {"path": Path, "from": t0 | None, "to": t1 | None}
    raw: dict = field(repr=False, default_factory=dict)

    def in_interval(self, spans, t: float) -> bool:
        return any(a - 1e-9 <= t <= b + 1e-9 for a, b in spans)

    def is_excluded(self, t: float) -> bool:
        return self.in_interval(self.excluded, t)

    def in_position(self, t: float) -> bool | None:
        """Whether the label says the person is in position at ``t`` (None: unknown)."""
        if self.kind == "stills" or (self.position is None and self.still_form is not None):
            if self.still_form is None:
                return None
            return self.still_form != NOT_IN_POSITION_LABEL
        if self.position is None:
            return None
        return self.in_interval(self.position, t)

    def form_at(self, t: float) -> str | None:
        """The form label at ``t`` (None when none is given)."""
        if self.still_form is not None:
            return self.still_form
        for span in self.form:
            if span.start - 1e-9 <= t <= span.end + 1e-9:
                return span.label
        return None


def _num(v, what: str, key: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise LabelError(f"{key}: {what} must be a number, got {v!r}")
    return float(v)


def _intervals(v, what: str, key: str) -> tuple[tuple[float, float], ...]:
    if v is None:
        return ()
    if not isinstance(v, list):
        raise LabelError(f"{key}: {what} must be a list of [start, end] pairs")
    out = []
    for iv in v:
        if not isinstance(iv, list) or len(iv) < 2:
            raise LabelError(f"{key}: {what} must be a list of [start, end] pairs, got {iv!r}")
        a, b = _num(iv[0], what, key), _num(iv[1], what, key)
        if b < a:
            raise LabelError(f"{key}: {what} interval [{a}, {b}] ends before it starts")
        out.append((a, b))
    return tuple(out)


def _reps(v, key: str) -> dict | None:
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        return {"total": v, "left": None, "right": None}
    if not isinstance(v, dict):
        raise LabelError(f"{key}: reps must be a number or {{total, left, right}}")
    out = {}
    for k in ("total", "left", "right"):
        x = v.get(k)
        if x is not None and (isinstance(x, bool) or not isinstance(x, int) or x < 0):
            raise LabelError(f"{key}: reps.{k} must be a whole number or null")
        out[k] = x
    if out["total"] is None and out["left"] is not None and out["right"] is not None:
        out["total"] = out["left"] + out["right"]
    return out


def parse_item(key: str, kind: str, d, root: Path) -> LabelItem:
    if not isinstance(d, dict):
        raise LabelError(f"{key}: a label must be a JSON object")
    ex = d.get("exercise")
    if not isinstance(ex, str) or not ex.strip():
        raise LabelError(f"{key}: 'exercise' is missing")
    form = d.get("form")
    spans: list[FormSpan] = []
    still_form = None
    if isinstance(form, str):
        still_form = form
    elif isinstance(form, list):
        for span in form:
            if not isinstance(span, list) or len(span) < 3 or not isinstance(span[2], str):
                raise LabelError(f"{key}: form entries must be [start, end, label, note]")
            a, b = _num(span[0], "form", key), _num(span[1], "form", key)
            if b < a:
                raise LabelError(f"{key}: form interval [{a}, {b}] ends before it starts")
            spans.append(FormSpan(a, b, span[2]))
    elif form is not None:
        raise LabelError(f"{key}: form must be a string, a list of [start, end, label] or null")
    pos = d.get("position_intervals")
    position = _intervals(pos, "position_intervals", key) if pos is not None else None
    excluded = _intervals(d.get("excluded_intervals", d.get("excluded")), "excluded_intervals", key)
    gh = d.get("good_hold_s")
    neg = d.get("negative_for")
    if neg is not None and (not isinstance(neg, list) or not all(isinstance(n, str) for n in neg)):
        raise LabelError(f"{key}: negative_for must be a list of exercise names")
    notes = str(d.get("notes") or "")
    cal = d.get("calibration")
    calibration = None
    if cal is not None:
        if not isinstance(cal, dict) or not isinstance(cal.get("track"), str):
            raise LabelError(f"{key}: calibration must be {{\"track\": PATH, \"from\": t0, \"to\": t1}}")
        calibration = {"path": root / cal["track"].split("#")[0],
                       "from": None if cal.get("from") is None else _num(cal["from"], "calibration.from", key),
                       "to": None if cal.get("to") is None else _num(cal["to"], "calibration.to", key)}
    synthetic = bool(d.get("synthetic")) or notes.lstrip().upper().startswith("SYNTHETIC")
    return LabelItem(
        key=key, path=(root / key.split("#")[0]), kind=kind, exercise=ex.strip(), position=position, form=tuple(spans),
        still_form=still_form, excluded=excluded, reps=_reps(d.get("reps"), key),
        good_hold_s=None if gh is None else _num(gh, "good_hold_s", key),
        negative_for=tuple(neg) if neg is not None else None, synthetic=synthetic,
        three_quarter=str(d.get("view") or "").replace("-", "_") in ("three_quarter", "oblique"),
        calibration=calibration,
        aspect=d.get("aspect") if isinstance(d.get("aspect"), str) else None, raw=d)


def load_labels(path: str | Path) -> list[LabelItem]:
    """All labelled items of a labels file, in file order. Raises
    :class:`LabelError` (one line) for a missing or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise LabelError(f"labels file not found: {path}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise LabelError(f"{path}: not valid JSON ({type(e).__name__}: {str(e).splitlines()[0]})") from None
    except RecursionError:
        raise LabelError(f"{path}: nested too deeply") from None
    if not isinstance(doc, dict):
        raise LabelError(f"{path}: a labels file is a JSON object with sections {', '.join(SECTIONS)}")
    root = path.parent
    if isinstance(doc.get("media_root"), str):
        root = (path.parent / doc["media_root"]).resolve()
    items: list[LabelItem] = []
    for kind in SECTIONS:
        section = doc.get(kind) or {}
        if not isinstance(section, dict):
            raise LabelError(f"{path}: '{kind}' must map file paths to labels")
        for key, d in section.items():
            try:
                items.append(parse_item(key, kind, d, root))
            except LabelError as e:
                raise LabelError(f"{path}: {e}") from None
    if not items:
        raise LabelError(f"{path}: no labelled items (sections: {', '.join(SECTIONS)})")
    return items


__all__ = ["LabelError", "LabelItem", "FormSpan", "load_labels", "parse_item", "SECTIONS",
           "GOOD_LABEL", "NOT_IN_POSITION_LABEL"]
