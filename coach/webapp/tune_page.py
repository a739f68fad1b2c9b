"""Tune thresholds against a reviewed clip: sliders generated from the rules'
threshold declarations; each change re-judges the cached landmarks at once (no
pose inference) and shows the result beside the defaults'; save as a named
profile that the live page and ``coach analyze --thresholds NAME`` use."""
from __future__ import annotations

import math

import streamlit as st

import pose_rules
from coach.engine.report import to_json
from coach.session.calibration import calibratable
from coach.webapp.charts import timeline_chart
from coach.core.pose import PoseTrack, TrackError
from coach.engine.profiles import list_profiles, load_named, profiles_dir, save_named
from coach.session.review import reevaluate
from coach.engine.thresholds import ThresholdError, defaults, describe, session_thresholds

from .common import PRIVACY_NOTE, fmt_s, samples

def step_for(t: dict) -> float:
    """Slider step from the threshold's unit and range."""
    unit, span = t["unit"], t["max"] - t["min"]
    if unit == "reps":
        return 1.0
    if unit == "deg":
        return 0.5
    if unit == "Hz":
        return 0.5
    if unit == "s":
        return 0.1 if span <= 20 else 1.0
    return 0.01 if span <= 2 else 0.1


def _key(rule_name: str, name: str) -> str:
    return f"tune__{rule_name}__{name}"


def _set_values(rule_name: str, values: dict) -> None:
    for name, v in values.items():
        st.session_state[_key(rule_name, name)] = float(v)


def _reset(rule_name: str) -> None:
    _set_values(rule_name, defaults(pose_rules.RULES[rule_name]))
    st.session_state["tune_start"] = "Defaults"


def _load_start(rule_name: str) -> None:
    choice = st.session_state.get("tune_start", "Defaults")
    rule = pose_rules.RULES[rule_name]
    values = defaults(rule)
    if choice != "Defaults":
        path = list_profiles().get(choice)
        try:
            values.update(load_named(path).get(rule_name, {}) if path else {})
        except ThresholdError as e:
            st.session_state["tune_error"] = f"Profile '{choice}' cannot be used: {e}"
    _set_values(rule_name, values)


def _use_sample(name: str) -> None:
    path = samples()[name]
    try:
        track = PoseTrack.load(path)
    except TrackError as e:
        st.session_state["tune_error"] = str(e)
        return
    ex = track.meta.get("exercise") or "plank"
    rule = pose_rules.RULES[ex]
    st.session_state["review"] = {"name": path.name, "exercise": ex, "report": reevaluate(track, rule, {}),
                                  "track": track, "video": None, "profile": None, "overrides": {}}
    st.session_state.pop("tune_for", None)


def _calibrate(rule_name: str) -> None:
    """Calibrate to the person from the chosen segment of the clip: sets the
    sliders of the neutrals and of the calibrated limits."""
    from coach.session.calibration import MIN_SECONDS, CalibrationError, calibrate

    rv = st.session_state.get("review") or {}
    rule = pose_rules.RULES[rule_name]
    t0, t1 = st.session_state.get("tune_cal_span", (None, None))
    base = {t["name"]: st.session_state.get(_key(rule_name, t["name"]), t["default"]) for t in describe(rule)}
    base = {k: v for k, v in base.items() if v != defaults(rule)[k]}
    try:
        cal = calibrate(rv["track"], rule, base, start=t0, end=t1, source=rv.get("name", ""),
                        min_seconds=0.0 if len(rv["track"]) == 1 else MIN_SECONDS)
    except (CalibrationError, ThresholdError) as e:
        st.session_state["tune_error"] = f"Calibration refused: {e}"
        return
    _set_values(rule_name, cal.values)
    st.session_state["tune_calibration"] = {"exercise": rule_name, "result": cal}


def _cmp_row(label: str, a, b, fmt) -> dict:
    return {"": label, "defaults": fmt(a), "yours": fmt(b)}


