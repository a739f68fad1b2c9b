"""Make a fake-webcam file for Chromium (``--use-file-for-fake-video-capture``)
from a video or a still photo: raw YUV4MPEG2 (I420), which Chromium reads
directly. Written here with PyAV and OpenCV, so no ffmpeg binary is needed;
the header says ``C420``, the form Chromium accepts."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def _even(v: int) -> int:
    return max(2, int(v) // 2 * 2)


def _size(w: int, h: int, max_side: int) -> tuple[int, int]:
    s = min(1.0, max_side / max(w, h))
    return _even(round(w * s)), _even(round(h * s))


def _write(frames, dst: Path, fps: int) -> int:
    n = 0
    with open(dst, "wb") as f:
        for rgb in frames:
            h, w = rgb.shape[:2]
            if n == 0:
                f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420\n".encode())
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420).tobytes())
            n += 1
    return n


def video_to_y4m(src: str | Path, dst: str | Path, max_side: int = 640, fps: int = 30) -> int:
    """Re-encode a video as y4m at ``fps`` (frames picked by their timestamps)."""
    from coach.media.video import iter_frames

    def frames():
        nxt = 0.0
        for rgb, t in iter_frames(src, max_side=max_side):
            while t + 1e-6 >= nxt:
                h, w = rgb.shape[:2]
                ew, eh = _even(w), _even(h)
                yield rgb[:eh, :ew] if (ew, eh) != (w, h) else rgb
                nxt += 1.0 / fps
    return _write(frames(), Path(dst), fps)


def photo_to_y4m(src: str | Path, dst: str | Path, seconds: float, max_side: int = 640, fps: int = 15) -> int:
    """A still photo shown for ``seconds`` (a person holding a position).
    Chromium loops the file with steadily rising timestamps, so a few seconds
    make an endless hold (640x426 I420 is 0.4 MB a frame: 4 s at 15 fps is 25 MB)."""
    bgr = cv2.imread(str(src))
    if bgr is None:
        raise ValueError(f"cannot read {src}")
    h, w = bgr.shape[:2]
    rgb = cv2.cvtColor(cv2.resize(bgr, _size(w, h, max_side), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    return _write((rgb for _ in range(int(seconds * fps))), Path(dst), fps)


def _read(src) -> np.ndarray:
    bgr = cv2.imread(str(src))
    if bgr is None:
        raise ValueError(f"cannot read {src}")
    return bgr


def photos_to_y4m(segments, dst: str | Path, max_side: int = 480, fps: int = 10, numbered: bool = False) -> int:
    """Several still photos one after another, each for its seconds: a person
    moving from one exercise to the next. ``segments``: (photo, seconds,
    mirrored) tuples; a mirrored photo shows the person's other side (a side
    plank on the other forearm). The photos must have one size. A segment
    whose photo is None (also the first) is an empty grey picture (nobody in view): between two
    different poses it makes MediaPipe look for the body again, as a person
    getting up to change position would (a hard cut from one photo to another
    leaves its tracker on the old body outline). ``numbered``: each frame carries
    its number (the latency test pattern, :func:`coach.evaluation.latency.stamp_code`)."""
    def numbered_frames():
        from coach.evaluation.latency import stamp_code

        for n, rgb in enumerate(frames()):
            yield stamp_code(rgb, n)

    def frames():
        size = next((_size(*_read(s).shape[1::-1], max_side) for s, _, _ in segments if s is not None), None)
        if size is None:
            raise ValueError("photos_to_y4m needs at least one photo")
        for src, seconds, mirror in segments:
            if src is None:
                for _ in range(int(round(seconds * fps))):
                    yield np.full((size[1], size[0], 3), 200, np.uint8)
                continue
            rgb = cv2.cvtColor(cv2.resize(_read(src), size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
            if mirror:
                rgb = np.ascontiguousarray(rgb[:, ::-1])
            for _ in range(int(round(seconds * fps))):
                yield rgb
    return _write(numbered_frames() if numbered else frames(), Path(dst), fps)
