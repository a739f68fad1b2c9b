"""The annotated video made by several processes (coach.session.parallel's
third pass and coach.media.concat), the app's review on several processes,
and what stays in one process: checked as a user would check the video they
get (it decodes, H.264, every frame once at its time, the same pictures as
the sequential video) and the review (the same reps, nearly every frame
judged alike)."""
from __future__ import annotations

import argparse
import io
import os
from pathlib import Path
from types import SimpleNamespace

import av
import cv2
import numpy as np
import pytest

import pose_rules
from coach.media.concat import PartsDiffer, join_mp4
from coach.media.video import VideoError, VideoWriter, iter_frames
from coach.session.loop import SessionFrame, VideoSink
from coach.session.parallel import ParallelClip, plan_segments

ROOT = Path(__file__).resolve().parents[2]
BIRD_DOG = ROOT.parent / "shared" / "clips" / "polybag" / "bird_dog.mp4"
W, H, FPS = 96, 64, 10


def _picture(i: int) -> np.ndarray:
    img = np.full((H, W, 3), 40, np.uint8)
    x = (i * 3) % (W - 16)
    img[20:44, x:x + 16] = (220, 60, 60)
    return img


def _clip(seconds: float, fps: int = FPS) -> bytes:
    """A moving square, ``seconds`` long, as MP4 bytes (H.264, as the app's uploads mostly are)."""
    buf = io.BytesIO()
    with VideoWriter(buf, fps=fps, size=(W, H), format="mp4") as w:
        for i in range(int(round(seconds * fps))):
            w.write(_picture(i), i / fps)
    return buf.getvalue()


class Stamp:
    """Draws a white bar as long as the state's time in tenths of a second
    (so a picture shows which state was drawn on it)."""

    def __call__(self, image: np.ndarray, state) -> np.ndarray:
        cv2.rectangle(image, (0, 0), (int(round(state.timestamp * 10)), 6), (255, 255, 255), -1)
        return image


def _decoded(data_or_path) -> tuple[str, str, list[float], list[np.ndarray]]:
    src = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else str(data_or_path)
    with av.open(src) as c:
        s = c.streams.video[0]
        frames = list(c.decode(s))
        name, pix = s.codec_context.name, s.codec_context.pix_fmt
    return name, pix, [float(f.pts * f.time_base) for f in frames], [f.to_ndarray(format="rgb24") for f in frames]


