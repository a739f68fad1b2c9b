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

# What a track file may claim. Every bound is checked from the archive's array
# headers and the meta JSON *before* anything of that size is allocated, so a
# small file that declares a huge track costs a few kilobytes to refuse.
#: Longest recording a track may hold (hours); far beyond any exercise session.
MAX_TRACK_HOURS = 4
#: Frame rate the frame limit allows for over MAX_TRACK_HOURS.
MAX_TRACK_FPS = 60
#: Most frames a track may hold (4 hours at 60 fps).
MAX_TRACK_FRAMES = MAX_TRACK_HOURS * 3600 * MAX_TRACK_FPS
#: Longest time span (last timestamp minus first) a track may cover, seconds.
MAX_TRACK_DURATION_S = MAX_TRACK_HOURS * 3600.0
#: Largest image side a track may declare, pixels.
MAX_IMAGE_SIDE = 16384
#: Largest image area a track may declare (8192 x 8192; an 8K video is 7680 x 4320).
MAX_IMAGE_PIXELS = 8192 * 8192
#: Longest meta JSON text, characters.
MAX_META_CHARS = 65536
#: Largest magnitude of a landmark value (normalized coordinates, metres, visibility).
MAX_LANDMARK_VALUE = 1000.0

_MEMBERS = ("meta", "timestamps", "landmarks", "world")
_CHUNK = 65536  # frames checked at a time (bounded temporaries)


def _one_line(text: str, limit: int = 500) -> str:
    """``text`` on one line: control characters (newlines included) escaped,
    at most ``limit`` characters."""
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return out if len(out) <= limit else out[: limit - 1] + "…"


