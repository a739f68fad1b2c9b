"""In-memory review: coach.media.video with bytes / file objects, and coach.session.review.

Test videos are made in memory with VideoWriter itself; nothing here writes a
video to disk except where a test compares with the path-based writer.
"""
from __future__ import annotations

import io
import time
from pathlib import Path


import av
import numpy as np
import pytest

import pose_rules
from coach.engine.report import Report
from coach.media.models import ModelError
from coach.core.pose import PoseTrack
from coach.session.loop import analyze_track
from coach.session.review import ReviewResult, reevaluate, review_track, review_video, track_images
from coach.engine.thresholds import ThresholdError
from coach.media.video import VideoError, VideoWriter, iter_frames, probe
from reports import _plain, same_report

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared"
POLYBAG = SHARED / "clips" / "polybag"

W, H = 64, 48
TIMES = [0.0, 0.040, 0.050, 0.130, 0.200, 0.350, 0.360, 0.500, 0.733, 0.900]


def _square(i: int, w: int = W, h: int = H) -> np.ndarray:
    img = np.full((h, w, 3), 30, np.uint8)
    x = (i * 5) % (w - 12)
    img[10:22, x: x + 12] = (230, 40, 40)
    return img


def _video(target=None, fmt: str = "mp4", times=TIMES, size=(W, H)):
    """Write the moving-square clip to *target* (default: a new BytesIO); returns the target."""
    target = io.BytesIO() if target is None else target
    with VideoWriter(target, fps=30, size=size, format=fmt) as writer:
        for i, t in enumerate(times):
            writer.write(_square(i, *size), t)
    return target


def _decode_raw(data: bytes):
    """Codec, pixel format, frame count and timestamps, straight from PyAV."""
    with av.open(io.BytesIO(data)) as c:
        s = c.streams.video[0]
        name, pix = s.codec_context.name, s.codec_context.pix_fmt
        frames = list(c.decode(s))
    first = frames[0].pts
    return name, pix, len(frames), [float((f.pts - first) * f.time_base) for f in frames]


