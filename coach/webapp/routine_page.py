"""Routine: a guided routine (or the free mode) through the browser's
camera. Steps start by themselves when the person is in position; the page
shows the HUD, the steps, and Pause / Skip buttons big enough to hit from a
mat; the end (or STOP) gives the summary, which goes into the history.

The camera, the frame callback, the HUD and speech are the Live coach's
(:mod:`coach.webapp.live_page`); the run is a
:class:`coach.session.routine.RoutineRun` or ``FreeRun`` inside the same
:class:`coach.session.live.LiveSession`.
"""
from __future__ import annotations

import html
import json
import math

import streamlit as st

import pose_rules
from coach.engine.routines import (Routine, RoutineError, delete_routine, list_routines, loads, parse_routine,
                                   routines_dir, save_routine)
from coach.history import plan_from_history
from coach.session.live import LiveSession
from coach.session.routine import FreeRun, RoutineRun, RoutineSummary

from .common import LYING_NOTE, PRIVACY_NOTE, get_model, profile_picker, save_to_history
from .live_page import HUD_REFRESH_S, _hud, _served, camera_stream, estimator_factory

FREE = "Free mode (I'll recognise what you do)"
#: The editor's columns, in the routine file's words.
EDIT_COLUMNS = ("exercise", "sides", "hold", "reps", "repeats", "start", "grow", "rest", "target", "note")


def _plan_rows(planned) -> list[dict]:
    return [{"step": p.index, "exercise": p.title, "sides": ", ".join(p.sides) if p.sides != ("both",) else "",
             "today": p.describe(), "how it was set": p.why() or "as in the routine",
             "rest after (s)": int(p.rest)} for p in planned]


def _make(model, name: str, planned, profile: dict) -> LiveSession:
    if planned is None:
        run_factory = lambda ann: FreeRun(ann, profile=profile)  # noqa: E731
        first = "plank"
    else:
        run_factory = lambda ann: RoutineRun(name, planned, ann, profile=profile)  # noqa: E731
        first = planned[0].exercise
    return LiveSession(estimator_factory(model[0] if model else None), first, countdown_s=0.0,
                       run_factory=run_factory)


def _step_table(snap) -> str:
    """The steps with where the routine stands (HTML; data-* for the browser test).
    Routine names come from the person's files: everything is escaped."""
    e = html.escape
    r = snap.routine or {}
    rows = []
    for row in r.get("rows", []):
        mark = {"done": "✅", "skipped": "⏭️", "stopped": "⏹️", "now": "▶️", "logged": "✅"}.get(row["outcome"], "·")
        res = f" — {row['result']}" if row.get("result") else ""
        rows.append(f'<div data-step="{row["step"]}" data-outcome="{e(row["outcome"])}" style="font-size:20px;'
                    f'padding:2px 0">{mark} {row["step"]}. {e(row["title"])}: {e(row["target"])}{e(res)}</div>')
    return (f'<div id="coach-routine" data-routine="{e(r.get("name", ""))}" data-phase="{e(r.get("phase", ""))}" '
            f'data-step="{r.get("step") or ""}" data-steps="{r.get("steps", 0)}" data-seen="{e(r.get("seen") or "")}">'
            + "".join(rows) + "</div>")


def _controls(session: LiveSession, key: str) -> None:
    snap = session.snapshot()
    paused = bool((snap.routine or {}).get("paused"))
    if (snap.routine or {}).get("free"):  # nothing to pause or skip: it logs what you do
        st.html(_step_table(snap))
        return
    c1, c2 = st.columns(2)
    # a key per state (as on the Desk page): a click delivered again in a later run cannot turn into the other command
    if c1.button("Resume" if paused else "Pause", key=f"{key}_{'resume' if paused else 'pause'}", width="stretch",
                 icon=":material/play_arrow:" if paused else ":material/pause:"):
        session.command("resume" if paused else "pause")
    if c2.button("Skip", key=f"{key}_skip", width="stretch", icon=":material/skip_next:",
                 help="Skip this step (or the rest) and go on to the next one"):
        session.command("skip")
    st.html(_step_table(snap))


