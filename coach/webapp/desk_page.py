"""Desk: the posture monitor a person leaves open all day at their desk.

The browser's camera through the Live coach's stream (:func:`camera_stream`),
judged a couple of frames a second by a :class:`coach.session.desk.DeskRun`
inside a :class:`coach.session.live.LiveSession` kept per browser session.
The page shows a privacy indicator (camera on / paused / off), one-click
Pause / Resume, Snooze and Calibrate buttons, and the live numbers (sitting
now with a bar to the next reminder, sitting in all, slouched, breaks,
reminders, posture now); reminders to get up are spoken, chimed and shown as
a browser notification. STOP puts the session into the history.

No ``st.*`` call happens in the frame callback: the page polls the session in
a fragment, once a second.
"""
from __future__ import annotations

import html
import json

import streamlit as st

import pose_rules
from coach.engine.routines import list_routines
from coach.engine.thresholds import ThresholdError
from coach.session.desk import CALIBRATE_S, SNOOZE_MIN, DeskRun, stretch_suggestions
from coach.session.live import LiveSession, LiveSnapshot
from pose_rules.goals import clock

from .common import get_model, save_to_history
from .live_page import _served, camera_stream, estimator_factory, hud_html, speech_html

EXERCISE = "desk_posture"
#: How often the live numbers (and the speech script) are refreshed while the camera runs.
DESK_REFRESH_S = 1.0
NO_ROUTINE = "No suggestion"
#: The settings: (session-state key, threshold name, label, min, max, step, help).
SETTINGS = (
    ("desk_sit_limit", "sit_limit_min", "Reminder every (min)", 0.5, 180.0, 0.5,
     "Continuous sitting time before the coach tells you to get up"),
    ("desk_break", "break_s", "Break length (s)", 10.0, 900.0, 5.0,
     "Standing up or away from the camera this long counts as a break: the sitting time starts again"),
    ("desk_cue_delay", "cue_delay_s", "Posture cue after (s)", 5.0, 600.0, 5.0,
     "A posture fault (slouching, head forward, ...) is shown only once it has lasted this long"),
)

CAMERA_TEXT = {
    "on": "● Camera on — watching posture, nothing is recorded or sent",
    "paused": "⏸ Paused — the camera is not being watched",
    "off": "○ Camera off",
}
CAMERA_COLOUR = {"on": "#d33a2c", "paused": "#777777", "off": "#444444"}


def _defaults() -> dict[str, float]:
    from coach.engine.thresholds import defaults

    return defaults(pose_rules.get_rule(EXERCISE))


def _routines() -> list[str]:
    """The stretch-suggestion choices: the routines, then "No suggestion"
    (the choice in the session state is made valid here, before its widget)."""
    errors: list[str] = []
    options = list(list_routines(errors)) + [NO_ROUTINE]
    if st.session_state.get("desk_routine") not in options:
        st.session_state["desk_routine"] = "Daily stretches" if "Daily stretches" in options else options[0]
    return options


def _chosen() -> tuple[dict[str, float], str | None]:
    """The settings as they stand (the widgets' values, before the widgets are drawn
    this run: they go above the camera, which decides whether they are locked)."""
    d = _defaults()
    overrides = {name: float(st.session_state.get(key, d[name])) for key, name, *_ in SETTINGS}
    routine = st.session_state.get("desk_routine")
    return overrides, (None if routine == NO_ROUTINE else routine)


def _settings(options: list[str], disabled: bool) -> bool:
    """The settings row (locked while the camera runs); returns "speak"."""
    d = _defaults()
    cols = st.columns([1, 1, 1, 2, 1])
    for col, (key, name, label, lo, hi, step, help_) in zip(cols, SETTINGS):
        col.number_input(label, min_value=lo, max_value=hi, value=float(d[name]), step=step, key=key, help=help_,
                         disabled=disabled, format="%g")
    cols[3].selectbox("Stretch suggestion from", options, key="desk_routine", disabled=disabled,
                      help="With each reminder the coach suggests a short stretch: the steps of this routine in turn")
    speak = cols[4].toggle("Speak", value=True, key="desk_speak", help="Spoken reminders and cues, and a chime")
    if disabled:
        st.caption("Press **STOP** to change these (the session so far goes into your history).")
    return speak


