"""scripts/benchmark.py (the peer comparison) without the peer venv: its
options, the long clip it makes, its table, and its one-line errors.
(The timings themselves are printed by the script, never asserted.)"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from videos import encode_clip

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "benchmark.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("coach_benchmark_script", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def run_script(*args: str, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--cache-dir", str(cache), *args],
                          capture_output=True, text=True, timeout=120)


def one_line_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("benchmark: error: "), r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


def short_clip(path: Path, seconds: float = 1.0, fps: int = 30, size=(64, 48)) -> Path:
    w, h = size
    n = int(round(seconds * fps))
    frames = ((np.full((h, w, 3), 10 + 7 * (i % 30), np.uint8), i / fps) for i in range(n))
    return encode_clip(path, frames, size, rate=fps)


def test_defaults_are_bird_dog_and_the_long_clip_three_rounds_all_cores(bench, tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_BENCH_CACHE", str(tmp_path / "cache"))
    a = bench.parse_args([])
    assert [Path(c).name for c in a.clips] == ["bird_dog.mp4", "long"]
    assert (a.rounds, a.jobs, a.sequential, a.ours_only) == (3, 0, False, False)
    assert a.cache_dir == tmp_path / "cache"
    a = bench.parse_args(["--clips", "x.mp4", "--rounds", "1", "--jobs", "2", "--sequential", "--json", "r.json"])
    assert (a.clips, a.rounds, a.jobs, a.sequential, a.json) == (["x.mp4"], 1, 2, True, "r.json")


@pytest.mark.parametrize("argv", [["--rounds", "0"], ["--jobs", "-1"], ["--rounds", "many"], ["--nope"]])
def test_bad_option_is_one_line(argv, tmp_path):
    r = run_script(*argv, cache=tmp_path)
    assert one_line_error(r)


def test_missing_clip_is_one_line_and_nothing_is_set_up(tmp_path):
    cache = tmp_path / "cache"
    r = run_script("--clips", str(tmp_path / "nope.mp4"), cache=cache)
    assert "nope.mp4: no such file" in one_line_error(r)
    assert not cache.exists()  # checked before the peer venv would be made


def test_missing_long_source_is_one_line(tmp_path):
    r = run_script("--clips", "long", "--long-source", str(tmp_path / "gone.mp4"), cache=tmp_path / "c")
    assert "gone.mp4: no such file" in one_line_error(r)


def test_skip_setup_without_a_peer_venv_is_one_line(tmp_path):
    clip = short_clip(tmp_path / "c.mp4")
    r = run_script("--clips", str(clip), "--skip-setup", cache=tmp_path / "cache")
    assert "no peer venv" in one_line_error(r)


def test_peer_venv_that_cannot_be_made_is_one_line_and_removed(tmp_path):
    """No package index (as without network): pip fails; one line, no half-made venv."""
    clip = short_clip(tmp_path / "c.mp4")
    cache = tmp_path / "cache"
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path),
           "PIP_EXTRA_INDEX_URL": ""}
    r = subprocess.run([sys.executable, str(SCRIPT), "--cache-dir", str(cache), "--clips", str(clip)],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("benchmark: ")]
    assert len(errors) == 1 and errors[0].startswith("benchmark: error: could not install mediapipe==0.10.21")
    assert r.stderr.strip().splitlines()[-1] == errors[0]  # after the "creating the peer venv" note, nothing else
    assert not (cache / "peer-venv").exists()


def test_json_file_that_exists_is_not_overwritten(tmp_path):
    clip = short_clip(tmp_path / "c.mp4")
    saved = tmp_path / "r.json"
    saved.write_text("mine")
    r = run_script("--clips", str(clip), "--json", str(saved), cache=tmp_path / "cache")
    assert "not overwritten" in one_line_error(r)
    assert saved.read_text() == "mine"


def test_long_clip_is_the_source_looped_at_full_size(bench, tmp_path):
    src = short_clip(tmp_path / "src.mp4", seconds=1.0, fps=30, size=(64, 48))
    long = bench.make_long_clip(src, tmp_path / "out" / "long.mp4", loops=3)
    info = bench.probe(long)
    assert info["frames"] == 90
    assert info["size"] == [64, 48]
    assert info["duration_s"] == pytest.approx(3.0, abs=0.05)
    assert not list((tmp_path / "out").glob("*.part"))


def test_long_clip_scaled_to_a_max_side_keeps_proportions_and_even_sides(bench, tmp_path):
    src = short_clip(tmp_path / "src.mp4", seconds=0.5, fps=30, size=(96, 54))
    long = bench.make_long_clip(src, tmp_path / "out" / "long.mp4", loops=2, max_side=64)
    info = bench.probe(long)
    assert info["frames"] == 30
    assert info["size"] == [64, 36]


def test_long_clip_is_made_once_and_again_when_its_source_changes(bench, tmp_path):
    src = short_clip(tmp_path / "src.mp4", seconds=0.5)
    cache = tmp_path / "cache"
    first = bench.ensure_long_clip(cache, src, 2, skip_setup=False)
    made = first.stat().st_mtime_ns
    assert bench.ensure_long_clip(cache, src, 2, skip_setup=True) == first  # reused, not made again
    assert first.stat().st_mtime_ns == made
    os.utime(src, ns=(made + 10**9, made + 10**9))  # copied again: same content, a new date
    assert bench.ensure_long_clip(cache, src, 2, skip_setup=True) == first
    scaled = bench.ensure_long_clip(cache, src, 2, skip_setup=False, max_side=32)  # another size: its own file
    assert scaled != first and first.stat().st_mtime_ns == made
    short_clip(src, seconds=1.0)  # the source changed
    with pytest.raises(bench.BenchError, match="no long clip"):
        bench.ensure_long_clip(cache, src, 2, skip_setup=True)
    assert bench.probe(bench.ensure_long_clip(cache, src, 2, skip_setup=False))["frames"] == 60


def test_a_file_that_is_not_a_video_is_one_line(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    r = run_script("--clips", str(bad), "--ours-only", cache=tmp_path / "cache")
    assert "bad.mp4: not a readable video" in one_line_error(r)


def test_table_shows_rounds_medians_and_peer_ratio(bench):
    res = {"clip": "bird_dog.mp4", "frames": 427, "duration_s": 14.233, "size": [1080, 1920], "cores": 2,
           "loadavg_before": "0.50 0.40 0.30", "loadavg_after": "1.90 1.20 0.80",
           "rows": [{"name": bench.PEER_LABEL, "times_s": [18.0, 16.0, 17.0], "cpu_s": [15.0, 15.5, 14.0]},
                    {"name": "ours --jobs 1", "times_s": [15.0, 14.0, 13.0], "cpu_s": [13.0, 13.0, 12.0]},
                    {"name": "ours --jobs 0 (2 cores)", "times_s": [9.0, 8.0, 12.0], "cpu_s": [16.0, 16.5, 17.0]}]}
    bench.summarize(res)
    assert [r["median_s"] for r in res["rows"]] == [17.0, 14.0, 9.0]
    assert [r["ratio"] for r in res["rows"]] == [1.0, pytest.approx(17 / 14, abs=1e-3), pytest.approx(17 / 9, abs=1e-3)]
    assert [r["median_cpu_s"] for r in res["rows"]] == [15.0, 13.0, 16.5]
    lines = bench.format_table(res).splitlines()
    assert "427 frames, 14.2 s, 1080x1920; 2 cores" in lines[0]
    assert "before 0.50 0.40 0.30, after 1.90 1.20 0.80" in lines[0]
    assert lines[1].split() == ["round", "1", "round", "2", "round", "3", "median", "peer/this", "CPU"]
    assert lines[2].startswith(bench.PEER_LABEL) and lines[2].split()[-5:] == ["17.0", "s", "1.00x", "15.0", "s"]
    assert lines[3].startswith("ours --jobs 1") and lines[3].split()[-5:] == ["14.0", "s", "1.21x", "13.0", "s"]
    assert lines[4].startswith("ours --jobs 0 (2 cores)") and lines[4].split()[-5:] == ["9.0", "s", "1.89x", "16.5", "s"]
    assert lines[5].startswith("CPU: ")


def test_table_without_a_peer_has_no_ratio(bench):
    res = bench.summarize({"clip": "c", "cores": 2, "rows": [{"name": "ours --jobs 0", "times_s": [3.0],
                                                             "cpu_s": [5.0]}]})
    assert res["rows"][0]["ratio"] is None
    assert bench.format_table(res).splitlines()[2].split()[-5:] == ["3.0", "s", "-", "5.0", "s"]


def test_rounds_alternate_the_order(bench):
    assert [bench.round_order(3, r) for r in range(3)] == [[0, 1, 2], [2, 1, 0], [0, 1, 2]]


def test_ours_is_coach_analyze_with_the_full_model_and_the_peer_is_isolated(bench, tmp_path):
    clip = tmp_path / "c.mp4"
    ours = bench.ours_command(clip, "bird_dog", 0, tmp_path / "m.task")
    assert ours[:3] == [sys.executable, "-m", "coach.cli"]
    assert ours[3:] == ["analyze", str(clip), "-e", "bird_dog", "-q", "--jobs", "0", "--variant", "full",
                        "--model", str(tmp_path / "m.task")]
    peer = bench.peer_command(Path("/v/bin/python"), clip)
    assert peer[1] == "-I" and peer[2].endswith("peer_pipeline.py") and "--model-complexity" in peer


@pytest.mark.model
def test_ours_only_runs_coach_and_prints_its_table(tmp_path, pose_model):
    """End to end without the peer: `coach analyze` on a tiny clip through the real script."""
    clip = short_clip(tmp_path / "c.mp4", seconds=0.3, size=(96, 64))
    out = tmp_path / "r.json"
    r = run_script("--clips", str(clip), "--ours-only", "--rounds", "1", "--jobs", "1", "--json", str(out),
                   "--model", str(pose_model), cache=tmp_path / "cache")
    assert r.returncode == 0, r.stderr
    assert "ours --jobs 1" in r.stdout and "peer/this" in r.stdout
    doc = json.loads(out.read_text())
    row = doc["clips"][0]["rows"][0]
    assert row["name"] == "ours --jobs 1" and len(row["times_s"]) == 1 and row["ratio"] is None
    assert row["times_s"][0] > 0 and row["cpu_s"][0] > 0
    assert not (tmp_path / "cache" / "peer-venv").exists()
