"""`coach evaluate`: the labels format, the metrics, and the development set
as a regression guard (its numbers are the README's accuracy table)."""
from __future__ import annotations

import json

import pose_rules  # noqa: E402
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coach.evaluation.evaluate import TrackCache, evaluate_items
from coach.evaluation.labels import LabelError, load_labels

ROOT = Path(__file__).resolve().parents[2]
DEVSET = ROOT / "devset"
SHARED = ROOT.parent / "shared"


def write_labels(tmp_path: Path, doc: dict) -> Path:
    p = tmp_path / "labels.json"
    p.write_text(json.dumps(doc))
    return p


def run_labels(path: Path) -> dict:
    return evaluate_items(load_labels(path), TrackCache(None, None))


def track_ref(name: str) -> str:
    return os.path.relpath(DEVSET / "tracks" / name, ROOT)


# ---------------------------------------------------------------- the labels format

def test_reads_the_shared_label_format(tmp_path):
    doc = {"schema_note": "...", "media_root": str(ROOT), "clips": {}, "stills": {},
           "tracks": {track_ref("clipd_plank_blips_1x1.npz"): {
               "exercise": "plank", "view": "side", "position_intervals": [[0.0, 20.0]],
               "form": [[0.0, 20.0, "good", "note"]], "reps": None, "good_hold_s": 20.0, "confidence": "high"}}}
    items = load_labels(write_labels(tmp_path, doc))
    assert len(items) == 1 and items[0].exercise == "plank" and items[0].good_hold_s == 20.0
    assert items[0].in_position(5.0) and items[0].form_at(5.0) == "good"


@pytest.mark.parametrize("doc, msg", [
    ([1, 2], "JSON object"),
    ({"clips": {"a.mp4": {"form": "good"}}}, "'exercise' is missing"),
    ({"clips": {"a.mp4": {"exercise": "plank", "position_intervals": [[3, 1]]}}}, "ends before it starts"),
    ({"clips": {"a.mp4": {"exercise": "plank", "reps": "two"}}}, "reps must be"),
    ({"clips": {}}, "no labelled items"),
])
def test_bad_labels_files_get_one_line(tmp_path, doc, msg):
    with pytest.raises(LabelError, match=msg) as e:
        load_labels(write_labels(tmp_path, doc))
    assert "\n" not in str(e.value)


# ---------------------------------------------------------------- the metrics can fail

def test_hold_reps_and_agreement_are_checked_against_the_labels(tmp_path):
    ref = track_ref("clipd_bridge_reps_4x3.npz")
    doc = {"media_root": str(ROOT), "tracks": {
        ref: {"exercise": "glute_bridge", "position_intervals": [[0, 60]], "form": [[0, 60, "good"]],
              "reps": {"total": 6}, "good_hold_s": 23.0},
        ref + "#wrong": {"exercise": "glute_bridge", "position_intervals": [[0, 60]], "form": [[0, 60, "hips_too_low"]],
                         "reps": {"total": 4}, "good_hold_s": 10.0}}}
    res = run_labels(write_labels(tmp_path, doc))
    right, wrong = res["items"]
    assert right["reps"]["exact"] and right["good_hold"]["ok"]
    assert right["reps"]["measured"] == {"both": 6} and right["reps"]["total"] == 6  # the bridge's lifts
    assert right["good_hold"]["measured"] == pytest.approx(23.0, abs=1.2)  # and its hold, counted together
    assert not wrong["reps"]["exact"] and not wrong["good_hold"]["ok"]
    assert wrong["agreement"] < 0.2 < right["agreement"]


def test_a_negative_item_counts_every_rule_that_sees_the_position(tmp_path):
    doc = {"media_root": str(ROOT), "tracks": {
        track_ref("clip_spravny_postoj.npz"): {"exercise": "standing"},  # standing: no floor exercise
        track_ref("still_plank_1_16x9.npz"): {"exercise": "other", "negative_for": ["plank", "side_plank"]}}}
    res = run_labels(write_labels(tmp_path, doc))
    standing = [r for r in res["items"] if "spravny" in r["item"]]
    judged = [n for n, r in pose_rules.exercises().items() if r.judged]  # not the desk monitor: it is no exercise
    assert len(standing) == len(judged) and sum(r["false_in_position"] for r in standing) == 0
    plank = [r for r in res["items"] if "still_plank" in r["item"]]
    assert {r["exercise"]: r["false_in_position"] for r in plank} == {"plank": 1, "side_plank": 0}


def test_three_quarter_views_may_be_refused_but_not_judged_wrong(tmp_path):
    ref = track_ref("still_butt_lift_bridge_1_16x9.npz")
    doc = {"media_root": str(ROOT), "tracks": {
        ref: {"exercise": "glute_bridge", "form": "good"},
        ref + "#tq": {"exercise": "glute_bridge", "form": "good", "view": "three_quarter"}}}
    side, tq = run_labels(write_labels(tmp_path, doc))["items"]
    assert side["agreement"] == 0.0 and "cant_judge_angle" in side["confusion"]["good"]
    assert tq["agreement"] == 1.0