def _boxes(data: bytes) -> list[str]:
    """The top-level MP4 boxes, in order."""
    out, pos = [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
        out.append(kind)
        if size < 8:
            break
        pos += size
    return out




def _one_line(err: BaseException, name: str) -> None:
    text = str(err)
    assert "\n" not in text
    assert text.startswith(name), text


@pytest.fixture(scope="module")
def clip() -> bytes:
    return _video().getvalue()


# ---------------------------------------------------------------- writing to memory


def test_writer_to_bytesio_is_faststart_h264(clip, tmp_path):
    boxes = _boxes(clip)
    assert boxes[:2] == ["ftyp", "moov"] and boxes[-1] == "mdat"  # index first (faststart)
    name, pix, n, stamps = _decode_raw(clip)
    assert (name, pix, n) == ("h264", "yuv420p", len(TIMES))
    assert stamps == pytest.approx(TIMES, abs=1e-3)
    # laid out as the path writer (ffmpeg's own +faststart) lays it out
    path = tmp_path / "same.mp4"
    with VideoWriter(path, fps=30, size=(W, H)) as writer:
        for i, t in enumerate(TIMES):
            writer.write(_square(i), t)
    on_disk = path.read_bytes()
    assert _boxes(on_disk) == _boxes(clip)
    assert len(on_disk) == pytest.approx(len(clip), rel=0.05)


def test_writer_to_bytesio_webm():
    data = _video(fmt="webm").getvalue()
    name, pix, n, stamps = _decode_raw(data)
    assert (name, pix, n) == ("vp9", "yuv420p", len(TIMES))
    assert stamps == pytest.approx(TIMES, abs=1e-3)


def test_writer_replaces_old_content_and_leaves_the_object_open(clip):
    buf = io.BytesIO(b"x" * 100_000)
    buf.seek(5000)
    _video(buf)
    assert not buf.closed
    data = buf.getvalue()
    assert len(data) == pytest.approx(len(clip), rel=0.05)
    assert _boxes(data) == _boxes(clip)
    assert _decode_raw(data)[2] == len(TIMES)


class _WriteOnly(io.RawIOBase):
    """A pipe-like target: no seeking, no reading back."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.chunks.append(bytes(b))
        return len(b)


def test_writer_to_unseekable_target_is_fragmented_mp4():
    out = _WriteOnly()
    with VideoWriter(out, fps=30, size=(W, H), format="mp4") as writer:
        for i, t in enumerate(TIMES):
            writer.write(_square(i), t)
    assert writer.fragmented
    data = b"".join(out.chunks)
    boxes = _boxes(data)
    assert boxes[:2] == ["ftyp", "moov"] and "moof" in boxes  # index first, then fragments
    name, pix, n, stamps = _decode_raw(data)
    assert (name, pix, n) == ("h264", "yuv420p", len(TIMES))
    assert stamps == pytest.approx(TIMES, abs=1e-3)


def test_writer_to_file_object_needs_a_format():
    with pytest.raises(VideoError, match="format") as ei:
        VideoWriter(io.BytesIO(), fps=30, size=(W, H))
    _one_line(ei.value, "video")
    with pytest.raises(VideoError, match="avi") as ei:
        VideoWriter(io.BytesIO(), fps=30, size=(W, H), format="avi", name="out")
    _one_line(ei.value, "out")
    with pytest.raises(TypeError):
        VideoWriter(12, fps=30, size=(W, H), format="mp4")


def test_writer_path_keeps_extension_or_takes_format(tmp_path):
    out = tmp_path / "clip.bin"
    with pytest.raises(VideoError, match="clip.bin"):
        VideoWriter(out, fps=30, size=(W, H))
    with VideoWriter(out, fps=30, size=(W, H), format="webm") as writer:
        writer.write(_square(0), 0.0)
    assert writer.format == "webm"
    assert probe(out).codec == "vp9"


def test_writer_fit_matches_output_size():
    with VideoWriter(io.BytesIO(), fps=30, size=(320, 240), max_side=100, format="mp4") as writer:
        fitted = writer.fit(_square(0, 320, 240))
        assert (fitted.shape[1], fitted.shape[0]) == writer.size
        same = writer.fit(fitted)
        assert same is fitted  # already the right size: no copy
        writer.write(fitted, 0.0)


# ---------------------------------------------------------------- reading from memory


class _Upload(io.BytesIO):
    """Like Streamlit's UploadedFile: a BytesIO with a name."""

    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name = name


class _Stream(io.RawIOBase):
    """A readable stream that cannot seek."""

    def __init__(self, data: bytes):
        self._b = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        return self._b.readinto(b)


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "bytesio", "upload", "stream"])
def test_probe_and_frames_from_memory(clip, kind):
    make = {
        "bytes": lambda: clip,
        "bytearray": lambda: bytearray(clip),
        "memoryview": lambda: memoryview(clip),
        "bytesio": lambda: io.BytesIO(clip),
        "upload": lambda: _Upload(clip, "upload.mov"),
        "stream": lambda: _Stream(clip),
    }[kind]
    src = make()
    info = probe(src, name="clip.mp4")
    assert (info.width, info.height, info.codec) == (W, H, "h264")
    assert info.path == "clip.mp4"
    if kind == "stream":
        src = make()  # a stream can be read once
    elif hasattr(src, "seek"):
        src.seek(1234)  # read from the start whatever the position
    frames = list(iter_frames(src))
    assert [t for _, t in frames] == pytest.approx(TIMES, abs=1e-3)
    assert frames[3][0].shape == (H, W, 3)
    if kind in ("bytesio", "upload"):
        assert not src.closed


def test_upload_name_is_the_default_name(clip):
    assert probe(_Upload(clip, "/some/dir/upload.mov")).path == "upload.mov"
    assert probe(clip).path == "video"


@pytest.mark.parametrize("bad,match", [
    (b"", "empty"),
    (b"this is not a video\n" * 20, "not a video file or it is corrupt"),
])
@pytest.mark.parametrize("wrap", [bytes, io.BytesIO, lambda d: _Upload(d, "other.bin")])
def test_bad_memory_video_gives_one_line(bad, match, wrap):
    with pytest.raises(VideoError, match=match) as ei:
        probe(wrap(bad), name="upload.mov")
    _one_line(ei.value, "upload.mov")
    with pytest.raises(VideoError, match=match) as ei:
        list(iter_frames(wrap(bad), name="upload.mov"))
    _one_line(ei.value, "upload.mov")


def test_closed_file_object_and_wrong_type(clip):
    f = io.BytesIO(clip)
    f.close()
    with pytest.raises(VideoError, match="closed") as ei:
        probe(f, name="upload.mov")
    _one_line(ei.value, "upload.mov")
    with pytest.raises(TypeError):
        probe(12345)


