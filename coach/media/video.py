"""Video input and output.

* :func:`probe` reads a clip's size, rate, duration and rotation.
* :func:`iter_frames` decodes a clip in a background thread and yields
  ``(rgb, timestamp)`` pairs.  Timestamps are the video's own presentation
  times (``pts * time_base``, relative to the first frame), never
  ``index / fps``, so variable-frame-rate phone clips stay correct.  Rotation
  metadata (the container's display matrix) is applied so the person is
  upright.
* :class:`VideoWriter` writes an annotated video that plays in a browser's
  ``<video>`` element: ``.mp4`` is H.264 / yuv420p with ``+faststart``,
  ``.webm`` is VP9 / yuv420p.  Frame timestamps become the pts, so the output
  keeps the source's timing.

Sources and targets may be in memory: :func:`probe` and :func:`iter_frames`
also take ``bytes`` / ``bytearray`` or a binary file-like object (``io.BytesIO``,
Streamlit's ``UploadedFile``), and :class:`VideoWriter` also writes to a binary
file-like object (``format="mp4"`` or ``"webm"``), so a clip can be reviewed
without any video touching the disk.

All user-facing failures are raised as :class:`VideoError` with a one-line
message that starts with the file name (for in-memory videos: the ``name``
given, else the object's own ``name``, else ``"video"``).
"""
from __future__ import annotations

import io
import os
import queue
import threading
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator, Union

import av
import cv2
import numpy as np

__all__ = [
    "VideoError",
    "VideoInfo",
    "VideoSource",
    "VideoWriter",
    "iter_frames",
    "keyframe_times",
    "probe",
    "read_still",
    "STILL_SUFFIXES",
    "rotate_upright",
]


