"""The Streamlit app's pages under Streamlit's AppTest (no browser, no camera):
widgets present, a sample reviewed, a threshold change alters the result, a
profile saved and loaded. The real-browser run is tests/test_browser.py."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

import pose_rules  # noqa: E402
from coach.thresholds import defaults  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED_MODEL = ROOT.parent / "shared" / "models" / "pose_landmarker_full.task"


def _page(name):
    # Runs inside AppTest's script runner: one page function, as st.navigation would call it.
    from coach.webapp import live_page, review_page, tune_page

    {"live": live_page.live_page, "review": review_page.review_page, "tune": tune_page.tune_page}[name]()


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_PROFILE_DIR", str(tmp_path / "profiles"))
    if SHARED_MODEL.is_file():
        monkeypatch.setenv("COACH_MODEL", str(SHARED_MODEL))
    else:  # the pages must still render without a model (live page: one-line error)
        monkeypatch.setenv("COACH_MODEL", str(tmp_path / "no-model.task"))
    monkeypatch.chdir(ROOT)
    yield


def page(name: str) -> AppTest:
    return AppTest.from_function(_page, args=(name,), default_timeout=120)


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}; have {[m.label for m in at.metric]}")


# ----------------------------------------------------------------- the router

def test_router_registers_the_three_pages_and_runs_the_live_page():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
    no_exceptions(at)
    assert at.title[0].value == "Live coach"
    src = (ROOT / "streamlit_app.py").read_text()
    for title in ("Live coach", "Review a clip", "Tune thresholds"):
        assert f'title="{title}"' in src


# ------------------------------------------------------------------ live page

def test_live_page_widgets():
    at = page("live").run()
    no_exceptions(at)
    labels = [s.label for s in at.selectbox]
    assert labels[:1] == ["Exercise"] and "Thresholds" in labels and "Countdown" in labels
    assert [t.label for t in at.toggle] == ["Speak cues", "Calibrate first"]
    assert at.toggle[0].value is True  # spoken cues on by default, switch = mute
    # calibration is offered and off by default; switching it on configures the session
    assert at.toggle(key="live_calibrate").value is False
    at.toggle(key="live_calibrate").set_value(True).run()
    no_exceptions(at)
    assert at.session_state["live_session"]._calibrate_s > 0
    # AppTest has no browser: the page says how to get the camera instead of failing
    assert any("needs the app open in a browser" in i.value for i in at.info)
    # side plank: the side can be chosen
    at.selectbox(key="live_exercise").set_value("Side plank").run()
    no_exceptions(at)
    radio = at.radio(key="live_variant_Side plank")
    assert radio.options == ["Both sides, timed separately", "Left side down", "Right side down"]
    assert "Face the camera" in " ".join(c.value for c in at.caption)
    # the HUD shows the waiting state
    assert any('id="coach-hud"' in h.proto.body and 'data-phase="waiting"' in h.proto.body
               for h in at.get("html"))


def test_live_page_without_a_model_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_MODEL", str(tmp_path / "missing.task"))
    from coach.webapp.common import model_bytes

    model_bytes.clear()
    try:
        at = page("live").run()
        no_exceptions(at)
        assert len(at.error) == 1 and "pose model" in at.error[0].value
        assert "\n" not in at.error[0].value.strip()
    finally:
        model_bytes.clear()


# ---------------------------------------------------------------- review page

def review_sample(name: str = "bird_dog") -> AppTest:
    at = page("review").run()
    no_exceptions(at)
    at.radio(key="review_source").set_value("Bundled sample").run()
    at.selectbox(key="review_sample").set_value(name).run()
    at.button(key="review_go").click().run()
    no_exceptions(at)
    return at


def test_review_page_widgets():
    at = page("review").run()
    no_exceptions(at)
    assert at.radio(key="review_source").options == ["Upload a video", "Bundled sample"]
    assert [b.label for b in at.button] == ["Analyse"]
    assert at.button[0].disabled  # nothing chosen yet
    assert "Exercise" in [s.label for s in at.selectbox]


def test_review_a_bundled_sample_gives_the_cli_result():
    from coach.analysis import analyze_track
    from coach.pose import PoseTrack
    import pose_rules

    at = review_sample("bird_dog")
    rv = at.session_state["review"]
    assert rv["exercise"] == "bird_dog"  # taken from the track
    expected = analyze_track(PoseTrack.load(ROOT / "samples" / "bird_dog.track.npz"), pose_rules.RULES["bird_dog"])
    assert rv["report"]["summary"] == expected["summary"]
    reps = expected["summary"]["reps"]
    assert metric(at, "Reps left / right") == f"{reps['left']} / {reps['right']}"
    assert rv["video"] and rv["video"][4:8] == b"ftyp"  # annotated MP4 in memory
    kinds = {type(e).__name__ for e in at.main}
    labels = [e.proto.label for e in at.get("download_button")]
    assert labels == ["Download report (JSON)", "Download annotated video (MP4)", "Download landmarks (.npz)"]
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"), kinds


def test_review_never_in_position_is_said_plainly():
    at = review_sample("podsazeni_panve")  # glute bridge clip where the hips never leave the floor
    s = at.session_state["review"]["report"]["summary"]
    assert s["time_in_position_s"] == 0 and s["good_hold_s"] == 0
    assert any("never in the glute bridge position" in w.value for w in at.warning)
    assert metric(at, "Good-form hold") == "0.0 s"


# ------------------------------------------------------------------ tune page

def tune_on_sample(name: str = "bird_dog") -> AppTest:
    at = page("tune").run()
    no_exceptions(at)
    assert any("Review a clip first" in i.value for i in at.info)
    at.selectbox(key="tune_sample").set_value(name).run()
    at.button(key="tune_use_sample").click().run()
    no_exceptions(at)
    return at


def test_tune_sliders_come_from_the_threshold_declarations():
    import pose_rules
    from coach.thresholds import describe

    at = tune_on_sample("bird_dog")
    decl = describe(pose_rules.RULES["bird_dog"])
    sliders = {s.label: s for s in at.slider if (s.key or "").startswith("tune__")}
    assert set(sliders) == {f"{t['name']} ({t['unit']})" for t in decl}
    for t in decl:
        s = sliders[f"{t['name']} ({t['unit']})"]
        assert (s.min, s.max, s.value) == (t["min"], t["max"], t["default"])
        assert t["meaning"] in s.help


def test_a_threshold_change_alters_the_result_and_reset_restores_it():
    at = tune_on_sample("bird_dog")
    before = metric(at, "Reps left / right")
    assert before == "1 / 1"
    # require 5 s at the top: the sample's reps are held about 3 s, so none count
    at.slider(key="tune__bird_dog__rep_min_top_s").set_value(5.0).run()
    no_exceptions(at)
    assert metric(at, "Reps left / right") == "0 / 0"
    assert any("rep_min_top_s = 5" in c.value for c in at.caption)
    # stricter "too low" limit: more fault time than the defaults
    at.slider(key="tune__bird_dog__leg_low_deg").set_value(5.0).run()
    fault_delta = next(m for m in at.metric if m.label == "Fault time").delta
    assert fault_delta.startswith("+") and not fault_delta.startswith("+0.0"), fault_delta
    at.button(key="tune_reset").click().run()
    assert metric(at, "Reps left / right") == before
    assert at.slider(key="tune__bird_dog__rep_min_top_s").value == defaults(pose_rules.RULES["bird_dog"])["rep_min_top_s"]


def test_an_invalid_combination_is_one_line_not_a_traceback():
    at = tune_on_sample("bird_dog")
    at.slider(key="tune__bird_dog__rep_down_deg").set_value(-20.0).run()
    at.slider(key="tune__bird_dog__rep_up_deg").set_value(-40.0).run()
    no_exceptions(at)
    assert len(at.error) == 1 and "must be below" in at.error[0].value


def test_save_a_profile_then_use_it_in_the_cli_and_the_live_page(tmp_path, capsys):
    at = tune_on_sample("bird_dog")
    at.slider(key="tune__bird_dog__rep_min_top_s").set_value(5.0).run()
    at.text_input(key="tune_profile_name").input("Physio May").run()
    at.button(key="tune_save").click().run()
    no_exceptions(at)
    assert at.success and "Physio May" in at.success[0].value
    path = Path(os.environ["COACH_PROFILE_DIR"]) / "physio-may.json"
    doc = json.loads(path.read_text())
    assert doc == {"profile": "Physio May", "bird_dog": {"rep_min_top_s": 5.0}}

    # the CLI applies it by name
    from coach.cli import main

    assert main(["analyze", str(ROOT / "samples" / "bird_dog.track.npz"), "--thresholds", "Physio May",
                 "--json", "-", "-q"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["thresholds"]["rep_min_top_s"] == 5.0 and report["summary"]["reps"] == {"left": 0, "right": 0}

    # the live page offers it, and choosing it configures the live session
    live = page("live").run()
    sel = live.selectbox(key="live_profile")
    assert "Physio May" in sel.options
    live.selectbox(key="live_exercise").set_value("Bird-dog").run()
    sel = live.selectbox(key="live_profile").set_value("Physio May").run()
    no_exceptions(live)
    session = live.session_state["live_session"]
    assert session.snapshot().exercise == "bird_dog"
    assert session.thresholds["rep_min_top_s"] == 5.0

    # and the tune page can start from it again
    at2 = tune_on_sample("bird_dog")
    at2.selectbox(key="tune_start").set_value("Physio May").run()
    assert at2.slider(key="tune__bird_dog__rep_min_top_s").value == 5.0
    assert metric(at2, "Reps left / right") == "0 / 0"


def test_calibrate_from_a_segment_sets_the_neutral_and_saves_it_with_the_profile():
    at = tune_on_sample("bird_dog")
    level = at.slider(key="tune__bird_dog__leg_level_deg").value
    at.slider(key="tune_cal_span").set_value((2.6, 3.7)).run()  # the held top of the first rep
    at.button(key="tune_calibrate").click().run()
    no_exceptions(at)
    assert any("your best form reads" in s.value for s in at.success)
    assert at.slider(key="tune__bird_dog__leg_level_deg").value != level
    at.text_input(key="tune_profile_name").input("Calibrated Tom").run()
    at.button(key="tune_save").click().run()
    doc = json.loads((Path(os.environ["COACH_PROFILE_DIR"]) / "calibrated-tom.json").read_text())
    assert "leg_level_deg" in doc["bird_dog"] and doc["calibration"]["bird_dog"]["from"] == pytest.approx(2.6, abs=0.05)

    # a segment without the position is refused in one line, the sliders stay
    at.slider(key="tune_cal_span").set_value((0.0, 1.5)).run()
    before = at.slider(key="tune__bird_dog__leg_level_deg").value
    at.button(key="tune_calibrate").click().run()
    no_exceptions(at)
    assert len(at.error) == 1 and at.error[0].value.startswith("Calibration refused")
    assert at.slider(key="tune__bird_dog__leg_level_deg").value == before


def test_a_broken_profile_file_gets_one_line_and_the_defaults_are_used():
    d = Path(os.environ["COACH_PROFILE_DIR"])
    d.mkdir(parents=True, exist_ok=True)
    (d / "bad.json").write_text(json.dumps({"profile": "Bad one", "plank": {"sag_degrees": 8}}))
    at = page("live").run()
    assert "Bad one" in at.selectbox(key="live_profile").options
    at.selectbox(key="live_profile").set_value("Bad one").run()
    no_exceptions(at)
    errors = [e.value for e in at.error if "pose model" not in e.value]  # no model here without ../shared
    assert len(errors) == 1 and "unknown threshold 'sag_degrees'" in errors[0]
    assert at.session_state["live_session"].thresholds == defaults(pose_rules.RULES["plank"])  # defaults in force