def test_paths_still_work_and_name_is_used(tmp_path, clip):
    p = tmp_path / "on_disk.mp4"
    p.write_bytes(clip)
    assert probe(p).path == str(p)
    assert len(list(iter_frames(str(p)))) == len(TIMES)
    with pytest.raises(VideoError, match="no such file") as ei:
        probe(tmp_path / "missing.mp4", name="shown.mp4")
    _one_line(ei.value, "shown.mp4")


# ---------------------------------------------------------------- review of tracks


@pytest.fixture(scope="module")
def bird_dog() -> PoseTrack:
    return PoseTrack.load(SAMPLES / "bird_dog.track.npz")


def _decoded(data: bytes):
    with av.open(io.BytesIO(data)) as c:
        s = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
        return s.codec_context.name, s.codec_context.pix_fmt, frames


def test_reevaluate_equals_analyze_track(bird_dog):
    rule = pose_rules.get_rule("bird_dog")
    base = reevaluate(bird_dog, rule)
    assert isinstance(base, Report) and len(base.timeline) == len(bird_dog)
    assert same_report(base, analyze_track(bird_dog, rule))
    tuned = reevaluate(bird_dog, "bird_dog", {"leg_low_deg": 40})
    assert same_report(tuned, analyze_track(bird_dog, rule, {"leg_low_deg": 40}))
    assert tuned.thresholds["leg_low_deg"] == 40
    assert tuned.summary.fault_time_s != reevaluate(bird_dog).summary.fault_time_s


def test_reevaluate_is_fast(bird_dog):
    reevaluate(bird_dog, "bird_dog")
    t0 = time.perf_counter()
    for _ in range(3):
        reevaluate(bird_dog, "bird_dog", {"leg_high_deg": 5})
    per_frame_ms = (time.perf_counter() - t0) / 3 / len(bird_dog) * 1000
    assert per_frame_ms < 1.0  # ~0.05 ms here; generous for slow machines


def test_reevaluate_rejects_bad_thresholds(bird_dog):
    with pytest.raises(ThresholdError):
        reevaluate(bird_dog, "bird_dog", {"no_such_threshold": 1})


def test_review_track_without_video(bird_dog):
    res = review_track(bird_dog, "bird_dog")
    assert isinstance(res, ReviewResult)
    assert res.video is None and res.video_format == "mp4"
    assert isinstance(res.report, Report)
    assert same_report(res.report, analyze_track(bird_dog, pose_rules.get_rule("bird_dog")))
    assert res.report.progress.done == {"left": 1, "right": 1}
    assert res.track is bird_dog
    assert res.source_name == bird_dog.meta["source"] == res.report.source
    # the exercise recorded in the track is the default
    assert same_report(review_track(bird_dog).report, res.report)


def test_review_track_renders_on_a_blank_canvas(bird_dog):
    from coach.media.annotate import SkeletonAnnotator

    seen = []
    calls: list[float] = []

    def annotate(image, st):
        seen.append((image.shape, st.timestamp))
        return SkeletonAnnotator()(image, st)

    res = review_track(bird_dog, "bird_dog", annotate=annotate, progress=calls.append, video_max_side=320)
    assert same_report(res.report, analyze_track(bird_dog, pose_rules.get_rule("bird_dog")))
    assert len(seen) == len(bird_dog)
    assert [t for _, t in seen] == pytest.approx(bird_dog.timestamps.tolist())
    assert max(seen[0][0][:2]) <= 320  # drawn at the output size
    assert _boxes(res.video)[:2] == ["ftyp", "moov"]
    name, pix, frames = _decoded(res.video)
    assert (name, pix, len(frames)) == ("h264", "yuv420p", len(bird_dog))
    h, w = frames[0].shape[:2]
    assert max(w, h) <= 320
    assert w / h == pytest.approx(1080 / 1920, rel=0.03)
    # a dark canvas with a coloured skeleton on it
    assert np.median(frames[100]) < 50
    assert frames[100].max() > 150
    # progress: at most 50 calls, increasing, ending at 1.0
    assert 10 <= len(calls) <= 50
    assert calls == sorted(calls) and calls[-1] == 1.0


def test_review_track_on_its_source_video(bird_dog):
    # a stand-in "source video" with the track's proportions, in memory
    n = 20
    size = (108, 192)
    bright = np.full((size[1], size[0], 3), 200, np.uint8)
    buf = io.BytesIO()
    with VideoWriter(buf, fps=30, size=size, format="mp4") as writer:
        for i in range(n):
            writer.write(bright, i / 30)
    res = review_track(bird_dog, "bird_dog", annotate=lambda im, st: im, background=buf.getvalue(),
                       video_max_side=192)
    _, _, frames = _decoded(res.video)
    assert len(frames) == len(bird_dog)
    assert np.median(frames[5]) > 150  # the video behind the first frames
    assert np.median(frames[n + 5]) < 50  # then the blank canvas
    # other proportions: not used
    images = track_images(bird_dog, _video().getvalue(), max_side=192)
    assert np.median(next(images)) < 50


