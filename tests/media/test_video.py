"""Tests for coach.media.video: decoding with real timestamps, rotation, writing.

Fixtures are tiny synthetic clips made here with PyAV (no ffmpeg CLI needed).
"""
from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path

import av
import numpy as np
import pytest

from coach.media.video import (
    VideoError,
    VideoInfo,
    VideoWriter,
    iter_frames,
    probe,
    rotate_upright,
)
from videos import encode_clip

W, H = 64, 48
# irregular on purpose: index / fps would give different numbers
IRREGULAR_TS = [0.0, 0.040, 0.050, 0.130, 0.200, 0.350, 0.360, 0.500, 0.733, 0.900]
CLIPS = Path(__file__).resolve().parents[2].parent / "shared" / "clips"


def _square_frame(i: int, w: int = W, h: int = H) -> np.ndarray:
    img = np.full((h, w, 3), 30, np.uint8)
    x = (i * 5) % (w - 12)
    img[10:22, x : x + 12] = (230, 40, 40)
    return img


def _make_clip(
    path: Path,
    timestamps,
    size=(W, H),
    rotation_ccw: int | None = None,
    faststart: bool = False,
    marker: bool = False,
    codec: str = "libx264",
) -> Path:
    """Write a small H.264 clip with PyAV, pts taken from *timestamps* (seconds)."""
    w, h = size

    def images():
        for i, t in enumerate(timestamps):
            if marker:
                img = np.zeros((h, w, 3), np.uint8)
                img[:8, :8] = (255, 0, 0)  # red block in the stored top-left corner
            else:
                img = _square_frame(i, w, h)
            yield img, t
    return encode_clip(path, images(), size, rotation_ccw=rotation_ccw, faststart=faststart, codec=codec)


@pytest.fixture()
def irregular_clip(tmp_path) -> Path:
    return _make_clip(tmp_path / "irregular.mp4", IRREGULAR_TS)


@pytest.fixture()
def regular_clip(tmp_path) -> Path:
    return _make_clip(tmp_path / "regular.mp4", [i / 30 for i in range(30)])


def _assert_one_line(exc: BaseException, name: str) -> None:
    msg = str(exc)
    assert "\n" not in msg
    assert msg.startswith(name + ":")


# ---------------------------------------------------------------- decoding


def test_timestamps_come_from_pts(irregular_clip):
    got = list(iter_frames(irregular_clip))
    assert len(got) == len(IRREGULAR_TS)
    stamps = [t for _, t in got]
    assert stamps[0] == 0.0
    assert stamps == pytest.approx(IRREGULAR_TS, abs=1e-3)
    for rgb, _ in got:
        assert rgb.dtype == np.uint8
        assert rgb.shape == (H, W, 3)
        assert rgb.flags.c_contiguous


def test_frames_show_the_moving_square(irregular_clip):
    frames = [rgb for rgb, _ in iter_frames(irregular_clip)]
    for i, rgb in enumerate(frames):
        red = (rgb[..., 0] > 150) & (rgb[..., 1] < 110)
        ys, xs = np.nonzero(red)
        assert len(xs) > 50
        expected_x = (i * 5) % (W - 12) + 5.5
        assert abs(xs.mean() - expected_x) < 2.5
        assert abs(ys.mean() - 15.5) < 2.5


def test_probe_regular_clip(regular_clip):
    info = probe(regular_clip)
    assert isinstance(info, VideoInfo)
    assert (info.width, info.height) == (W, H)
    assert info.fps == pytest.approx(30.0, rel=0.02)
    assert info.duration == pytest.approx(1.0, abs=0.05)
    assert info.frame_count == 30
    assert info.rotation == 0
    assert info.codec == "h264"
    assert info.path == str(regular_clip)


def test_max_side_downscales_keeping_aspect(tmp_path):
    clip = _make_clip(tmp_path / "big.mp4", [i / 30 for i in range(5)], size=(320, 240))
    frames = list(iter_frames(clip, max_side=100))
    assert len(frames) == 5
    for rgb, _ in frames:
        assert rgb.shape == (75, 100, 3)
        assert rgb.flags.c_contiguous
    # no-op when already small enough
    assert next(iter(iter_frames(clip, max_side=1000)))[0].shape == (240, 320, 3)