def test_calibrated_items_use_the_persons_reading(tmp_path):
    still = track_ref("plank_push_up__16x9_bend+25.npz")
    doc = {"media_root": str(ROOT), "tracks": {
        still: {"exercise": "plank", "form": "hips_piked"},
        still + "#cal": {"exercise": "plank", "form": "hips_piked",
                         "calibration": {"track": track_ref("still_push_up_to_side_plank_0_16x9.npz")}},
        still + "#bad": {"exercise": "plank", "form": "hips_piked",
                         "calibration": {"track": track_ref("clipd_plank_faults_4x3.npz"), "from": 22, "to": 27}}}}
    res = run_labels(write_labels(tmp_path, doc))
    default, calibrated = res["items"]
    assert default["agreement"] == 0.0  # 25 deg above this person's line reads +21: inside the default limits
    assert calibrated["agreement"] == 1.0 and calibrated["calibrated"]
    assert res["errors"] and "calibration refused" in res["errors"][0]["error"]
    assert "all (calibrated)" in res["pooled"]


# ---------------------------------------------------------------- the development set

@pytest.fixture(scope="module")
def devset_results():
    return evaluate_items(load_labels(DEVSET / "labels.json"), TrackCache(None, None))


def test_development_set_runs_without_errors(devset_results):
    assert devset_results["errors"] == []
    assert len(devset_results["items"]) > 500


def test_development_set_accuracy_does_not_regress(devset_results):
    """The README's accuracy table. A rule change that lowers these must say why."""
    p = devset_results["pooled"]
    assert p["all"]["agreement"] >= 0.95
    assert p["all"]["in_position_recall"] >= 0.98
    assert p["all"]["false_in_position_rate"] <= 0.01
    assert p["all"]["reps_exact"].split("/")[0] == p["all"]["reps_exact"].split("/")[1]
    assert p["all"]["good_hold_ok"].split("/")[0] == p["all"]["good_hold_ok"].split("/")[1]
    assert p["all (calibrated)"]["agreement"] >= 0.98
    assert p["all"]["fault_cue_on_good_per_min"] <= 1.0


def test_every_fault_of_every_rule_has_real_positive_and_negative_cases(devset_results):
    import pose_rules

    seen: dict[str, set] = {}
    for r in devset_results["items"]:
        for lab, row in r["confusion"].items():
            seen.setdefault(r["exercise"], set()).add(lab)
    for name in ("plank", "knee_plank", "side_plank", "glute_bridge", "bird_dog", "hip_extension"):
        rule = pose_rules.RULES[name]
        want = {f.name for f in rule.faults if f.name != "same_side_arm"} | {"good", "not_in_position"}
        assert want <= seen[name], (name, want - seen[name])


# ---------------------------------------------------------------- the command

def coach(*args, env=None):
    return subprocess.run([sys.executable, "-m", "coach.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, **(env or {})))


def test_cli_evaluate_prints_the_table_and_writes_json(tmp_path):
    out = tmp_path / "r.json"
    proc = coach("evaluate", "devset/labels.json", "--only", "clipd_", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Pooled" in proc.stdout and "Confusion, plank" in proc.stdout
    doc = json.loads(out.read_text())
    assert doc["pooled"]["all"]["reps_exact"] and not doc["errors"]


@pytest.mark.parametrize("args, msg", [
    (["evaluate", "missing.json"], "labels file not found"),
    (["evaluate", "devset/labels.json", "--only", "no-such-item"], "no labelled item matches"),
])
def test_cli_evaluate_bad_input_is_one_line(args, msg):
    proc = coach(*args)
    assert proc.returncode == 2 and msg in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.model
def test_cli_evaluates_the_shared_dev_labels(tmp_path, pose_model):
    labels = SHARED / "clips" / "dev_labels.json"
    if not labels.is_file():
        pytest.skip("../shared not available")
    env = {"COACH_MODEL": str(pose_model), "COACH_CACHE_DIR": str(tmp_path / "cache")}
    out = tmp_path / "r.json"
    proc = coach("evaluate", str(labels), "--json", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    plank = next(r for r in doc["items"] if r["item"].endswith("plank.mp4"))
    assert plank["good_hold"]["ok"] and plank["agreement"] > 0.95  # the (synthetic) good plank
    seated = [r for r in doc["items"] if r.get("negative")]
    assert seated and sum(r["false_in_position"] for r in seated) == 0  # seated / standing: never a floor exercise
    assert list((tmp_path / "cache" / "tracks").glob("*.npz"))  # landmarks cached for the next run