def _boxes(data: bytes) -> list[str]:
    out, pos = [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        out.append(data[pos + 4:pos + 8].decode("latin-1"))
        if size < 8:
            break
        pos += size
    return out


def _sequential(data: bytes, states, annotate, fps=FPS) -> bytes:
    """What VideoSink (the sequential analysis) makes of the same states."""
    sink = VideoSink(annotate, None, fps=fps, max_side=None)
    for (rgb, _), st in zip(iter_frames(data), states):
        sink.add(SessionFrame(rgb, None, st))
    sink.close()
    return sink.data


# ----------------------------------------------------------------------------- the joined video

@pytest.mark.parametrize("annotate", [Stamp(), lambda img, st: Stamp()(img, st)], ids=["processes", "here"])
def test_the_video_drawn_in_segments_is_the_sequential_one(annotate):
    """A 9.6 s clip in two segments: the video drawn by the two processes (or,
    for an annotator that cannot be sent to them, here) has every frame once,
    at its time, with the right drawing on it, and plays as the sequential
    one: H.264 yuv420p, index first."""
    data = _clip(9.6)
    times = [t for _, t in iter_frames(data)]
    states = [SimpleNamespace(timestamp=t) for t in times]
    segs = plan_segments(9.6, 2)
    assert len(segs) == 2
    buf = io.BytesIO()
    with ParallelClip(data, b"", segs, name="upload.mp4") as clip:  # no model: only drawing
        ticks: list[int] = []
        n = clip.render(states, annotate, buf, fps=FPS, video_max_side=None, image_size=(W, H), format="mp4",
                        on_frames=ticks.append)
    assert n == len(states) == 96 and sum(ticks) == n
    video = buf.getvalue()
    assert _boxes(video)[:2] == ["ftyp", "moov"]  # faststart: a browser plays it before it has it all
    name, pix, ts, pics = _decoded(video)
    assert (name, pix) == ("h264", "yuv420p")
    assert ts == pytest.approx(times, abs=1e-3)  # every frame once, at its own time across the join
    _, _, ts_seq, pics_seq = _decoded(_sequential(data, states, Stamp()))
    assert ts == pytest.approx(ts_seq, abs=1e-3)
    for i, (a, b) in enumerate(zip(pics, pics_seq)):
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 4, f"frame {i}"
        bar = int(round(times[i] * 10))
        if 4 < bar < W - 4:  # the bar drawn for this frame's own state
            assert a[3, bar - 3].min() > 200 and a[3, bar + 3].max() < 200, f"frame {i}"


def test_a_short_clip_is_drawn_without_other_processes():
    """One segment: nothing to join; rendered here, the same frames."""
    data = _clip(3.0)
    states = [SimpleNamespace(timestamp=t) for _, t in iter_frames(data)]
    segs = plan_segments(3.0, 4)
    assert len(segs) == 1
    buf = io.BytesIO()
    clip = ParallelClip(data, b"", segs)  # not started: render() must not need the processes
    assert clip.render(states, Stamp(), buf, fps=FPS, video_max_side=None, image_size=(W, H), format="mp4") == 30
    assert len(_decoded(buf.getvalue())[2]) == 30


def test_the_default_annotator_draws_the_same_in_another_process():
    """The video's processes get the annotator pickled: it must draw the
    same picture there (else the video is drawn in one process, slower)."""
    import pickle

    from coach.core.pose import PoseTrack
    from coach.session.loop import CallbackSink, Session, default_annotator, run
    from coach.session.sources import track_frames

    rule = pose_rules.get_rule("bird_dog")
    track = PoseTrack.load(ROOT / "samples" / "bird_dog.track.npz")
    states: list = []
    run(track_frames(track), Session(rule, None, sinks=[CallbackSink(lambda item: states.append(item.state))]))
    draw = default_annotator(rule, rule.resolve(None))
    copy = pickle.loads(pickle.dumps(draw))
    for st in states[::60]:
        a = draw(np.full((640, 360, 3), 60, np.uint8), st)
        assert np.array_equal(a, copy(np.full((640, 360, 3), 60, np.uint8), st)) and a.max() > 60


def _part(n: int, size=(W, H), start: int = 0) -> bytes:
    buf = io.BytesIO()
    with VideoWriter(buf, fps=FPS, size=size, format="mp4") as w:
        for i in range(n):
            w.write(cv2.resize(_picture(start + i), size), i / FPS)
    return buf.getvalue()


def test_join_to_a_file_keeps_times_and_refuses_unlike_parts(tmp_path):
    out = tmp_path / "joined.mp4"
    assert join_mp4([(_part(12), 0), (_part(8, start=12), 1200)], out) == 20
    name, pix, ts, _ = _decoded(out)
    assert (name, pix) == ("h264", "yuv420p") and ts == pytest.approx([i / FPS for i in range(20)], abs=1e-3)
    with pytest.raises(PartsDiffer):
        join_mp4([(_part(5), 0), (_part(5, size=(64, 48)), 500)], io.BytesIO(), name="x.mp4")
    with pytest.raises(VideoError) as ei:
        join_mp4([(_part(5), 0), (b"not a video" * 100, 500)], io.BytesIO(), name="x.mp4")
    assert str(ei.value).startswith("x.mp4: ") and "\n" not in str(ei.value)


# ----------------------------------------------------------------------------- one process or several

def test_a_short_clip_starts_no_processes(tmp_path):
    """`coach analyze` uses one process per core by default, but a clip too
    short for two segments is analysed in this one, and --jobs 1 is one."""
    from coach.cli import _parallel, build_parser

    assert build_parser().parse_args(["analyze", "x.mp4"]).jobs == 0  # the default: one per core
    short, long_ = tmp_path / "short.mp4", tmp_path / "long.mp4"
    short.write_bytes(_clip(5.0))
    long_.write_bytes(_clip(9.6))
    rule = pose_rules.get_rule("bird_dog")
    assert _parallel(argparse.Namespace(jobs=2), rule, short) is None
    assert _parallel(argparse.Namespace(jobs=1), rule, long_) is None
    info = _parallel(argparse.Namespace(jobs=2), rule, long_)
    assert info is not None and info.frame_count == 96


@pytest.mark.model
def test_a_short_upload_is_reviewed_in_this_process(monkeypatch, pose_model):
    from coach.session import parallel
    from coach.session.review import review_video

    def no(*a, **k):
        raise AssertionError("processes started for a short clip")

    monkeypatch.setattr(parallel.ParallelClip, "__enter__", no)
    res = review_video(_clip(2.0), "plank", model=pose_model.read_bytes(), name="short.mp4")
    assert res.report.summary.frames == 20


def test_a_corrupt_upload_is_one_line(tmp_path):
    from coach.session.review import review_video

    with pytest.raises(VideoError) as ei:
        review_video(os.urandom(300_000), "bird_dog", model=tmp_path / "none.task", name="upload.mov")
    assert str(ei.value).startswith("upload.mov: ") and "\n" not in str(ei.value)


@pytest.mark.model
def test_an_upload_cut_short_is_told_as_in_one_process(pose_model):
    """Its index is whole, its pictures are not there: the same one line (or
    the same warning) from two processes as from one."""
    from coach.session.review import review_video

    whole = _clip(9.6)
    model = pose_model.read_bytes()
    for cut in (3000, len(whole) * 6 // 10):
        said = []
        for jobs in (1, 2):
            try:
                with pytest.warns(RuntimeWarning) as caught:
                    res = review_video(whole[:cut], "plank", model=model, name="upload.mp4", jobs=jobs)
                said.append((res.report.summary.frames, [str(w.message) for w in caught]))
            except VideoError as e:
                said.append(str(e))
        assert said[0] == said[1]
        assert "upload.mp4: " in str(said[0]) and "\\n" not in str(said[0])


# ----------------------------------------------------------------------------- the real clip

def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not available (the shared clips are needed beside the checkout)")
    return path


@pytest.mark.slow
@pytest.mark.model
def test_the_review_on_two_processes_gives_the_sequential_review(pose_model):
    """The app's review of the real bird-dog clip (its bytes, the model's
    bytes, as the page passes them) on two processes and on one: the same
    reps, nearly every frame judged alike, and an annotated video that decodes
    with a frame per judged frame, as long as the sequential one."""
    from coach.session.loop import default_annotator
    from coach.session.review import review_video

    data, model = _need(BIRD_DOG).read_bytes(), pose_model.read_bytes()
    rule = pose_rules.get_rule("bird_dog")
    annotate = default_annotator(rule, rule.resolve(None))
    calls: list[float] = []
    kw = dict(model=model, name="bird_dog.mp4", annotate=annotate, max_side=640, video_max_side=360)
    two = review_video(data, rule, jobs=2, progress=calls.append, **kw)
    one = review_video(data, rule, jobs=1, **kw)
    a, b = one.report.to_dict(), two.report.to_dict()
    assert [r["t"] for r in a["timeline"]] == [r["t"] for r in b["timeline"]]
    assert b["summary"]["goal"]["done"] == a["summary"]["goal"]["done"]
    assert b["summary"]["goal"]["good"] == a["summary"]["goal"]["good"]
    same = sum(x["status"] == y["status"] and x["faults"] == y["faults"] for x, y in zip(a["timeline"], b["timeline"]))
    assert same / len(a["timeline"]) >= 0.97, f"{same} of {len(a['timeline'])} frames judged alike"
    assert len(two.track) == len(one.track)
    # the progress bar moved all the way, in steps
    assert 10 <= len(calls) <= 50 and calls == sorted(calls) and calls[-1] == 1.0
    # the videos
    n1, p1, t1, pics1 = _decoded(one.video)
    n2, p2, t2, pics2 = _decoded(two.video)
    assert (n2, p2) == (n1, p1) == ("h264", "yuv420p")
    assert abs(len(t2) - len(t1)) <= 1 and len(t2) == len(b["timeline"])
    assert t2[-1] == pytest.approx(t1[-1], abs=0.04)  # as long
    assert pics2[0].shape == pics1[0].shape and max(pics2[0].shape) == 360
    assert _boxes(two.video)[:2] == ["ftyp", "moov"]


@pytest.mark.model
def test_coach_analyze_annotated_on_two_processes(tmp_path, pose_model):
    """`coach analyze CLIP --annotated out.mp4` (two processes for a 9.6 s
    clip) writes the video the one-process run writes: every judged frame
    once, at its time, H.264, index first; a .webm is drawn in one process
    from the same judged frames; nothing half-written is left beside them."""
    import json
    import subprocess
    import sys

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(_clip(9.6))
    env = dict(os.environ, COACH_MODEL=str(pose_model))

    def analyze(out: str, jobs: str) -> dict:
        proc = subprocess.run([sys.executable, "-m", "coach.cli", "analyze", str(clip), "-e", "plank", "-q",
                               "--jobs", jobs, "--annotated", str(tmp_path / out), "--json", str(tmp_path / "r.json")],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        assert f"annotated video: {tmp_path / out}" in proc.stderr
        return json.loads((tmp_path / "r.json").read_text())

    two = analyze("two.mp4", "2")
    one = analyze("one.mp4", "1")
    analyze("two.webm", "2")
    name, pix, ts, pics = _decoded(tmp_path / "two.mp4")
    assert (name, pix) == ("h264", "yuv420p") and len(ts) == len(two["timeline"]) == 96
    assert _boxes((tmp_path / "two.mp4").read_bytes())[:2] == ["ftyp", "moov"]
    _, _, ts1, pics1 = _decoded(tmp_path / "one.mp4")
    assert ts == pytest.approx(ts1, abs=1e-3) and len(one["timeline"]) == 96
    assert all(np.abs(a.astype(int) - b.astype(int)).mean() < 4 for a, b in zip(pics, pics1))
    name, _, ts_webm, _ = _decoded(tmp_path / "two.webm")
    assert name in ("vp9", "libvpx-vp9") and ts_webm == pytest.approx(ts1, abs=1e-3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "one.mp4", "r.json", "two.mp4", "two.webm"]