@st.fragment(run_every=HUD_REFRESH_S)
def _live_panel(session: LiveSession, muted: bool) -> None:
    _hud(session, muted)
    _controls(session, "routine")
    if (session.snapshot().routine or {}).get("phase") == "finished" and not st.session_state.get("routine_saved"):
        _save(session.summary())  # the routine ended by itself: into the history without a click


def _save(summary: RoutineSummary) -> None:
    """Into the history, once per run; what happened is kept to be shown on every rerun."""
    st.session_state["routine_saved"] = True
    if not summary.reports:
        st.session_state["routine_save_note"] = ("info", "Nothing was done, so nothing was added to your history.")
        return
    st.session_state["routine_save_note"] = save_to_history(
        summary.reports, "free" if summary.free else "routine", routine=None if summary.free else summary.name)


def _save_note() -> None:
    note = st.session_state.get("routine_save_note")
    if note:
        getattr(st, note[0])(note[1])


def _show_summary(summary: RoutineSummary) -> None:
    st.subheader("Your routine" if not summary.free else "Your free session")
    st.markdown(f"**{summary.completed} of {len(summary.steps)}** steps done · {summary.duration_s / 60:.1f} min")
    rows = []
    for s in summary.steps:
        rep = s.report
        mf = rep.summary.most_frequent_fault if rep is not None else None
        rows.append({"step": s.planned.index, "exercise": s.planned.title, "target": s.planned.describe()
                     if not summary.free else "", "outcome": s.outcome,
                     "result": rep.progress.text() if rep is not None else "",
                     "most frequent fault": f"{mf['cue']} ({mf['time_s']:.0f} s)" if mf else ""})
    st.dataframe(rows, hide_index=True, width="stretch")
    st.download_button("Download the summary (JSON)", json.dumps(summary.to_dict(), indent=1),
                       file_name="routine.summary.json", mime="application/json", key="routine_dl",
                       on_click="ignore")


def _editor(r: Routine) -> None:
    """Edit the routine's steps and save it as the person's own file."""
    with st.expander("Edit this routine", expanded=False):
        st.caption(f"Saved as a TOML file in {routines_dir()} (built-in routines are never changed: saving a "
                   "built-in's name makes your own version, used instead of it). Columns are the file's keys: "
                   "`hold` (s), `reps`, `repeats`, `start` / `grow` (progression), `rest` (s), `sides` "
                   "(both, left, right or \"left, right\").")
        rows = []
        for s in r.steps:
            d = s.to_dict()
            rows.append({k: (", ".join(d[k]) if k == "sides" and k in d else d.get(k)) for k in EDIT_COLUMNS})
        col = st.column_config
        edited = st.data_editor(
            rows, num_rows="dynamic", key=f"routine_edit_{r.name}", width="stretch",
            column_config={"exercise": col.SelectboxColumn("exercise", options=list(pose_rules.exercises()), required=True),
                           "hold": col.NumberColumn("hold (s)", min_value=1, max_value=3600),
                           "reps": col.NumberColumn("reps", min_value=1, max_value=1000, step=1),
                           "repeats": col.NumberColumn("repeats", min_value=1, max_value=1000, step=1),
                           "start": col.NumberColumn("start", min_value=1, max_value=3600),
                           "grow": col.NumberColumn("grow", min_value=0, max_value=3600),
                           "rest": col.NumberColumn("rest (s)", min_value=0, max_value=600)})
        c1, c2, c3 = st.columns([2, 1, 1])
        name = c1.text_input("Save as", value=r.name, key=f"routine_name_{r.name}")
        if c2.button("Save routine", key=f"routine_save_{r.name}"):
            try:
                new = parse_routine({"name": name, "description": r.description, "schedule": r.schedule,
                                     "rest": r.rest, "step": _steps_from(edited)}, "the edited routine")
                path = save_routine(new)
                st.success(f"Saved '{new.name}' ({path}).")
                st.session_state["routine_choice"] = new.name
                st.rerun()
            except (RoutineError, OSError) as e:
                st.error(f"Not saved: {e}")
        if not r.builtin and c3.button("Delete my version", key=f"routine_del_{r.name}"):
            try:
                delete_routine(r.name)
                st.rerun()
            except (RoutineError, OSError) as e:
                st.error(str(e))
        d1, d2 = st.columns(2)
        d1.download_button("Download as TOML", r.to_toml(), file_name=f"{r.name}.toml", mime="application/toml",
                           key=f"routine_toml_{r.name}", on_click="ignore")
        up = d2.file_uploader("Add a routine file (.toml)", type=["toml"], key="routine_upload")
        if up is not None and st.session_state.get("routine_uploaded") != up.file_id:
            st.session_state["routine_uploaded"] = up.file_id
            try:
                new = loads(up.getvalue().decode("utf-8-sig"), up.name)
                path = save_routine(new)
                st.success(f"Added '{new.name}' ({path}).")
            except UnicodeDecodeError:
                st.error(f"{up.name}: not a text file (a routine is TOML)")
            except (RoutineError, OSError) as e:
                st.error(str(e))


