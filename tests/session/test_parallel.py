"""Clip analysis in several processes (``coach analyze --jobs N``): the
segments it cuts, the decoder's seek, and the result against the sequential
analysis of the same real clip, as a user would compare the two reports."""
from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coach.session.parallel import MIN_SEGMENT_S, OVERLAP_S, SEEK_COST, plan_clip, plan_segments, resolve_jobs

ROOT = Path(__file__).resolve().parents[2]
BIRD_DOG = ROOT.parent / "shared" / "clips" / "polybag" / "bird_dog.mp4"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not available (the shared clips are needed beside the checkout)")
    return path


# ----------------------------------------------------------------------------- segments

@pytest.mark.parametrize("duration,jobs,n", [(14.2, 2, 2), (14.2, 4, 3), (600.0, 8, 8), (3.0, 2, 1), (10.0, 1, 1)])
def test_segments_cover_the_clip_once_in_order(duration, jobs, n):
    segs = plan_segments(duration, jobs)
    assert len(segs) == n  # no more than the clip's length allows (MIN_SEGMENT_S each)
    assert segs[0].start == 0.0 and segs[0].warm == 0.0 and math.isinf(segs[-1].end)
    for a, b in zip(segs, segs[1:]):
        assert a.end == b.start  # contiguous: every frame in exactly one segment
        assert b.warm == pytest.approx(max(0.0, b.start - OVERLAP_S))  # the tracker warms up before it
        assert b.start - a.start >= MIN_SEGMENT_S - 1e-9


def _work(seg, duration, keyframes):
    """A segment's work as the plan counts it: its frames and warm-up frames in
    full, the frames decoded from the keyframe before its warm-up at SEEK_COST."""
    end = min(seg.end, duration)
    before = [k for k in keyframes if k <= seg.warm + 1e-6]
    seek = seg.warm - (before[-1] if before else 0.0)
    return end - seg.warm + SEEK_COST * seek


@pytest.mark.parametrize("duration,jobs,keyframes", [
    (14.23, 2, [0.0, 8.33]),                      # bird_dog.mp4: a keyframe every 8.3 s
    (71.2, 2, [8.33 * i for i in range(9)]),
    (71.2, 4, [0.0]),                             # one keyframe: the later segments seek far
    (600.0, 8, [2.0 * i for i in range(300)]),    # a webcam recording, a keyframe every 2 s
    (60.0, 3, [i / 30 for i in range(1800)]),     # every frame a keyframe
])
def test_segments_placed_by_keyframes_share_the_work_evenly(duration, jobs, keyframes):
    segs = plan_segments(duration, jobs, keyframes=keyframes)
    assert len(segs) == jobs and segs[0].start == 0.0 and segs[0].warm == 0.0 and math.isinf(segs[-1].end)
    for a, b in zip(segs, segs[1:]):
        assert a.end == b.start and a.start < b.start
        assert b.warm == pytest.approx(max(0.0, b.start - OVERLAP_S))
    work = [_work(s, duration, keyframes) for s in segs]
    assert max(work) - min(work) < 0.01 * duration, work  # each process has about the same work
    equal = plan_segments(duration, jobs)  # cut into equal parts, as without the keyframes
    assert max(work) <= max(_work(s, duration, keyframes) for s in equal) + 1e-6
    if jobs == 2 and keyframes == [0.0, 8.33]:  # bird_dog: the first segment takes most of the seek's cost
        assert segs[1].start > equal[1].start + 0.5


def test_keyframe_times_are_read_from_the_clip(tmp_path):
    from coach.media.video import keyframe_times

    assert keyframe_times(need(BIRD_DOG)) == pytest.approx([0.0, 8.333], abs=0.01)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video" * 100)
    assert keyframe_times(bad) == [] and keyframe_times(tmp_path / "missing.mp4") == []
    segs = plan_clip(bad, 14.23, 2)  # nothing known of the keyframes: equal parts
    assert [s.start for s in segs] == [s.start for s in plan_segments(14.23, 2)]


def test_an_unknown_duration_is_one_segment():
    assert len(plan_segments(0.0, 4)) == 1 and len(plan_segments(float("nan"), 4)) == 1


