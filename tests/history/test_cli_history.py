"""`coach history` and `coach analyze --save` as a user meets them: what is
saved, the listing, JSON and CSV, one-line errors, deleting with --yes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "bird_dog.track.npz"


@pytest.fixture()
def data(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("COACH_DATA_DIR", str(folder))
    return folder


def coach(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ, COACH_MODEL=str(ROOT / "no-model-needed-here.task"))
    return subprocess.run([sys.executable, "-m", "coach.cli", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def one_error(proc: subprocess.CompletedProcess, *words: str) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("coach: error:"), proc.stderr
    for w in words:
        assert w in lines[0]
    return lines[0]


def test_empty_history_is_a_friendly_line(data):
    r = coach("history")
    assert r.returncode == 0 and "No sessions saved yet" in r.stdout and not r.stderr
    r = coach("history", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_analyze_save_then_history_shows_it(data):
    r = coach("analyze", SAMPLE, "-q", "--save")
    assert r.returncode == 0, r.stderr
    assert f"saved as session 1 in {data / 'history.sqlite3'}" in r.stderr
    r = coach("analyze", SAMPLE, "-q")  # without --save nothing more is kept
    assert r.returncode == 0
    r = coach("history", "--json")
    assert r.returncode == 0, r.stderr
    [s] = json.loads(r.stdout)
    assert s["kind"] == "clip" and s["source"] == str(SAMPLE) and s["duration_s"] > 10
    assert [(x["exercise"], x["side"], x["goal"]) for x in s["results"]] == [
        ("bird_dog", "left", "reps"), ("bird_dog", "right", "reps")]
    assert s["results"][0]["faults"]  # the sample's fault time
    # the readable listing
    r = coach("history")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "1 session" in out and "clip" in out and "bird_dog.track.npz" in out
    assert "bird_dog left 1 of 5 reps" in out and "faults: leg_too_low" in out
    assert "streak: 1 day in a row now, longest 1" in out
    # filtered by exercise (as typed), and an exercise never done
    r = coach("history", "--json", "--exercise", "Bird-dog")
    assert len(json.loads(r.stdout)) == 1
    r = coach("history", "--exercise", "plank")
    assert r.returncode == 0 and "No plank sessions saved yet" in r.stdout


def test_history_csv_export(data, tmp_path):
    assert coach("analyze", SAMPLE, "-q", "--save").returncode == 0
    out = tmp_path / "history.csv"
    r = coach("history", "--csv", out)
    assert r.returncode == 0, r.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith("session_id,started_at,day,kind,") and len(lines) == 3
    r = coach("history", "--csv", tmp_path)
    one_error(r, "is a directory")


def test_unknown_exercise_is_one_line(data):
    one_error(coach("history", "--exercise", "unknown"), "unknown exercise 'unknown'")


def test_delete_all_needs_yes(data):
    assert coach("analyze", SAMPLE, "-q", "--save").returncode == 0
    one_error(coach("history", "--delete-all"), "--yes")
    assert len(json.loads(coach("history", "--json").stdout)) == 1
    r = coach("history", "--delete-all", "--yes")
    assert r.returncode == 0 and "deleted 1 session from" in r.stdout
    assert json.loads(coach("history", "--json").stdout) == []


def test_a_newer_database_is_one_line_and_a_saved_clip_waits(data):
    import sqlite3

    data.mkdir(parents=True)
    con = sqlite3.connect(data / "history.sqlite3")
    con.execute("PRAGMA user_version = 99")
    con.close()
    one_error(coach("history"), "newer version of back-coach")
    r = coach("analyze", SAMPLE, "-q", "--save")
    assert r.returncode == 0 and "newer version" in r.stderr and "Traceback" not in r.stderr
    assert len(list((data / "pending").glob("*.json"))) == 1


def test_a_damaged_database_is_reported_and_kept(data):
    data.mkdir(parents=True)
    (data / "history.sqlite3").write_bytes(b"this is not a database" * 200)
    r = coach("analyze", SAMPLE, "-q", "--save")
    assert r.returncode == 0, r.stderr
    assert "damaged" in r.stderr and "saved as session 1" in r.stderr
    assert len(list(data.glob("history.sqlite3.damaged-*"))) == 1
