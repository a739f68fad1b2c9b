"""From a video file to pose frames (decoding overlapped with inference)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from .pose import PoseFrame
from .video import iter_frames


def video_poses(path: str | Path, model_path: str | Path, max_side: int | None = None,
                prefetch: int = 8) -> Iterator[tuple[np.ndarray, PoseFrame]]:
    """Yield ``(rgb_image, pose_frame)`` for every frame of a video.

    Frames are decoded in a background thread (see :func:`coach.video.iter_frames`)
    while this thread runs pose inference, so the two overlap. Timestamps are the
    video's own frame times.
    """
    from .estimator import PoseEstimator  # the only mediapipe user

    with PoseEstimator(model_path) as est:
        for rgb, t in iter_frames(path, max_side=max_side, prefetch=prefetch):
            yield rgb, est.process(rgb, t)