def test_rotation_metadata_is_applied(tmp_path):
    # display matrix rotating 90 deg clockwise (how phones store portrait video)
    clip = _make_clip(tmp_path / "rot.mp4", [i / 30 for i in range(3)], rotation_ccw=-90, marker=True)
    info = probe(clip)
    assert info.rotation == 90
    assert (info.width, info.height) == (H, W)  # transposed, upright
    rgb, t = next(iter(iter_frames(clip)))
    assert rgb.shape == (W, H, 3)
    ys, xs = np.nonzero(rgb[..., 0] > 128)
    # stored top-left turns to the top-right after a clockwise quarter turn
    assert ys.mean() < 10 and xs.mean() > H - 10

    clip2 = _make_clip(tmp_path / "rot180.mp4", [0.0, 0.1], rotation_ccw=180, marker=True)
    assert probe(clip2).rotation == 180
    rgb, _ = next(iter(iter_frames(clip2)))
    assert rgb.shape == (H, W, 3)
    ys, xs = np.nonzero(rgb[..., 0] > 128)
    assert ys.mean() > H - 10 and xs.mean() > W - 10


def test_rotate_upright_directly():
    img = np.zeros((2, 3, 3), np.uint8)
    img[0, 0] = 255  # top-left
    cw = rotate_upright(img, 90)
    assert cw.shape == (3, 2, 3) and cw[0, 1, 0] == 255  # -> top-right
    assert rotate_upright(img, 180)[1, 2, 0] == 255  # -> bottom-right
    ccw = rotate_upright(img, 270)
    assert ccw[2, 0, 0] == 255  # -> bottom-left
    assert rotate_upright(img, 0) is not None and rotate_upright(img, 360)[0, 0, 0] == 255
    assert cw.flags.c_contiguous


def test_early_break_stops_the_thread(regular_clip):
    before = threading.active_count()
    gen = iter_frames(regular_clip, prefetch=2)
    next(gen)
    gen.close()
    for _ in iter_frames(regular_clip, prefetch=2):
        break
    deadline = time.monotonic() + 1.0
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_full_iteration_leaves_no_thread(regular_clip):
    before = threading.active_count()
    assert len(list(iter_frames(regular_clip))) == 30
    deadline = time.monotonic() + 1.0
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


# ---------------------------------------------------------------- errors


def test_missing_file(tmp_path):
    with pytest.raises(VideoError, match="no such file") as ei:
        probe(tmp_path / "nope.mp4")
    _assert_one_line(ei.value, "nope.mp4")
    with pytest.raises(VideoError, match="no such file"):
        iter_frames(tmp_path / "nope.mp4")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    with pytest.raises(VideoError, match="empty") as ei:
        probe(p)
    _assert_one_line(ei.value, "empty.mp4")
    with pytest.raises(VideoError, match="empty"):
        list(iter_frames(p))


def test_text_file_renamed_mp4(tmp_path):
    p = tmp_path / "notes.mp4"
    p.write_text("this is not a video\nsecond line\n" * 20)
    with pytest.raises(VideoError, match="not a video file or it is corrupt") as ei:
        probe(p)
    _assert_one_line(ei.value, "notes.mp4")
    with pytest.raises(VideoError) as ei:
        list(iter_frames(p))
    _assert_one_line(ei.value, "notes.mp4")


def test_truncated_mp4(tmp_path):
    # moov atom at the end (no faststart): a cut file has no index at all
    full = _make_clip(tmp_path / "full.mp4", [i / 30 for i in range(30)])
    data = full.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError) as ei:
        probe(cut)
    _assert_one_line(ei.value, "cut.mp4")
    with pytest.raises(VideoError) as ei:
        list(iter_frames(cut))
    _assert_one_line(ei.value, "cut.mp4")


def test_truncated_tail_keeps_decoded_frames(tmp_path):
    # index first (faststart): the frames before the cut are still usable
    rng = np.random.default_rng(1)
    path = tmp_path / "noisy.mp4"
    out = av.open(str(path), mode="w", options={"movflags": "+faststart"})
    stream = out.add_stream("libx264", rate=30)
    stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
    for i in range(40):
        frame = av.VideoFrame.from_ndarray(
            rng.integers(0, 255, (64, 96, 3), dtype=np.uint8), format="rgb24"
        )
        frame.pts = i
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()
    data = path.read_bytes()
    cut = tmp_path / "tail_cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames = list(iter_frames(cut))
    assert 0 < len(frames) < 40
    assert frames[0][1] == 0.0
    assert any("tail_cut.mp4" in str(w.message) for w in caught)
    # or told to a callback instead (a thread's own warnings: the warnings filters are the process's)
    told: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = list(iter_frames(cut, on_warning=told.append))
    assert len(again) == len(frames) and not caught
    assert len(told) == 1 and "tail_cut.mp4" in told[0] and "\n" not in told[0]

    # cut right after the header: nothing decodable
    head = tmp_path / "head_only.mp4"
    moov_end = data.find(b"mdat") + 4
    head.write_bytes(data[: moov_end + 16])
    with pytest.raises(VideoError) as ei:
        list(iter_frames(head))
    _assert_one_line(ei.value, "head_only.mp4")