class TrackError(ValueError):
    """A landmark track file is missing, corrupt, too large or of another
    format. The message is always one line (it is shown to the user as is)."""

    def __init__(self, message: object = "") -> None:
        super().__init__(_one_line(str(message)))


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
    """A recorded landmark track (column-wise).

    Files (:meth:`save` / :meth:`load`, format in the README) are checked on
    load, and a file that fails a check is refused with one :class:`TrackError`
    line saying what is wrong; nothing else is raised:

    * the archive must hold ``meta`` (0-d JSON string: an object with
      ``format`` == ``TRACK_FORMAT``, integer ``version`` up to
      ``TRACK_VERSION``, positive integer ``image_width`` / ``image_height``;
      ``source``, ``model`` and ``exercise``, where given, are strings or null),
      ``timestamps`` (N,) real numbers, ``landmarks`` (N, 33, 4) and ``world``
      (N, 33, 3) floating point, with N >= 1;
    * bounds, checked from the array headers and the meta before anything is
      allocated: at most ``MAX_TRACK_FRAMES`` frames (4 hours at 60 fps), a
      span of at most ``MAX_TRACK_DURATION_S``, an image of at most
      ``MAX_IMAGE_SIDE`` pixels a side and ``MAX_IMAGE_PIXELS`` in all, a meta
      text of at most ``MAX_META_CHARS``;
    * **timestamps** must be finite and strictly increasing. A file whose
      timestamps repeat, go backwards, or are NaN or infinite is refused as
      corrupt (it is not silently shortened): the coach never writes one,
      because :meth:`from_frames` applies the engine's time policy
      (:mod:`coach.core.timing`: a frame at or before the last kept frame, or
      at a non-finite time, is dropped, as the engine would drop it when
      judging) and :meth:`save` refuses to write a track that :meth:`load`
      would refuse;
    * landmark values are NaN (unknown) or numbers within
      ``±MAX_LANDMARK_VALUE``, and a landmark with no position (x or y NaN)
      has no positive visibility.
    """

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
        """A track of ``frames`` in the engine's time policy: a frame at or
        before the last kept frame, or at a non-finite time, is dropped (the
        engine would drop it too), so the track always saves and loads."""
        kept: list[PoseFrame] = []
        for f in frames:
            t = float(f.timestamp)
            if math.isfinite(t) and (not kept or t > kept[-1].timestamp):
                kept.append(f)
        if not kept:
            raise TrackError("no frames")
        frames = kept
        return cls(
            np.array([f.timestamp for f in frames], dtype=np.float64),
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
                if not (math.isfinite(vals[0]) and math.isfinite(vals[1])):
                    continue  # no position: the joint is not given
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
        """Write the track as an ``.npz`` file (no pickle). Raises
        :class:`TrackError` (one line) for a track :meth:`load` would refuse."""
        label = "cannot save the track"
        n = len(self.timestamps)
        if n == 0:
            raise TrackError(f"{label}: it holds no frames")
        if n > MAX_TRACK_FRAMES:
            raise TrackError(f"{label}: it holds {n} frames; {_frames_limit()}")
        width, height = _image_size(self.image_size[0], self.image_size[1], label)
        _check_timestamps(self.timestamps, label)
        _check_values(self.landmarks, self.world, label)
        meta = dict(self.meta, format=TRACK_FORMAT, version=TRACK_VERSION,
                    image_width=width, image_height=height)
        try:
            text = json.dumps(meta, sort_keys=True)
        except (TypeError, ValueError, RecursionError) as e:
            raise TrackError(f"{label}: its meta is not JSON ({type(e).__name__}: {e})") from None
        if len(text) > MAX_META_CHARS:
            raise TrackError(f"{label}: its meta is {len(text)} characters; the limit is {MAX_META_CHARS}")
        _check_meta(json.loads(text), label)
        np.savez_compressed(
            path,
            timestamps=self.timestamps,
            landmarks=self.landmarks,
            world=self.world,
            meta=np.array(text),
        )

    @classmethod
    def load(cls, path, name: str | None = None) -> "PoseTrack":
        """Load a track from a path or a binary file-like object (e.g. an
        upload; ``name`` is then used in error messages). Every check in the
        class docstring is applied; a file that fails one raises
        :class:`TrackError` with one line saying what was refused."""
        if hasattr(path, "read"):
            label = name or getattr(path, "name", None) or "track"
            label = _one_line(str(label), 200)
            try:
                path.seek(0)
            except (AttributeError, OSError, ValueError):
                pass
            source = path
        else:
            path = Path(path)
            label = _one_line(name or str(path), 200)
            try:
                if path.is_dir():
                    raise TrackError(f"{label} is a folder, not a landmark track")
                if not path.is_file():
                    raise TrackError(f"no such file: {label}")
            except OSError as e:  # e.g. a name too long for the file system
                raise TrackError(f"{label}: {e.strerror or type(e).__name__}") from None
            source = path
        try:
            zf = zipfile.ZipFile(source)
        except zipfile.BadZipFile:
            raise TrackError(f"{label} is not a landmark track (not an .npz archive)") from None
        except Exception as e:  # an unreadable file, a zip this Python cannot open
            raise TrackError(f"{label} is not a readable landmark track ({type(e).__name__}: {e})") from None
        with zf:
            try:
                return cls._read(zf, label)
            except TrackError:
                raise
            except Exception as e:  # a damaged archive: bad CRC, zlib, EOF, truncated data, ...
                raise TrackError(f"{label} is a damaged landmark track ({type(e).__name__}: {e})") from None

    @classmethod
    def _read(cls, zf: zipfile.ZipFile, label: str) -> "PoseTrack":
        names = set(zf.namelist())
        missing = [m for m in _MEMBERS if f"{m}.npy" not in names]
        if missing:
            raise TrackError(f"{label} is not a landmark track (no {', '.join(missing)} array)")
        heads = {m: _npy_header(zf, m, label) for m in _MEMBERS}
        # the meta first: a few kilobytes, bounded by its header
        shape, _, dtype = heads["meta"]
        if shape != () or dtype.kind not in "US":
            raise TrackError(f"{label}: meta must be one JSON string, got a {dtype} array of shape {shape}")
        chars = dtype.itemsize // (4 if dtype.kind == "U" else 1)
        if chars > MAX_META_CHARS:
            raise TrackError(f"{label}: meta is {chars} characters; the limit is {MAX_META_CHARS}")
        raw = _npy_read(zf, "meta").item()
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise TrackError(f"{label}: meta is not UTF-8 text") from None
        try:
            meta = json.loads(raw)
        except (ValueError, RecursionError) as e:
            why = str(e) if isinstance(e, json.JSONDecodeError) else type(e).__name__
            raise TrackError(f"{label}: meta is not valid JSON ({why})") from None
        width, height = _check_meta(meta, label)

        # the arrays' shapes and types, from their headers (nothing allocated yet)
        shape, _, dtype = heads["timestamps"]
        if len(shape) != 1:
            raise TrackError(f"{label}: timestamps must be one number per frame, got shape {shape}")
        n = shape[0]
        if n == 0:
            raise TrackError(f"{label} holds no frames")
        if n > MAX_TRACK_FRAMES:
            raise TrackError(f"{label}: track declares {n} frames; {_frames_limit()}")
        if dtype.kind not in "fiu":
            raise TrackError(f"{label}: timestamps must be real numbers, got {dtype}")
        for m, cols in (("landmarks", 4), ("world", 3)):
            shape, _, dtype = heads[m]
            if shape != (n, NUM_LANDMARKS, cols):
                raise TrackError(f"{label}: {m} has shape {shape}; expected ({n}, {NUM_LANDMARKS}, {cols}) "
                                 f"for {n} frames")
            if dtype.kind != "f":
                raise TrackError(f"{label}: {m} must be floating point, got {dtype}")

        with np.errstate(all="ignore"):
            ts = _npy_read(zf, "timestamps").astype(np.float64)
        _check_timestamps(ts, label)
        lm, wd = _npy_read(zf, "landmarks"), _npy_read(zf, "world")
        _check_values(lm, wd, label)  # before the cast (a float64 1e300 is not an inf float32)
        return cls(ts, lm.astype(np.float32, copy=False), wd.astype(np.float32, copy=False), (width, height), meta)


def _frames_limit() -> str:
    return f"the limit is {MAX_TRACK_FRAMES} ({MAX_TRACK_HOURS} hours at {MAX_TRACK_FPS} fps)"


def _npy_header(zf: zipfile.ZipFile, member: str, label: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """``(shape, fortran_order, dtype)`` of one array in the archive, read from
    its .npy header only. Object (pickled) arrays are refused."""
    fmt = np.lib.format
    with zf.open(f"{member}.npy") as f:
        try:
            version = fmt.read_magic(f)
            if version == (1, 0):
                head = fmt.read_array_header_1_0(f)
            elif version == (2, 0):
                head = fmt.read_array_header_2_0(f)
            else:
                raise ValueError(f"npy format version {version[0]}.{version[1]}")
        except (ValueError, TypeError, SyntaxError, EOFError) as e:
            raise TrackError(f"{label}: the {member} array is not readable ({type(e).__name__}: {e})") from None
    shape, fortran, dtype = head
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise TrackError(f"{label}: the {member} array holds {dtype} values; only plain numbers and text are read")
    return tuple(int(v) for v in shape), bool(fortran), dtype


def _npy_read(zf: zipfile.ZipFile, member: str) -> np.ndarray:
    """One array, once its header has been checked (its size is bounded)."""
    with zf.open(f"{member}.npy") as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _is_int(v) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


def _image_size(width, height, label: str) -> tuple[int, int]:
    for what, v in (("image_width", width), ("image_height", height)):
        if isinstance(v, np.integer):
            v = int(v)
        if not _is_int(v) or v <= 0:
            raise TrackError(f"{label}: {what} must be a positive whole number of pixels, got {_short(v)}")
        if v > MAX_IMAGE_SIDE:
            raise TrackError(f"{label}: track declares an image {what[6:]} of {int(v)} px; "
                             f"the limit is {MAX_IMAGE_SIDE} px a side")
    w, h = int(width), int(height)
    if w * h > MAX_IMAGE_PIXELS:
        raise TrackError(f"{label}: track declares a {w} x {h} image ({w * h / 1e6:.0f} megapixels); "
                         f"the limit is {MAX_IMAGE_PIXELS / 1e6:.0f} megapixels")
    return w, h


def _short(v) -> str:
    """A JSON value for a message: its JSON text, shortened."""
    try:
        text = json.dumps(v)
    except (TypeError, ValueError, RecursionError):
        text = type(v).__name__
    return text if len(text) <= 40 else text[:39] + "…"


def _check_meta(meta, label: str) -> tuple[int, int]:
    """The meta's image size after checking what the coach reads from it."""
    if not isinstance(meta, dict):
        kind = {type(None): "null", list: "a list", str: "a string", bool: "a boolean"}.get(type(meta), "a number")
        raise TrackError(f"{label}: meta must be a JSON object, got {kind}")
    if meta.get("format") != TRACK_FORMAT:
        raise TrackError(f"{label} is not a {TRACK_FORMAT} file")
    version = meta.get("version", TRACK_VERSION)
    if not _is_int(version) or version < 1:
        raise TrackError(f"{label}: track version must be a positive whole number, got {_short(version)}")
    if version > TRACK_VERSION:
        raise TrackError(f"{label} has track version {_short(version)}, newer than this coach reads ({TRACK_VERSION})")
    for key in ("image_width", "image_height"):
        if key not in meta:
            raise TrackError(f"{label}: meta has no {key}")
    for key in ("source", "model", "exercise"):
        v = meta.get(key)
        if v is not None and not isinstance(v, str):
            raise TrackError(f"{label}: meta {key} must be text, got {_short(v)}")
    return _image_size(meta["image_width"], meta["image_height"], label)


def _check_timestamps(ts: np.ndarray, label: str) -> None:
    ts = np.asarray(ts, dtype=np.float64).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(ts))
    if bad.size:
        i = int(bad[0])
        raise TrackError(f"{label}: timestamp of frame {i} is {ts[i]}; timestamps must be finite numbers")
    if len(ts) > 1:
        back = np.flatnonzero(ts[1:] <= ts[:-1])
        if back.size:
            i = int(back[0]) + 1
            how = "repeats" if ts[i] == ts[i - 1] else "goes back to"
            raise TrackError(f"{label}: timestamps must increase, but frame {i} {how} {ts[i]:.6g} s "
                             f"(frame {i - 1} is at {ts[i - 1]:.6g} s)")
        with np.errstate(all="ignore"):
            span = float(ts[-1] - ts[0])
        if not span <= MAX_TRACK_DURATION_S:
            raise TrackError(f"{label}: track spans {span:.6g} s; the limit is {MAX_TRACK_DURATION_S:.0f} s "
                             f"({MAX_TRACK_HOURS} hours)")


def _check_values(lm: np.ndarray, wd: np.ndarray, label: str) -> None:
    """Landmark values: NaN or numbers within ±MAX_LANDMARK_VALUE; no
    visibility without a position."""
    lm = np.asarray(lm)
    wd = np.asarray(wd)
    for start in range(0, len(lm), _CHUNK):
        for name, a in (("landmarks", lm[start:start + _CHUNK]), ("world", wd[start:start + _CHUNK])):
            with np.errstate(all="ignore"):
                bad = np.isinf(a) | (np.abs(a) > MAX_LANDMARK_VALUE)
            if bad.any():
                f, j, c = (int(v) for v in np.argwhere(bad)[0])
                raise TrackError(f"{label}: {name} of frame {start + f} (landmark {j}) holds {a[f, j, c]}; "
                                 f"values must be NaN or within ±{MAX_LANDMARK_VALUE:g}")
        a = lm[start:start + _CHUNK]
        with np.errstate(invalid="ignore"):
            orphan = (np.isnan(a[:, :, 0]) | np.isnan(a[:, :, 1])) & (a[:, :, 3] > 0)
        if orphan.any():
            f, j = (int(v) for v in np.argwhere(orphan)[0])
            raise TrackError(f"{label}: landmark {j} of frame {start + f} has a visibility but no position "
                             "(x or y is NaN)")
