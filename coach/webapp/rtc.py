"""A lower-latency receive path for the browser's camera stream (aiortc).

aiortc's jitter buffer hands a video frame to the decoder only when the
first packet of the *next* frame arrives, so every camera frame reaches the
coach one frame interval late (67 ms at 15 frames/s) even on localhost. A
frame is complete as soon as its last packet, the one with the RTP marker
bit (RFC 7741 for VP8, RFC 6184 for H.264), is in and no packet before it is
missing: :class:`MarkerJitterBuffer` hands it over then. Audio, and any
frame whose marker packet was lost, keep aiortc's behaviour.

:func:`install` puts it in aiortc's receiver (once per process, before a
stream starts); ``scripts/live_latency.py`` measures the difference.
"""
from __future__ import annotations

import logging

from aiortc import rtcrtpreceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame

log = logging.getLogger(__name__)


class MarkerJitterBuffer(JitterBuffer):
    """aiortc's jitter buffer, except that a video frame is handed over when
    its marker packet completes it."""

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        if not self._is_video:
            return super()._remove_frame(sequence_number)
        packets = []
        timestamp = None
        for count in range(self.capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is None:  # a gap: not complete yet (aiortc's own rules handle lost packets)
                return None
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:
                # the next frame began before this one's marker was seen (the marker packet was
                # lost, or the sender does not set it): hand this one over, as aiortc does
                return super()._remove_frame(sequence_number)
            packets.append(packet)
            if packet.marker:
                self.remove(count + 1)
                return JitterFrame(data=b"".join(p._data for p in packets), timestamp=timestamp)
        return None


def install() -> None:
    """Use :class:`MarkerJitterBuffer` for the receivers aiortc makes from now on."""
    if rtcrtpreceiver.JitterBuffer is not MarkerJitterBuffer:
        rtcrtpreceiver.JitterBuffer = MarkerJitterBuffer
        log.debug("aiortc: video frames are decoded as soon as their last packet is in")


__all__ = ["MarkerJitterBuffer", "install"]