def _steps_from(edited) -> list[dict]:
    """The editor's rows as [[step]] tables (empty cells left out)."""
    rows = edited.to_dict("records") if hasattr(edited, "to_dict") else list(edited)
    out = []
    for row in rows:
        d = {}
        for k in EDIT_COLUMNS:
            v = row.get(k)
            if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()):
                continue
            if k in ("reps", "repeats") and isinstance(v, float) and v.is_integer():
                v = int(v)
            if k == "sides":
                v = [s.strip() for s in str(v).split(",") if s.strip()]
            d[k] = v
        if d:
            out.append(d)
    return out


def routine_page() -> None:
    st.title("Routine")
    errors: list[str] = []
    routines = list_routines(errors)
    for e in errors:
        st.warning(f"A routine file was left out: {e}")
    top = st.columns([3, 2, 1])
    options = list(routines) + [FREE]
    if st.session_state.get("routine_choice") not in options:
        st.session_state["routine_choice"] = options[0]
    playing_before = st.session_state.get("routine_was_playing", False)
    choice = top[0].selectbox("Routine", options, key="routine_choice", disabled=playing_before)
    with top[1]:
        profile_name, profile = profile_picker("routine_profile")
    speak = top[2].toggle("Speak", value=True, key="routine_speak", help="Spoken guidance, cues and beeps")

    if choice == FREE:
        planned, name = None, FREE
        st.info("Do any of the exercises: the coach recognises which one from your pose, coaches it and logs it "
                "in your history.", icon="🔎")
    else:
        r = routines[choice]
        name = r.name
        st.caption(" · ".join(x for x in (r.schedule.capitalize(), r.description) if x))
        planned = plan_from_history(r, lambda line: st.warning(line[:1].upper() + line[1:]))
        st.dataframe(_plan_rows(planned), hide_index=True, width="stretch")
        if any(p.rule.lying for p in planned):
            st.caption(f"🛏️ {LYING_NOTE}")
        if not playing_before:
            _editor(r)

    model = get_model()
    config = json.dumps([name, [dict(p.overrides) for p in planned] if planned else None, profile], sort_keys=True,
                        default=str)
    session: LiveSession | None = st.session_state.get("routine_session")
    if session is None or (st.session_state.get("routine_config") != config and not playing_before):
        if session is not None:
            session.close()
        session = _make(model, name, planned, profile)
        st.session_state["routine_session"] = session
        st.session_state["routine_config"] = config

    video_col, hud_col = st.columns([3, 2])
    if not _served():
        with video_col:
            st.info("The routine needs the app open in a browser: `streamlit run streamlit_app.py`.")
        with hud_col:
            _hud(session, True)
            _controls(session, "routine")
        return
    with video_col:
        ctx = camera_stream("routine-coach", session)
    playing = bool(ctx.state.playing)
    if playing and not playing_before:
        session.reset()
        for k in ("routine_summary", "routine_saved", "routine_save_note"):
            st.session_state.pop(k, None)
    elif playing_before and not playing:
        summary = session.stop()
        session.close()
        st.session_state["routine_summary"] = summary
    st.session_state["routine_was_playing"] = playing
    with hud_col:
        if playing:
            _live_panel(session, not speak)
        else:
            _hud(session, True)
    summary = st.session_state.get("routine_summary")
    if summary is not None and not playing:
        _show_summary(summary)
        if not st.session_state.get("routine_saved"):
            _save(summary)
        _save_note()
    st.caption("Press **START**, allow the camera and get into the first exercise's position: each step starts "
               "by itself once you are in position, so you never have to touch the laptop from the floor. "
               + PRIVACY_NOTE)
