"""The ``coach`` command line as a user meets it: exit codes, one-line errors,
the bundled sample, JSON output, listings and thresholds files.

No pose model is needed: analyses here run on the bundled landmark tracks, and
the videos given are refused before a model is looked for (``COACH_MODEL``
points at a missing file, so a test that did reach for one fails instead of
installing it).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reports import goal_part

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CLIPS = SHARED / "clips"
SAMPLE = ROOT / "samples" / "bird_dog.track.npz"


def coach(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    # never install a model from these tests: none of them needs one
    env = dict(os.environ, COACH_MODEL=str(ROOT / "no-model-needed-here.task"))
    return subprocess.run([sys.executable, "-m", "coach.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def reps_line(text: str) -> str:
    """The summary's reps line (its words: ``reps  left 1, right 1  (good form: ...)``)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("reps ")]
    assert len(lines) == 1, f"expected one reps line in:\n{text}"
    return lines[0]




def assert_user_error(proc: subprocess.CompletedProcess, *words: str) -> str:
    """Exit code 2, exactly one stderr line 'coach: error: ...', no traceback."""
    err = proc.stderr
    assert "Traceback" not in err and "Traceback" not in proc.stdout, err
    assert proc.returncode == 2, f"rc={proc.returncode}\nstderr:\n{err}"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one stderr line, got:\n{err}"
    assert lines[0].startswith("coach: error:"), lines[0]
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    return lines[0]


# ---------------------------------------------------------------- bad input files


def test_missing_file(tmp_path):
    assert_user_error(coach("analyze", tmp_path / "nope.mp4", "-e", "plank", "-q"), "nope.mp4", "no such file")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    assert_user_error(coach("analyze", p, "-e", "plank", "-q"), "empty.mp4", "empty")


def test_text_file_named_mp4(tmp_path):
    p = tmp_path / "notes.mp4"
    p.write_text("this is not a video\n" * 50)
    assert_user_error(coach("analyze", p, "-e", "plank", "-q"), "notes.mp4")


def test_truncated_real_mp4(tmp_path):
    src = CLIPS / "polybag" / "bird_dog.mp4"
    if not src.exists():
        pytest.skip(f"{src} not available")
    p = tmp_path / "cut.mp4"
    with open(src, "rb") as f:
        p.write_bytes(f.read(2048))
    assert_user_error(coach("analyze", p, "-e", "bird_dog", "-q"), "cut.mp4")


def test_corrupt_track(tmp_path):
    p = tmp_path / "track.npz"
    p.write_bytes(os.urandom(4096))
    assert_user_error(coach("analyze", p, "-e", "bird_dog", "-q"), "track.npz")


def test_zip_that_is_not_a_track(tmp_path):
    import numpy as np

    p = tmp_path / "other.npz"
    np.savez(p, a=np.arange(3))
    assert_user_error(coach("analyze", p, "-e", "bird_dog", "-q"), "other.npz")


def test_unknown_exercise():
    assert_user_error(coach("analyze", SAMPLE, "-e", "squat", "-q"), "squat")


def test_video_without_exercise(tmp_path):
    src = CLIPS / "polybag" / "bird_dog.mp4"
    if not src.exists():
        pytest.skip(f"{src} not available")
    assert_user_error(coach("analyze", src, "-q"), "--exercise")


# ---------------------------------------------------------------- thresholds files


@pytest.mark.parametrize("name,content,words", [
    ("unknown_key", {"bird_dog": {"no_such_threshold": 1}}, ["no_such_threshold"]),
    ("out_of_range", {"bird_dog": {"rep_up_deg": 50}}, ["rep_up_deg", "range"]),
    ("unknown_exercise", {"squat": {"depth_deg": 10}}, ["squat"]),
    ("not_a_number", {"bird_dog": {"rep_up_deg": "high"}}, ["rep_up_deg"]),
    ("not_an_object", [1, 2, 3], []),
    ("not_json", "this is { not json", ["JSON"]),
])
def test_bad_thresholds_file(tmp_path, name, content, words):
    p = tmp_path / f"{name}.json"
    p.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    assert_user_error(coach("analyze", SAMPLE, "--thresholds", p, "-q"), *words)


def test_missing_thresholds_file(tmp_path):
    assert_user_error(coach("analyze", SAMPLE, "--thresholds", tmp_path / "none.json", "-q"), "none.json")


