"""Live coach: the browser's camera through streamlit-webrtc, judged frame by
frame on this machine.

Threads: streamlit-webrtc calls :func:`_frames_callback` on its own worker
thread. It hands the newest frame to the :class:`~coach.session.live.LiveSession`
(which holds its own lock) and returns the annotated picture; no ``st.*``
call happens there. The page polls ``session.snapshot()`` a few times a
second in a fragment to draw the big HUD and to speak new cues.
"""
from __future__ import annotations

import html
import json
import logging
import time

import av
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

import pose_rules
from coach.engine.hud import FAULT_TONE, GOOD_TONE, IDLE_TONE, POSITION_TONE, READY_TONE, UNSEEN_TONE, HudView
from coach.engine.thresholds import ThresholdError
from coach.media.models import ModelError
from coach.session.live import LiveSession, LiveSnapshot

from .common import (LYING_NOTE, PRIVACY_NOTE, exercise_picker, get_model, profile_picker, save_to_history,
                     summary_metrics)
from .rtc import install as install_low_latency_receiver

log = logging.getLogger(__name__)

HUD_REFRESH_S = 0.1
#: Background colour of the panel for each tone of the HUD view
TONE_BG = {GOOD_TONE: "#1e9e4a", FAULT_TONE: "#d33a2c", POSITION_TONE: "#e0a21a", UNSEEN_TONE: "#777777",
           READY_TONE: "#2d6cdf", IDLE_TONE: "#444444"}


def estimator_factory(data: bytes | None):
    """What a live session starts its pose estimator with: without a model the
    page still runs, and the camera stream reports the missing model instead
    of judging."""

    def factory():
        if data is None:
            raise ModelError("no pose model (run `coach models install`)")
        from coach.media.estimator import PoseEstimator  # the pose landmarker (MediaPipe)

        return PoseEstimator(data)
    return factory


def _make_session(data: bytes | None, exercise: str, thresholds: dict, countdown: float,
                  calibrate_s: float = 0.0) -> LiveSession:
    return LiveSession(estimator_factory(data), exercise, thresholds, countdown_s=countdown, calibrate_s=calibrate_s)


