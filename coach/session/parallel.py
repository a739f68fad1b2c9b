"""Clip analysis on several cores: the clip is cut into time segments, each
analysed by a process of its own with its own pose landmarker, and the
segments' poses are stitched back in time order; the engine then judges them
in one pass, as for a landmark track (it costs well under a millisecond a
frame).

MediaPipe's VIDEO mode tracks the body from frame to frame, so a landmarker
that starts in the middle of a clip reads its first frames a little
differently from one that has run since the start. Each segment but the
first therefore starts ``overlap_s`` early (the decoder seeks to the keyframe
before that) and its landmarker warms up on those frames, which are then
dropped: the segment's own frames come from a tracker already on the body.
``tests/session/test_parallel.py`` measures how close the result is to the
sequential analysis.

Pose inference uses about one core (measured on 2 cores), so ``jobs`` up to
the number of cores helps; each process also pays its start (imports, model)
of about a second, so a segment is at least ``MIN_SEGMENT_S`` long.
"""
from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass
from typing import Callable

import numpy as np

from coach.core.pose import PoseFrame

#: Each segment but the first starts this much early to warm the tracker up.
OVERLAP_S = 1.0
#: A segment is at least this long (shorter clips use fewer processes).
MIN_SEGMENT_S = 4.0


def cpu_count() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def resolve_jobs(jobs: int | None) -> int:
    """``jobs`` processes; 0 or None: one per core."""
    if jobs is None or jobs == 0:
        return cpu_count()
    if jobs < 0:
        raise ValueError(f"jobs must be 0 (one per core) or more, got {jobs}")
    return int(jobs)


@dataclass(frozen=True)
class Segment:
    """Frames with ``start <= t < end`` are this segment's; decoding and the
    landmarker begin at ``warm`` (``start - overlap``, or 0)."""

    warm: float
    start: float
    end: float


def plan_segments(duration_s: float, jobs: int, overlap_s: float = OVERLAP_S,
                  min_segment_s: float = MIN_SEGMENT_S) -> list[Segment]:
    """``jobs`` segments of equal length (fewer when the clip is short); the
    last one runs to the end whatever the stated duration."""
    if not (math.isfinite(duration_s) and duration_s > 0):
        return [Segment(0.0, 0.0, math.inf)]
    n = max(1, min(int(jobs), int(duration_s // min_segment_s)))
    edges = [duration_s * i / n for i in range(n)] + [math.inf]
    return [Segment(max(0.0, edges[i] - overlap_s) if i else 0.0, edges[i], edges[i + 1]) for i in range(n)]


def _analyse_segment(source: str, model: str, seg: Segment, max_side: int | None):
    """In a worker process: the poses of the segment's frames, as arrays
    (timestamps (n,), landmarks (n, 33, 4), world (n, 33, 3)) and the image size."""
    from coach.media.estimator import PoseEstimator
    from coach.media.video import iter_frames

    ts, lms, worlds = [], [], []
    size = (0, 0)
    with PoseEstimator(model) as est, closing(iter_frames(source, max_side=max_side, start_s=seg.warm)) as frames:
        for rgb, t in frames:
            if t >= seg.end:
                break
            f = est.process(rgb, t)
            if t < seg.start - 1e-9:
                continue  # warming the tracker up
            size = f.image_size
            ts.append(t)
            lms.append(f.landmarks)
            worlds.append(f.world)
    if not ts:
        return np.zeros(0), np.zeros((0, 33, 4), np.float32), np.zeros((0, 33, 3), np.float32), size
    return np.asarray(ts), np.stack(lms), np.stack(worlds), size


def parallel_poses(source, model, jobs: int, *, duration_s: float, max_side: int | None = None,
                   overlap_s: float = OVERLAP_S, on_segment: Callable[[int], None] | None = None) -> list[PoseFrame]:
    """The poses of every frame of the video file ``source`` (a path), in time
    order, estimated in ``jobs`` processes with ``model`` (a bundle path).
    ``on_segment(n)`` is called with each finished segment's frame count.
    Errors (a corrupt clip, the model) are raised as in the sequential
    analysis."""
    segs = plan_segments(duration_s, jobs, overlap_s)
    ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads (decoder, MediaPipe)
    results = []
    with ProcessPoolExecutor(max_workers=len(segs), mp_context=ctx) as pool:
        futures = [pool.submit(_analyse_segment, str(source), str(model), s, max_side) for s in segs]
        try:
            for fut in futures:
                res = fut.result()
                results.append(res)
                if on_segment is not None:
                    on_segment(len(res[0]))
        except BrokenProcessPool:
            from coach.media.video import VideoError

            raise VideoError(f"{os.path.basename(str(source))}: a pose-estimation process stopped unexpectedly "
                             "(out of memory?); try fewer --jobs") from None
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    frames: list[PoseFrame] = []
    last = -math.inf
    for ts, lms, worlds, size in results:
        for i, t in enumerate(ts.tolist()):
            if t <= last:  # a frame at a segment's edge given twice
                continue
            last = t
            frames.append(PoseFrame(lms[i], worlds[i], t, size))
    return frames


__all__ = ["Segment", "plan_segments", "parallel_poses", "resolve_jobs", "cpu_count", "OVERLAP_S", "MIN_SEGMENT_S"]
