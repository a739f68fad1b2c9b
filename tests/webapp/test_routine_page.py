"""The Routine page under Streamlit's AppTest (no browser, no camera): the
routines and today's plan (grown from the history), the steps and buttons
beside the HUD, Skip and Pause reaching the routine, the editor's rows
becoming a routine file, and the summary going into the history. The real
browser run with a fake camera is tests/webapp/test_browser.py."""
from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from coach.core.pose import PoseFrame, PoseTrack  # noqa: E402
from coach.engine import routines as R  # noqa: E402
from coach.history import History, record_from_reports  # noqa: E402
from coach.session.live import LiveSession  # noqa: E402
from coach.session.routine import RoutineRun  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TRACKS = ROOT / "devset" / "tracks"


def _page():
    from coach.webapp.routine_page import routine_page

    routine_page()


def page() -> AppTest:
    return AppTest.from_function(_page, default_timeout=60)


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def routine_panel(at: AppTest) -> dict:
    bodies = [h.proto.body for h in at.get("html") if 'id="coach-routine"' in h.proto.body]
    assert len(bodies) == 1
    body = bodies[0]
    head = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.split(">", 1)[0]))
    steps = [(int(n), o) for n, o in re.findall(r'<div data-step="(\d+)" data-outcome="([^"]*)"', body)]
    text = " ".join(html.unescape(t).strip() for t in re.findall(r">([^<]+)<", body) if t.strip())
    return {"head": head, "steps": steps, "text": text}


def plan_table(at: AppTest) -> list[dict]:
    return at.dataframe[0].value.to_dict("records")


def still(name: str) -> PoseFrame:
    t = PoseTrack.load(TRACKS / f"{name}.npz")
    return PoseFrame(t.landmarks[0], t.world[0], 0.0, (t.meta["image_width"], t.meta["image_height"]))


class StillCamera:
    """A pose estimator that sees the pose it is told to (a real photo's reading)."""

    def __init__(self, pose: PoseFrame):
        self.pose = pose

    def process(self, image, t):
        return PoseFrame(self.pose.landmarks, self.pose.world, t, self.pose.image_size)

    def close(self):
        pass


def test_the_page_offers_the_routines_and_todays_plan():
    at = page().run()
    no_exceptions(at)
    assert at.title[0].value == "Routine"
    options = at.selectbox(key="routine_choice").options
    assert options[:2] == ["Core strength", "Daily stretches"] and options[-1].startswith("Free mode")
    rows = plan_table(at)
    assert [r["exercise"] for r in rows][:3] == ["Plank (forearms or hands)", "Side plank (either side)", "Glute bridge"]
    assert rows[0]["today"] == "hold 20 s" and "first time" in rows[0]["how it was set"]
    assert rows[1]["sides"] == "left, right"
    # no browser here: the page says so, and shows the HUD and the steps
    assert any("needs the app open in a browser" in i.value for i in at.info)
    panel = routine_panel(at)
    assert panel["head"]["steps"] == "6" and panel["steps"][0] == (1, "now")
    assert at.button(key="routine_pause").label == "Pause" and at.button(key="routine_skip").label == "Skip"


def test_todays_targets_grow_from_the_recorded_best():
    import pose_rules
    from coach.session.loop import analyze_track
    from coach import samples

    rep = analyze_track(PoseTrack.load(samples.path()), pose_rules.get_rule("bird_dog"))
    with History() as h:
        assert h.add(record_from_reports([rep], "clip")).saved
        best_left = h.best(R.family_names("bird_dog"), "left", "reps")
    at = page().run()
    no_exceptions(at)
    bird = next(r for r in plan_table(at) if r["exercise"] == "Bird-dog")
    want = int(min(10, max(1, best_left + 2)))
    assert bird["today"] == f"{want} reps a side" and "your best" in bird["how it was set"]


def test_free_mode_is_offered():
    at = page().run()
    at.selectbox(key="routine_choice").set_value(at.selectbox(key="routine_choice").options[-1]).run()
    no_exceptions(at)
    assert any("recognises which one" in i.value for i in at.info)