def _frames_callback(session: LiveSession):
    """The frame callback for streamlit-webrtc (runs on its worker thread).
    It receives every frame queued since the last call; the newest wins."""

    async def callback(frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        frame = frames[-1]
        if len(frames) > 1:
            session.note_dropped(len(frames) - 1)
        try:
            t = frame.time
            if t is None:  # a frame without a timestamp: time it on arrival (never seen from browsers)
                t = time.monotonic()
            img = frame.to_ndarray(format="rgb24")
            out = session.process(img, float(t))
        except Exception:  # never let one bad frame end the stream (streamlit-webrtc stops on an exception)
            log.exception("live frame could not be processed")
            return [frame]
        new = av.VideoFrame.from_ndarray(out, format="rgb24")
        new.pts, new.time_base = frame.pts, frame.time_base
        return [new]
    return callback


def camera_stream(key: str, session: LiveSession):
    """The browser's camera (streamlit-webrtc) with START / STOP, its frames
    judged by ``session`` and shown annotated. Returns the streamer's context."""
    install_low_latency_receiver()
    return webrtc_streamer(
        key=key,
        mode=WebRtcMode.SENDRECV,
        queued_video_frames_callback=_frames_callback(session),
        # 640 px and 20 frames/s are plenty for slow floor exercises and keep the
        # WebRTC decode / encode cheap on small laptops (the pose model sees 256 px anyway)
        media_stream_constraints={"video": {"width": {"ideal": 640}, "frameRate": {"ideal": 20}}, "audio": False},
        rtc_configuration={"iceServers": []},  # local only: no STUN/TURN servers contacted
        async_processing=True,
        video_html_attrs={"style": {"width": "100%"}, "autoPlay": True, "controls": False, "muted": True},
        translations={"start": "START", "stop": "STOP"},
    )


def _served() -> bool:
    """True when a real Streamlit server runs this session (streamlit-webrtc
    needs one; Streamlit's AppTest has none)."""
    from streamlit.runtime import Runtime

    try:
        return Runtime.exists() and hasattr(Runtime.instance(), "_session_mgr")
    except Exception:
        return False


def hud_html(s: LiveSnapshot) -> str:
    """The big HUD panel (readable from 2-3 m): the snapshot's
    :class:`~coach.engine.hud.HudView`, the same view the video overlay draws.
    Its data-* attributes are what the browser test reads."""
    e = html.escape
    v: HudView = s.hud
    done = s.progress.done
    attrs = {
        "phase": s.phase, "status": s.status or "", "person": int(bool(s.person)),
        "goal": s.progress.goal.name, "done-left": f"{done.get('left', 0):g}", "done-right": f"{done.get('right', 0):g}",
        "done-total": f"{s.progress.total:g}", "current-s": f"{s.progress.current_s:.2f}",
        "progress": s.progress.text(), "cue": v.cue or "",
        "message": v.message or "", "frames": s.frames, "dropped": s.frames_dropped,
        "t": "" if s.t is None else f"{s.t:.3f}",
        # wall-clock ms when the shown frame was processed (the browser test measures display latency)
        "processed-ms": "" if s.processed_at is None else f"{s.processed_at * 1000:.0f}",
        "error": s.error or "",
    }
    data = " ".join(f'data-{k}="{e(str(val))}"' for k, val in attrs.items())
    bg = TONE_BG.get(v.tone, "#444444")
    big = ""
    if v.message:
        if v.countdown:
            big = f'<div style="font-size:120px;font-weight:800;line-height:1">{e(v.message)}</div>'
        else:
            big = f'<div style="font-size:44px;font-weight:700;line-height:1.15">{e(v.message)}</div>'
    hl = v.headline
    if hl is not None and not v.message:
        head, sep, rest = hl.big.partition(" / ")  # "11 / 60 s": the count big, the target smaller
        size = 84 if len(head) <= 4 else 60
        big = (f'<div style="font-size:{size}px;font-weight:800;line-height:1;white-space:nowrap">{e(head)}'
               + (f'<span style="font-size:40px"> / {e(rest)}</span>' if sep else "") + "</div>")
        if hl.fraction is not None:
            big += (f'<div style="background:#ffffff55;height:22px;border-radius:11px;margin:10px 0">'
                    f'<div style="background:{"#7CFC8A" if hl.reached else "#fff"};height:22px;'
                    f'border-radius:11px;width:{100 * hl.fraction:.0f}%"></div></div>')
        if hl.sub:
            big += f'<div style="font-size:30px">{e(hl.sub)}</div>'
        for line in hl.extra:
            big += f'<div style="font-size:30px">{e(line)}</div>'
        if hl.reached:
            big += '<div style="font-size:30px;font-weight:700">Target reached!</div>'
    cue = ""
    if v.cue:
        cue = f'<div style="font-size:48px;font-weight:800;margin-top:12px;line-height:1.1">{e(v.cue)}</div>'
    for note in v.notes:
        cue += f'<div style="font-size:20px;margin-top:10px">{e(note)}</div>'
    diag = (f"{s.fps:.0f} frames/s · {s.process_ms:.0f} ms per frame · {s.frames_dropped} skipped to keep up"
            if s.frames else "")
    return (f'<div id="coach-hud" {data} style="background:{bg};color:#fff;border-radius:14px;padding:18px 22px;'
            f'font-family:sans-serif;min-height:260px">'
            f'<div style="font-size:34px;font-weight:700;margin-bottom:8px">{e(v.title)}</div>{big}{cue}'
            f'<div style="font-size:13px;opacity:.8;margin-top:14px">{e(diag)}</div></div>')


def speech_html(utterances: list, epoch: int, muted: bool, notify: bool = False) -> str:
    """A script that speaks new utterances once (browser speechSynthesis) and
    plays their beep (Web Audio). It runs in the page itself (st.html with
    JavaScript), which has the user's click on START, so browsers allow sound.
    With ``notify``, a "reminder" also shows a browser notification (when the
    person allowed them; silently nothing otherwise), muted or not.
    ``window.__coachSpoken`` records what was said (``at``: when, wall clock ms),
    ``__coachSounds`` the sounds played and ``__coachNotified`` the notifications (read by the browser tests)."""
    items = [{"id": u.id, "text": u.text, "kind": u.kind, "sound": u.sound} for u in utterances]
    return f"""<span data-coach-speech="{epoch}:{items[-1]['id'] if items else 0}" style="display:none"></span>
<script>
(() => {{
  const W = window, items = {json.dumps(items)}, epoch = {int(epoch)}, muted = {json.dumps(bool(muted))};
  const notify = {json.dumps(bool(notify))};
  if (W.__coachEpoch !== epoch) {{ W.__coachEpoch = epoch; W.__coachLastId = 0; }}
  W.__coachSpoken = W.__coachSpoken || [];
  W.__coachSounds = W.__coachSounds || [];
  W.__coachNotified = W.__coachNotified || [];
  // [frequency Hz, seconds], or a list of them played one after another (the desk reminder's chime)
  const tones = {{tick: [660, 0.12], go: [990, 0.35], done: [880, 0.6], rep: [740, 0.18],
                 chime: [[784, 0.25], [1047, 0.25], [1319, 0.6]]}};
  function beep(kind) {{
    const tone = tones[kind]; if (!tone) return;
    W.__coachSounds.push(kind);
    const AC = W.AudioContext || W.webkitAudioContext; if (!AC) return;
    W.__coachAudio = W.__coachAudio || new AC();
    const ac = W.__coachAudio;
    let at = ac.currentTime;
    for (const [freq, secs] of (Array.isArray(tone[0]) ? tone : [tone])) {{
      const o = ac.createOscillator(), g = ac.createGain();
      o.frequency.value = freq; g.gain.value = 0.2;
      o.connect(g); g.connect(ac.destination); o.start(at); o.stop(at + secs); at += secs;
    }}
  }}
  function notification(u) {{
    const N = W.Notification;
    if (!N || N.permission !== 'granted') return;
    new N('Time to get up', {{body: u.text, tag: 'coach-reminder'}});
    W.__coachNotified.push({{id: u.id, text: u.text}});
  }}
  for (const u of items) {{
    if (u.id <= W.__coachLastId) continue;
    W.__coachLastId = u.id;
    W.__coachSpoken.push({{id: u.id, text: u.text, kind: u.kind, muted: muted, at: Date.now()}});
    if (notify && u.kind === 'reminder') try {{ notification(u); }} catch (e) {{}}
    if (muted) continue;
    try {{ beep(u.sound); }} catch (e) {{}}
    try {{
      const synth = W.speechSynthesis;
      if (synth) {{
        if (u.kind === 'cue' || u.kind === 'countdown') synth.cancel();  // one thing at a time, newest first
        const ut = new SpeechSynthesisUtterance(u.text); ut.rate = 1.05; synth.speak(ut);
      }}
    }} catch (e) {{}}
  }}
}})();
</script>"""


def _hud(session: LiveSession, muted: bool) -> None:
    s = session.snapshot()
    st.html(hud_html(s))
    recent = [u for u in session.utterances_since(0) if s.t is None or u.t >= s.t - 4.0][-5:]
    st.html(speech_html(recent, id(session) % 1_000_000_007, muted), unsafe_allow_javascript=True)


@st.fragment(run_every=HUD_REFRESH_S)
def _hud_fragment(session: LiveSession, muted: bool) -> None:
    _hud(session, muted)


def live_page() -> None:
    st.title("Live coach")
    top = st.columns([2, 2, 1, 1, 1])
    with top[0]:
        exercise = exercise_picker("live")
    rule = pose_rules.RULES[exercise]
    with top[1]:
        profile_name, profile = profile_picker("live_profile")
    with top[2]:
        speak = st.toggle("Speak cues", value=True, key="live_speak", help="Spoken cues, countdown and beeps")
    with top[3]:
        countdown = st.selectbox("Countdown", [0, 3, 5, 10], index=1, key="live_countdown",
                                 format_func=lambda v: f"{v} s" if v else "none")
    with top[4]:
        calibrate_first = st.toggle(
            "Calibrate first", value=False, key="live_calibrate",
            help=f"After the countdown, hold your best form for {CALIBRATE_S:.0f} s: the coach measures how the "
                 "camera reads your body and centres the limits on it (MediaPipe reads a straight plank "
                 "differently for different people and cameras).")
    calibrate_s = CALIBRATE_S if calibrate_first else 0.0
    thresholds = dict(profile.get(exercise, {}))
    st.caption(f"{rule.description} **Camera:** {rule.camera_placement()}")
    if rule.targets:  # e.g. the bridge: hold 60 s, or three deep breaths
        options = [""] + list(rule.targets)
        choice = st.radio("Target", options, horizontal=True, key=f"live_target_{exercise}",
                          format_func=lambda k: rule.goal.describe() if not k else rule.targets[k][0])
        thresholds.update(rule.target(choice))
    if rule.lying:
        st.info(LYING_NOTE, icon="🛏️")
    if not rule.judged:
        st.info("The camera cannot judge this step: the coach keeps time and tells you when to hold and when "
                "to relax. It never says \"good form\" here.", icon="⏱️")

    session: LiveSession | None = st.session_state.get("live_session")
    config = (exercise, json.dumps(thresholds, sort_keys=True), countdown, calibrate_s)
    model = get_model()  # cached; a one-line error on the page when it is missing
    if session is None:
        session = _make_session(model[0] if model else None, exercise, thresholds, countdown, calibrate_s)
        st.session_state["live_session"] = session
        st.session_state["live_config"] = config
    elif st.session_state.get("live_config") != config:
        try:
            session.configure(exercise=exercise, thresholds=thresholds, countdown_s=countdown,
                              calibrate_s=calibrate_s)
        except ThresholdError as e:
            st.error(str(e))
            return
        st.session_state["live_config"] = config

    video_col, hud_col = st.columns([3, 2])
    if not _served():
        with video_col:
            st.info("The live camera needs the app open in a browser: `streamlit run streamlit_app.py`.")
        with hud_col:
            _hud(session, True)
        return
    with video_col:
        ctx = camera_stream("live-coach", session)
    playing = bool(ctx.state.playing)
    was = st.session_state.get("live_was_playing", False)
    if playing and not was:
        session.reset()
        st.session_state.pop("live_summary", None)
    elif was and not playing:
        st.session_state["live_summary"] = session.stop()
        st.session_state["live_save_note"] = _save_to_history(st.session_state["live_summary"])
        session.close()  # the estimator (about 100 MB) goes with the stream; START makes a new one
    st.session_state["live_was_playing"] = playing

    with hud_col:
        if playing:
            _hud_fragment(session, not speak)
        else:
            _hud(session, True)
    summary = st.session_state.get("live_summary")
    if summary and not playing:
        _show_summary(summary, rule)
        note = st.session_state.get("live_save_note")
        if note:
            getattr(st, note[0])(note[1])
    if not playing and session.calibration is not None:
        _calibration_box(session, rule, profile_name)
    if not playing:
        with st.expander("How to set up on the floor", expanded=summary is None):
            st.markdown(SETUP_TEXT)
    st.caption(PRIVACY_NOTE)


def _save_to_history(report) -> tuple[str, str] | None:
    """A finished live session into the history (kind "live"); None when nothing was coached."""
    if report.summary.frames == 0:
        return None
    return save_to_history([report], "live", source="live camera")


#: How long the calibration step asks the person to hold their best form.
CALIBRATE_S = 5.0


def _calibration_box(session: LiveSession, rule, profile_name: str | None) -> None:
    """The calibration of this session, and saving it as a threshold profile."""
    cal = session.calibration
    st.subheader("Your calibration")
    st.markdown(cal.describe(rule).replace("\n", "  \n"))
    c1, c2 = st.columns([3, 1])
    name = c1.text_input("Save it as a profile", value=profile_name or "", key="live_cal_name",
                         placeholder="e.g. my plank")
    if c2.button("Save calibration", key="live_cal_save", disabled=not name.strip()):
        from coach.engine.profiles import save_named

        try:
            path = save_named(name, rule.name, cal.values, calibration=cal.record(), merge=True)
            st.success(f"Saved in '{name.strip()}' ({path}). Pick it in **Thresholds** next time, or use "
                       f"`coach analyze CLIP -e {rule.name} --thresholds \"{name.strip()}\"`.")
        except (ThresholdError, OSError) as e:
            st.error(f"Could not save the calibration: {e}")


SETUP_TEXT = """
* Put the laptop **on the floor or a low stool, 2–3 m away**, screen turned towards you, camera at about hip
  height. Tilt the screen so your **whole body, head to feet**, is in the picture when you lie down.
* **Side view** for plank, knee plank, glute bridge, bird-dog and hip extension: your side towards the camera.
  **Facing the camera** for the side plank.
* Good light from the front or above, not a bright window behind you. Plain clothes that contrast with the floor help.
* Press **START** and allow the camera. The coach checks the setup first and tells you what to change
  ("Move back so your feet are in view", "Turn side-on to the camera"), then counts down and starts.
* **Calibrate first** (optional): after the countdown, hold your best form for 5 s. The coach learns how the
  camera reads *your* straight body and judges you against that; save it as a profile to reuse it.
* The timer counts only seconds with good form. Cues are spoken, so you don't have to look at the screen;
  switch **Speak cues** off to mute them. Press **STOP** for your summary.
"""


def _show_summary(report, rule) -> None:
    st.subheader("Your session")
    summary_metrics(report)
    st.download_button("Download session report (JSON)", report.to_json(), file_name=f"{rule.name}.session.json",
                       mime="application/json", key="live_dl", on_click="ignore")
