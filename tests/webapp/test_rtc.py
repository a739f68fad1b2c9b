"""The camera stream's receive path: a video frame goes to the decoder as
soon as its last packet (the RTP marker bit) is in, not one frame later."""
from __future__ import annotations

import pytest

pytest.importorskip("aiortc")

from aiortc import rtcrtpreceiver  # noqa: E402
from aiortc.jitterbuffer import JitterBuffer  # noqa: E402
from aiortc.rtp import RtpPacket  # noqa: E402

from coach.webapp.rtc import MarkerJitterBuffer, install  # noqa: E402


def packet(seq: int, ts: int, marker: bool, data: bytes) -> RtpPacket:
    p = RtpPacket(payload_type=96, sequence_number=seq, timestamp=ts, marker=int(marker))
    p._data = data  # the depayloaded bytes, as aiortc's receiver sets them
    return p


def frames_of(buf, packets):
    """(the packet after which each frame came out, its bytes, its timestamp)."""
    out = []
    for p in packets:
        _, f = buf.add(p)
        if f is not None:
            out.append((p.sequence_number, f.data, f.timestamp))
    return out


# two frames of three packets, then the first packet of a third frame
STREAM = [packet(10, 1000, False, b"a1"), packet(11, 1000, False, b"a2"), packet(12, 1000, True, b"a3"),
          packet(13, 7000, False, b"b1"), packet(14, 7000, False, b"b2"), packet(15, 7000, True, b"b3"),
          packet(16, 13000, False, b"c1")]


def test_a_frame_is_handed_over_with_its_last_packet():
    got = frames_of(MarkerJitterBuffer(capacity=128, is_video=True), STREAM)
    assert got == [(12, b"a1a2a3", 1000), (15, b"b1b2b3", 7000)]


def test_aiortc_alone_waits_for_the_next_frame():
    """What the subclass fixes: the same frames, one frame later."""
    got = frames_of(JitterBuffer(capacity=128, is_video=True), STREAM)
    assert got == [(13, b"a1a2a3", 1000), (16, b"b1b2b3", 7000)]


def test_a_late_packet_completes_its_frame_when_it_arrives():
    s = STREAM
    got = frames_of(MarkerJitterBuffer(capacity=128, is_video=True), [s[0], s[2], s[1], s[3], s[5], s[4]])
    assert got == [(11, b"a1a2a3", 1000), (14, b"b1b2b3", 7000)]


def test_without_marker_bits_frames_come_as_aiortc_gives_them():
    """A sender that sets no marker bit: each frame is handed over when the next begins."""
    s = [packet(p.sequence_number, p.timestamp, False, p._data) for p in STREAM]
    ours = frames_of(MarkerJitterBuffer(capacity=128, is_video=True), s)
    assert ours == frames_of(JitterBuffer(capacity=128, is_video=True), s)
    assert ours == [(13, b"a1a2a3", 1000), (16, b"b1b2b3", 7000)]


def test_a_lost_packet_holds_its_frame_back_as_in_aiortc():
    """Packet a3 is lost (a retransmission may still come): neither hands frame a over
    with a gap in it; frame b waits behind it in both."""
    s = STREAM
    lossy = [s[0], s[1], s[3], s[4], s[5], s[6]]
    ours = frames_of(MarkerJitterBuffer(capacity=128, is_video=True), lossy)
    assert ours == frames_of(JitterBuffer(capacity=128, is_video=True), lossy) == []
    late = frames_of(MarkerJitterBuffer(capacity=128, is_video=True), lossy + [s[2]])
    assert late == [(12, b"a1a2a3", 1000)]


def test_audio_keeps_aiortc_behaviour():
    s = STREAM
    ours = frames_of(MarkerJitterBuffer(capacity=16, prefetch=4), s)
    theirs = frames_of(JitterBuffer(capacity=16, prefetch=4), s)
    assert ours == theirs


def test_install_makes_the_receiver_use_it():
    before = rtcrtpreceiver.JitterBuffer
    try:
        install()
        install()  # twice is once
        assert rtcrtpreceiver.JitterBuffer is MarkerJitterBuffer
    finally:
        rtcrtpreceiver.JitterBuffer = before
