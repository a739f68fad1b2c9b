"""The floor exercises and stretches on real bodies: MediaPipe's readings of
the shared free_exercise_db photos (devset/tracks, each photo padded to four
aspect ratios) and variants derived from them by known geometry (see
devset/README.md)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import pose_rules
from coach.core.pose import PoseTrack
from coach.session.camera_check import LYING_FACE_MESSAGE, NOT_JUDGED_MESSAGE, check_setup

ROOT = Path(__file__).resolve().parents[2]
TRACKS = ROOT / "devset" / "tracks"
ASPECTS = ("16x9", "4x3", "1x1", "9x16")
NEW = ("partial_crunch", "prone_extension", "knee_to_chest", "knee_to_chest_both", "rotation_stretch",
       "knee_twist", "hamstring_stretch", "hip_flexor_stretch", "piriformis_stretch")


def still(name: str, aspect: str):
    return PoseTrack.load(TRACKS / f"still_{name}_{aspect}.npz").frame(0)


def verdicts(exercise: str, name: str):
    return [pose_rules.evaluate(exercise, still(name, a)) for a in ASPECTS]


@pytest.mark.parametrize("exercise,photo", [
    ("partial_crunch", "crunches_1"), ("knee_to_chest", "one_knee_to_chest_1"),
    ("knee_to_chest_both", "hug_knees_to_chest_1"), ("prone_extension", "lower_back_curl_1"),
])
def test_the_real_photo_of_the_exercise_is_good_form_at_every_aspect(exercise, photo):
    assert [v.status for v in verdicts(exercise, photo)] == ["good"] * 4


@pytest.mark.parametrize("exercise,photo", [
    ("partial_crunch", "crunches_0"), ("knee_to_chest", "one_knee_to_chest_0"),
    ("knee_to_chest_both", "hug_knees_to_chest_0"), ("prone_extension", "lower_back_curl_0"),
    ("prone_extension", "superman_0"),
])
def test_the_start_photo_is_not_in_position_and_says_what_to_do(exercise, photo):
    for v in verdicts(exercise, photo):
        assert v.status == "not_in_position" and v.cue


def test_a_superman_is_not_a_good_prone_extension():
    for v in verdicts("prone_extension", "superman_1"):
        assert not v.good
    assert sum("legs_lifted" in v.faults for v in verdicts("prone_extension", "superman_1")) >= 3


@pytest.mark.parametrize("photo", ["chair_lower_back_stretch_1", "childs_pose_0", "childs_pose_1",
                                   "bent-knee_hip_raise_0", "bent-knee_hip_raise_1", "hip_extension_with_bands_0",
                                   "hip_extension_with_bands_1", "plank_1", "side_bridge_0", "cat_stretch_0",
                                   "butt_lift_bridge_1", "pelvic_tilt_into_bridge_1"])
def test_other_positions_are_none_of_the_new_exercises(photo):
    for ex in NEW:
        for v in verdicts(ex, photo):
            assert not v.in_position, (ex, photo, v.status, v.reason)


def test_the_one_knee_rule_does_not_claim_good_form_when_the_other_leg_is_hidden():
    for v in verdicts("knee_to_chest", "hug_knees_to_chest_1"):  # both knees in, the far leg hidden
        assert not v.good


def _derived(name: str):
    return PoseTrack.load(TRACKS / f"{name}.npz").frame(0)


@pytest.mark.parametrize("aspect", ASPECTS)
def test_derived_faults_are_told_apart(aspect):
    a = aspect
    cases = [
        ("knee_to_chest", f"k2c_{a}_hip92", "not_pulled_in"), ("knee_to_chest", f"k2c_{a}_otherleg50", "other_leg_up"),
        ("knee_to_chest", f"k2c_{a}_head70", "head_lifted"),
        ("partial_crunch", f"crunch_{a}_situp50", "sit_up"), ("partial_crunch", f"crunch_{a}_hips045", "lower_back_lifted"),
        ("prone_extension", f"prone_{a}_neck40", "neck_cranked"), ("prone_extension", f"prone_{a}_legs30", "legs_lifted"),
        ("prone_extension", f"prone_{a}_neck10", None), ("prone_extension", f"prone_{a}_legs5", None),
        ("hamstring_stretch", f"ham_{a}_raise75", None), ("hamstring_stretch", f"ham_{a}_raise45", "leg_too_low"),
        ("hamstring_stretch", f"ham_{a}_knee138", "knee_bent"), ("hamstring_stretch", f"ham_{a}_other45", "other_leg_up"),
        ("piriformis_stretch", f"piri_one_kn_{a}_sup80", None),
        ("piriformis_stretch", f"piri_one_kn_{a}_sup112", "not_pulled_in"),
        ("knee_twist", f"twist_{a}_cross+1.4", None),
        ("rotation_stretch", f"rot_pelvic_{a}_roll+70", None),
        ("rotation_stretch", f"rot_pelvic_{a}_roll+70_shoulder40", "shoulder_lifted"),
        ("hip_flexor_stretch", f"lunge_{a}_thigh20_lean+0", None),
        ("hip_flexor_stretch", f"lunge_{a}_thigh0_lean+0", "hips_back"),
        ("hip_flexor_stretch", f"lunge_{a}_thigh20_lean+38", "trunk_leaning"),
        ("hip_flexor_stretch", f"lunge_{a}_thigh20_lean-28", "back_arched"),
    ]
    for ex, name, fault in cases:
        v = pose_rules.evaluate(ex, _derived(name))
        if fault is None:
            assert v.status == "good", (name, v.status, v.faults, v.reason)
        else:
            assert v.status == "fault" and v.faults[0] == fault, (name, v.status, v.faults, v.reason)


@pytest.mark.parametrize("aspect", ASPECTS)
def test_derived_out_of_position_variants(aspect):
    for ex, name in [("knee_twist", f"twist_{aspect}_cross-0.6"), ("rotation_stretch", f"rot_pelvic_{aspect}_roll+25"),
                     ("hip_flexor_stretch", f"still_plank_0_{aspect}")]:
        v = pose_rules.evaluate(ex, _derived(name))
        assert v.status == "not_in_position" and v.cue, (name, v.status)


def test_the_stretched_side_is_named():
    v = pose_rules.evaluate("rotation_stretch", _derived("rot_pelvic_16x9_roll+70"))
    w = pose_rules.evaluate("rotation_stretch", _derived("rot_pelvic_16x9_roll-70"))
    assert {v.side, w.side} == {"left", "right"}  # towards and away from the camera: the two sides


def test_lying_exercises_want_the_head_in_view_and_a_timed_step_needs_no_set_up():
    f = still("one_knee_to_chest_1", "16x9")
    rule = pose_rules.get_rule("knee_to_chest")
    assert check_setup(rule, f).ok
    lm = f.landmarks.copy()
    lm[7:9, 3] = 0.0  # the ears not seen: the face turned away
    hidden = type(f)(lm, None, 0.0, f.image_size)
    chk = check_setup(rule, hidden)
    assert not chk.ok and chk.message == LYING_FACE_MESSAGE
    assert check_setup(pose_rules.get_rule("plank"), still("plank_1", "16x9")).ok  # standing rules: unchanged
    timed = check_setup(pose_rules.get_rule("drawing_in"), f)
    assert timed.ok and timed.message == NOT_JUDGED_MESSAGE


def coach(*args):
    return subprocess.run([sys.executable, "-m", "coach.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_coach_exercises_lists_every_new_exercise_with_its_camera_and_goal():
    proc = coach("exercises", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    for name in NEW + ("drawing_in",):
        assert name in doc and doc[name]["camera"] and doc[name]["description"], name
    assert doc["knee_to_chest"]["goal"]["text"] == "3 x 20 s hold per side"
    assert doc["prone_extension"]["goal"]["text"] == "5 x 7 s hold"
    assert doc["partial_crunch"]["goal"]["kind"] == "reps"
    assert doc["drawing_in"]["judged"] is False and "not judged" in doc["drawing_in"]["goal"]["text"]
    assert doc["knee_to_chest"]["lying"] and "floor" in doc["knee_to_chest"]["camera"]
    assert "breaths" in doc["glute_bridge"]["targets"]


def test_bridge_three_deep_breaths_target_from_the_cli(tmp_path):
    out = tmp_path / "r.json"
    proc = coach("analyze", "devset/tracks/clipd_bridge_reps_4x3.npz", "-e", "glute_bridge", "--target", "breaths",
                 "--json", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(out.read_text())
    assert rep["thresholds"]["hold_target_s"] == 15.0
    bad = coach("analyze", "devset/tracks/clipd_bridge_reps_4x3.npz", "-e", "plank", "--target", "breaths")
    assert bad.returncode == 2 and "unknown target" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_analyze_a_real_photo_of_a_stretch_as_json(tmp_path):
    out = tmp_path / "r.json"
    proc = coach("analyze", "devset/tracks/still_one_knee_to_chest_1_16x9.npz", "-e", "knee_to_chest", "--json",
                 str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(out.read_text())
    assert rep["exercise"] == "knee_to_chest" and rep["timeline"][0]["status"] == "good"
