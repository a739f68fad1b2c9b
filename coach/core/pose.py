"""Pose frames and landmark tracks: the data everything downstream works on.

A :class:`PoseFrame` is one video frame's pose: 33 normalized landmarks
``(x, y, z, visibility)``, 33 world landmarks ``(x, y, z)`` in metres, the
frame timestamp in seconds (from the video, never the wall clock) and the image
size. A frame with no detected person has all-NaN landmarks and
``detected == False``.

A :class:`PoseTrack` is a sequence of frames stored column-wise (numpy arrays)
and saved as an ``.npz`` file (see ``TRACK_FORMAT`` below and the README);
no pickle is used when saving or loading.
"""
from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from coach.core.landmarks import NUM_LANDMARKS

TRACK_FORMAT = "back-coach-track"
TRACK_VERSION = 1


class TrackError(ValueError):
    """A landmark track file is missing, corrupt or of another format."""


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class PoseFrame:
    """One frame's pose. Arrays are read-only.

    landmarks: (33, 4) float32, normalized x, y (0..1 of image width/height),
        z (MediaPipe's relative depth) and visibility (0..1). NaN where unknown.
    world: (33, 3) float32 world landmarks in metres (hip-centred), NaN if unknown.
    timestamp: seconds from the start of the source.
    image_size: (width, height) in pixels of the (upright) image.
    """

    landmarks: np.ndarray
    world: np.ndarray
    timestamp: float
    image_size: tuple[int, int]

    def __post_init__(self) -> None:
        lm = np.asarray(self.landmarks, dtype=np.float32)
        if lm.shape != (NUM_LANDMARKS, 4):
            raise ValueError(f"landmarks must have shape (33, 4), got {lm.shape}")
        wd = np.asarray(self.world if self.world is not None else np.full((NUM_LANDMARKS, 3), np.nan), dtype=np.float32)
        if wd.shape != (NUM_LANDMARKS, 3):
            raise ValueError(f"world landmarks must have shape (33, 3), got {wd.shape}")
        w, h = (int(v) for v in self.image_size)
        if w <= 0 or h <= 0:
            raise ValueError(f"image size must be positive, got {self.image_size}")
        object.__setattr__(self, "landmarks", _readonly(lm.copy()))
        object.__setattr__(self, "world", _readonly(wd.copy()))
        object.__setattr__(self, "timestamp", float(self.timestamp))
        object.__setattr__(self, "image_size", (w, h))
        object.__setattr__(self, "detected", bool(np.isfinite(lm[:, :2]).any()))

    #: True when a person was found (some landmark coordinates are finite).
    detected: bool = field(init=False, default=False)

    @classmethod
    def _trusted(cls, landmarks: np.ndarray, world: np.ndarray, timestamp: float,
                 image_size: tuple[int, int], detected: bool) -> "PoseFrame":
        """Fast constructor for arrays already checked (read-only float32 of the
        right shapes): used on per-frame hot paths."""
        f = object.__new__(cls)
        object.__setattr__(f, "landmarks", landmarks)
        object.__setattr__(f, "world", world)
        object.__setattr__(f, "timestamp", timestamp)
        object.__setattr__(f, "image_size", image_size)
        object.__setattr__(f, "detected", detected)
        return f

    @property
    def pixels(self) -> np.ndarray:
        """(33, 2) landmark positions in pixels (aspect-ratio correct)."""
        w, h = self.image_size
        return self.landmarks[:, :2] * np.array([w, h], dtype=np.float32)

    @classmethod
    def empty(cls, timestamp: float, image_size: tuple[int, int]) -> "PoseFrame":
        """A frame in which no person was found."""
        return cls(np.full((NUM_LANDMARKS, 4), np.nan, np.float32), None, timestamp, image_size)

    @classmethod
    def from_normalized(
        cls,
        landmarks: Sequence,
        image_size: tuple[int, int],
        timestamp: float = 0.0,
        world: Sequence | None = None,
    ) -> "PoseFrame":
        """Build a frame from 33 normalized landmarks given as an array-like of
        ``(x, y, z, visibility)`` rows or of dicts with those keys
        (``visibility`` may be missing: then 1.0)."""
        rows = list(landmarks)
        if len(rows) != NUM_LANDMARKS:
            raise ValueError(f"expected 33 landmarks, got {len(rows)}")
        arr = np.full((NUM_LANDMARKS, 4), np.nan, np.float32)
        for i, r in enumerate(rows):
            if r is None:
                continue
            if isinstance(r, dict):
                vals = [r.get("x"), r.get("y"), r.get("z", 0.0), r.get("visibility", 1.0)]
            else:
                vals = list(r) + [0.0, 1.0][len(r) - 2:] if len(r) < 4 else list(r)[:4]
            arr[i] = [np.nan if v is None else float(v) for v in vals]
        return cls(arr, world, timestamp, image_size)