def _make(model, overrides: dict[str, float], routine: str | None, holder: dict) -> LiveSession:
    """A live session whose every stream is a :class:`DeskRun` (a calibration made
    earlier in this browser session is kept in ``holder`` and used again)."""
    tips = stretch_suggestions(routine)

    def run_factory(announcer):
        return DeskRun(announcer, overrides, suggestions=tips, calibration=holder.get("calibration"))
    return LiveSession(estimator_factory(model[0] if model else None), EXERCISE, overrides, countdown_s=0.0,
                       run_factory=run_factory)


def camera_state(playing: bool, status: dict | None) -> str:
    """"on", "paused" or "off" (what the privacy indicator says)."""
    if not playing:
        return "off"
    return "paused" if (status or {}).get("paused") else "on"


def indicator_html(snap: LiveSnapshot, playing: bool) -> str:
    """The privacy indicator and the live numbers as data-* (read by the browser test)."""
    e = html.escape
    r = snap.routine or {}
    cam = camera_state(playing, r)
    attrs = {"camera": cam, "sitting-s": f"{r.get('sitting_s', 0.0):.1f}",
             "total-sitting-s": f"{r.get('total_sitting_s', 0.0):.1f}", "slouched-s": f"{r.get('slouched_s', 0.0):.1f}",
             "breaks": r.get("breaks", 0), "reminders": r.get("reminders", 0), "posture": r.get("posture", ""),
             "cue": snap.cue or "", "calibrated": int(bool(r.get("calibrated"))),
             "calibrating": int(bool(r.get("calibrating"))), "snoozed": int(r.get("snoozed_until") is not None),
             "frames": snap.frames, "t": "" if snap.t is None else f"{snap.t:.2f}", "error": snap.error or ""}
    data = " ".join(f'data-{k}="{e(str(v))}"' for k, v in attrs.items())
    dot = ('<span class="coach-dot" style="display:inline-block;width:14px;height:14px;border-radius:7px;'
           f'background:{CAMERA_COLOUR[cam]};margin-right:8px;vertical-align:middle"></span>') if cam == "on" else ""
    text = CAMERA_TEXT[cam]
    if cam == "on":
        text = text.lstrip("● ")
    return (f'<div id="coach-desk" {data} role="status" style="font-family:sans-serif;font-size:18px;'
            f'font-weight:600;color:{CAMERA_COLOUR[cam]};border:2px solid {CAMERA_COLOUR[cam]};border-radius:10px;'
            f'padding:8px 12px;margin-bottom:8px">{dot}{e(text)}</div>')


NOTIFY_HTML = """<div style="font-family:sans-serif;font-size:14px">
<button id="coach-notify" type="button" style="padding:6px 12px;border-radius:8px;border:1px solid #888;
background:#fff;cursor:pointer">Allow notifications</button>
<span id="coach-notify-state" style="margin-left:8px;opacity:.8"></span></div>
<script>
(() => {
  const b = document.getElementById('coach-notify'), s = document.getElementById('coach-notify-state');
  if (!b || !s) return;
  const show = () => {
    const N = window.Notification;
    s.textContent = !N ? 'this browser cannot show notifications'
      : N.permission === 'granted' ? 'notifications on: a reminder shows even when this tab is hidden'
      : N.permission === 'denied' ? 'notifications blocked (allow them in the browser\\'s site settings)'
      : 'reminders are spoken and shown here; allow notifications to see them in other windows too';
  };
  b.onclick = () => {
    const N = window.Notification;
    if (!N || !N.requestPermission) { show(); return; }
    try { const p = N.requestPermission(show); if (p && p.then) p.then(show, show); } catch (e) { show(); }
  };
  show();
})();
</script>"""


