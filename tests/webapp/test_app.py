"""The Streamlit app's pages under Streamlit's AppTest (no browser, no camera):
the router's pages, widgets present, the live HUD and summary, a sample
reviewed, a threshold change alters the result, a profile saved and loaded.
The real-browser run is tests/webapp/test_browser.py."""
from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

import pose_rules  # noqa: E402
from coach.engine.report import Report  # noqa: E402
from coach.engine.thresholds import defaults  # noqa: E402
from coach.webapp.common import families, model_bytes  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _page(name):
    # Runs inside AppTest's script runner: one page function, as st.navigation would call it.
    from coach.webapp import live_page, review_page, tune_page

    {"live": live_page.live_page, "review": review_page.review_page, "tune": tune_page.tune_page}[name]()


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_PROFILE_DIR", str(tmp_path / "profiles"))
    # no model unless a test asks for one (`with_model`): the pages must render without it
    monkeypatch.setenv("COACH_MODEL", str(tmp_path / "no-model.task"))
    monkeypatch.chdir(ROOT)
    model_bytes.clear()  # the app caches the model for the process
    yield
    model_bytes.clear()


@pytest.fixture
def with_model(pose_model, monkeypatch):
    """The pages get the pose model as the product provisions it."""
    monkeypatch.setenv("COACH_MODEL", str(pose_model))
    model_bytes.clear()
    return pose_model


def page(name: str) -> AppTest:
    return AppTest.from_function(_page, args=(name,), default_timeout=120)


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}; have {[m.label for m in at.metric]}")


