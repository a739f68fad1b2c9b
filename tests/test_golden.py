"""Golden files: each sample landmark track (extracted by `coach extract` from
the shared clips) with its expected result. Regenerate deliberately with
`python scripts/make_golden.py` and review the diff."""
import json
from pathlib import Path

import pytest

import pose_rules
from coach.analysis import analyze_track
from coach.pose import PoseTrack

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TRACKS = sorted(SAMPLES.glob("*.track.npz"))

import sys  # noqa: E402
sys.path.insert(0, str(SAMPLES.parent / "scripts"))
from make_golden import golden  # noqa: E402


def test_samples_exist():
    assert {p.name for p in TRACKS} >= {"bird_dog.track.npz", "podsazeni_panve.track.npz", "kocici_hrbet.track.npz"}


@pytest.mark.parametrize("track", TRACKS, ids=lambda p: p.name)
def test_track_matches_golden(track):
    expected = json.loads(track.with_name(track.name.replace(".track.npz", ".expected.json")).read_text())
    assert golden(track) == expected


def _report(name):
    t = PoseTrack.load(SAMPLES / name)
    return analyze_track(t, pose_rules.get_rule(t.meta["exercise"]))


def test_bird_dog_two_reps_one_each_side():
    # label: 2 reps, one each side, extended about 1.8-5.2 s and 8.7-12.3 s
    rep = _report("bird_dog.track.npz")
    assert rep["summary"]["reps"] == {"left": 1, "right": 1}
    spans = [(r["start"], r["end"]) for r in rep["reps"]]
    assert spans[0][0] < 5.2 and spans[0][1] > 1.8
    assert spans[1][0] < 12.3 and spans[1][1] > 8.7
    assert {r["side"] for r in rep["reps"]} == {"left", "right"}


def test_pelvic_tilts_give_no_bridge_hold():
    rep = _report("podsazeni_panve.track.npz")
    assert rep["summary"]["good_hold_s"] == 0
    assert rep["summary"]["time_in_position_s"] == 0


def test_cat_back_gives_no_bird_dog_reps():
    rep = _report("kocici_hrbet.track.npz")
    assert rep["summary"]["reps"] == {"left": 0, "right": 0}


def test_track_roundtrip(tmp_path):
    t = PoseTrack.load(SAMPLES / "bird_dog.track.npz")
    t.save(tmp_path / "x.npz")
    u = PoseTrack.load(tmp_path / "x.npz")
    assert (u.timestamps == t.timestamps).all() and u.image_size == t.image_size
    assert u.meta["exercise"] == "bird_dog" and u.meta["model"] == "full"