def _buttons(session: LiveSession, status: dict, key: str = "desk") -> None:
    """Pause / Resume, Snooze / Unsnooze, Calibrate. The commands go in through
    on_click (before the rerun), so the labels and the indicator are right at once.

    Each state's button has its own key ("desk_pause" / "desk_resume"). With one
    key for both, a browser test on a busy machine once saw Resume followed by
    "paused" again, though nothing else sends "pause": most likely the click
    reached a later run too (the panel refreshes once a second), by when that
    key's callback was the other state's. Not reproduced; with a key per state
    a click read twice repeats its own command, which is harmless."""
    paused, snoozed = bool(status.get("paused")), status.get("snoozed_until") is not None
    c1, c2 = st.columns(2)
    c1.button("Resume" if paused else "Pause", key=f"{key}_{'resume' if paused else 'pause'}", width="stretch",
              icon=":material/play_arrow:" if paused else ":material/pause:",
              help="Pause: the camera's picture is not looked at (the sitting time neither counts nor resets)",
              on_click=session.command, args=("resume" if paused else "pause",))
    c2.button("Unsnooze" if snoozed else f"Snooze {SNOOZE_MIN:.0f} min", key=f"{key}_{'unsnooze' if snoozed else 'snooze'}",
              width="stretch",
              icon=":material/notifications_active:" if snoozed else ":material/snooze:",
              help=f"No cues or reminders for {SNOOZE_MIN:.0f} minutes (a due reminder comes when the snooze ends)",
              on_click=session.command, args=("unsnooze" if snoozed else "snooze",))
    st.button(f"Calibrate: sit upright {CALIBRATE_S:.0f} s", key=f"{key}_calibrate", width="stretch",
              icon=":material/accessibility_new:", disabled=paused or bool(status.get("calibrating")),
              help="Sit upright, looking at the screen, for a few seconds: the limits then follow your own "
                   "upright posture and this camera",
              on_click=session.command, args=("calibrate",))


def _numbers(snap: LiveSnapshot, limit_min: float) -> None:
    r = snap.routine or {}
    sitting = float(r.get("sitting_s", 0.0))
    nxt = r.get("next_reminder_s") or 60.0 * limit_min
    st.markdown(f"**Sitting now: {clock(sitting)}** · next reminder at {clock(nxt)}")
    st.progress(max(0.0, min(1.0, sitting / nxt)) if nxt else 0.0)
    cols = st.columns(4)
    cols[0].metric("Time sitting", clock(r.get("total_sitting_s", 0.0)))
    cols[1].metric("Slouched", clock(r.get("slouched_s", 0.0)))
    cols[2].metric("Breaks", str(int(r.get("breaks", 0))))
    cols[3].metric("Reminders", str(int(r.get("reminders", 0))))
    posture = r.get("posture") or "not judged"
    bits = [f"Posture now: **{posture}**"]
    if snap.cue:
        bits.append(f"cue: **{snap.cue}**")
    if r.get("calibrating"):
        bits.append("calibrating…")
    else:
        bits.append("calibrated to you" if r.get("calibrated") else "not calibrated (the rule's defaults)")
    until = r.get("snoozed_until")
    if until is not None and snap.t is not None:
        bits.append(f"snoozed for {clock(until - snap.t)} more")
    st.markdown(" · ".join(bits))
    if snap.calibration_error:
        st.caption(f"Calibration refused: {snap.calibration_error}")


def _panel(session: LiveSession, playing: bool, muted: bool, limit_min: float) -> None:
    """Indicator, buttons, HUD, numbers and the speech script (also without a camera)."""
    snap = session.snapshot()  # a click's command is already in (on_click runs before the rerun)
    st.html(indicator_html(snap, playing))
    _buttons(session, snap.routine or {})
    st.html(hud_html(snap))
    _numbers(snap, limit_min)
    recent = [u for u in session.utterances_since(0) if snap.t is None or u.t >= snap.t - 4.0][-5:]
    st.html(speech_html(recent, id(session) % 1_000_000_007, muted, notify=playing), unsafe_allow_javascript=True)


@st.fragment(run_every=DESK_REFRESH_S)
def _live_panel(session: LiveSession, muted: bool, limit_min: float) -> None:
    _panel(session, True, muted, limit_min)


def finish(session: LiveSession) -> None:
    """STOP: the session's report into the history (once) and kept to be shown."""
    report = session.stop()
    st.session_state["desk_report"] = report
    if report.summary.frames == 0:
        st.session_state["desk_save_note"] = ("info", "The camera saw nothing, so nothing was added to your history.")
        return
    st.session_state["desk_save_note"] = save_to_history([report], "desk", source="desk camera")


