import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pose_rules
from coach.engine.engine import Engine
from coach.engine.thresholds import (ThresholdError, all_thresholds, defaults, describe, load_profile, resolve,
                                     save_profile, session_thresholds)
from pose_rules.base import TIMING_THRESHOLDS, Threshold

ROOT = Path(__file__).resolve().parents[2]
TIMING = {t.name for t in TIMING_THRESHOLDS}


def test_defaults_cover_rule_and_engine_parameters():
    d = defaults(pose_rules.get_rule("plank"))
    assert {"sag_deg", "pike_deg", "hip_neutral_deg", "hold_target_s", "grace_s", "cue_delay_s"} <= set(d)
    assert {"rep_up_deg", "rep_down_deg", "rep_min_top_s", "rep_target"} <= set(defaults(pose_rules.get_rule("bird_dog")))
    bridge = defaults(pose_rules.get_rule("glute_bridge"))  # a hold that also counts lifts
    assert {"hold_target_s", "rep_up_lift", "rep_target"} <= set(bridge)


def test_the_goal_declares_its_own_targets():
    assert defaults(pose_rules.get_rule("plank"))["hold_target_s"] == 60
    assert defaults(pose_rules.get_rule("side_plank"))["hold_target_s"] == 45
    assert "hold_target_s" not in defaults(pose_rules.get_rule("bird_dog"))  # reps: no hold target
    assert "rep_target" not in defaults(pose_rules.get_rule("plank"))  # a hold: no rep target


@pytest.mark.parametrize("name", list(pose_rules.RULES))
def test_session_thresholds_are_the_goal_and_timing_parameters(name):
    rule = pose_rules.RULES[name]
    session = session_thresholds(rule)
    assert session == rule.goal.thresholds() + tuple(rule.timing)
    names = [t.name for t in session]
    assert TIMING <= set(names)
    assert not set(names) & {t.name for t in rule.thresholds}  # frame-judging thresholds are not session ones
    # all thresholds = the rule's own + the session's, each name once
    every = [t.name for t in all_thresholds(rule)]
    assert every == [t.name for t in rule.thresholds] + names
    assert len(every) == len(set(every)), name


