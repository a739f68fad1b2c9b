"""The Desk page under Streamlit's AppTest (no browser, no camera): the
settings reach the desk session, the privacy indicator and the live numbers
show what the session knows, Pause / Snooze / Calibrate reach the session,
a reminder is queued for speech (with its chime and notification), and STOP
puts the session into the history with its summary. The real browser run
with a fake camera is tests/webapp/test_browser_desk.py."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from coach.core.pose import PoseFrame, PoseTrack  # noqa: E402
from coach.history import History  # noqa: E402
from coach.session.desk import DeskRun, stretch_suggestions  # noqa: E402
from coach.session.live import LiveSession  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TRACKS = ROOT / "devset" / "tracks"
IMG = np.zeros((36, 64, 3), np.uint8)


def _page():
    from coach.webapp.desk_page import desk_page

    desk_page()


def page() -> AppTest:
    return AppTest.from_function(_page, default_timeout=60)


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def desk(at: AppTest) -> dict:
    """The privacy indicator's data-* and its text."""
    bodies = [h.proto.body for h in at.get("html") if 'id="coach-desk"' in h.proto.body]
    assert len(bodies) == 1, len(bodies)
    d = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', bodies[0].split(">", 1)[0]))
    d["text"] = html.unescape(re.sub(r"<[^>]+>", "", bodies[0])).strip()
    return d


def speech_items(at: AppTest) -> list[dict]:
    """The utterances the page's speech script would say (its JSON list)."""
    for h in at.get("html"):
        m = re.search(r"items = (\[.*?\]), epoch", h.proto.body)
        if m and "data-coach-speech" in h.proto.body:
            return json.loads(m[1])
    return []


def sitting_frame() -> PoseFrame:
    """A real reading of a person sitting upright, side-on (the desk rule judges it "good")."""
    path = TRACKS / "clip_kocka_krava_na_zidli.npz"
    if not path.is_file():  # pragma: no cover - the devset is part of the repository
        pytest.skip(f"{path} is missing")
    tr = PoseTrack.load(path)
    return tr.frame(int(np.argmin(np.abs(tr.timestamps - 6.4))))


class StillCamera:
    """A pose estimator that always sees the same (real) pose."""

    def __init__(self, pose: PoseFrame):
        self.pose = pose

    def process(self, image, t):
        return PoseFrame(self.pose.landmarks, self.pose.world, t, self.pose.image_size)

    def close(self):
        pass


def desk_session(overrides=None, routine="Daily stretches") -> LiveSession:
    cam = StillCamera(sitting_frame())
    overrides = dict(overrides or {})
    tips = stretch_suggestions(routine)
    return LiveSession(lambda: cam, "desk_posture", overrides, countdown_s=0,
                       run_factory=lambda ann: DeskRun(ann, overrides, suggestions=tips))


def sit(session: LiveSession, seconds: float, start: float = 0.0, fps: float = 2.0) -> float:
    n = int(round(seconds * fps))
    for i in range(n + 1):
        session.process(IMG, start + i / fps)
    return start + n / fps


def with_session(at: AppTest, session: LiveSession) -> AppTest:
    """Run the page, then put ``session`` in place of the one it made (same settings)."""
    at.run()
    no_exceptions(at)
    at.session_state["desk_session"] = session
    return at.run()


def test_the_page_shows_settings_indicator_and_buttons():
    at = page().run()
    no_exceptions(at)
    assert at.title[0].value == "Desk"
    assert at.number_input(key="desk_sit_limit").value == 30.0
    assert at.number_input(key="desk_break").value == 60.0
    assert at.number_input(key="desk_cue_delay").value == 30.0
    routines = at.selectbox(key="desk_routine")
    assert routines.value == "Daily stretches" and routines.options[-1] == "No suggestion"
    assert at.toggle(key="desk_speak").value is True
    assert any("needs the app open in a browser" in i.value for i in at.info)
    d = desk(at)
    assert d["camera"] == "off" and d["text"] == "○ Camera off" and d["sitting-s"] == "0.0"
    assert at.button(key="desk_pause").label == "Pause"
    assert at.button(key="desk_snooze").label == "Snooze 10 min"
    assert at.button(key="desk_calibrate").label.startswith("Calibrate: sit upright 5 s")
    # what is judged and where the camera goes
    body = " ".join(m.value for m in at.markdown)
    assert "head and shoulders in view is enough" in body and "Sit up tall" in body
    # the notification button is in the page (its script asks the browser for permission)
    assert any('id="coach-notify"' in h.proto.body for h in at.get("html"))


def test_the_settings_reach_the_desk_session():
    at = page().run()
    first = at.session_state["desk_session"]
    assert first.thresholds["sit_limit_min"] == 30.0
    at.number_input(key="desk_sit_limit").set_value(0.5)
    at.number_input(key="desk_break").set_value(120.0)
    at.number_input(key="desk_cue_delay").set_value(10.0)
    at.selectbox(key="desk_routine").set_value("No suggestion")
    at.run()
    no_exceptions(at)
    session = at.session_state["desk_session"]
    assert session is not first  # a new session with the new settings (the camera is not running)
    th = session.thresholds
    assert (th["sit_limit_min"], th["break_s"], th["cue_delay_s"]) == (0.5, 120.0, 10.0)
    assert any("After 0.5 minutes the coach tells you to get up" in m.value for m in at.markdown)
    # below the minimum is not taken: the widget refuses it, and the page does not break
    at.number_input(key="desk_sit_limit").set_value(0.1).run()
    no_exceptions(at)
    assert at.number_input(key="desk_sit_limit").value != 0.1
    assert at.session_state["desk_session"].thresholds["sit_limit_min"] >= 0.5