def hud(at: AppTest) -> tuple[dict, str]:
    """The live HUD panel on the page: its data-* attributes and its visible text."""
    bodies = [h.proto.body for h in at.get("html") if 'id="coach-hud"' in h.proto.body]
    assert len(bodies) == 1, f"{len(bodies)} HUD panels"
    body = bodies[0]
    attrs = {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', body)}
    text = " ".join(html.unescape(t).strip() for t in re.findall(r">([^<]+)<", body) if t.strip())
    return attrs, text


# ----------------------------------------------------------------- the router

def test_router_offers_the_pages_and_each_one_opens(with_model):
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
    no_exceptions(at)
    # the default page, as the user lands on it
    assert [t.value for t in at.title] == ["Live coach"]
    assert not at.error  # the model was found
    assert "watches your form" in " ".join(m.value for m in at.sidebar.markdown)
    # the navigation the user sees: the pages st.navigation registered, in order, with their url paths
    # (AppTest cannot click function pages in the sidebar: we open them by their registered page hash)
    pages = at._registered_pages
    assert [(p["page_name"], p["url_pathname"]) for p in pages.values()] == [
        ("Live coach", ""), ("Routine", "routine"), ("Desk", "desk"), ("Review a clip", "review"),
        ("Tune thresholds", "tune"), ("History", "history")]
    opened = {}
    for page_hash, info in pages.items():
        at._page_hash = page_hash
        at.run()
        no_exceptions(at)
        opened[info["page_name"]] = [t.value for t in at.title]
    assert opened == {"Live coach": ["Live coach"], "Routine": ["Routine"], "Desk": ["Desk"],
                      "Review a clip": ["Review a clip"],
                      "Tune thresholds": ["Tune thresholds"], "History": ["History"]}
    # what each page opens with
    assert at.title[0].value == "History" and any("Nothing here yet" in i.value for i in at.info)


# ------------------------------------------------------------------ live page

def test_live_page_widgets(with_model):
    at = page("live").run()
    no_exceptions(at)
    assert not at.error  # the model is there
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
    # the HUD shows the waiting state, and the side plank's goal
    attrs, text = hud(at)
    assert (attrs["phase"], attrs["status"], attrs["goal"], attrs["done-total"], attrs["frames"]) == \
        ("waiting", "", "hold", "0", "0")
    assert attrs["progress"] == "0.0 of 45 s" and attrs["error"] == ""
    assert "Press START and allow the camera" in text


def test_live_page_offers_the_bridge_breaths_target_and_explains_lying_and_timed_steps(with_model):
    at = page("live").run()
    at.selectbox(key="live_exercise").set_value("Glute bridge").run()
    no_exceptions(at)
    radio = at.radio(key="live_target_glute_bridge")
    assert radio.options[1] == "three deep breaths (about 15 s)" and radio.value == ""
    assert at.session_state["live_session"].thresholds["hold_target_s"] == 60.0
    radio.set_value("breaths").run()
    no_exceptions(at)
    assert at.session_state["live_session"].thresholds["hold_target_s"] == 15.0  # three deep breaths
    at.selectbox(key="live_exercise").set_value("Knee to chest").run()
    no_exceptions(at)
    assert any("mix up front and back" in i.value for i in at.info)
    assert "floor height" in " ".join(c.value for c in at.caption)
    at.selectbox(key="live_exercise").set_value("Abdominal drawing-in").run()
    no_exceptions(at)
    assert any("cannot judge this step" in i.value for i in at.info)


def test_the_exercise_picker_lists_the_rules_families_and_variants(with_model):
    fams = families()
    # every registered exercise is offered exactly once, grouped by its declared family (the desk
    # monitor has its own page)
    assert sorted(n for variants in fams.values() for n in variants.values()) == sorted(pose_rules.exercises())
    assert "desk_posture" in pose_rules.RULES and "desk_posture" not in pose_rules.exercises()
    at = page("live").run()
    no_exceptions(at)
    assert at.selectbox(key="live_exercise").options == list(fams)
    for fam, variants in fams.items():
        at.selectbox(key="live_exercise").set_value(fam).run()
        no_exceptions(at)
        if len(variants) == 1:
            assert not [r for r in at.radio if r.key == f"live_variant_{fam}"]
            assert at.session_state["live_session"].snapshot().exercise == next(iter(variants.values()))
            continue
        radio = at.radio(key=f"live_variant_{fam}")
        assert radio.options == list(variants)
        assert radio.label == pose_rules.RULES[next(iter(variants.values()))].variant_label
        for label, name in variants.items():
            at.radio(key=f"live_variant_{fam}").set_value(label).run()
            no_exceptions(at)
            assert at.session_state["live_session"].snapshot().exercise == name  # the coach judges that rule
            assert pose_rules.RULES[name].description in " ".join(c.value for c in at.caption)


def test_a_registered_rule_appears_in_the_picker(with_model):
    from pose_rules.plank import Plank

    class WallPlank(Plank):  # a new variant of an existing family, declared by the rule alone
        name = "wall_plank_test"
        title = "Wall plank"
        variant = "Hands on a wall"
        description = "Plank leaning on a wall (test rule)."

    class Toy(Plank):  # a family of its own
        name = "toy_hold_test"
        title = "Toy hold"
        family, variant = "", ""
        description = "A toy hold (test rule)."

    pose_rules.register(WallPlank())
    pose_rules.register(Toy())
    try:
        at = page("live").run()
        no_exceptions(at)
        assert at.selectbox(key="live_exercise").options[-1] == "Toy hold"
        assert "Hands on a wall" in at.radio(key="live_variant_Plank").options
        at.radio(key="live_variant_Plank").set_value("Hands on a wall").run()
        no_exceptions(at)
        assert at.session_state["live_session"].snapshot().exercise == "wall_plank_test"
        at.selectbox(key="live_exercise").set_value("Toy hold").run()
        no_exceptions(at)
        assert at.session_state["live_session"].snapshot().exercise == "toy_hold_test"
        assert "A toy hold (test rule)." in " ".join(c.value for c in at.caption)
    finally:
        pose_rules.RULES.pop("wall_plank_test", None)
        pose_rules.RULES.pop("toy_hold_test", None)


# the page's settings as they are before the user touches anything (the session is kept when they match)
LIVE_CONFIG = ("plank", "{}", 3, 0.0)


def _coached_plank_session(seconds: float = 12.0):
    """A live plank session fed by a fake camera: good for 4 s, then sagging."""
    from coach.session.live import LiveSession
    from synth import plank

    import numpy as np

    class Fake:
        def process(self, image, t):
            return plank(0 if t < 4.0 else -25, t=t)

        def close(self):
            pass

    s = LiveSession(Fake, "plank", countdown_s=0, setup_hold_s=0)
    img = np.full((120, 160, 3), 90, np.uint8)
    for i in range(int(seconds * 30)):
        s.process(img, i / 30)
    return s


def test_live_hud_shows_the_coaching_state(with_model):
    session = _coached_plank_session()
    sn = session.snapshot()
    assert (sn.phase, sn.status, sn.cue) == ("coaching", "fault", "Lift your hips")
    at = page("live")
    at.session_state["live_session"] = session
    at.session_state["live_config"] = LIVE_CONFIG
    at.run()
    no_exceptions(at)
    assert at.session_state["live_session"] is session  # kept: the settings did not change
    attrs, text = hud(at)
    assert (attrs["phase"], attrs["status"], attrs["cue"], attrs["goal"]) == \
        ("coaching", "fault", "Lift your hips", "hold")
    assert float(attrs["done-total"]) == pytest.approx(sn.progress.total, abs=0.01) and sn.progress.total > 3.0
    assert attrs["frames"] == str(sn.frames) == "360" and attrs["dropped"] == "0"
    assert float(attrs["t"]) == pytest.approx(sn.t, abs=1e-3)
    assert attrs["progress"] == sn.progress.text()
    # the words on the panel: the status title, the hold timer and the cue
    assert "Fix your form" in text and "Lift your hips" in text
    assert f"{sn.progress.total:.0f} / 60 s" in text


def _show_live_summary():
    # Runs inside AppTest's script runner: what the live page shows under the video after STOP
    import streamlit as st

    import pose_rules
    from coach.webapp.live_page import _show_summary

    _show_summary(st.session_state["live_summary"], pose_rules.RULES["plank"])


def test_live_summary_after_stop(with_model):
    session = _coached_plank_session()
    report = session.stop()
    assert isinstance(report, Report) and report.faults
    # the HUD says the session stopped, and keeps the final count
    at = page("live")
    at.session_state["live_session"] = session
    at.session_state["live_config"] = LIVE_CONFIG
    at.run()
    no_exceptions(at)
    attrs, text = hud(at)
    assert attrs["phase"] == "stopped" and attrs["status"] == "" and "Stopped" in text
    assert f"{report.progress.total:.0f} / 60 s" in text
    # the summary under the video
    at = AppTest.from_function(_show_live_summary, default_timeout=60)
    at.session_state["live_summary"] = report
    at.run()
    no_exceptions(at)
    assert [h.value for h in at.subheader] == ["Your session"]
    assert metric(at, "Good-form hold") == f"{report.progress.total:.1f} s"
    assert metric(at, "Longest good hold") == f"{report.progress.longest_s:.1f} s"
    assert metric(at, "Time with a fault") == f"{sum(report.summary.fault_time_s.values()):.1f} s"
    assert any('"Lift your hips"' in m.value and "hips_sagging" in m.value for m in at.markdown)
    dl = [e for e in at.get("download_button") if e.proto.label == "Download session report (JSON)"]
    assert len(dl) == 1


@pytest.mark.parametrize("exercise,labels", [
    ("bird_dog", ["Reps left / right", "Good-form reps left / right", "Time in position", "Time with a fault"]),
    ("podsazeni_panve", ["Good-form hold", "Longest good hold", "Time in position", "Time with a fault"]),
])
def test_summary_metrics_show_what_the_goal_counted(exercise, labels):
    def show(sample):
        import streamlit as st

        from coach import samples
        from coach.core.pose import PoseTrack
        from coach.session.loop import analyze_track
        from coach.webapp.common import summary_metrics
        import pose_rules

        track = PoseTrack.load(samples.path(sample))
        report = analyze_track(track, pose_rules.get_rule(track.meta["exercise"]))
        st.session_state["report"] = report
        summary_metrics(report)

    at = AppTest.from_function(show, args=(exercise,), default_timeout=60).run()
    no_exceptions(at)
    report = at.session_state["report"]
    assert isinstance(report, Report)
    assert [m.label for m in at.metric] == labels
    for label, value, _ in report.progress.metrics()[:2]:
        assert metric(at, label) == value
    assert metric(at, "Time in position") == f"{report.summary.time_in_position_s:.1f} s"
    captions = " ".join(c.value for c in at.caption)
    if exercise == "bird_dog":
        assert metric(at, "Reps left / right") == "1 / 1" and metric(at, "Good-form reps left / right") == "0 / 1"
        assert any("Knee up to hip level" in m.value for m in at.markdown)  # the most frequent fault
    else:  # the glute bridge counts its reps too: shown under the big numbers; never in position: said
        assert [label for label, _, _ in report.progress.metrics()[2:]] == ["Reps", "Good-form reps"]
        assert "Reps: 0 · Good-form reps: 0" in captions
        assert "Note: never in the glute_bridge position" in captions
        assert not at.markdown  # no fault to name


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
    from coach.core.pose import PoseTrack
    from coach.session.loop import analyze_track

    at = review_sample("bird_dog")
    rv = at.session_state["review"]
    assert rv["exercise"] == "bird_dog"  # taken from the track
    expected = analyze_track(PoseTrack.load(ROOT / "samples" / "bird_dog.track.npz"), pose_rules.RULES["bird_dog"])
    assert isinstance(rv["report"], Report)
    assert rv["report"].to_dict()["summary"] == expected.to_dict()["summary"]
    assert rv["report"].faults == expected.faults and rv["report"].reps == expected.reps
    reps = expected.progress.done
    assert metric(at, "Reps left / right") == f"{reps['left']} / {reps['right']}"
    # the summary line and the reps table
    assert any("Reps: **left 1, right 1  (good form: left 0, right 1)**" in m.value for m in at.markdown)
    assert rv["video"] and rv["video"][4:8] == b"ftyp"  # annotated MP4 in memory
    kinds = {type(e).__name__ for e in at.main}
    labels = [e.proto.label for e in at.get("download_button")]
    assert labels == ["Download report (JSON)", "Download annotated video (MP4)", "Download landmarks (.npz)"]
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"), kinds


def test_review_never_in_position_is_said_plainly():
    at = review_sample("podsazeni_panve")  # glute bridge clip where the hips never leave the floor
    report = at.session_state["review"]["report"]
    assert report.summary.time_in_position_s == 0 and report.progress.total == 0
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
    from coach.engine.thresholds import describe

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
    assert report["thresholds"]["rep_min_top_s"] == 5.0
    assert report["summary"]["goal"]["done"] == {"left": 0, "right": 0}

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


def test_a_finished_live_session_goes_into_the_history(with_model):
    from coach.history import History
    from coach.webapp.live_page import _save_to_history

    report = _coached_plank_session().stop()
    level, text = _save_to_history(report)
    assert "Saved in your history" in text
    with History() as h:
        sessions = h.sessions()
    assert len(sessions) == 1 and sessions[0]["kind"] == "live"
    plank = sessions[0]["results"][0]
    assert plank["exercise"] == "plank" and plank["done"] == pytest.approx(report.progress.total, abs=0.01)
    assert plank["faults"].get("hips_sagging", 0) > 0