def test_jobs():
    assert resolve_jobs(0) >= 1 and resolve_jobs(None) == resolve_jobs(0) and resolve_jobs(3) == 3
    with pytest.raises(ValueError):
        resolve_jobs(-1)


def test_the_decoder_starts_at_a_time_with_the_same_frames_and_times():
    from coach.media.video import iter_frames

    clip = need(BIRD_DOG)
    full = list(iter_frames(clip, max_side=160))
    part = list(iter_frames(clip, max_side=160, start_s=7.0))
    i = next(k for k, (_, t) in enumerate(full) if t >= 7.0 - 1e-6)
    assert len(part) == len(full) - i
    assert all(a[1] == b[1] and np.array_equal(a[0], b[0]) for a, b in zip(full[i:], part))


# ----------------------------------------------------------------------------- against the sequential analysis

def _analyse(clip: Path, tmp: Path, model: Path, *extra: str) -> dict:
    out = tmp / f"r{len(list(tmp.iterdir()))}.json"
    env = dict(os.environ, COACH_MODEL=str(model))
    proc = subprocess.run([sys.executable, "-m", "coach.cli", "analyze", str(clip), "-e", "bird_dog", "-q",
                           "--json", str(out), "--save-track", str(out.with_suffix(".npz")), *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return json.loads(out.read_text())


@pytest.mark.slow
@pytest.mark.model
def test_two_processes_give_the_sequential_result(pose_model, tmp_path):
    """The real bird-dog clip analysed in one process and in two: the same
    frames, the same reps, and the same verdict on nearly every frame; the
    landmarks differ only where the second process's tracker took over."""
    from coach.core.pose import PoseTrack

    clip = need(BIRD_DOG)
    one = _analyse(clip, tmp_path, pose_model, "--jobs", "1")  # the default is one process per core
    two = _analyse(clip, tmp_path, pose_model, "--jobs", "2")
    assert [r["t"] for r in one["timeline"]] == [r["t"] for r in two["timeline"]]  # every frame, once, in order
    goal = lambda rep: {k: rep["summary"]["goal"][k] for k in ("done", "good", "total")}  # noqa: E731
    assert goal(two) == goal(one)  # the reps, per side
    same = sum(a["status"] == b["status"] and a["faults"] == b["faults"]
               for a, b in zip(one["timeline"], two["timeline"]))
    assert same / len(one["timeline"]) >= 0.97, f"{same} of {len(one['timeline'])} frames judged alike"
    # landmarks: equal up to the segment's start, close after it
    a, b = (PoseTrack.load(tmp_path / f"r{i}.npz") for i in (0, 2))
    la, lb = np.stack([f.landmarks for f in a]), np.stack([f.landmarks for f in b])
    ts = np.array([f.timestamp for f in a])
    from coach.media.video import probe

    first = ts < plan_clip(clip, probe(clip).duration, 2)[1].start  # as the CLI cuts it
    assert np.array_equal(la[first], lb[first])  # the first segment is the sequential analysis itself
    d = np.abs(la[~first][:, :, :2] - lb[~first][:, :, :2])
    ok = np.isfinite(d)
    assert ok.mean() > 0.99 and float(np.median(d[ok])) < 0.01  # normalised image coordinates


def test_jobs_are_checked_before_any_work(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "coach.cli", "analyze", "x.mp4", "-e", "plank", "--jobs", "-1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "--jobs" in proc.stderr


def test_a_corrupt_clip_in_several_processes_is_one_line(tmp_path, pose_model):
    bad = tmp_path / "bad.mp4"
    # fixed bytes: random ones now and then look like MPEG audio frames to FFmpeg ("no video stream")
    bad.write_bytes(random.Random(7).randbytes(4000))
    env = dict(os.environ, COACH_MODEL=str(pose_model))
    proc = subprocess.run([sys.executable, "-m", "coach.cli", "analyze", str(bad), "-e", "plank", "--jobs", "2",
                           "-q"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert [ln for ln in proc.stderr.splitlines() if ln.strip()] == [
        "coach: error: bad.mp4: not a video file or it is corrupt (Invalid data found when processing input)"]
