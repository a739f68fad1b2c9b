"""Calibration to the person: how MediaPipe reads *this* body in its best form.

MediaPipe's reading of a correct plank (the hip's bend out of the
shoulder-ankle line) differs from person to person, with the support and with
the camera; the default limits must allow for all of them, so they are wide.
Calibration measures the person holding their best form for a few seconds,
takes the median of each key measure that declares a neutral
(:attr:`pose_rules.base.KeyMeasure.neutral`) as that person's neutral, and
sets the limits to their calibrated offsets around it
(:attr:`pose_rules.base.Threshold.calibrated`), within the thresholds'
declared ranges.

A calibration hold is refused (:class:`CalibrationError`, one line) when it
cannot be the person's best form: nobody in view, not in the exercise's
position for most of the segment, too short, unsteady, or a reading that the
default limits themselves call a fault (a sagging "best plank").

For rep exercises (bird-dog) the neutral is read at the top of the reps in the
segment (the leg held at what the person calls hip level).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from pose_rules.base import Rule
from coach.core.pose import PoseFrame
from coach.session.loop import Session
from coach.engine.thresholds import resolve

#: At least this much in-position time is needed (clips; a single photo is
#: accepted where the caller says so); for rep exercises, this much time
#: held at the top of reps.
MIN_SECONDS = 2.0
MIN_TOP_SECONDS = 1.0
#: At least this share of the visible time must be in position.
MIN_IN_POSITION = 0.6
#: The 10th-90th percentile spread of a measure above this = not held still.
MAX_SPREAD = {"deg": 12.0}
#: At most this share of the in-position frames may show a fault by the default limits.
MAX_FAULT_SHARE = 0.3


class CalibrationError(ValueError):
    """The segment cannot be used as the person's best form (one-line message)."""


@dataclass(frozen=True)
class Calibration:
    """The result: ``values`` are the thresholds to apply (neutrals and the
    calibrated offsets); ``measured`` says what was read, per key measure."""

    exercise: str
    values: dict[str, float]
    measured: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0
    frames: int = 0
    start: float | None = None
    end: float | None = None
    source: str = ""

    def describe(self, rule: Rule) -> str:
        """One line per calibrated measure, for people."""
        th = resolve(rule, self.values)
        lines = []
        for km in rule.key_measures:
            if not km.neutral or km.name not in self.measured:
                continue
            m = self.measured[km.name]
            lims = ", ".join(f"{lim.label or lim.threshold} at {km.limit_value(lim, th):+.2f}"
                             for lim in km.limits if lim.relative)
            lines.append(f"{_short(km.label)}: your best form reads {m['median']:+.2f} {km.unit} "
                         f"(spread {m['spread']:.2f}, {self.frames} frames, {self.seconds:.1f} s)"
                         + (f"; limits now {lims}" if lims else ""))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "values": dict(self.values), "measured": self.measured,
                "seconds": round(self.seconds, 2), "frames": self.frames, "from": self.start, "to": self.end,
                "source": self.source}

    def record(self) -> dict:
        """What a threshold profile keeps about how its values were measured
        (its "calibration" object): the readings, the segment, the date."""
        from datetime import date

        out = dict(self.to_dict(), date=date.today().isoformat())
        out.pop("values")
        return out


def _short(label: str) -> str:
    """A key measure's label without its explanation in brackets."""
    return label.split(" (")[0]


def calibratable(rule: Rule) -> bool:
    return any(km.neutral for km in rule.key_measures)


