"""The latency test pattern: frame numbers survive the video codec, a
damaged band reads as nothing, and captures pair with what showed them."""
from __future__ import annotations

import io

import av
import numpy as np
import pytest

from coach.evaluation.latency import (MAX_CODE, Capture, CaptureIndex, frame_latencies, read_code, stamp_code,
                                      summarise)


def picture(w=640, h=426, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("n", [0, 1, 2, 12345, MAX_CODE])
def test_a_number_reads_back(n):
    assert read_code(stamp_code(picture(), n)) == n


def test_stamping_leaves_the_rest_of_the_picture_alone():
    img = picture()
    out = stamp_code(img, 77)
    band = 640 // 20
    assert np.array_equal(out[band:], img[band:]) and not np.array_equal(out[:band], img[:band])


def test_numbers_survive_vp8_at_a_low_bitrate_and_a_smaller_size():
    """What WebRTC does to the camera picture: VP8 at 150 kbit/s, and the stream
    scaled down to 320 px wide."""
    buf = io.BytesIO()
    out = av.open(buf, "w", format="webm")
    s = out.add_stream("libvpx", rate=15)
    s.width, s.height, s.pix_fmt, s.bit_rate = 320, 214, "yuv420p", 150_000
    codes = [(i * 7919) % MAX_CODE for i in range(45)]
    for i, c in enumerate(codes):
        small = av.VideoFrame.from_ndarray(stamp_code(picture(seed=i), c), format="rgb24").reformat(320, 214)
        for p in s.encode(small):
            out.mux(p)
    for p in s.encode():
        out.mux(p)
    out.close()
    buf.seek(0)
    got = [read_code(f.to_ndarray(format="rgb24")) for f in av.open(buf).decode(video=0)]
    assert got == codes


def test_a_picture_without_a_band_or_a_damaged_one_reads_as_none():
    assert read_code(picture()) is None
    assert read_code(np.full((100, 200, 3), 128, np.uint8)) is None
    out = stamp_code(picture(), 0b10110)
    c = 640 // 20
    out[:c, 5 * c:6 * c] = 255 - out[:c, 5 * c:6 * c]  # one bit flipped: the parity no longer checks out
    assert read_code(out) is None
    assert read_code(np.zeros((2, 2, 3), np.uint8)) is None


def test_out_of_range_numbers_are_refused():
    with pytest.raises(ValueError):
        stamp_code(picture(), MAX_CODE + 1)
    with pytest.raises(ValueError):
        stamp_code(picture(), -1)


def test_a_frame_pairs_with_its_latest_capture_before_it_was_shown():
    """The fake camera loops: frame 5 is captured at 1000 ms and again at 21000 ms."""
    idx = CaptureIndex([Capture(5, 1000.0), Capture(6, 1066.0), Capture(5, 21000.0)])
    assert len(idx) == 3
    assert frame_latencies(idx, [(5, 1150.0), (6, 1200.0), (5, 21100.0), (None, 5.0), (7, 9.0)]) == \
        [150.0, 134.0, 100.0]
    # shown at 20 s: its capture in this loop was not noted; the one found is a loop old, left out
    assert frame_latencies(idx, [(5, 20000.0)]) == []
    assert frame_latencies(idx, [(5, 999.0)]) == []  # shown before it was captured: nothing to pair


def test_summary_numbers():
    s = summarise([100.0, 120.0, 140.0, 400.0])
    assert s["n"] == 4 and s["median"] == 130.0 and s["max"] == 400.0 and s["p10"] == 100.0
    assert summarise([]) == {"n": 0}