def test_a_threshold_outside_its_range_is_a_one_line_error():
    from coach.webapp.desk_page import _make

    with pytest.raises(Exception) as e:
        _make(None, {"sit_limit_min": 0.1}, None, {})
    assert "sit_limit_min" in str(e.value) and "\n" not in str(e.value)


def test_pause_snooze_and_calibrate_reach_the_session():
    session = desk_session()
    t = sit(session, 10.0)
    assert session.snapshot().routine["sitting_s"] > 9
    at = with_session(page(), session)
    no_exceptions(at)
    d = desk(at)
    assert d["posture"] == "sitting upright" and float(d["sitting-s"]) > 9 and d["calibrated"] == "0"

    at.button(key="desk_pause").click().run()
    no_exceptions(at)
    assert session.snapshot().routine["paused"]
    assert at.button(key="desk_resume").label == "Resume"  # at once: the command went in before the rerun
    before = session.snapshot().routine["sitting_s"]
    t = sit(session, 5.0, t + 0.5)
    assert session.snapshot().routine["sitting_s"] == before  # paused: not counted
    at.button(key="desk_resume").click().run()
    assert not session.snapshot().routine["paused"] and at.button(key="desk_pause").label == "Pause"
    t = sit(session, 5.0, t + 0.5)
    assert session.snapshot().routine["sitting_s"] > before + 4  # counting again, not reset

    at.button(key="desk_snooze").click().run()
    no_exceptions(at)
    assert session.snapshot().routine["snoozed_until"] == pytest.approx(t + 600)
    assert at.button(key="desk_unsnooze").label == "Unsnooze" and desk(at)["snoozed"] == "1"
    assert any(i["text"] == "Snoozed for 10 minutes" for i in speech_items(at))
    at.button(key="desk_unsnooze").click().run()
    assert session.snapshot().routine["snoozed_until"] is None and at.button(key="desk_snooze").label == "Snooze 10 min"

    at.button(key="desk_calibrate").click().run()
    assert session.snapshot().routine["calibrating"]
    t = sit(session, 6.0, t + 0.5)
    at.run()
    assert session.snapshot().routine["calibrated"] and desk(at)["calibrated"] == "1"
    assert any("calibrated to you" in m.value for m in at.markdown)


def test_the_reminder_is_queued_with_its_chime_and_suggestion():
    session = desk_session({"sit_limit_min": 0.5})
    sit(session, 31.0)
    at = page().run()
    at.number_input(key="desk_sit_limit").set_value(0.5)
    at = with_session(at, session)
    no_exceptions(at)
    d = desk(at)
    assert d["reminders"] == "1" and float(d["sitting-s"]) >= 30
    items = speech_items(at)
    reminder = [i for i in items if i["kind"] == "reminder"]
    assert reminder and reminder[0]["text"].startswith("You have been sitting") and reminder[0]["sound"] == "chime"
    assert any(i["kind"] == "suggestion" and i["text"].startswith("A stretch from your routine") for i in items)
    script = next(h.proto.body for h in at.get("html") if "data-coach-speech" in h.proto.body)
    assert "chime" in script and "new N('Time to get up'" in script


def _stop_and_show():
    import streamlit as st

    from coach.webapp.desk_page import _summary_and_note, finish

    if "done" not in st.session_state:
        finish(st.session_state["session"])
        st.session_state["done"] = True
    _summary_and_note(playing=False)


def test_stop_saves_the_session_and_shows_the_summary():
    session = desk_session({"sit_limit_min": 0.5})
    sit(session, 40.0)
    at = AppTest.from_function(_stop_and_show, default_timeout=60)
    at.session_state["session"] = session
    at.run()
    no_exceptions(at)
    assert at.subheader[0].value == "Your desk session"
    assert any("Saved in your history" in s.value for s in at.success)
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["Sitting now", "Time sitting"] and "Reminders" in labels
    rows = {r[""]: r["value"] for r in at.table[0].value.to_dict("records")}
    assert rows["reminders given"].startswith("1 (every 0:30") and rows["time sitting"].startswith("0:40")
    with History() as h:
        sessions = h.sessions()
    assert len(sessions) == 1
    assert sessions[0]["kind"] == "desk"
    at.run()  # a rerun does not save it again
    with History() as h:
        assert len(h.sessions()) == 1


def test_nothing_seen_saves_nothing():
    session = desk_session()
    at = AppTest.from_function(_stop_and_show, default_timeout=60)
    at.session_state["session"] = session
    at.run()
    no_exceptions(at)
    assert any("nothing was added" in i.value for i in at.info)
    with History() as h:
        assert h.sessions() == []


def test_the_indicator_says_on_paused_off_and_escapes_text():
    from types import SimpleNamespace

    from coach.webapp.desk_page import indicator_html

    snap = SimpleNamespace(routine={"paused": False, "posture": 'sitting: <b>"x"</b>', "sitting_s": 61.0},
                           cue=None, frames=3, t=1.0, error=None)
    on = indicator_html(snap, True)
    assert 'data-camera="on"' in on and "Camera on — watching posture, nothing is recorded or sent" in on
    assert "<b>" not in on and 'data-sitting-s="61.0"' in on
    snap.routine["paused"] = True
    assert "⏸ Paused — the camera is not being watched" in indicator_html(snap, True)
    assert 'data-camera="off"' in indicator_html(snap, False)