def show_summary(report) -> None:
    st.subheader("Your desk session")
    p = report.progress
    ms = p.metrics()
    cols = st.columns(len(ms))
    for col, (label, value, help_) in zip(cols, ms):
        col.metric(label, value, help=help_ or None)
    st.table([{"": label, "value": value} for label, value in p.lines()])
    st.download_button("Download the session report (JSON)", report.to_json(), file_name="desk.session.json",
                       mime="application/json", key="desk_dl", on_click="ignore")


def _explain(rule, limit_min: float) -> None:
    with st.expander("Where to put the camera, and what is judged", expanded=False):
        faults = "\n".join(f"* **{f.cue}** — {f.meaning}" for f in rule.faults)
        st.markdown(
            f"**Camera:** {rule.placement}\n\n"
            f"**Sitting time:** it counts while you sit; standing up or leaving for a break resets it. After "
            f"{limit_min:g} minutes the coach tells you to get up (spoken, a chime and a browser notification) and "
            f"suggests a stretch. Pausing the camera neither counts nor resets it.\n\n"
            f"**Posture** (a couple of pictures a second are judged; a fault is told only once it has lasted the "
            f"cue delay, and said at most every {_defaults()['cue_repeat_min']:.0f} minutes):\n{faults}\n\n"
            f"**Calibrate** once you sit well: the coach then judges you against your own upright posture and "
            f"this camera's angle, not average values.")


def desk_page() -> None:
    st.title("Desk")
    rule = pose_rules.get_rule(EXERCISE)
    st.caption(f"{rule.description} Leave this page open while you work.")
    options = _routines()
    overrides, routine = _chosen()
    settings_box = st.container()  # filled once the camera's state is known
    try:
        rule.resolve(overrides)
    except ThresholdError as e:
        with settings_box:
            _settings(options, disabled=False)
        st.error(str(e))
        return
    st.html(NOTIFY_HTML, unsafe_allow_javascript=True)
    _explain(rule, overrides["sit_limit_min"])

    playing_before = st.session_state.get("desk_was_playing", False)
    holder = st.session_state.setdefault("desk_holder", {})
    config = json.dumps([overrides, routine], sort_keys=True)
    session: LiveSession | None = st.session_state.get("desk_session")
    if session is None or (st.session_state.get("desk_config") != config and not playing_before):
        if session is not None:
            session.close()
        session = _make(get_model(), overrides, routine, holder)
        st.session_state["desk_session"] = session
        st.session_state["desk_config"] = config

    video_col, panel_col = st.columns([3, 2])
    if not _served():
        with settings_box:
            _settings(options, disabled=False)
        with video_col:
            st.info("The desk monitor needs the app open in a browser: `streamlit run streamlit_app.py`.")
        with panel_col:
            _panel(session, False, True, overrides["sit_limit_min"])
        _summary_and_note(playing=False)
        return
    with video_col:
        ctx = camera_stream("desk-coach", session)
    playing = bool(ctx.state.playing)
    with settings_box:
        speak = _settings(options, disabled=playing)
    if playing and not playing_before:
        session.reset()
        for k in ("desk_report", "desk_save_note"):
            st.session_state.pop(k, None)
    elif playing_before and not playing:
        holder["calibration"] = session.calibration  # kept for the next START
        finish(session)
        session.close()  # the estimator goes with the stream; START makes a new one
    st.session_state["desk_was_playing"] = playing
    with panel_col:
        if playing:
            _live_panel(session, not speak, overrides["sit_limit_min"])
        else:
            _panel(session, False, True, overrides["sit_limit_min"])
    _summary_and_note(playing)
    st.caption("Press **START** and allow the camera. 🔒 Everything runs on this computer: the picture is judged "
               "frame by frame (a couple a second) and never recorded or sent anywhere; **Pause** stops even that.")


def _summary_and_note(playing: bool) -> None:
    report = st.session_state.get("desk_report")
    if report is not None and not playing:
        show_summary(report)
    note = st.session_state.get("desk_save_note")
    if note and not playing:
        getattr(st, note[0])(note[1])