def tune_page() -> None:
    st.title("Tune thresholds")
    st.caption("Move a slider and the reviewed clip is judged again at once from its saved landmarks "
               "(no video is processed again). Save the result as a profile for the live coach and the CLI.")
    if err := st.session_state.pop("tune_error", None):
        st.error(err)

    rv = st.session_state.get("review")
    if not rv:
        st.info("Review a clip first (page **Review a clip**), or tune on a bundled sample:")
        opts = list(samples())
        pick = st.selectbox("Sample", opts, key="tune_sample")
        st.button("Use this sample", on_click=_use_sample, args=(pick,), key="tune_use_sample", type="primary")
        st.caption(PRIVACY_NOTE)
        return

    rule_name = rv["exercise"]
    rule = pose_rules.RULES[rule_name]
    track: PoseTrack = rv["track"]
    st.markdown(f"**Clip:** {rv['name']} — **exercise:** {rule.title} — {len(track)} frames, {track.duration:.1f} s")

    # First visit for this clip: start from the thresholds it was reviewed with.
    tag = (rv["name"], rule_name, id(track))
    if st.session_state.get("tune_for") != tag:
        vals = defaults(rule)
        vals.update(rv.get("overrides") or {})
        _set_values(rule_name, vals)
        st.session_state["tune_for"] = tag
        st.session_state.pop("tune_calibration", None)  # a calibration belongs to its clip
        st.session_state.pop("tune_cal_span", None)

    profiles = list_profiles()
    c1, c2 = st.columns([3, 1])
    c1.selectbox("Start from", ["Defaults"] + list(profiles), key="tune_start",
                 on_change=_load_start, args=(rule_name,),
                 help="Load a saved profile's values for this exercise into the sliders.")
    c2.button("Reset to defaults", on_click=_reset, args=(rule_name,), key="tune_reset")

    if calibratable(rule):
        with st.expander("Calibrate to this person (from a segment of good form)",
                         expanded=bool(st.session_state.get("tune_calibration"))):
            st.caption("Pick a stretch of the clip where the person holds their best form; the coach takes how "
                       "the camera reads that body as its neutral and sets the limits around it.")
            end = max(float(track.duration), 0.1)
            st.slider("Good-form segment (s)", 0.0, end, (0.0, end), step=0.1, key="tune_cal_span")
            st.button("Calibrate from this segment", key="tune_calibrate", on_click=_calibrate, args=(rule_name,))
            done = st.session_state.get("tune_calibration")
            if done and done["exercise"] == rule_name:
                st.success(done["result"].describe(rule))

    decl = describe(rule)
    timing = {t.name for t in session_thresholds(rule)}
    values: dict[str, float] = {}
    left, right = st.columns([2, 3])
    with left:
        st.markdown("**Form thresholds**")
        for t in decl:
            if t["name"] in timing:
                continue
            values[t["name"]] = _slider(rule_name, t)
        with st.expander("Timing: hold grace, cue delay, smoothing, targets", expanded=False):
            for t in decl:
                if t["name"] in timing:
                    values[t["name"]] = _slider(rule_name, t)

    base = defaults(rule)
    changed = {k: v for k, v in values.items() if not math.isclose(v, base[k], abs_tol=1e-9)}
    default_report = _default_report(rv, rule)
    try:
        report = reevaluate(track, rule, changed)
    except ThresholdError as e:
        with right:
            st.error(str(e))
        return

    with right:
        _comparison(default_report, report, rule, changed)
        for i, panel in enumerate(timeline_chart(report, rule, compare=default_report, compare_label="defaults",
                                                 panels=True)):
            st.altair_chart(panel, width="stretch", key=f"tune_chart_{i}")
        st.caption("Your thresholds in colour, the defaults' dashed grey; fault time shaded.")

    st.divider()
    st.markdown("**Save as a profile**")
    s1, s2 = st.columns([3, 1])
    name = s1.text_input("Profile name", value=rv.get("profile") or "", key="tune_profile_name",
                         placeholder="e.g. after physio review")
    if s2.button("Save profile", type="primary", key="tune_save", disabled=not name.strip()):
        try:
            done = st.session_state.get("tune_calibration")
            record = done["result"].record() if done and done["exercise"] == rule_name else None
            path = save_named(name, rule_name, changed, calibration=record)
            st.success(f"Saved '{name.strip()}' ({rule.title}: {len(changed)} changed value"
                       f"{'s' if len(changed) != 1 else ''}) to {path}. Pick it on the Live coach page, or run "
                       f"`coach analyze CLIP -e {rule_name} --thresholds \"{name.strip()}\"`.")
        except (ThresholdError, OSError) as e:
            st.error(f"Could not save the profile: {e}")
    doc = {"profile": name.strip() or "tuned", rule_name: changed}
    st.download_button("Download these thresholds (JSON)", to_json(doc, indent=2), file_name="thresholds.json",
                       mime="application/json", key="tune_download", on_click="ignore")
    st.caption(f"Profiles are kept in {profiles_dir()}. " + PRIVACY_NOTE)


def _slider(rule_name: str, t: dict) -> float:
    key = _key(rule_name, t["name"])
    step = step_for(t)
    lo, hi = float(t["min"]), float(t["max"])
    if key not in st.session_state:
        st.session_state[key] = float(t["default"])
    fmt = "%.0f" if step >= 1 else ("%.1f" if step >= 0.1 else "%.2f")
    v = st.slider(f"{t['name']} ({t['unit']})", min_value=lo, max_value=hi, step=step, key=key, format=fmt,
                  help=f"{t['meaning']}. Default {t['default']:g} {t['unit']}, range {lo:g}–{hi:g}.")
    return float(v)


def _default_report(rv: dict, rule):
    cache = rv.setdefault("_default_reports", {})
    if rule.name not in cache:
        cache[rule.name] = reevaluate(rv["track"], rule, {})
    return cache[rule.name]


def _comparison(a, b, rule, changed: dict) -> None:
    """Report ``b`` (these thresholds) against report ``a`` (the defaults)."""
    sa, sb = a.summary, b.summary
    cols = st.columns(3)
    for col, (label, value, _), (_, was, _) in zip(cols[:2], b.progress.metrics(), a.progress.metrics()):
        col.metric(label, value, delta=f"defaults {was}", delta_color="off", delta_arrow="off")
    fa, fb = sum(sa.fault_time_s.values()), sum(sb.fault_time_s.values())
    cols[2].metric("Fault time", fmt_s(fb), delta=f"{fb - fa:+.1f} s vs defaults", delta_color="off", delta_arrow="off")

    rows = [_cmp_row("time in position", sa.time_in_position_s, sb.time_in_position_s, fmt_s)]
    names = sorted(set(sa.fault_time_s) | set(sb.fault_time_s))
    for n in names:
        rows.append(_cmp_row(f"{n} (\"{rule.fault(n).cue}\")", sa.fault_time_s.get(n, 0.0),
                             sb.fault_time_s.get(n, 0.0), fmt_s))
    rows.append(_cmp_row("fault episodes", len(a.faults), len(b.faults), str))
    st.dataframe(rows, hide_index=True, width="stretch", key=None)
    if changed:
        st.caption("Changed from the defaults: " + ", ".join(f"{k} = {v:g}" for k, v in changed.items()))
    else:
        st.caption("All thresholds at their defaults.")