def test_valid_thresholds_change_the_result(tmp_path):
    base = json.loads(coach("analyze", SAMPLE, "--json", "-", "-q").stdout)
    assert base["summary"]["goal"]["kind"] == "reps"
    assert base["summary"]["goal"]["done"] == {"left": 1, "right": 1}
    # the left rep only lifts the thigh to about -2.7 deg; demand -1 deg and it no longer counts
    left = [r for r in base["reps"] if r["side"] == "left"]
    assert len(left) == 1 and -1.0 > left[0]["peak"] > -30.0

    p = tmp_path / "strict.json"
    p.write_text(json.dumps({"profile": "strict", "bird_dog": {"rep_up_deg": -1}}), encoding="utf-8")
    proc = coach("analyze", SAMPLE, "--thresholds", p, "--json", "-", "-q")
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)
    assert rep["thresholds"]["rep_up_deg"] == -1.0
    assert rep["summary"]["goal"]["done"] == {"left": 0, "right": 1}
    assert rep["summary"]["goal"]["total"] == 1
    assert [r["side"] for r in rep["reps"]] == ["right"]
    # and the human summary says so too
    text = coach("analyze", SAMPLE, "--thresholds", p, "-q").stdout
    assert reps_line(text).startswith("reps                left 0, right 1  (good form:"), text


# ---------------------------------------------------------------- normal use


def test_default_command_analyses_the_bundled_sample():
    proc = coach("analyze", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert reps_line(proc.stdout) == "reps                left 1, right 1  (good form: left 0, right 1)"
    assert "bundled sample" in proc.stderr


def test_json_to_stdout():
    proc = coach("analyze", "samples/bird_dog.track.npz", "--json", "-")
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)  # the human summary goes to stderr, stdout is pure JSON
    for key in ("report_version", "summary", "faults", "reps", "timeline"):
        assert key in rep
    assert rep["report_version"] == 2
    assert rep["exercise"] == "bird_dog"
    assert rep["summary"]["frames"] == len(rep["timeline"]) > 0
    assert rep["summary"]["goal"]["done"] == {"left": 1, "right": 1}
    assert reps_line(proc.stderr).startswith("reps                left 1, right 1")


def test_json_to_file(tmp_path):
    out = tmp_path / "r.json"
    proc = coach("analyze", SAMPLE, "--json", out, "-q")
    assert proc.returncode == 0, proc.stderr
    assert reps_line(proc.stdout).startswith("reps                left 1, right 1")
    assert json.loads(out.read_text())["summary"]["goal"]["done"] == {"left": 1, "right": 1}


@pytest.mark.parametrize("track,exercise", [("kocici_hrbet.track.npz", "bird_dog"),
                                            ("podsazeni_panve.track.npz", "glute_bridge")])
def test_other_bundled_tracks(track, exercise):
    proc = coach("analyze", ROOT / "samples" / track, "-e", exercise, "--json", "-", "-q")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)["summary"]
    if exercise == "bird_dog":
        assert s["goal"]["done"] == {"left": 0, "right": 0}
        assert reps_line(proc.stderr).startswith("reps                left 0, right 0")
    else:
        hold = goal_part(s, "hold")
        assert hold["done"] == {"both": 0} and hold["longest_s"] == 0
        assert "good-form hold      0.0 s of 60 s target" in proc.stderr


def test_exercises_listing():
    proc = coach("exercises")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for name in ("plank", "side_plank", "glute_bridge", "bird_dog"):
        assert any(line.startswith(name + " ") for line in out.splitlines()), name
    for threshold in ("sag_deg", "pike_deg", "rep_up_deg", "min_visibility", "hold_target_s"):
        assert threshold in out
    heads = {line.split()[0]: line for line in out.splitlines() if line and not line[0].isspace()}
    assert "(hold 60 s; side view)" in heads["plank"]
    assert "(5 reps per side;" in heads["bird_dog"]


def test_exercises_one():
    proc = coach("exercises", "bird_dog")
    assert proc.returncode == 0, proc.stderr
    assert "rep_up_deg" in proc.stdout and "sag_deg" not in proc.stdout


def test_exercises_json():
    proc = coach("exercises", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    for name in ("plank", "side_plank", "glute_bridge", "bird_dog"):
        assert name in data
        assert data[name]["thresholds"], name
        assert all("name" in t and "default" in t for t in data[name]["thresholds"])
    assert "rep_up_deg" in {t["name"] for t in data["bird_dog"]["thresholds"]}
    assert data["bird_dog"]["goal"] == {"kind": "reps", "text": "5 reps per side"}
    assert data["plank"]["goal"] == {"kind": "hold", "text": "hold 60 s"}
    assert data["glute_bridge"]["goal"]["kind"] == "set"


def test_exercises_unknown():
    assert_user_error(coach("exercises", "squat"), "squat")