def test_skip_and_pause_reach_the_routine_in_the_session():
    planned = R.plan(R.loads("name = 'Two'\nrest = 0\n[[step]]\nexercise = 'plank'\nhold = 5\n"
                             "[[step]]\nexercise = 'glute_bridge'\nhold = 10\n"))
    cam = StillCamera(still("still_plank_1_16x9"))
    session = LiveSession(lambda: cam, "plank", countdown_s=0,
                          run_factory=lambda ann: RoutineRun("Two", planned, ann))
    img = np.zeros((36, 64, 3), np.uint8)
    for i in range(30):  # 2 s of the plank: the step starts by itself after 1 s in position
        session.process(img, i / 15)
    assert session.snapshot().phase == "coaching"
    at = page()
    at.session_state["routine_session"] = session
    at.session_state["routine_choice"] = "Core strength"
    at.run()
    no_exceptions(at)
    # the page made its own session for the chosen routine; put ours in its place
    at.session_state["routine_session"] = session
    at.run()
    panel = routine_panel(at)
    assert panel["head"]["phase"] == "coaching" and panel["steps"] == [(1, "now"), (2, "")]
    at.button(key="routine_pause").click().run()
    no_exceptions(at)
    session.process(img, 2.1)
    assert session.snapshot().routine["paused"]
    at.run()
    assert at.button(key="routine_resume").label == "Resume"
    at.button(key="routine_skip").click().run()
    session.process(img, 2.2)
    snap = session.snapshot()
    assert snap.routine["step"] == 2 and snap.exercise == "glute_bridge" and not snap.routine["paused"]


def test_the_editors_rows_become_a_routine_file():
    from coach.webapp.routine_page import _steps_from

    rows = [{"exercise": "plank", "sides": None, "hold": 40.0, "reps": float("nan"), "repeats": None,
             "start": 15.0, "grow": None, "rest": 20.0, "target": "", "note": None},
            {"exercise": "side_plank", "sides": "right", "hold": 30.0, "reps": None, "repeats": None,
             "start": None, "grow": None, "rest": None, "target": None, "note": "weaker side"}]
    r = R.parse_routine({"name": "Mine", "step": _steps_from(rows)}, "edited")
    path = R.save_routine(r)
    back = R.load_routine(path)
    assert back.steps[0].hold == 40 and back.steps[0].start == 15 and back.steps[0].rest == 20
    assert back.steps[1].sides == ("right",) and back.steps[1].note == "weaker side"
    at = page().run()
    assert "Mine" in at.selectbox(key="routine_choice").options


def _show_and_save():
    import streamlit as st

    from coach.webapp.routine_page import _save, _save_note, _show_summary

    _show_summary(st.session_state["summary"])
    _save(st.session_state["summary"])
    _save_note()


def test_the_summary_is_shown_and_goes_into_the_history():
    planned = R.plan(R.loads("name = 'Two'\nrest = 0\n[[step]]\nexercise = 'plank'\nhold = 5\n"
                             "[[step]]\nexercise = 'glute_bridge'\nhold = 10\n"))
    cam = StillCamera(still("still_plank_1_16x9"))
    session = LiveSession(lambda: cam, "plank", countdown_s=0, run_factory=lambda ann: RoutineRun("Two", planned, ann))
    img = np.zeros((36, 64, 3), np.uint8)
    for i in range(15 * 8):
        session.process(img, i / 15)
    summary = session.stop()
    assert [s.outcome for s in summary.steps] == ["done", "not started"]
    at = AppTest.from_function(_show_and_save, default_timeout=60)
    at.session_state["summary"] = summary
    at.run()
    no_exceptions(at)
    rows = at.dataframe[0].value.to_dict("records")
    assert [r["outcome"] for r in rows] == ["done", "not started"]
    assert any("Saved in your history" in s.value for s in at.success)
    with History() as h:
        sessions = h.sessions()
    assert len(sessions) == 1 and sessions[0]["kind"] == "routine" and sessions[0]["routine"] == "Two"


def test_a_routine_name_from_a_file_is_shown_as_text():
    from types import SimpleNamespace

    from coach.webapp.routine_page import _step_table

    snap = SimpleNamespace(routine={"name": 'My "<b>back</b>"', "phase": "get_ready", "step": 1, "steps": 1,
                                    "seen": None, "rows": [{"step": 1, "title": "Plank", "target": "hold 20 s",
                                                            "outcome": "now", "result": ""}]})
    out = _step_table(snap)
    assert "<b>" not in out and 'data-routine="My &quot;&lt;b&gt;back&lt;/b&gt;&quot;"' in out
