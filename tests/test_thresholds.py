import json

import pytest

import pose_rules
from coach.thresholds import (ThresholdError, all_thresholds, defaults, load_profile, resolve,
                              save_profile)


def test_defaults_cover_rule_and_engine_parameters():
    d = defaults(pose_rules.get_rule("plank"))
    assert {"sag_deg", "pike_deg", "hip_neutral_deg", "hold_target_s", "grace_s", "cue_delay_s"} <= set(d)
    assert "rep_up_deg" in defaults(pose_rules.get_rule("bird_dog"))
    bridge = defaults(pose_rules.get_rule("glute_bridge"))  # a hold that also counts lifts
    assert {"hold_target_s", "rep_up_lift", "rep_target"} <= set(bridge)


def test_every_threshold_is_declared_with_unit_range_and_meaning():
    for rule in pose_rules.RULES.values():
        for t in all_thresholds(rule):
            assert t.unit and t.meaning and t.min <= t.default <= t.max


@pytest.mark.parametrize("bad, msg", [
    ({"sag_degrees": 5}, "unknown threshold 'sag_degrees'"),
    ({"sag_deg": 90}, "outside its range"),
    ({"sag_deg": "5"}, "expected a number"),
    ({"sag_deg": True}, "expected a number"),
    ({"sag_deg": float("nan")}, "expected a number"),
])
def test_resolve_rejects_bad_values(bad, msg):
    with pytest.raises(ThresholdError, match=msg):
        resolve(pose_rules.get_rule("plank"), bad)


def test_profile_file_roundtrip(tmp_path):
    p = tmp_path / "physio.json"
    pike = defaults(pose_rules.get_rule("plank"))["pike_deg"]
    save_profile(p, {"plank": {"sag_deg": 7, "pike_deg": pike}, "bird_dog": {}}, name="physio")
    doc = json.loads(p.read_text())
    assert doc == {"profile": "physio", "plank": {"sag_deg": 7.0}}  # only changed values kept
    assert load_profile(p) == {"plank": {"sag_deg": 7.0}}


@pytest.mark.parametrize("content, msg", [
    ('{"plank": {"nope": 1}}', "unknown threshold 'nope'"),
    ('{"pilates": {}}', "unknown exercise 'pilates'"),
    ('{"plank": {"sag_deg": -3}}', "outside its range"),
    ('{"plank": [1, 2]}', "must map threshold names"),
    ('[1, 2]', "JSON object"),
    ('{plank: ', "not valid JSON"),
])
def test_bad_thresholds_files(tmp_path, content, msg):
    p = tmp_path / "t.json"
    p.write_text(content)
    with pytest.raises(ThresholdError, match=msg) as e:
        load_profile(p)
    assert "\n" not in str(e.value)


def test_missing_thresholds_file(tmp_path):
    with pytest.raises(ThresholdError, match="not found"):
        load_profile(tmp_path / "none.json")


def test_thresholds_change_the_verdict():
    from synth import plank
    f = plank(-8)
    assert pose_rules.evaluate("plank", f).status == "good"
    assert pose_rules.evaluate("plank", f, thresholds={"sag_deg": 5}).faults == ("hips_sagging",)