def test_every_threshold_of_every_rule_is_listed_by_coach_exercises_with_unit_and_meaning():
    proc = subprocess.run([sys.executable, "-m", "coach.cli", "exercises", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    listing = json.loads(proc.stdout)
    assert set(listing) == set(pose_rules.RULES)
    for name, rule in pose_rules.RULES.items():
        listed = {t["name"]: t for t in listing[name]["thresholds"]}
        assert set(listed) == {t.name for t in rule.all_thresholds()}, name
        for t in rule.all_thresholds():
            row = listed[t.name]
            assert row["unit"] and row["meaning"], (name, t.name)
            assert (row["default"], row["min"], row["max"]) == (t.default, t.min, t.max), (name, t.name)
        assert listing[name]["goal"] == {"kind": rule.goal.kind, "text": rule.goal.describe()}
        assert describe(rule) == listing[name]["thresholds"]


@pytest.mark.parametrize("default, calibrated", [(11.0, None), (-1.0, None), (5.0, 12.0), (5.0, -0.5)])
def test_a_threshold_outside_its_own_range_cannot_be_declared(default, calibrated):
    with pytest.raises(ValueError, match="outside"):
        Threshold("x_deg", "deg", default, 0.0, 10.0, "a test threshold", calibrated=calibrated)
    Threshold("x_deg", "deg", 10.0, 0.0, 10.0, "the ends of the range are allowed", calibrated=0.0)


@pytest.mark.parametrize("rule, bad, msg", [
    ("plank", {"sag_degrees": 5}, "unknown threshold 'sag_degrees'"),
    ("plank", {"rep_target": 5}, "unknown threshold 'rep_target'"),  # a hold counts no reps
    ("plank", {"sag_deg": 90}, "outside its range"),
    ("plank", {"hold_target_s": 2}, "outside its range"),
    ("plank", {"grace_s": -0.1}, "outside its range"),
    ("bird_dog", {"rep_target": 0}, "outside its range"),
    ("plank", {"sag_deg": "5"}, "expected a number"),
    ("plank", {"sag_deg": None}, "expected a number"),
    ("plank", {"sag_deg": True}, "expected a number"),
    ("plank", {"sag_deg": float("nan")}, "expected a number"),
    ("plank", {"sag_deg": float("inf")}, "expected a number"),
    ("bird_dog", {"rep_up_deg": -60, "rep_down_deg": -50}, "rep_down_deg .* must be below rep_up_deg"),
    ("bird_dog", {"rep_up_deg": -50, "rep_down_deg": -50}, "must be below"),
    ("glute_bridge", {"rep_up_lift": 0.2, "rep_down_lift": 0.3}, "rep_down_lift .* must be below rep_up_lift"),
])
def test_resolve_refuses_bad_values_with_one_line(rule, bad, msg):
    r = pose_rules.get_rule(rule)
    for fn in (r.resolve, lambda o: resolve(r, o)):
        with pytest.raises(ThresholdError, match=msg) as e:
            fn(bad)
        assert "\n" not in str(e.value) and str(e.value).startswith(rule)
    with pytest.raises(ThresholdError, match=msg):  # the engine refuses them too
        Engine(r, bad)


def test_resolve_applies_overrides_to_rule_goal_and_timing_values():
    rule = pose_rules.get_rule("bird_dog")
    th = rule.resolve({"leg_high_deg": 12, "rep_target": 8, "cue_delay_s": 1})
    d = defaults(rule)
    assert th == {**d, "leg_high_deg": 12.0, "rep_target": 8.0, "cue_delay_s": 1.0}
    assert rule.resolve() == d and rule.resolve({}) == d
    eng = Engine(rule, {"rep_target": 8, "cue_delay_s": 1})
    assert eng.th["rep_target"] == 8 and eng.progress.target == 8 and eng.cues.delay_s == 1


def test_profile_file_roundtrip(tmp_path):
    p = tmp_path / "physio.json"
    pike = defaults(pose_rules.get_rule("plank"))["pike_deg"]
    save_profile(p, {"plank": {"sag_deg": 7, "pike_deg": pike}, "bird_dog": {}}, name="physio")
    doc = json.loads(p.read_text())
    assert doc == {"profile": "physio", "plank": {"sag_deg": 7.0}}  # only changed values kept
    assert load_profile(p) == {"plank": {"sag_deg": 7.0}}


def test_saving_an_invalid_profile_writes_nothing(tmp_path):
    p = tmp_path / "physio.json"
    with pytest.raises(ThresholdError, match="must be below"):
        save_profile(p, {"bird_dog": {"rep_up_deg": -60, "rep_down_deg": -50}})
    assert not p.exists()


@pytest.mark.parametrize("content, msg", [
    ('{"plank": {"nope": 1}}', "unknown threshold 'nope'"),
    ('{"pilates": {}}', "unknown exercise 'pilates'"),
    ('{"plank": {"sag_deg": -3}}', "outside its range"),
    ('{"plank": {"sag_deg": "x"}}', "expected a number"),
    ('{"bird_dog": {"rep_up_deg": -60, "rep_down_deg": -50}}', "must be below"),
    ('{"plank": [1, 2]}', "must map threshold names"),
    ('[1, 2]', "JSON object"),
    ('{plank: ', "not valid JSON"),
])
def test_bad_thresholds_files(tmp_path, content, msg):
    p = tmp_path / "t.json"
    p.write_text(content)
    with pytest.raises(ThresholdError, match=msg) as e:
        load_profile(p)
    assert "\n" not in str(e.value) and str(p) in str(e.value)


def test_missing_thresholds_file(tmp_path):
    with pytest.raises(ThresholdError, match="not found"):
        load_profile(tmp_path / "none.json")


def test_thresholds_change_the_verdict():
    from synth import plank
    f = plank(-8)
    assert pose_rules.evaluate("plank", f).status == "good"
    assert pose_rules.evaluate("plank", f, thresholds={"sag_deg": 5}).faults == ("hips_sagging",)
