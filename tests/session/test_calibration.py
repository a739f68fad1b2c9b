"""Calibration to the person: the best-form reading becomes the neutral, the
limits become offsets around it; implausible calibrations are refused."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pose_rules
from coach.session.loop import analyze_track
from coach.session.calibration import CalibrationError, calibrate
from coach.core.pose import PoseFrame, PoseTrack
from coach.engine.thresholds import defaults, resolve

ROOT = Path(__file__).resolve().parents[2]
DEVSET = ROOT / "devset" / "tracks"


def track(name: str) -> PoseTrack:
    return PoseTrack.load(DEVSET / f"{name}.npz")


def test_the_persons_reading_becomes_the_neutral_and_the_limits_close_in():
    rule = pose_rules.get_rule("plank")
    t = track("clipd_plank_faults_4x3")
    cal = calibrate(t, rule, start=0.0, end=8.0)
    timeline = analyze_track(t, rule).timeline
    readings = [timeline[i]["measures"]["hip_bend_deg"] for i in range(20, 110)]
    assert cal.values["hip_neutral_deg"] == pytest.approx(sorted(readings)[len(readings) // 2], abs=0.3)
    decl = {th.name: th for th in rule.thresholds}
    assert cal.values["sag_deg"] == decl["sag_deg"].calibrated < decl["sag_deg"].default
    assert cal.seconds == pytest.approx(8.0, abs=0.2)
    assert "your best form reads" in cal.describe(rule)


def test_calibration_catches_a_fault_the_wide_defaults_let_through():
    rule = pose_rules.get_rule("plank")
    piked = track("plank_push_up__16x9_bend+25").frame(0)  # 25 deg above this person's straight line
    assert pose_rules.evaluate("plank", piked).status == "good"  # inside the population-wide default limits
    cal = calibrate(track("still_push_up_to_side_plank_0_16x9"), rule, min_seconds=0)
    assert pose_rules.evaluate("plank", piked, thresholds=cal.values).faults == ("hips_piked",)
    straight = track("plank_push_up__16x9_bend+4").frame(0)
    assert pose_rules.evaluate("plank", straight, thresholds=cal.values).status == "good"


def test_a_calibration_keeps_other_values_and_stays_in_range():
    rule = pose_rules.get_rule("side_plank")
    cal = calibrate(track("clipd_sideplank_16x9"), rule, {"hold_target_s": 30}, start=0, end=10)
    th = resolve(rule, {"hold_target_s": 30, **cal.values})  # valid thresholds
    assert th["hold_target_s"] == 30 and th["hip_neutral_deg"] == cal.values["hip_neutral_deg"]


@pytest.mark.parametrize("name, exercise, span, msg", [
    ("clipd_plank_faults_4x3", "plank", (22, 27), "does not look like your best plank"),  # a sagging "best plank"
    ("clip_spravny_postoj", "plank", (None, None), "never in the plank"),  # standing
    ("clipd_plank_hold_16x9", "plank", (0, 5), r"only 1\.\d s in the plank"),  # lying for most of it
    ("clip_bird_dog_9x16", "bird_dog", (None, None), "the form changed"),  # two different reps
    ("clipd_plank_hold_16x9", "plank", (50, 60), "no frames in the calibration segment"),
])
def test_implausible_calibrations_are_refused_with_one_line(name, exercise, span, msg):
    with pytest.raises(CalibrationError, match=msg) as e:
        calibrate(track(name), pose_rules.get_rule(exercise), start=span[0], end=span[1])
    assert "\n" not in str(e.value)


def test_nobody_in_view_is_refused():
    frames = [PoseFrame.empty(i / 30, (640, 480)) for i in range(90)]
    with pytest.raises(CalibrationError, match="no person"):
        calibrate(frames, pose_rules.get_rule("plank"))


def test_rep_exercises_calibrate_on_the_held_top_of_a_rep():
    rule = pose_rules.get_rule("bird_dog")
    cal = calibrate(track("clip_bird_dog_16x9"), rule, start=2.6, end=3.7)
    assert -10 < cal.values["leg_level_deg"] < 10  # about hip level
    assert set(cal.values) >= {"leg_level_deg", "leg_high_deg", "leg_low_deg"}


# ---------------------------------------------------------------- command line

def coach(*args, env):
    return subprocess.run([sys.executable, "-m", "coach.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, **env))


def test_cli_calibrate_saves_a_profile_that_analyze_uses(tmp_path):
    env = {"COACH_PROFILE_DIR": str(tmp_path / "profiles")}
    good = DEVSET / "clipd_plank_faults_4x3.npz"
    proc = coach("calibrate", str(good), "-e", "plank", "--from", "0", "--to", "8", "--save", "Anna", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "your best form reads" in proc.stdout and "saved in profile 'Anna'" in proc.stdout
    doc = json.loads((tmp_path / "profiles" / "anna.json").read_text())
    assert doc["profile"] == "Anna" and "hip_neutral_deg" in doc["plank"]
    assert doc["calibration"]["plank"]["from"] == pytest.approx(0.0) and doc["calibration"]["plank"]["frames"] > 100

    out = tmp_path / "r.json"
    proc = coach("analyze", str(good), "-e", "plank", "--thresholds", "Anna", "--json", str(out), "-q", env=env)
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(out.read_text())
    assert rep["thresholds"]["hip_neutral_deg"] == doc["plank"]["hip_neutral_deg"]
    assert rep["thresholds"]["sag_deg"] != defaults(pose_rules.get_rule("plank"))["sag_deg"]

    # a physio's tuned value in the profile survives a new calibration
    prof = tmp_path / "profiles" / "anna.json"
    d = json.loads(prof.read_text())
    d["plank"]["hold_target_s"] = 30
    prof.write_text(json.dumps(d))
    assert coach("calibrate", str(good), "-e", "plank", "--to", "8", "--save", "Anna", env=env).returncode == 0
    assert json.loads(prof.read_text())["plank"]["hold_target_s"] == 30


@pytest.mark.parametrize("args, msg", [
    (["calibrate", "nope.mp4", "-e", "plank"], "no such file"),
    (["calibrate", "devset/tracks/clipd_plank_hold_16x9.npz", "-e", "plank", "--from", "5", "--to", "2"],
     "must be after --from"),
    (["calibrate", "devset/tracks/clipd_plank_hold_16x9.npz", "-e", "yoga"], "unknown exercise"),
    (["calibrate", "devset/tracks/clipd_plank_faults_4x3.npz", "-e", "plank", "--from", "22", "--to", "27",
      "--save", "x"], "does not look like your best plank"),
])
def test_cli_calibrate_bad_input_is_one_line_and_saves_nothing(tmp_path, args, msg):
    env = {"COACH_PROFILE_DIR": str(tmp_path / "profiles")}
    proc = coach(*args, env=env)
    assert proc.returncode == 2 and msg in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "profiles").exists()
