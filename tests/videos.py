"""Writing small test clips with PyAV (H.264 by default), frame times exact."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterable

import numpy as np


def encode_clip(path: Path, frames: Iterable[tuple[np.ndarray, float]], size: tuple[int, int], *,
                rate: int = 30, rotation_ccw: int | None = None, faststart: bool = False,
                codec: str = "libx264") -> Path:
    """Encode ``(rgb_image, time_s)`` frames of ``size`` (w, h); pts in milliseconds.
    ``rotation_ccw``: a display matrix (PyAV's counter-clockwise degrees)."""
    import av

    w, h = size
    out = av.open(str(path), mode="w", options={"movflags": "+faststart"} if faststart else {})
    stream = out.add_stream(codec, rate=rate)
    stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
    tb = Fraction(1, 1000)
    stream.time_base = tb
    stream.codec_context.time_base = tb
    if rotation_ccw is not None:
        stream.set_display_rotation(rotation_ccw)
    for img, t in frames:
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = int(round(t * 1000))
        frame.time_base = tb
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()
    return path
