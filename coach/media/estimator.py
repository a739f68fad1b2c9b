"""Pose estimation with MediaPipe Tasks' PoseLandmarker (VIDEO mode).

MediaPipe itself is reached only through :mod:`coach.media.mediapipe_api`.
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import numpy as np

from coach.core.landmarks import NUM_LANDMARKS
from coach.core.pose import PoseFrame
from coach.media import mediapipe_api
from coach.media.models import ModelError, validate_bundle


def _mediapipe_failure(e: BaseException) -> str:
    """The gist of a MediaPipe graph error: its innermost "failed: ..." clause."""
    parts = [p for p in str(e).split("failed:") if p.strip()]
    return _one_line(RuntimeError(parts[-1] if parts else str(e)), 160)


def _one_line(e: BaseException, limit: int = 300) -> str:
    text = " ".join((str(e) or type(e).__name__).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class PoseEstimator:
    """Runs the PoseLandmarker on successive video frames.

    ``process(image_rgb, timestamp)`` returns a :class:`PoseFrame` for the first
    detected person (or an empty frame). Timestamps are seconds from the
    source; the millisecond timestamps handed to MediaPipe are forced to be
    strictly increasing, as VIDEO mode requires.
    """

    def __init__(
        self,
        model_path: str | Path | bytes,
        num_poses: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
    ) -> None:
        self._landmarker = None
        self._last_ms: int | None = None
        self._first = True
        self._name = "<model>"
        if isinstance(model_path, (bytes, bytearray, memoryview)):
            # bundle bytes already read by the caller, e.g. a cache shared by sessions
            data = bytes(model_path)
            path = Path("<model bytes>")
        else:
            path = Path(model_path)
            validate_bundle(path)  # ModelError with a clear message
            try:
                data = path.read_bytes()  # a buffer also works for non-ASCII paths on Windows
            except OSError as e:
                raise ModelError(f"Cannot read pose model {path}: {e.strerror or e}.") from None
        # The bytes MediaPipe gets: every member's CRC, and each member the network
        # its name says (MediaPipe itself runs damaged weights, finding nobody,
        # and fails on swapped members only at the first frame). About 10 ms.
        validate_bundle(data, check_crc=True, name=str(path))
        self._name = str(path)
        try:
            with quiet_stderr():
                self._landmarker = mediapipe_api.landmarker(data, num_poses, min_detection_confidence,
                                                            min_presence_confidence, min_tracking_confidence)
        except ImportError as e:
            raise ModelError(f"MediaPipe is not usable ({_one_line(e)}); install mediapipe>=0.10.30.") from None
        except Exception as e:
            raise ModelError(f"Could not load pose model {path}: {_one_line(e)}") from None

    # -- context manager -------------------------------------------------------
    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        lm, self._landmarker = self._landmarker, None
        if lm is not None:
            lm.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # -- inference --------------------------------------------------------------
    def _next_ms(self, timestamp: float) -> int:
        ms = int(round(float(timestamp) * 1000.0))
        if self._last_ms is not None and ms <= self._last_ms:
            ms = self._last_ms + 1
        self._last_ms = ms
        return ms

    def process(self, image_rgb: np.ndarray, timestamp: float) -> PoseFrame:
        """Estimate the pose in one RGB frame ((H, W, 3) uint8)."""
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is closed")
        img = np.asarray(image_rgb)
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {img.shape} {img.dtype}")
        h, w = img.shape[:2]
        mp_image = mediapipe_api.image(img)
        try:
            if self._first:
                # The first inference logs graph warnings from C++; keep them off the terminal.
                self._first = False
                with quiet_stderr():
                    result = self._landmarker.detect_for_video(mp_image, self._next_ms(timestamp))
            else:
                result = self._landmarker.detect_for_video(mp_image, self._next_ms(timestamp))
        except RuntimeError as e:
            # MediaPipe's graph failed (a model it cannot run): the graph is dead now.
            self.close()
            raise ModelError(f"The pose model {self._name} failed in MediaPipe ({_mediapipe_failure(e)}); "
                             f"it is damaged or not a PoseLandmarker bundle: run `coach models install --force` "
                             f"or pass another --model.") from None
        if not result.pose_landmarks:
            return PoseFrame.empty(timestamp, (w, h))
        lms = result.pose_landmarks[0]
        arr = np.full((NUM_LANDMARKS, 4), np.nan, np.float32)
        for i, p in enumerate(lms[:NUM_LANDMARKS]):
            arr[i] = (_f(p.x), _f(p.y), _f(p.z), _f(p.visibility))
        world = None
        if result.pose_world_landmarks:
            world = np.full((NUM_LANDMARKS, 3), np.nan, np.float32)
            for i, p in enumerate(result.pose_world_landmarks[0][:NUM_LANDMARKS]):
                world[i] = (_f(p.x), _f(p.y), _f(p.z))
        return PoseFrame(arr, world, timestamp, (w, h))


@contextlib.contextmanager
def quiet_stderr():
    """Silence the C++ side's stderr (file descriptor 2) for a moment: MediaPipe
    logs start-up warnings there before Python can configure its logging, and
    OpenCV's camera backends log there when a camera fails to open.
    Set COACH_VERBOSE=1 to see them."""
    if os.environ.get("COACH_VERBOSE"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _f(v) -> float:
    return float("nan") if v is None else float(v)