class VideoError(ValueError):
    """A video cannot be read or written; the message is one line for the user."""


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` finds out about a clip.

    ``width`` and ``height`` are the *upright* size, i.e. after the rotation
    metadata is applied (a phone clip stored landscape with a 90° display
    matrix reports a portrait size).  ``rotation`` is the clockwise rotation in
    degrees (0, 90, 180 or 270) that the display matrix asks for, the same
    convention as FFmpeg's legacy ``rotate`` tag (a portrait iPhone clip is 90).
    ``fps`` is the average rate and only informational; ``duration`` is in
    seconds (0 if unknown) and ``frame_count`` an estimate (0 if unknown).
    """

    path: str
    width: int
    height: int
    fps: float
    duration: float
    frame_count: int
    rotation: int
    codec: str


# --------------------------------------------------------------------------
# helpers


def _name(path) -> str:
    return Path(path).name or str(path)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _ffmpeg_reason(exc: BaseException) -> str:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return _one_line(reason)


def _check_file(path, name: str | None = None) -> Path:
    p = Path(path)
    label = name or _name(p)
    if not p.exists():
        raise VideoError(f"{label}: no such file")
    if not p.is_file():
        raise VideoError(f"{label}: not a file")
    if p.stat().st_size == 0:
        raise VideoError(f"{label}: file is empty")
    return p


#: What :func:`probe` and :func:`iter_frames` read: a path, the video's bytes,
#: or a readable binary file-like object.
VideoSource = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, io.IOBase]


def _is_path(obj) -> bool:
    return isinstance(obj, (str, os.PathLike))


def _memory_name(obj, name: str | None) -> str:
    if name:
        return _one_line(name)
    own = getattr(obj, "name", None)
    if isinstance(own, str) and own.strip():
        return _name(own)
    return "video"


class _Source:
    """A clip to read: a file, or a video held in memory (bytes or a file object).

    ``name`` is what messages call it.  :meth:`open` returns a fresh PyAV
    input container each time (a file object is rewound to its start first),
    so one source can be probed and then decoded.
    """

    __slots__ = ("path", "data", "file", "name")

    def __init__(self, path: Path | None, data: bytes | None, file, name: str):
        self.path, self.data, self.file, self.name = path, data, file, name

    def open(self):
        if self.path is not None:
            return av.open(str(self.path), mode="r")
        if self.data is not None:
            return av.open(io.BytesIO(self.data), mode="r")
        self.file.seek(0)
        return av.open(self.file, mode="r")


def _source(obj, name: str | None = None) -> _Source:
    """Check *obj* (path, bytes or binary file object) and wrap it as a :class:`_Source`."""
    if isinstance(obj, _Source):
        return obj
    if _is_path(obj):
        p = _check_file(obj, name)
        return _Source(p, None, None, name or _name(p))
    label = _memory_name(obj, name)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        data = obj if isinstance(obj, bytes) else bytes(obj)
        if not data:
            raise VideoError(f"{label}: file is empty")
        return _Source(None, data, None, label)
    if callable(getattr(obj, "read", None)):
        if getattr(obj, "closed", False):
            raise VideoError(f"{label}: the file object is closed")
        try:
            seekable = bool(obj.seekable()) if hasattr(obj, "seekable") else False
            if seekable:
                obj.seek(0, io.SEEK_END)
                size = obj.tell()
                obj.seek(0)
                if not size:
                    raise VideoError(f"{label}: file is empty")
                return _Source(None, None, obj, label)
            # a stream that can be read only once: keep its bytes for this call
            data = obj.read()
        except VideoError:
            raise
        except (OSError, ValueError) as exc:
            raise VideoError(f"{label}: cannot read the video ({_ffmpeg_reason(exc)})") from None
        if not isinstance(data, (bytes, bytearray)):
            raise VideoError(f"{label}: not a binary file object (read() gave {type(data).__name__})")
        if not data:
            raise VideoError(f"{label}: file is empty")
        return _Source(None, bytes(data), None, label)
    raise TypeError(
        f"expected a video path, bytes or a binary file object, got {type(obj).__name__}"
    )


def _open_input(src: _Source):
    """Open *src* with PyAV and return ``(container, video_stream)``."""
    try:
        container = src.open()
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise VideoError(
            f"{src.name}: not a video file or it is corrupt ({_ffmpeg_reason(exc)})"
        ) from None
    if not container.streams.video:
        has_streams = len(container.streams) > 0
        container.close()
        if not has_streams:
            raise VideoError(
                f"{src.name}: not a video file or it is corrupt (no streams found)"
            )
        raise VideoError(f"{src.name}: contains no video stream")
    return container, container.streams.video[0]


def _clockwise(frame_rotation) -> int:
    """PyAV's ``frame.rotation`` (counter-clockwise, -180..180) -> clockwise 0/90/180/270."""
    try:
        ccw = int(round(float(frame_rotation or 0) / 90.0)) * 90
    except (TypeError, ValueError):
        return 0
    return (-ccw) % 360


def rotate_upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """Rotate *image* clockwise by *rotation* degrees (a multiple of 90).

    *rotation* uses the :attr:`VideoInfo.rotation` convention, so
    ``rotate_upright(stored_image, info.rotation)`` is the upright picture.
    Returns a C-contiguous array (the input itself when *rotation* is 0).
    """
    k = (int(rotation) // 90) % 4
    if k == 0:
        return np.ascontiguousarray(image)
    # np.rot90 with positive k turns counter-clockwise, so negate.
    return np.ascontiguousarray(np.rot90(image, k=-k))


def _fps_of(stream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        try:
            if rate and float(rate) > 0:
                return float(rate)
        except (TypeError, ZeroDivisionError):
            continue
    return 0.0


def _scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    if not max_side or max(width, height) <= max_side:
        return width, height
    scale = max_side / float(max(width, height))
    return max(1, int(round(width * scale))), max(1, int(round(height * scale)))


# --------------------------------------------------------------------------
# probing


#: Image files read as single frames (stills).
STILL_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def read_still(path: str | Path) -> np.ndarray:
    """A photo as an upright RGB ``uint8`` array (the EXIF orientation is applied).
    Raises :class:`VideoError` with a one-line message when it cannot be read."""
    p = Path(path)
    if not p.is_file():
        raise VideoError(f"{p}: no such file")
    data = np.fromfile(str(p), dtype=np.uint8)  # also works for non-ASCII paths on Windows
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None  # applies EXIF orientation
    if bgr is None:
        raise VideoError(f"{p}: not a readable image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def probe(path: VideoSource, *, name: str | None = None) -> VideoInfo:
    """Read a clip's metadata (decodes only its first frame, for the rotation).

    *path* is a file path, the video's bytes, or a binary file-like object
    (read from its start).  *name* is what error messages (and
    :attr:`VideoInfo.path` for in-memory videos) call the clip.
    """
    src = _source(path, name)
    container, stream = _open_input(src)
    try:
        cc = stream.codec_context
        width, height = int(cc.width or 0), int(cc.height or 0)
        fps = _fps_of(stream)
        duration = 0.0
        if container.duration:
            duration = container.duration / 1_000_000.0
        elif stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        frame_count = int(stream.frames or 0)
        if frame_count <= 0 and duration > 0 and fps > 0:
            frame_count = int(round(duration * fps))
        codec = cc.name or ""

        rotation = 0
        try:
            for frame in container.decode(stream):
                rotation = _clockwise(frame.rotation)
                if not width or not height:
                    width, height = frame.width, frame.height
                break
        except av.FFmpegError:
            pass  # iter_frames reports undecodable clips
    finally:
        container.close()
    if rotation in (90, 270):
        width, height = height, width
    return VideoInfo(
        path=str(src.path) if src.path is not None else src.name,
        width=width,
        height=height,
        fps=fps,
        duration=max(0.0, duration),
        frame_count=max(0, frame_count),
        rotation=rotation,
        codec=codec,
    )


def keyframe_times(path: VideoSource, *, name: str | None = None) -> list[float]:
    """The times (seconds, as :func:`iter_frames` gives them) of the clip's
    keyframes, where a seek lands: read from the packets, nothing decoded
    (about 20-40 ms for a minute of 1080p H.264). An empty list when they
    cannot be read (the caller then knows nothing of them)."""
    try:
        container, stream = _open_input(_source(path, name))
    except VideoError:
        return []
    times: list[float] = []
    try:
        tb = stream.time_base
        first = stream.start_time if stream.start_time is not None else 0
        if tb is None:
            return []
        for packet in container.demux(stream):
            if packet.is_keyframe and packet.pts is not None:
                times.append(max(0.0, float((packet.pts - first) * tb)))
    except (av.FFmpegError, OSError, ValueError):
        return []
    finally:
        container.close()
    return sorted(set(times))


# --------------------------------------------------------------------------
# decoding


_END = object()


class _Failure:
    def __init__(self, exc: BaseException):
        self.exc = exc


class _Warning:
    def __init__(self, message: str):
        self.message = message


class _Stopped(Exception):
    pass


def _decode_worker(src: _Source, max_side, out: queue.Queue, stop: threading.Event, start_s: float = 0.0) -> None:
    def put(item) -> None:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped

    container = None
    try:
        try:
            container, stream = _open_input(src)
        except VideoError as exc:
            put(_Failure(exc))
            return
        stream.thread_type = "AUTO"
        fps = _fps_of(stream) or 30.0
        time_base = stream.time_base
        first_pts = None
        if start_s > 0 and time_base:  # from the keyframe at or before start_s; times still from the clip's start
            first_pts = stream.start_time if stream.start_time is not None else 0
            container.seek(first_pts + int(start_s / time_base), stream=stream, backward=True, any_frame=False)
        last_ts = None
        count = 0
        size = None  # (w, h) of the converted frame, before rotation
        warned = False
        try:
            for frame in container.decode(stream):
                if stop.is_set():
                    raise _Stopped
                tb = frame.time_base or time_base
                if frame.pts is not None and tb is not None:
                    if first_pts is None:
                        first_pts = frame.pts
                    ts = float((frame.pts - first_pts) * tb)
                else:
                    ts = 0.0 if last_ts is None else last_ts + 1.0 / fps
                last_ts = ts
                if ts < start_s - 1e-6:
                    continue  # decoded from the keyframe on, given from start_s
                if size is None:
                    size = _scaled_size(frame.width, frame.height, max_side)
                if size != (frame.width, frame.height) or frame.format.name != "rgb24":
                    rgb_frame = frame.reformat(
                        width=size[0], height=size[1], format="rgb24",
                        interpolation="AREA",
                    )
                else:
                    rgb_frame = frame
                rgb = rgb_frame.to_ndarray()
                rgb = rotate_upright(rgb, _clockwise(frame.rotation))
                put((rgb, ts))
                count += 1
        except _Stopped:
            raise
        except (av.FFmpegError, OSError, ValueError) as exc:
            if count == 0:
                put(_Failure(VideoError(
                    f"{src.name}: no frames could be decoded ({_ffmpeg_reason(exc)})"
                )))
                return
            put(_Warning(
                f"{src.name}: stopped after {count} frames, the rest is corrupt "
                f"({_ffmpeg_reason(exc)})"
            ))
            warned = True
        if count == 0:
            put(_Failure(VideoError(f"{src.name}: no frames could be decoded")))
            return
        expected = int(stream.frames or 0)
        if not warned and not start_s and expected > 0 and count < expected - 1:
            put(_Warning(
                f"{src.name}: only {count} of {expected} frames could be decoded "
                "(the file is probably truncated)"
            ))
        put(_END)
    except _Stopped:
        pass
    except Exception as exc:  # report anything else to the consumer
        try:
            put(_Failure(VideoError(
                f"{src.name}: decoding failed ({_one_line(exc) or type(exc).__name__})"
            )))
        except _Stopped:
            pass
    finally:
        if container is not None:
            try:
                container.close()
            except Exception:
                pass


def iter_frames(
    path: VideoSource, max_side: int | None = None, prefetch: int = 8, *, name: str | None = None,
    start_s: float = 0.0, on_warning: Callable[[str], None] | None = None,
) -> Iterator[tuple[np.ndarray, float]]:
    """Yield ``(rgb, timestamp)`` for each frame of the clip at *path*.

    ``rgb`` is a C-contiguous ``uint8`` array of shape ``(H, W, 3)``, upright
    (rotation metadata applied).  ``timestamp`` is in seconds from the clip's
    own pts, relative to the first frame (which is ``0.0``).  With *max_side*,
    frames are downscaled (aspect ratio kept) so the longer side is at most
    *max_side*.  Decoding runs in a background thread that stays at most
    *prefetch* frames ahead.  Closing the generator early stops the thread.

    *path* may also be the video's bytes or a binary file-like object (e.g. an
    upload; it is rewound and read from its start, in the decoding thread, so
    do not use it elsewhere until the iteration ends); *name* is what error
    messages call the clip.

    A missing, empty or unreadable file raises :class:`VideoError` right away;
    decoding errors are raised as :class:`VideoError` while iterating, except a
    corrupt tail after some good frames, which only emits a ``RuntimeWarning``.

    *start_s*: begin at that time (seconds from the clip's start): the decoder
    seeks to the keyframe at or before it and gives the frames from it on,
    with the same timestamps as when decoding from the start.

    *on_warning*: called with the message instead of emitting the
    ``RuntimeWarning`` (the warnings module's filters are the process's, not
    the thread's, so a thread that wants its own decoder's warnings uses this).
    """
    if max_side is not None and max_side < 1:
        raise ValueError("max_side must be a positive number of pixels")
    src = _source(path, name)
    return _iterate(src, max_side, max(1, int(prefetch)), max(0.0, float(start_s)), on_warning)


def _iterate(src: _Source, max_side, prefetch: int, start_s: float = 0.0,
             on_warning: Callable[[str], None] | None = None) -> Iterator[tuple[np.ndarray, float]]:
    out: queue.Queue = queue.Queue(maxsize=prefetch)
    stop = threading.Event()
    thread = threading.Thread(
        target=_decode_worker,
        args=(src, max_side, out, stop, start_s),
        name=f"decode:{src.name}",
        daemon=True,
    )
    thread.start()
    try:
        while True:
            item = out.get()
            if item is _END:
                break
            if isinstance(item, _Failure):
                raise item.exc
            if isinstance(item, _Warning):
                if on_warning is not None:
                    on_warning(item.message)
                else:
                    warnings.warn(item.message, RuntimeWarning, stacklevel=2)
                continue
            yield item
    finally:
        stop.set()
        # unblock a worker waiting on a full queue
        while thread.is_alive():
            try:
                out.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)
        thread.join()


# --------------------------------------------------------------------------
# writing


_ENCODERS = {
    ".mp4": (
        "libx264",
        {"preset": "veryfast", "crf": "23", "profile": "high"},
        {"movflags": "+faststart"},
    ),
    ".webm": (
        "libvpx-vp9",
        {
            "deadline": "realtime",
            "cpu-used": "8",
            "row-mt": "1",
            "crf": "32",
            "b": "0",
            "lag-in-frames": "0",
        },
        {},
    ),
}

_TIME_BASE = Fraction(1, 1000)

#: mp4 written to a file object that cannot be read back (or not seeked): a
#: fragmented mp4 (index first, then self-contained fragments), which browsers
#: also play progressively.
_FRAGMENTED_MP4 = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}

#: AVIO_FLAG_WRITE: an ``io_open`` request to open for writing
_AVIO_FLAG_WRITE = 2


class _ReadBack(io.RawIOBase):
    """A read-only view of a file object that is being written.

    FFmpeg's mp4 ``+faststart`` re-opens the output when the trailer is
    written, to move the index in front of the media data; with custom I/O
    PyAV asks ``io_open`` for that second handle.  This one keeps its own
    position and puts the shared object's position back after each read, so
    the muxer's writes through the first handle are not disturbed.
    """

    def __init__(self, target):
        super().__init__()
        self._target = target
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        keep = self._target.tell()
        try:
            self._target.seek(self._pos)
            data = self._target.read(size if size is not None and size >= 0 else -1)
        finally:
            self._target.seek(keep)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._pos = offset
        elif whence == io.SEEK_CUR:
            self._pos += offset
        else:
            keep = self._target.tell()
            end = self._target.seek(0, io.SEEK_END)
            self._target.seek(keep)
            self._pos = end + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:  # never close the caller's object
        self._target = None
        super().close()


def _can(obj, what: str) -> bool:
    try:
        return bool(getattr(obj, what)())
    except (AttributeError, OSError, ValueError):
        return False


def _format_key(fmt) -> str:
    return "." + str(fmt).strip().lower().lstrip(".")


class VideoWriter:
    """Write RGB frames with their timestamps to a browser-playable video.

    *path* is a file path or a binary file-like object (e.g. ``io.BytesIO``;
    it is written from its start and left open).  For a path the format
    follows the extension unless *format* is given; for a file object
    *format* (``"mp4"`` or ``"webm"``) is required.  ``mp4`` is H.264
    (``libx264``, yuv420p, ``+faststart``), ``webm`` is VP9 (``libvpx-vp9``,
    yuv420p, realtime settings).  A file object is made ``+faststart`` (index
    before the media data) when it is readable and seekable, as ``io.BytesIO``
    is; otherwise a fragmented mp4 is written (``fragmented`` is then True),
    which browsers play as well.  *name* is what messages call the output
    (default: the file name, or ``"video"``).

    *size* is the ``(width, height)`` of the frames that will be passed to
    :meth:`write`; odd sizes are padded to even.  With
    *max_side*, the output is downscaled (``cv2.INTER_AREA``) so that its
    longer side is at most *max_side*.  Each frame's timestamp (seconds)
    becomes its pts in a 1/1000 s time base, so variable frame rate and sync
    with the source are kept; pts are forced to be strictly increasing.
    *fps* is the nominal rate given to the encoder for rate control.
    After construction, ``size`` is the actual (even) output size,
    ``format`` the container (``"mp4"`` / ``"webm"``) and ``frames_written``
    counts the frames encoded so far.
    """

    def __init__(
        self,
        path,
        fps: float,
        size: tuple[int, int],
        max_side: int | None = None,
        *,
        format: str | None = None,
        name: str | None = None,
    ):
        if _is_path(path):
            self.path: Path | None = Path(path)
            self._file = None
            name = _one_line(name) if name else _name(self.path)
            ext = _format_key(format) if format else self.path.suffix.lower()
            if ext not in _ENCODERS:
                raise VideoError(
                    f"{name}: unsupported output format {ext or '(no extension)'!r}; "
                    "use .mp4 or .webm"
                )
        else:
            if not callable(getattr(path, "write", None)):
                raise TypeError(
                    f"expected an output path or a binary file object, got {type(path).__name__}"
                )
            self.path = None
            self._file = path
            name = _memory_name(path, name)
            if not format:
                raise VideoError(
                    f"{name}: give the container format (format='mp4' or 'webm') "
                    "to write to a file object"
                )
            ext = _format_key(format)
            if ext not in _ENCODERS:
                raise VideoError(
                    f"{name}: unsupported output format {str(format)!r}; use 'mp4' or 'webm'"
                )
        self.name = name
        self.format = ext[1:]
        self.fragmented = False
        width, height = (int(v) for v in size)
        if width < 1 or height < 1:
            raise VideoError(f"{name}: invalid frame size {width}x{height}")
        if not fps or fps <= 0:
            fps = 30.0
        if max_side is not None and max_side < 2:
            raise ValueError("max_side must be at least 2 pixels")
        self.in_size = (width, height)
        scaled = _scaled_size(width, height, max_side)
        self._resize = scaled != (width, height)
        if self._resize:
            # scale straight to an even size
            out_w, out_h = max(2, scaled[0] // 2 * 2), max(2, scaled[1] // 2 * 2)
        else:
            out_w, out_h = width + width % 2, height + height % 2
        self.size = (out_w, out_h)
        self.fps = float(fps)
        self.frames_written = 0
        self._last_pts: int | None = None
        self._closed = False

        codec, codec_opts, container_opts = _ENCODERS[ext]
        try:
            if self._file is None:
                self._container = av.open(str(self.path), mode="w", format=self.format, options=container_opts)
            else:
                self._container = self._open_file_output(container_opts)
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise VideoError(f"{name}: cannot create file ({_ffmpeg_reason(exc)})") from None
        try:
            rate = Fraction(self.fps).limit_denominator(1001)
            stream = self._container.add_stream(codec, rate=rate)
            stream.width, stream.height = out_w, out_h
            stream.pix_fmt = "yuv420p"
            stream.time_base = _TIME_BASE
            stream.codec_context.time_base = _TIME_BASE
            stream.thread_type = "AUTO"
            stream.options = dict(codec_opts)
            # tag the colours as what cv2's RGB->I420 produces (BT.601, tv
            # range) so browsers do not guess BT.709 for HD sizes
            cc = stream.codec_context
            cc.colorspace = 6  # AVCOL_SPC_SMPTE170M
            cc.color_primaries = 6  # AVCOL_PRI_SMPTE170M
            cc.color_trc = 6  # AVCOL_TRC_SMPTE170M
            cc.color_range = 1  # AVCOL_RANGE_MPEG
            self._stream = stream
        except Exception as exc:
            self._container.close()
            raise VideoError(f"{name}: cannot set up the {codec} encoder ({_one_line(exc)})") from None

    def _open_file_output(self, container_opts: dict):
        """Open the PyAV output container on the caller's file object."""
        f = self._file
        seekable = _can(f, "seekable")
        if seekable:
            f.seek(0)
            if callable(getattr(f, "truncate", None)):
                f.truncate()
        kwargs: dict = {}
        options = dict(container_opts)
        if self.format == "mp4":
            if seekable and _can(f, "readable"):
                # faststart's second pass reads the output back through io_open
                def io_open(url, flags, opts):
                    if flags & _AVIO_FLAG_WRITE:
                        raise OSError("only the output itself can be written")
                    return _ReadBack(f)

                kwargs["io_open"] = io_open
            else:
                options = dict(_FRAGMENTED_MP4)
                self.fragmented = True
        return av.open(f, mode="w", format=self.format, options=options, **kwargs)

    # context manager ------------------------------------------------------
    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _prepare(self, rgb: np.ndarray) -> np.ndarray:
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise VideoError(
                f"{self.name}: expected an HxWx3 RGB frame, got shape {rgb.shape}"
            )
        if rgb.dtype != np.uint8:
            rgb = np.clip(rgb, 0, 255).astype(np.uint8)
        out_w, out_h = self.size
        h, w = rgb.shape[:2]
        if (w, h) == (out_w, out_h):
            return np.ascontiguousarray(rgb)
        if (w, h) == self.in_size and not self._resize:
            # odd size: pad one row / column by repeating the edge
            return cv2.copyMakeBorder(
                np.ascontiguousarray(rgb), 0, out_h - h, 0, out_w - w, cv2.BORDER_REPLICATE
            )
        shrink = w >= out_w and h >= out_h
        return cv2.resize(
            np.ascontiguousarray(rgb),
            (out_w, out_h),
            interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR,
        )

    def fit(self, rgb: np.ndarray) -> np.ndarray:
        """*rgb* as :meth:`write` will encode it: scaled (or padded) to
        :attr:`size`, ``uint8``, C-contiguous.  Drawing on the fitted frame
        before :meth:`write` avoids drawing at a larger size than is kept; a
        frame already of the right size is returned as it is (not copied)."""
        return self._prepare(rgb)

    def write(self, rgb: np.ndarray, timestamp: float) -> None:
        """Encode one RGB ``uint8`` frame shown at *timestamp* seconds."""
        if self._closed:
            raise VideoError(f"{self.name}: writer is already closed")
        image = self._prepare(rgb)
        pts = int(round(max(0.0, float(timestamp)) / float(_TIME_BASE)))
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1
        self._last_pts = pts
        # OpenCV's RGB -> I420 (BT.601, limited range, as swscale does) is
        # several times faster than swscale here.
        yuv = cv2.cvtColor(image, cv2.COLOR_RGB2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = pts
        frame.time_base = _TIME_BASE
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except (av.FFmpegError, OSError) as exc:
            raise VideoError(f"{self.name}: encoding failed ({_ffmpeg_reason(exc)})") from None
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and finish the file (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        except (av.FFmpegError, OSError) as exc:
            self._close_container()
            raise VideoError(f"{self.name}: encoding failed ({_ffmpeg_reason(exc)})") from None
        try:
            self._container.close()  # writes the trailer (the faststart pass for mp4)
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise VideoError(f"{self.name}: cannot finish the video ({_ffmpeg_reason(exc)})") from None

    def _close_container(self) -> None:
        try:
            self._container.close()
        except Exception:
            pass
