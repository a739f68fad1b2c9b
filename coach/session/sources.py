"""Where a session's frames come from: ``(image, PoseFrame)`` iterators for a
video (pose inference, decoding overlapped with it) and for a landmark track
(no inference; pictures from the track's source video or blank canvases).
The live coach pushes camera frames itself (:mod:`coach.session.live`)."""
from __future__ import annotations

import contextlib
import math
from typing import Iterator

import numpy as np

from coach.core.pose import PoseFrame, PoseTrack
from coach.core.timing import RateLimit


def video_frames(source, model, *, max_side: int | None = None, name: str | None = None,
                 prefetch: int = 8, max_fps: float | None = None) -> Iterator[tuple[np.ndarray, PoseFrame]]:
    """``(rgb_image, pose_frame)`` for every frame of a video (a path, bytes or
    a binary file object). Frames are decoded in a background thread (see
    :func:`coach.media.video.iter_frames`) while this thread runs pose
    inference with ``model`` (a bundle path or its bytes), so the two overlap.
    Timestamps are the video's own frame times; one estimator timeline per call.
    ``max_fps``: at most this many frames a second are estimated and yielded
    (a monitor's ``judge_fps``); the others are decoded and skipped."""
    from coach.media.estimator import PoseEstimator  # the pose landmarker (MediaPipe)
    from coach.media.video import iter_frames

    with PoseEstimator(model) as est, \
            contextlib.closing(iter_frames(source, max_side=max_side, name=name, prefetch=prefetch)) as decoded:
        limit = RateLimit(max_fps)
        for rgb, t in decoded:
            if limit.take(t):
                yield rgb, est.process(rgb, t)


def track_frames(track: PoseTrack, images: Iterator[np.ndarray] | None = None
                 ) -> Iterator[tuple[np.ndarray | None, PoseFrame]]:
    """A track's frames, each with the next picture from ``images`` (None: no pictures)."""
    for frame in track:
        yield (next(images) if images is not None else None), frame


def _same_shape(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Same aspect ratio (within 1 %), i.e. one is a scaled copy of the other."""
    if min(a) <= 0 or min(b) <= 0:
        return False
    return math.isclose(a[0] / a[1], b[0] / b[1], rel_tol=0.01)


def source_matches(track: PoseTrack, source, *, name: str | None = None) -> bool:
    """Whether ``source`` is a readable video with the track's proportions (so
    the track can be drawn on its frames)."""
    from coach.media.video import VideoError, probe

    try:
        info = probe(source, name=name)
    except VideoError:
        return False
    return _same_shape((info.width, info.height), track.image_size)


def track_images(track: PoseTrack, source=None, *, max_side: int | None = None,
                 name: str | None = None) -> Iterator[np.ndarray]:
    """Endless images to draw a track on: the frames of its source video when
    ``source`` (path, bytes or file object) is given and has the track's
    proportions (frame i for track frame i), then blank canvases of the
    track's image size (scaled down to ``max_side``). A source that cannot be
    read just falls back to the blank background."""
    from coach.media.annotate import blank_canvas
    from coach.media.video import _scaled_size, iter_frames

    w, h = _scaled_size(track.image_size[0], track.image_size[1], max_side)
    blank = blank_canvas((w, h))
    frames = None
    if source is not None:
        if _readable_once(source):
            source = source.read()
        if source_matches(track, source, name=name):
            frames = iter_frames(source, max_side=max_side, name=name)
    return _images(frames, blank)


def _images(frames, blank: np.ndarray) -> Iterator[np.ndarray]:
    if frames is not None:
        from coach.media.video import VideoError

        try:
            for image, _ in frames:
                yield image
        except VideoError:
            pass  # a corrupt tail: the rest is drawn on the blank background
        finally:
            frames.close()
    while True:
        yield blank.copy()


def _readable_once(source) -> bool:
    import os

    if isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)):
        return False
    try:
        return not source.seekable()
    except (AttributeError, OSError, ValueError):
        return True


__all__ = ["video_frames", "track_frames", "track_images", "source_matches"]