def _percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return math.nan
    k = (len(xs) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def calibrate(frames: Iterable[PoseFrame], rule: Rule, thresholds: Mapping[str, float] | None = None, *,
              start: float | None = None, end: float | None = None, source: str = "",
              min_seconds: float = MIN_SECONDS) -> Calibration:
    """Calibrate ``rule`` to the person in ``frames`` (between ``start`` and
    ``end`` seconds when given). ``thresholds``: other overrides in force
    (their neutrals and calibrated limits are replaced). Raises
    :class:`CalibrationError` when the segment is not a plausible best form."""
    if not calibratable(rule):
        raise CalibrationError(f"{rule.name} has nothing to calibrate")
    neutral_names = {km.neutral for km in rule.key_measures if km.neutral}
    base = {k: v for k, v in dict(thresholds or {}).items() if k not in neutral_names}
    session = Session(rule, base, timeline=False)
    th = session.thresholds
    brief = rule.goal.brief_top  # reps: only the held top of a rep shows the person's level
    seen = False
    visible_s = in_pos_s = 0.0
    n_frames = 0
    faults = 0
    values: dict[str, list[float]] = {km.name: [] for km in rule.key_measures if km.neutral}
    prev_t = None
    first = last = None
    for f in frames:
        st = session.feed(f)
        if st is None:  # dropped by the time policy
            continue
        t = f.timestamp
        if (start is not None and t < start) or (end is not None and t > end):
            prev_t = t
            continue
        dt = 0.0 if prev_t is None else st.dt
        prev_t = t
        first = t if first is None else first
        last = t
        seen = seen or f.detected
        v = st.verdict
        if not v.visible:
            continue
        visible_s += dt
        if not v.in_position:
            continue
        if brief and (not rule.goal.at_top(v, th) or st.moving):
            continue  # rep exercises: only the held top of a rep shows the person's level
        in_pos_s += dt
        n_frames += 1
        faults += bool(v.faults)
        for name in values:
            x = v.measures.get(name)
            if x is not None and math.isfinite(x):
                values[name].append(float(x))

    what = rule.title.lower()
    if first is None:
        raise CalibrationError("no frames in the calibration segment" + (f" ({start}-{end} s)" if start or end else ""))
    if not seen:
        raise CalibrationError("no person was found in the calibration segment")
    single = n_frames == 1 and first == last
    if n_frames == 0:
        raise CalibrationError(f"never in the {what} position during the calibration segment: "
                               f"hold your best {what} in view")
    if not single:
        if brief:
            min_seconds = min(min_seconds, MIN_TOP_SECONDS)
        if in_pos_s < min_seconds:
            where = "held at the top of a rep" if brief else f"in the {what} position"
            raise CalibrationError(f"only {in_pos_s:.1f} s {where}: hold your best form "
                                   f"for at least {min_seconds:g} s")
        if not brief and visible_s > 0 and in_pos_s / visible_s < MIN_IN_POSITION:
            raise CalibrationError(f"in the {what} position for only {in_pos_s:.1f} of {visible_s:.1f} s: "
                                   "hold the position steadily for the whole calibration")
    if faults / n_frames > MAX_FAULT_SHARE:
        raise CalibrationError(_implausible(rule, values, th))

    out: dict[str, float] = {}
    measured: dict[str, dict] = {}
    table = {t.name: t for t in rule.thresholds}
    for km in rule.key_measures:
        if not km.neutral:
            continue
        xs = values[km.name]
        if not xs and km.view is not None and any(values.values()):
            continue  # measured only in the other camera view (the desk: front or side)
        if not xs:
            raise CalibrationError(f"{_short(km.label)} could not be measured during the calibration segment")
        med = _percentile(xs, 0.5)
        spread = _percentile(xs, 0.9) - _percentile(xs, 0.1)
        limit = MAX_SPREAD.get(km.unit)
        if limit is not None and spread > limit:
            raise CalibrationError(f"the form changed during the calibration ({_short(km.label).lower()} varied by "
                                   f"{spread:.0f} {km.unit}): hold still in your best form")
        t = table[km.neutral]
        if not t.min <= med <= t.max:
            raise CalibrationError(_implausible(rule, values, th))
        out[km.neutral] = round(med, 2)
        measured[km.name] = {"median": round(med, 2), "spread": round(spread, 2),
                             "p10": round(_percentile(xs, 0.1), 2), "p90": round(_percentile(xs, 0.9), 2)}
        for lim in km.limits:
            cal = table[lim.threshold].calibrated if lim.relative and lim.threshold in table else None
            if cal is not None:
                out[lim.threshold] = cal
    return Calibration(rule.name, out, measured, seconds=in_pos_s, frames=n_frames, start=first, end=last,
                       source=source)


def _implausible(rule: Rule, values: Mapping[str, list[float]], th: Mapping[str, float]) -> str:
    """Why a calibration hold cannot be the person's best form."""
    parts = []
    for km in rule.key_measures:
        xs = values.get(km.name) or []
        if not km.neutral or not xs:
            continue
        med = _percentile(xs, 0.5)
        for lim in km.limits:
            if not lim.relative:
                continue
            edge = km.limit_value(lim, th)
            if (lim.sign < 0 and med < edge) or (lim.sign > 0 and med > edge):
                fault = next((f for f in rule.faults if f.name == lim.fault), None)
                parts.append(f"{_short(km.label).lower()} reads {med:+.1f} {km.unit}, beyond the "
                             f"'{lim.label or lim.threshold}' limit ({edge:+.1f})"
                             + (f": that looks like {fault.meaning}" if fault else ""))
    why = "; ".join(parts) or "the form shows a fault for most of the segment"
    return f"this does not look like your best {rule.title.lower()} ({why}); calibrate on a segment with good form"


__all__ = ["Calibration", "CalibrationError", "calibrate", "calibratable", "MIN_SECONDS"]