# ---------------------------------------------------------------- writing


def _read_raw(path: Path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        name, pix = s.codec_context.name, s.codec_context.pix_fmt
        frames = list(c.decode(s))
    first = frames[0].pts
    stamps = [float((f.pts - first) * f.time_base) for f in frames]
    return name, pix, frames, stamps


@pytest.mark.parametrize("ext,codec", [(".mp4", "h264"), (".webm", "vp9")])
def test_writer_round_trip(tmp_path, irregular_clip, ext, codec):
    src = list(iter_frames(irregular_clip))
    out = tmp_path / f"annotated{ext}"
    with VideoWriter(out, fps=30, size=(W, H)) as writer:
        for rgb, t in src:
            writer.write(rgb, t)
    assert writer.frames_written == len(src)
    name, pix, frames, stamps = _read_raw(out)
    assert name == codec
    assert pix == "yuv420p"
    assert len(frames) == len(src)
    assert stamps == pytest.approx([t for _, t in src], abs=1e-3)
    # and through our own reader, with pictures close to the source
    again = list(iter_frames(out))
    assert [t for _, t in again] == pytest.approx(IRREGULAR_TS, abs=1e-3)
    diff = np.abs(again[3][0].astype(int) - src[3][0].astype(int)).mean()
    assert diff < 12


def test_writer_mp4_is_faststart(tmp_path):
    out = tmp_path / "fast.mp4"
    with VideoWriter(out, fps=30, size=(W, H)) as writer:
        for i in range(5):
            writer.write(_square_frame(i), i / 30)
    data = out.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")


def test_writer_odd_size_and_max_side(tmp_path):
    out = tmp_path / "odd.mp4"
    with VideoWriter(out, fps=25, size=(65, 49)) as writer:
        for i in range(4):
            writer.write(_square_frame(i, 65, 49), i / 25)
    assert writer.size == (66, 50)
    info = probe(out)
    assert (info.width, info.height) == (66, 50)

    small = tmp_path / "small.mp4"
    with VideoWriter(small, fps=25, size=(320, 240), max_side=100) as writer:
        for i in range(4):
            writer.write(_square_frame(i, 320, 240), i / 25)
    info = probe(small)
    assert max(info.width, info.height) <= 100
    assert info.width % 2 == 0 and info.height % 2 == 0
    assert info.width / info.height == pytest.approx(320 / 240, rel=0.05)


def test_writer_makes_pts_strictly_increasing(tmp_path):
    out = tmp_path / "dup.mp4"
    with VideoWriter(out, fps=30, size=(W, H)) as writer:
        for i, t in enumerate([0.0, 0.1, 0.1, 0.05, 0.2]):
            writer.write(_square_frame(i), t)
    stamps = [t for _, t in iter_frames(out)]
    assert len(stamps) == 5
    assert all(b > a for a, b in zip(stamps, stamps[1:]))


def test_writer_unknown_extension(tmp_path):
    with pytest.raises(VideoError, match="out.avi") as ei:
        VideoWriter(tmp_path / "out.avi", fps=30, size=(W, H))
    assert "\n" not in str(ei.value)
    assert not (tmp_path / "out.avi").exists()


# ---------------------------------------------------------------- real footage


def test_real_clip_bird_dog():
    clip = CLIPS / "polybag" / "bird_dog.mp4"
    if not clip.exists():
        pytest.skip(f"{clip} not available")
    info = probe(clip)
    assert (info.width, info.height) == (1080, 1920)
    assert info.duration == pytest.approx(14.25, abs=0.1)
    assert info.codec == "h264"
    stamps = []
    gen = iter_frames(clip, max_side=320)
    for rgb, t in gen:
        if not stamps:
            assert rgb.shape == (320, 180, 3)
        stamps.append(t)
        if len(stamps) == 30:
            break
    gen.close()
    assert stamps[0] == 0.0
    assert np.diff(stamps) == pytest.approx(np.full(29, 1 / 30), abs=2e-3)
