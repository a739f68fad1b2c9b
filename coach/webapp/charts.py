"""The timeline chart of a report (Altair / Vega-Lite), for the app.

:func:`chart_data` gives the plain rows behind the chart (testable without
Altair); :func:`timeline_chart` draws them:

* one panel per key measure of the rule (``rule.key_measures``): the measure
  over time, each limit as a horizontal line at ``limit.sign * threshold``
  (from the measure's neutral reading for relative limits, e.g. the plank's
  sag and pike limits around ``hip_neutral_deg``)
  with its label, the fault intervals shaded (a colour per fault; the legend
  gives the cue), and the time not in position / not seen shaded grey;
* below, the cumulative good-form hold time (hold exercises; one line per side
  for a per-side hold, with the target) or the total reps (rep exercises);
* with ``compare`` (another report of the same track, e.g. with the default
  thresholds while tuning), its limits and its hold / reps curve are drawn
  dashed grey beside the current ones.

Long reports are thinned for the lines (at most ``max_points`` per line, a
measure keeping each bucket's minimum and maximum, so peaks stay visible);
fault and status intervals are always exact.
"""
from __future__ import annotations

import math

from pose_rules.base import CANT_SEE, NOT_IN_POSITION, TIMED, Rule

__all__ = ["MAX_POINTS", "chart_data", "timeline_chart"]

#: Most points drawn per line.
MAX_POINTS = 1500
#: Gaps longer than this between two measured frames break a line.
LINE_GAP_S = 0.5

STATUS_LABEL = {NOT_IN_POSITION: "not in position", CANT_SEE: "can't see", TIMED: "timed (not judged)"}
STATUS_FILL = {NOT_IN_POSITION: "#9e9e9e", CANT_SEE: "#cfcfcf", TIMED: "#b3cde3"}
FAULT_COLOURS = ["#e53935", "#fb8c00", "#8e24aa", "#d81b60", "#6d4c41", "#fdd835", "#3949ab", "#00897b"]
SIDE_COLOURS = {"both": "#2e7d32", "left": "#2e7d32", "right": "#1565c0"}
MEASURE_COLOUR = "#263238"
LIMIT_COLOUR = "#c62828"
COMPARE_COLOUR = "#9e9e9e"
HOLD_COLOUR = "#2e7d32"


