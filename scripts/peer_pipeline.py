#!/usr/bin/env python
"""The typical peer pipeline, the baseline of ``scripts/benchmark.py``.

    PEER_VENV/bin/python scripts/peer_pipeline.py CLIP [--model-complexity 1]

What most open-source exercise and form-check projects do with a clip:
decode it frame by frame with OpenCV (``cv2.VideoCapture``), convert BGR to
RGB, and run MediaPipe's legacy ``mp.solutions.pose.Pose`` (video mode, i.e.
``static_image_mode=False`` with tracking between frames; ``model_complexity=1``
is the "full" landmark model) on every frame, in one process, keeping the 33
landmarks of each frame. Prints the number of frames and of frames with a pose.

Runs in its own virtual environment with ``mediapipe==0.10.21`` (the last
release with ``mp.solutions``; it brings its models and opencv-contrib-python)
and imports nothing from this project. Bad input: one line on stderr, exit 2.
"""
from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", help="video file")
    ap.add_argument("--model-complexity", type=int, default=1, choices=(0, 1, 2),
                    help="0 lite, 1 full (default), 2 heavy")
    args = ap.parse_args(argv)
    if not os.path.isfile(args.clip):
        print(f"peer_pipeline: error: {args.clip}: no such file", file=sys.stderr)
        return 2

    import cv2
    import mediapipe as mp

    cap = cv2.VideoCapture(args.clip)
    if not cap.isOpened():
        print(f"peer_pipeline: error: {args.clip}: cannot be opened as a video", file=sys.stderr)
        return 2
    landmarks = []  # per frame: a list of 33 (x, y, z, visibility), or None
    frames = 0
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=args.model_complexity,
                                smooth_landmarks=True, enable_segmentation=False) as pose:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            frames += 1
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            result = pose.process(rgb)
            if result.pose_landmarks is None:
                landmarks.append(None)
            else:
                landmarks.append([(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark])
    cap.release()
    if frames == 0:
        print(f"peer_pipeline: error: {args.clip}: no frames could be decoded", file=sys.stderr)
        return 2
    with_pose = sum(lm is not None for lm in landmarks)
    print(f"frames {frames} with_pose {with_pose}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
