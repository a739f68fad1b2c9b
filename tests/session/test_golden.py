"""Golden files: each bundled sample track (landmarks extracted by `coach
extract` from the shared clips) with its expected result in tests/golden/,
compared with tolerances (times within GOLDEN_TOL_S, per-frame status runs
within RUN_TOL_FRAMES frames), as MediaPipe's own golden tests do.

Regenerate deliberately after a rule or engine change, and review the diff::

    python tests/session/test_golden.py --write
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

import pose_rules
from coach import samples
from coach.core.pose import PoseTrack
from coach.session.loop import analyze_track

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
#: Times (seconds) may differ by this much (float summation order, platform maths).
GOLDEN_TOL_S = 0.05
#: A run of frames with one status may be this many frames longer or shorter.
RUN_TOL_FRAMES = 2


def golden(track_path: Path) -> dict:
    """The result a golden file records for a track."""
    track = PoseTrack.load(track_path)
    rule = pose_rules.get_rule(track.meta["exercise"])
    rep = analyze_track(track, rule).to_dict()
    runs: list[list] = []  # run-length encoded per-frame status
    for row in rep["timeline"]:
        key = f"{row['status']}:{','.join(row['faults'])}"
        if runs and runs[-1][0] == key:
            runs[-1][1] += 1
        else:
            runs.append([key, 1])
    return {"track": track_path.name, "exercise": rule.name, "summary": rep["summary"],
            "faults": rep["faults"], "reps": rep["reps"], "status_runs": runs}


def assert_close(got, want, path: str = "") -> None:
    """Equal, with numbers within GOLDEN_TOL_S (ints exactly)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), f"{path}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            assert_close(got[k], want[k], f"{path}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{path}: {got!r} != {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, f"{path}[{i}]")
    elif isinstance(want, float) and not isinstance(want, bool):
        assert isinstance(got, (int, float)) and math.isclose(got, want, abs_tol=GOLDEN_TOL_S), \
            f"{path}: {got} != {want} (tolerance {GOLDEN_TOL_S})"
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


def assert_runs_close(got: list, want: list) -> None:
    assert [k for k, _ in got] == [k for k, _ in want], "the sequence of per-frame statuses changed"
    for (k, n), (_, m) in zip(got, want):
        assert abs(n - m) <= RUN_TOL_FRAMES, f"run {k}: {n} frames, expected {m} (± {RUN_TOL_FRAMES})"


TRACKS = sorted(samples.tracks().values())


def test_samples_exist():
    assert {p.name for p in TRACKS} >= {"bird_dog.track.npz", "podsazeni_panve.track.npz", "kocici_hrbet.track.npz"}
    assert {p.name for p in GOLDEN.glob("*.expected.json")} == \
        {p.name.replace(".track.npz", ".expected.json") for p in TRACKS}


@pytest.mark.parametrize("track", TRACKS, ids=lambda p: p.name)
def test_track_matches_golden(track):
    expected = json.loads((GOLDEN / track.name.replace(".track.npz", ".expected.json")).read_text())
    got = json.loads(json.dumps(golden(track)))  # as written: floats rounded the same way
    runs, want_runs = got.pop("status_runs"), expected.pop("status_runs")
    assert_close(got, expected)
    assert_runs_close(runs, want_runs)


def test_tolerant_comparison_still_catches_changes():
    want = {"a": 1.0, "b": [{"c": 2}], "s": "x"}
    assert_close({"a": 1.04, "b": [{"c": 2}], "s": "x"}, want)
    for bad in ({"a": 1.2, "b": [{"c": 2}], "s": "x"}, {"a": 1.0, "b": [{"c": 3}], "s": "x"},
                {"a": 1.0, "b": [], "s": "x"}, {"a": 1.0, "b": [{"c": 2}], "s": "y"}):
        with pytest.raises(AssertionError):
            assert_close(bad, want)
    with pytest.raises(AssertionError):
        assert_runs_close([["good:", 10], ["fault:x", 5]], [["good:", 10], ["fault:x", 9]])


def _report(name):
    t = PoseTrack.load(samples.path(name))
    return analyze_track(t, pose_rules.get_rule(t.meta["exercise"]))


def test_bird_dog_two_reps_one_each_side():
    # label: 2 reps, one each side, extended about 1.8-5.2 s and 8.7-12.3 s
    rep = _report("bird_dog")
    assert dict(rep.progress.done) == {"left": 1, "right": 1}
    spans = [(r["start"], r["end"]) for r in rep.reps]
    assert spans[0][0] < 5.2 and spans[0][1] > 1.8
    assert spans[1][0] < 12.3 and spans[1][1] > 8.7
    assert {r["side"] for r in rep.reps} == {"left", "right"}


def test_pelvic_tilts_give_no_bridge_hold():
    rep = _report("podsazeni_panve")
    assert rep.progress.part("hold").total == 0
    assert rep.summary.time_in_position_s == 0


def test_cat_back_gives_no_bird_dog_reps_and_no_hold():
    rep = _report("kocici_hrbet")
    assert dict(rep.progress.done) == {"left": 0, "right": 0}
    assert rep.progress.part("hold") is None  # a rep exercise counts no hold time


def write() -> None:
    for p in TRACKS:
        out = GOLDEN / p.name.replace(".track.npz", ".expected.json")
        out.write_text(json.dumps(json.loads(json.dumps(golden(p))), indent=1) + "\n")
        print("wrote", out)


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
    else:
        print(__doc__)
