"""The desk posture evaluation (coach/evaluation/desk.py, scripts/desk_eval.py):
variants derived from real upright frames by known geometry are judged as
labelled, at least as often as measured (minus a margin), and the derivations
change the rule's own measures by what they say."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pose_rules
from coach.evaluation import desk as E

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
TRACKS = ROOT / "devset" / "tracks"

#: Measured on the development set's clip frames (docs/pending/desk_accuracy.md):
#: group -> (default, calibrated) share of variants judged as labelled (faults
#: agreeing), minus a margin of 5 points. Side view head forward without
#: calibration is weak: the cat-cow person's upright head reads 13-24 deg
#: behind the typical neutral, so a head pushed 20-30 deg forward is still
#: within the default limit (measured 46.7%).
FLOORS = {
    "side, clip: upright base": (0.95, 0.95),
    "side, clip: trunk forward": (0.95, 0.95),
    "side, clip: trunk forward, head upright": (0.95, 0.95),
    "side, clip: trunk back": (0.90, 0.95),
    "side, clip: head forward": (0.40, 0.95),
    "front: upright base": (0.95, 0.95),
    "front: head closer": (0.95, 0.95),
    "front: head pitched down": (0.95, 0.95),
    "front: shoulders raised": (0.95, 0.95),
    "front: leaning": (0.95, 0.95),
    "nobody in view": (0.95, 0.95),
    "front (head+shoulders): upright base": (0.95, 0.95),
    "front (head+shoulders): head closer": (0.95, 0.95),
    "front (head+shoulders): head pitched down": (0.95, 0.95),
    "front (head+shoulders): shoulders raised": (0.95, 0.95),
    "front (head+shoulders): leaning": (0.95, 0.95),
    "all": (0.88, 0.95),
}


@pytest.fixture(scope="module")
def bases():
    side, front = E.side_bases({}, {}, TRACKS), E.front_bases(TRACKS)
    if not side or not front:
        pytest.skip("the seated clips' tracks are not in devset/tracks")
    return side, front


@pytest.mark.parametrize("calibrated", [False, True], ids=["default", "calibrated"])
def test_derived_variants_are_judged_as_labelled(bases, calibrated):
    side, front = bases
    outs = [E.judge(i) for i in E.derived_items(side, front, calibrated=calibrated)]
    rows = {r.group: r for r in E.score(outs)}
    assert set(rows) == set(FLOORS), set(rows) ^ set(FLOORS)
    for group, floors in FLOORS.items():
        r = rows[group]
        floor = floors[calibrated]
        assert r.n >= 5, group
        assert r.faults_ok / r.n >= floor, (group, r.faults_ok, r.n, r.misses[:5])
        assert r.state_ok >= r.faults_ok


def test_every_fault_is_exercised_and_good_variants_never_get_a_fault(bases):
    side, front = bases
    for cal in (False, True):
        outs = [E.judge(i) for i in E.derived_items(side, front, calibrated=cal)]
        labelled = {f for o in outs for f in o.item.required}
        assert {"slouched", "reclined", "head_forward", "head_dropped", "shoulders_raised", "leaning"} <= labelled
        goods = [o for o in outs if o.item.state == "good"]
        assert len(goods) >= 20
        assert not [o for o in goods if o.faults], [(o.item.name, o.faults) for o in goods if o.faults][:5]


def test_the_labels_follow_the_stated_rule():
    assert E.label_for(3.0, 12.0, "x") == ("good", frozenset())
    assert E.label_for(4.1, 12.0, "x") is None
    assert E.label_for(17.9, 12.0, "x") is None
    assert E.label_for(18.0, 12.0, "x") == ("fault", frozenset({"x"}))
    assert E.label_for(-20.0, 12.0, "x") == ("fault", frozenset({"x"}))


def test_the_derivations_change_the_rules_measures_by_what_they_say(bases):
    side, front = bases
    name, f = side[0]
    v0 = pose_rules.evaluate("desk_posture", f).measures
    for d in (-20.0, 10.0, 25.0):
        v = pose_rules.evaluate("desk_posture", E.trunk_turned(f, d)).measures
        assert v["trunk_fwd_deg"] - v0["trunk_fwd_deg"] == pytest.approx(d, abs=0.05)
        assert v["ear_fwd_deg"] - v0["ear_fwd_deg"] == pytest.approx(d, abs=0.05)  # the head turned with it
        v = pose_rules.evaluate("desk_posture", E.trunk_turned(f, d, head_upright=True)).measures
        assert v["ear_fwd_deg"] == pytest.approx(v0["ear_fwd_deg"], abs=0.05)
        v = pose_rules.evaluate("desk_posture", E.head_turned(f, d)).measures
        assert v["ear_fwd_deg"] - v0["ear_fwd_deg"] == pytest.approx(d, abs=0.05)
        assert v["trunk_fwd_deg"] == pytest.approx(v0["trunk_fwd_deg"], abs=0.05)
    name, f = front[0]
    m0 = pose_rules.evaluate("desk_posture", f).measures
    m = pose_rules.evaluate("desk_posture", E.head_closer(f, 1.2)).measures
    assert m["face_ratio"] == pytest.approx(1.2 * m0["face_ratio"], rel=1e-3)
    m = pose_rules.evaluate("desk_posture", E.head_pitched(f, 0.2)).measures
    assert m0["head_height"] - m["head_height"] == pytest.approx(0.2, abs=1e-3)
    assert m0["ear_height"] - m["ear_height"] == pytest.approx(0.05, abs=1e-3)
    m = pose_rules.evaluate("desk_posture", E.shoulders_raised(f, 0.15)).measures
    assert m0["ear_height"] - m["ear_height"] == pytest.approx(0.15, abs=0.01)
    m = pose_rules.evaluate("desk_posture", E.leaned(f, 15.0)).measures
    assert abs(m["shoulder_tilt_deg"] - m0["shoulder_tilt_deg"]) == pytest.approx(15.0, abs=0.05)
    assert abs(m["trunk_lean_deg"] - m0["trunk_lean_deg"]) == pytest.approx(15.0, abs=0.05)


def test_real_clip_frames_are_judged_as_labelled():
    if not (TRACKS / "clip_kocka_krava_na_zidli.npz").is_file():
        pytest.skip("the seated clips' tracks are not in devset/tracks")
    for cal, floor in ((False, 0.99), (True, 0.97)):
        outs = [E.judge(i) for i in E.clip_items(TRACKS, cal)]
        assert len(outs) > 700
        ok = sum(o.faults_ok for o in outs) / len(outs)
        assert ok >= floor, (cal, ok)


def test_the_script_prints_the_tables_or_skips_in_one_line(tmp_path):
    missing = subprocess.run([sys.executable, str(ROOT / "scripts" / "desk_eval.py"), "--shared", str(tmp_path)],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 0
    assert missing.stdout.strip().count("\n") == 0 and "skipped" in missing.stdout and not missing.stderr
    if not (SHARED / "clips" / "dev_labels.json").is_file():
        pytest.skip("the shared photos (../shared/clips) are missing")
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "desk_eval.py"),
                          "--cache", str(tmp_path / "cache")], capture_output=True, text=True, timeout=300)
    if "cannot read the photos" in out.stdout:
        pytest.skip("the pose model could not be provisioned")
    assert out.returncode == 0, out.stderr[-2000:]
    for title in ("Real photos", "Real clip frames", "Derived variants", "Confusion", "Where the fault first appears"):
        assert title in out.stdout
    assert "upright" in out.stdout and "reclined" in out.stdout