@dataclass
class PoseTrack:
    """A recorded landmark track (column-wise)."""

    timestamps: np.ndarray  # (N,) float64 seconds
    landmarks: np.ndarray  # (N, 33, 4) float32
    world: np.ndarray  # (N, 33, 3) float32
    image_size: tuple[int, int]
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.timestamps = np.asarray(self.timestamps, dtype=np.float64).reshape(-1)
        n = len(self.timestamps)
        self.landmarks = np.asarray(self.landmarks, dtype=np.float32).reshape(n, NUM_LANDMARKS, 4)
        self.world = np.asarray(self.world, dtype=np.float32).reshape(n, NUM_LANDMARKS, 3)
        self.image_size = (int(self.image_size[0]), int(self.image_size[1]))

    def __len__(self) -> int:
        return len(self.timestamps)

    def __iter__(self) -> Iterator[PoseFrame]:
        lm, wd = _readonly(self.landmarks.view()), _readonly(self.world.view())
        present = np.isfinite(lm[:, :, :2]).any(axis=(1, 2)).tolist()
        size = self.image_size
        for i, t in enumerate(self.timestamps.tolist()):
            yield PoseFrame._trusted(lm[i], wd[i], t, size, present[i])

    def frame(self, i: int) -> PoseFrame:
        return PoseFrame(self.landmarks[i], self.world[i], float(self.timestamps[i]), self.image_size)

    @property
    def duration(self) -> float:
        return float(self.timestamps[-1] - self.timestamps[0]) if len(self) > 1 else 0.0

    @classmethod
    def from_frames(cls, frames: Sequence[PoseFrame], meta: dict | None = None) -> "PoseTrack":
        if not frames:
            raise TrackError("no frames")
        return cls(
            np.array([f.timestamp for f in frames]),
            np.stack([f.landmarks for f in frames]),
            np.stack([f.world for f in frames]),
            frames[0].image_size,
            dict(meta or {}),
        )

    @classmethod
    def from_blazepose_json(cls, path: str | Path, image_size: tuple[int, int], fps: float = 30.0,
                            meta: dict | None = None) -> "PoseTrack":
        """A track from a BlazePose landmark file with named joints (as the Keraal
        data set ships them): ``{"positions": {frame_no: {"Left_shoulder": [x, y, z],
        ...}}}`` with x, y normalized to the image. Frame numbers become
        timestamps at ``fps``; visibility is 1 where a joint is given, NaN
        coordinates where it is not. Raises :class:`TrackError` (one line)."""
        from coach.core.landmarks import Landmark

        path = Path(path)
        if not path.is_file():
            raise TrackError(f"no such file: {path}")
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            raise TrackError(f"{path} is not a readable landmark file ({type(e).__name__})") from None
        positions = doc.get("positions") if isinstance(doc, dict) else None
        if not isinstance(positions, dict) or not positions:
            raise TrackError(f"{path}: expected {{\"positions\": {{frame: {{joint: [x, y, z]}}}}}}")
        index = {lm.name.lower(): int(lm) for lm in Landmark}
        rows = []
        for key, joints in positions.items():
            try:
                n = float(key)
            except ValueError:
                raise TrackError(f"{path}: frame number {key!r} is not a number") from None
            if not isinstance(joints, dict):
                raise TrackError(f"{path}: frame {key} must map joint names to [x, y, z]")
            lm = np.full((NUM_LANDMARKS, 4), np.nan, np.float32)
            for name, xyz in joints.items():
                i = index.get(str(name).lower())
                if i is None or not isinstance(xyz, list) or len(xyz) < 2:
                    continue
                try:
                    vals = [float(v) for v in xyz[:3]] + [0.0] * (3 - len(xyz[:3]))
                except (TypeError, ValueError):
                    continue
                lm[i] = (*vals, 1.0)
            rows.append((n, lm))
        if not math.isfinite(fps) or fps <= 0:
            raise TrackError(f"fps must be positive, got {fps}")
        rows.sort(key=lambda r: r[0])
        first = rows[0][0]
        ts = np.array([(n - first) / fps for n, _ in rows], dtype=np.float64)
        if len(ts) > 1 and not (np.diff(ts) > 0).all():
            raise TrackError(f"{path}: frame numbers repeat")
        lms = np.stack([lm for _, lm in rows])
        world = np.full((len(rows), NUM_LANDMARKS, 3), np.nan, np.float32)
        return cls(ts, lms, world, image_size, dict(meta or {}, source=str(path)))

    def save(self, path: str | Path) -> None:
        meta = dict(self.meta, format=TRACK_FORMAT, version=TRACK_VERSION,
                    image_width=self.image_size[0], image_height=self.image_size[1])
        np.savez_compressed(
            path,
            timestamps=self.timestamps,
            landmarks=self.landmarks,
            world=self.world,
            meta=np.array(json.dumps(meta, sort_keys=True)),
        )

    @classmethod
    def load(cls, path, name: str | None = None) -> "PoseTrack":
        """Load a track from a path or a binary file-like object (e.g. an
        upload; ``name`` is then used in error messages)."""
        if hasattr(path, "read"):
            label = name or getattr(path, "name", None) or "track"
            if not zipfile.is_zipfile(path):
                raise TrackError(f"{label} is not a landmark track (not an .npz archive)")
            path.seek(0)
        else:
            path = Path(path)
            label = name or str(path)
            if not path.is_file():
                raise TrackError(f"no such file: {path}")
            if not zipfile.is_zipfile(path):
                raise TrackError(f"{path} is not a landmark track (not an .npz archive)")
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if meta.get("format") != TRACK_FORMAT:
                    raise TrackError(f"{label} is not a {TRACK_FORMAT} file")
                if int(meta.get("version", 0)) > TRACK_VERSION:
                    raise TrackError(f"{label} has track version {meta.get('version')}, newer than this coach reads")
                track = cls(z["timestamps"], z["landmarks"], z["world"],
                            (meta["image_width"], meta["image_height"]), meta)
        except TrackError:
            raise
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, EOFError) as e:
            raise TrackError(f"{label} is not a readable landmark track ({type(e).__name__}: {e})") from None
        if len(track) == 0:
            raise TrackError(f"{label} holds no frames")
        return track