def test_annotate_errors_stop_the_review(bird_dog):
    def broken(image, st):
        raise RuntimeError("drawing failed")

    with pytest.raises(RuntimeError, match="drawing failed"):
        review_track(bird_dog, "bird_dog", annotate=broken)


# ---------------------------------------------------------------- review of videos: errors


def test_review_video_errors_are_one_line(clip, tmp_path):
    with pytest.raises(ThresholdError):  # checked before anything is read
        review_video(b"not a video", "plank", {"sag_deg": 1000}, model=tmp_path / "none.task")
    with pytest.raises(VideoError) as ei:
        review_video(b"not a video", "plank", model=tmp_path / "none.task", name="upload.mov")
    _one_line(ei.value, "upload.mov")
    with pytest.raises(VideoError, match="empty") as ei:
        review_video(_Upload(b"", "phone.mov"), "plank", name=None)
    _one_line(ei.value, "phone.mov")
    with pytest.raises(ModelError) as ei:
        review_video(clip, "plank", model=tmp_path / "none.task")
    assert "\n" not in str(ei.value)
    with pytest.raises(pose_rules.UnknownExercise):
        review_video(clip, "handstand")


# ---------------------------------------------------------------- review of videos: the model


@pytest.fixture(scope="module")
def short_bird_dog() -> bytes:
    """The first 2 s of bird_dog.mp4, at full size, as in-memory MP4 bytes."""
    clip = POLYBAG / "bird_dog.mp4"
    if not clip.exists():
        pytest.skip(f"{clip} not available (the shared clips)")
    buf = io.BytesIO()
    writer = None
    for rgb, t in iter_frames(clip):
        if t >= 2.0:
            break
        if writer is None:
            writer = VideoWriter(buf, fps=30, size=(rgb.shape[1], rgb.shape[0]), format="mp4")
        writer.write(rgb, t)
    writer.close()
    return buf.getvalue()


@pytest.mark.model
def test_review_video_in_memory_equals_analyze(short_bird_dog, pose_model):
    from coach.media.annotate import SkeletonAnnotator
    from coach.session.sources import video_frames

    rule = pose_rules.get_rule("bird_dog")
    calls: list[float] = []
    res = review_video(short_bird_dog, rule, model=str(pose_model), name="bird_dog.mp4", max_side=640,
                       annotate=SkeletonAnnotator(), progress=calls.append, model_name="full")
    assert isinstance(res.report, Report)
    # the poses estimated again, on their own, and judged as `coach analyze TRACK` judges them
    frames = [f for _, f in video_frames(short_bird_dog, pose_model, max_side=640)]
    expected = analyze_track(PoseTrack.from_frames(frames, meta={"source": "bird_dog.mp4", "model": "full"}), rule)
    assert _plain(res.report.to_dict()["summary"]) == _plain(expected.to_dict()["summary"])
    assert same_report(res.report, expected)  # timeline, faults and reps too
    assert (res.report.source, res.report.model) == ("bird_dog.mp4", "full")
    assert res.source_name == "bird_dog.mp4"
    # the track: what `coach extract` saves
    assert len(res.track) == res.report.summary.frames == len(frames) == len(res.report.timeline)
    assert res.track.meta == {"source": "bird_dog.mp4", "model": "full", "exercise": "bird_dog"}
    assert max(res.track.image_size) == 640
    np.testing.assert_array_equal(res.track.landmarks, np.stack([f.landmarks for f in frames]))
    assert same_report(reevaluate(res.track, rule), analyze_track(res.track, rule))
    assert same_report(reevaluate(res.track, rule), res.report)  # the cached landmarks judge the same
    # the annotated video: H.264 yuv420p faststart, a frame per report frame
    assert _boxes(res.video)[:2] == ["ftyp", "moov"]
    name, pix, decoded = _decoded(res.video)
    assert (name, pix, len(decoded)) == ("h264", "yuv420p", len(frames))
    assert max(decoded[0].shape[:2]) == 640  # inference size, under video_max_side
    assert 1 <= len(calls) <= 50 and calls[-1] == 1.0