def _num(x) -> float | None:
    """A finite float, else None."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


def _get_rule(rule, report) -> Rule:
    if isinstance(rule, Rule):
        return rule
    if rule is None:
        return report.rule
    import pose_rules

    return pose_rules.get_rule(str(rule))


# --------------------------------------------------------------------------
# data


def _thin_minmax(points: list[tuple[float, float, int]], max_points: int) -> list[tuple[float, float, int]]:
    """At most ~max_points of ``(t, value, segment)``: per bucket the min and max."""
    n = len(points)
    if n <= max_points:
        return points
    per = math.ceil(n / max(1, max_points // 2))
    keep: set[int] = {0, n - 1}
    for start in range(0, n, per):
        idx = range(start, min(n, start + per))
        keep.add(min(idx, key=lambda i: points[i][1]))
        keep.add(max(idx, key=lambda i: points[i][1]))
    return [points[i] for i in sorted(keep)]


def _thin_stride(rows: list[dict], max_points: int) -> list[dict]:
    """Every k-th row (always the last) so that at most ~max_points remain."""
    n = len(rows)
    if n <= max_points:
        return rows
    step = math.ceil(n / max_points)
    out = rows[::step]
    if out[-1] is not rows[-1]:
        out.append(rows[-1])
    return out


def _drop_flat(rows: list[dict], key: str) -> list[dict]:
    """Drop the inside rows of runs where *key* does not change (the line is the same)."""
    if len(rows) <= 2:
        return rows
    out = [rows[0]]
    for prev, row, nxt in zip(rows, rows[1:], rows[2:]):
        if not (row[key] == prev[key] == nxt[key]):
            out.append(row)
    out.append(rows[-1])
    return out


def _frame_step(times: list[float]) -> float:
    """A typical frame interval (the median), for the last frame's extent."""
    diffs = sorted(b - a for a, b in zip(times, times[1:]) if b > a)
    if not diffs:
        return 0.0
    return min(diffs[len(diffs) // 2], LINE_GAP_S)


def chart_data(report, rule=None, *, max_points: int = MAX_POINTS) -> dict:
    """The plain data behind :func:`timeline_chart`.

    Returns a dict of lists of rows (JSON-ready, times in seconds)::

        "measures": {t, measure, value, segment}         key measures over time
                    (frames without a value skipped; a new segment starts after
                    a gap, so lines are not drawn across it)
        "limits":   {measure, label, threshold, value}   value = [neutral +] sign * threshold
        "faults":   {fault, cue, start, end}             the report's fault intervals
        "status":   {t0, t1, status, label}              not_in_position / cant_see intervals
        "progress": {t, value, side}                     what the goal counts (its main part:
                                                         good-form hold seconds, reps, repeats),
                                                         per side ("both" without sides)

    plus "goal" ({name, label, unit, target, steps}: what the progress is,
    from the rule's goal), "t_start" and "t_end". *report* is a
    :class:`coach.engine.report.Report`; *rule* a Rule or an exercise name
    (None: the report's).
    """
    rule = _get_rule(rule, report)
    rows = list(report.timeline)
    th = dict(report.thresholds)
    times = [float(r["t"]) for r in rows]
    t_start = times[0] if times else 0.0
    t_end = times[-1] if times else 0.0

    # key measures
    measures: list[dict] = []
    for km in rule.key_measures:
        points: list[tuple[float, float, int]] = []
        seg, prev_t, gap = 0, None, False
        for r in rows:
            v = _num((r.get("measures") or {}).get(km.name))
            if v is None:
                gap = True
                continue
            t = float(r["t"])
            if prev_t is not None and (gap or t - prev_t > LINE_GAP_S):
                seg += 1
            gap, prev_t = False, t
            points.append((t, v, seg))
        for t, v, s in _thin_minmax(points, max_points):
            measures.append({"t": _r(t), "measure": km.name, "value": _r(v, 4), "segment": s})

    limits: list[dict] = []
    for km in rule.key_measures:
        for lim in km.limits:
            if _num(th.get(lim.threshold)) is None:
                continue
            v = _num(km.limit_value(lim, th))
            if v is None:
                continue
            limits.append({"measure": km.name, "label": lim.label or lim.threshold,
                           "threshold": lim.threshold, "value": _r(v, 4)})

    faults = [{"fault": f.fault, "cue": f.cue or f.fault, "start": _r(f.start, 2), "end": _r(f.end, 2)}
              for f in report.faults]

    # not in position / can't see, merged into intervals
    status: list[dict] = []
    step = _frame_step(times)
    for i, r in enumerate(rows):
        s = r.get("status")
        if s not in STATUS_LABEL:
            continue
        t0 = times[i]
        t1 = times[i + 1] if i + 1 < len(rows) else t0 + step
        last = status[-1] if status else None
        if last is not None and last["status"] == s and abs(last["t1"] - _r(t0)) < 1e-6:
            last["t1"] = _r(t1)
        else:
            status.append({"t0": _r(t0), "t1": _r(t1), "status": s, "label": STATUS_LABEL[s]})

    # what the goal counts (its main part), per side
    goal = rule.goal.parts()[0]
    final = report.progress.part(goal.name) or report.progress
    steps = goal.unit != "s"  # counts go up in steps; seconds grow smoothly
    progress: list[dict] = []
    for side in goal.sides:
        pts, last = [], None
        for r in rows:
            v = _num(((r.get("progress") or {}).get(goal.name) or {}).get(side))
            if v is None:
                continue
            pts.append({"t": _r(r["t"]), "value": _r(v), "side": side})
        if steps:
            thinned = []
            for i, p in enumerate(pts):
                if p["value"] != last or i == len(pts) - 1:
                    thinned.append(p)
                    last = p["value"]
            progress += thinned
        else:
            progress += _thin_stride(_drop_flat(pts, "value"), max_points)

    return {
        "exercise": rule.name,
        "goal": {"name": goal.name, "label": goal.chart_label, "unit": goal.unit, "target": _num(final.target),
                 "steps": steps, "sides": list(goal.sides)},
        "measures": measures,
        "limits": limits,
        "faults": faults,
        "status": status,
        "progress": progress,
        "t_start": _r(t_start),
        "t_end": _r(t_end),
    }


# --------------------------------------------------------------------------
# chart


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 10 else f"{v:.0f}"


def timeline_chart(report, rule=None, *, compare=None, height: int = 260,
                   width: int | str = "container", compare_label: str = "compare",
                   max_points: int = MAX_POINTS, panels: bool = False):
    """The report's timeline as an Altair chart (see the module docstring).

    One panel of *height* pixels per key measure, then a lower panel for the
    hold time or the reps. *compare*: another report of the same track whose
    limits and hold / reps curve are drawn dashed grey (named *compare_label*
    in the labels). Returns a ``VConcatChart`` (a ``LayerChart`` when there is
    a single panel); with ``panels=True`` a list of the panels as separate
    charts instead (each then fits its container's width exactly, which a
    concatenated chart with ``width="container"`` does not: its axes would
    overflow).
    """
    import altair as alt

    rule = _get_rule(rule, report)
    data = chart_data(report, rule, max_points=max_points)
    other = chart_data(compare, rule, max_points=max_points) if compare is not None else None
    t0, t1 = data["t_start"], data["t_end"]
    # rows go into the top-level "datasets", referenced by name: Altair then
    # neither copies nor validates them per layer (several times faster)
    datasets: dict[str, list] = {}

    def src(rows: list[dict]):
        name = f"d{len(datasets)}"
        datasets[name] = rows
        return alt.Data(name=name)

    if t1 <= t0:
        t1 = t0 + 1.0
    x_scale = alt.Scale(domain=[t0, t1], nice=False, zero=False)

    def x(field: str, title: str | None = "time (s)"):
        return alt.X(f"{field}:Q", title=title, scale=x_scale)

    # colours: one per fault of the rule, named by its cue (legend)
    cues: list[str] = []
    for f in rule.faults:
        if f.cue not in cues:
            cues.append(f.cue)
    for f in data["faults"]:
        if f["cue"] not in cues:
            cues.append(f["cue"])
    fault_scale = alt.Scale(domain=cues, range=[FAULT_COLOURS[i % len(FAULT_COLOURS)] for i in range(len(cues))])

    def background(first: bool) -> list:
        layers = []
        if data["status"]:
            layers.append(alt.Chart(src(data["status"])).mark_rect(opacity=0.35).encode(
                x=x("t0"), x2="t1:Q",
                color=alt.Color("status:N", legend=None, scale=alt.Scale(
                    domain=list(STATUS_FILL), range=list(STATUS_FILL.values()))),
                tooltip=[alt.Tooltip("label:N", title="status"), alt.Tooltip("t0:Q", title="from (s)"),
                         alt.Tooltip("t1:Q", title="to (s)")],
            ))
        if data["faults"]:
            seen = list(dict.fromkeys(f["cue"] for f in data["faults"]))
            legend = alt.Legend(title="Faults (cue)", orient="bottom", labelLimit=400, values=seen) if first else None
            layers.append(alt.Chart(src(data["faults"])).mark_rect(opacity=0.28).encode(
                x=x("start"), x2="end:Q",
                fill=alt.Fill("cue:N", scale=fault_scale, legend=legend),
                tooltip=[alt.Tooltip("fault:N"), alt.Tooltip("cue:N"), alt.Tooltip("start:Q", title="from (s)"),
                         alt.Tooltip("end:Q", title="to (s)")],
            ))
        return layers

    def limit_layers(rows: list[dict], colour: str, dashed: bool, suffix: str, at_end: bool,
                     same: set | None = None) -> list:
        """Limit lines with their labels (*same*: limits not labelled, as they
        coincide with the current ones)."""
        if not rows:
            return []
        rows = [dict(r, text=f"{r['label']} {_fmt(r['value'])}{suffix}", tx=t1 if at_end else t0) for r in rows]
        labelled = [r for r in rows if not same or (r["threshold"], r["value"]) not in same]
        rule_mark = alt.Chart(src(rows)).mark_rule(
            color=colour, strokeWidth=1.2, strokeDash=[5, 4] if dashed else [1, 0])
        layers = [rule_mark.encode(y=alt.Y("value:Q"), tooltip=[alt.Tooltip("text:N", title="limit"),
                                                                 alt.Tooltip("threshold:N")])]
        if labelled:
            layers.append(alt.Chart(src(labelled)).mark_text(
                color=colour, align="right" if at_end else "left", dx=-3 if at_end else 3, dy=-6, fontSize=10,
            ).encode(x=alt.X("tx:Q", scale=x_scale, title="time (s)"), y="value:Q", text="text:N"))
        return layers

    as_panels = panels
    panels = []
    suffix = f" ({compare_label})"
    for i, km in enumerate(rule.key_measures):
        rows = [r for r in data["measures"] if r["measure"] == km.name]
        lim = [r for r in data["limits"] if r["measure"] == km.name]
        layers = background(first=i == 0)
        if other is not None:
            same = {(r["threshold"], r["value"]) for r in lim}
            layers += limit_layers([r for r in other["limits"] if r["measure"] == km.name],
                                   COMPARE_COLOUR, True, suffix, at_end=False, same=same)
        layers += limit_layers(lim, LIMIT_COLOUR, False, "", at_end=True)
        unit = "degrees" if km.unit == "deg" else km.unit
        line = alt.Chart(src(rows)).mark_line(color=MEASURE_COLOUR, strokeWidth=1.6).encode(
            x=x("t"),
            y=alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False)),
            detail="segment:N",
            tooltip=[alt.Tooltip("t:Q", title="time (s)"), alt.Tooltip("value:Q", title=km.name, format=".1f")],
        )
        layers.append(line)
        title = km.label
        if i == 0 and data["status"]:
            present = {r["status"] for r in data["status"]}
            shades = {NOT_IN_POSITION: "grey", CANT_SEE: "light grey", TIMED: "light blue"}
            note = ", ".join(f"{shades[s]}: {STATUS_LABEL[s]}" for s in STATUS_LABEL if s in present)
            title = alt.TitleParams(km.label, subtitle=note, subtitleColor="#757575")
        panels.append(alt.layer(*layers).properties(title=title, height=height, width=width))

    lower = _lower_panel(alt, src, data, other, x, x_scale, max(80, height // 2), width, suffix)
    if lower is not None:
        panels.append(lower)
    if not panels:  # a rule without key measures and nothing to count
        panels.append(alt.Chart(src([{"t": t0}])).mark_point(opacity=0).encode(x=x("t"))
                      .properties(height=height, width=width))
    if as_panels:
        out = []
        for p in panels:
            # as a chart of its own: the width fits the container, the height stays as set
            p = p.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
            p.datasets = datasets
            out.append(p)
        return out
    if len(panels) == 1:
        chart = panels[0]
    else:
        chart = alt.vconcat(*panels, spacing=12).resolve_scale(color="independent", fill="independent")
    chart.datasets = datasets  # set last: chart methods copy the whole spec
    return chart


def _lower_panel(alt, src, data: dict, other: dict | None, x, x_scale, height: int, width, suffix: str):
    goal = data["goal"]
    rows = data["progress"]
    unit = goal["unit"]
    interp = "step-after" if goal["steps"] else "linear"
    label = goal["label"]
    layers = []
    if other is not None and other["progress"]:
        layers.append(alt.Chart(src(other["progress"])).mark_line(
            interpolate=interp, color=COMPARE_COLOUR, strokeDash=[5, 4], strokeWidth=1.4).encode(
            x=x("t"), y="value:Q", detail="side:N",
            tooltip=[alt.Tooltip("t:Q", title="time (s)"), alt.Tooltip("side:N"),
                     alt.Tooltip("value:Q", title=f"{label}{suffix}", format=".1f")]))
    targets = []
    if goal["target"] is not None:
        targets.append({"value": goal["target"], "text": f"target {_fmt(goal['target'])} {unit}", "dashed": False})
    if other is not None and other["goal"]["target"] is not None and other["goal"]["target"] != goal["target"]:
        targets.append({"value": other["goal"]["target"],
                        "text": f"target {_fmt(other['goal']['target'])} {unit}{suffix}", "dashed": True})
    for tg in targets:
        colour = COMPARE_COLOUR if tg["dashed"] else HOLD_COLOUR
        target = src([dict(tg, tx=data["t_start"])])
        layers.append(alt.Chart(target).mark_rule(color=colour, strokeDash=[5, 4] if tg["dashed"] else [2, 2])
                      .encode(y="value:Q"))
        layers.append(alt.Chart(target).mark_text(color=colour, align="left", dx=3, dy=-6, fontSize=10)
                      .encode(x=alt.X("tx:Q", scale=x_scale, title="time (s)"), y="value:Q", text="text:N"))
    per_side = any(r["side"] != "both" for r in rows)
    colour = (alt.Color("side:N", scale=alt.Scale(domain=list(SIDE_COLOURS)[1:],
                                                  range=[SIDE_COLOURS["left"], SIDE_COLOURS["right"]]),
                        legend=alt.Legend(title="side", orient="right"))
              if per_side else alt.value(HOLD_COLOUR))
    axis = alt.Axis(tickMinStep=1) if goal["steps"] else alt.Axis()
    layers.append(alt.Chart(src(rows)).mark_line(interpolate=interp, strokeWidth=2).encode(
        x=x("t"), y=alt.Y("value:Q", title=unit, axis=axis), color=colour, detail="side:N",
        tooltip=[alt.Tooltip("t:Q", title="time (s)"), alt.Tooltip("side:N"),
                 alt.Tooltip("value:Q", title=label, format=".1f")]))
    title = label[0].upper() + label[1:] + (" per side" if per_side else "")
    if not rows:
        return None
    return alt.layer(*layers).properties(title=title, height=height, width=width)
