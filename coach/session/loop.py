"""One session loop: frames (a video, a landmark track, a camera) -> engine
-> sinks (the report, an annotated video, a landmark track, progress, the
live view, later the history).

``coach analyze``, the app's review and tuning pages, ``coach evaluate``,
calibration and the live coach all go through :class:`Session`::

    session = Session(rule, thresholds, source="clip.mp4", sinks=[VideoSink(...)])
    report = run(video_frames("clip.mp4", model), session)

A pull-based caller hands :func:`run` an iterator of ``(image, PoseFrame)``
(image None where there is no picture); the live coach pushes frames one at a
time with :meth:`Session.feed`. The time policy (:mod:`coach.core.timing`) is
the engine's: a frame that is not later than the last is dropped and reaches
no sink.
"""
from __future__ import annotations

import io
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Protocol

import numpy as np

from coach.core.pose import PoseFrame, PoseTrack
from coach.engine.engine import Engine, EngineState
from coach.engine.hud import coaching_view
from coach.engine.report import Report, ReportBuilder
from pose_rules.base import Rule


@dataclass(frozen=True, slots=True)
class SessionFrame:
    """One judged frame as the sinks get it."""

    image: np.ndarray | None  # the picture (RGB), None for a track without its video
    frame: PoseFrame  # the pose as estimated (before smoothing)
    state: EngineState


class Sink(Protocol):
    def add(self, item: SessionFrame) -> None: ...

    def close(self) -> None: ...


class Session:
    """The engine and the report for one stream of frames, and its sinks."""

    def __init__(self, rule: Rule, thresholds: Mapping[str, float] | None = None, *, source: str = "",
                 model: str | None = None, timeline: bool = True, sinks: Iterable[Sink] = ()):
        self.rule = rule
        self.engine = Engine(rule, thresholds)
        self.builder = ReportBuilder(rule, source=source, model=model, timeline=timeline)
        self.sinks = list(sinks)
        self.state: EngineState | None = None

    @property
    def thresholds(self) -> dict[str, float]:
        return self.engine.th

    def feed(self, frame: PoseFrame, image: np.ndarray | None = None) -> EngineState | None:
        """Judge one frame; returns its state, or None when the time policy drops it."""
        st = self.engine.update(frame)
        if st is None:
            return None
        self.state = st
        self.builder.add(frame, st)
        if self.sinks:
            item = SessionFrame(image, frame, st)
            for s in self.sinks:
                s.add(item)
        return st

    def report(self, note: str | None = None) -> Report:
        """The report so far (feeding can go on)."""
        return self.builder.report(self.engine, note)

    def close(self) -> Report:
        """Finish the sinks; returns the report."""
        for s in self.sinks:
            s.close()
        return self.report()

    def abort(self) -> None:
        """Drop what the sinks have half written (after an error)."""
        for s in self.sinks:
            abort = getattr(s, "abort", None)
            if abort is not None:
                abort()


def run(frames: Iterable[tuple[np.ndarray | None, PoseFrame]], session: Session) -> Report:
    """Feed every ``(image, frame)`` through the session; returns its report.
    On an error the sinks' half-written output is dropped and the error raised."""
    try:
        for image, frame in frames:
            session.feed(frame, image)
    except BaseException:
        session.abort()
        raise
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()
    return session.close()


def analyze_track(track: PoseTrack, rule: Rule, thresholds: Mapping[str, float] | None = None,
                  timeline: bool = True, sinks: Iterable[Sink] = ()) -> Report:
    """A landmark track's report (no pictures)."""
    from .sources import track_frames

    session = Session(rule, thresholds, source=str(track.meta.get("source", "")), model=track.meta.get("model"),
                      timeline=timeline, sinks=sinks)
    return run(track_frames(track), session)


# ----------------------------------------------------------------------------- sinks

#: ``annotate(image_rgb, engine_state) -> image_rgb``: draws one frame (may draw in place).
Annotate = Callable[[np.ndarray, EngineState], np.ndarray]


class DefaultAnnotator:
    """Skeleton, the rule's guide line and the HUD (with measures and time).
    It can be pickled, so processes that render parts of a clip can draw
    with it (:mod:`coach.session.parallel`)."""

    def __init__(self, rule: Rule, thresholds: Mapping[str, float], details: bool = True):
        from coach.media.annotate import GuideAnnotator, HudAnnotator, SkeletonAnnotator

        mv = thresholds.get("min_visibility", 0.5)
        self.skeleton, self.guide, self.hud = SkeletonAnnotator(mv), GuideAnnotator(rule, mv), HudAnnotator(details)

    def __call__(self, image: np.ndarray, st: EngineState) -> np.ndarray:
        return self.hud(self.guide(self.skeleton(image, st), st), coaching_view(st))


def default_annotator(rule: Rule, thresholds: Mapping[str, float], details: bool = True) -> Annotate:
    """Skeleton, the rule's guide line and the HUD (with measures and time)."""
    return DefaultAnnotator(rule, thresholds, details)


class OutputFile:
    """A file written in full or not at all: write to :attr:`tmp` (a hidden
    temporary file beside ``dest``, with the same extension), then
    :meth:`commit` renames it onto ``dest``; :meth:`discard` removes it. A
    failed or interrupted write leaves no half-written file and keeps what was
    at ``dest``. Used as a context manager it commits when the block succeeds
    and discards otherwise. A ``dest`` that is a symbolic link is written
    through (its target is replaced)."""

    def __init__(self, dest: str | Path):
        dest = Path(dest)
        if dest.is_symlink():
            dest = Path(os.path.realpath(dest))
        self.dest = dest
        self.tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part{dest.suffix}")

    def commit(self) -> Path:
        try:
            if self.dest.is_file():
                shutil.copymode(self.dest, self.tmp)  # keep the permissions of what it replaces
        except OSError:
            pass
        try:
            os.replace(self.tmp, self.dest)
        except BaseException:
            self.discard()
            raise
        return self.dest

    def discard(self) -> None:
        try:
            self.tmp.unlink()
        except OSError:
            pass

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


class VideoSink:
    """Draws each frame (``annotate``) and encodes an H.264 MP4 / VP9 WebM.
    ``dest``: a path, or None to keep the video in memory (:attr:`data`).
    A path is written through a temporary file beside it, renamed into place
    by :meth:`close`; :meth:`abort` removes it (nothing half-written is left
    and a file already at ``dest`` is kept). Frames are scaled to
    ``max_side`` first, then drawn on (cheaper, and the annotators size
    everything relative to the picture). ``name``: what messages call the
    video (default: the file name, or "video")."""

    def __init__(self, annotate: Annotate, dest: str | Path | None = None, *, fps: float = 30.0,
                 max_side: int | None = 720, name: str | None = None, format: str | None = None):
        self.annotate, self.dest, self.fps, self.max_side = annotate, dest, fps, max_side
        self.name = name or (Path(dest).name if dest is not None else "video")
        self.format = format or ("mp4" if dest is None else None)
        self._buffer = io.BytesIO() if dest is None else None
        self._out: OutputFile | None = None
        self.writer = None
        self.data: bytes | None = None

    def add(self, item: SessionFrame) -> None:
        if item.image is None:
            return
        if self.writer is None:
            from coach.media.video import VideoWriter

            h, w = item.image.shape[:2]
            if self.dest is None:
                target = self._buffer
            else:
                self._out = OutputFile(self.dest)
                target = self._out.tmp
            try:
                self.writer = VideoWriter(target, fps=self.fps, size=(w, h), max_side=self.max_side,
                                          format=self.format, name=self.name)
            except BaseException:
                self._discard()
                raise
        image = self.writer.fit(item.image)  # drawn on in place: sources hand over pictures they don't keep
        self.writer.write(self.annotate(image, item.state), item.state.timestamp)

    def close(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except BaseException:
                self._discard()
                raise
            if self._out is not None:
                self._out.commit()
                self._out = None
            if self._buffer is not None:
                self.data = self._buffer.getvalue()

    def abort(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:
                pass
            self.writer = None
        self._discard()
        self._buffer = io.BytesIO() if self.dest is None else None
        self.data = None

    def _discard(self) -> None:
        if self._out is not None:
            self._out.discard()
            self._out = None


class TrackSink:
    """Keeps the frames as estimated: a :class:`PoseTrack` (``track(meta)``)."""

    def __init__(self):
        self.frames: list[PoseFrame] = []

    def add(self, item: SessionFrame) -> None:
        self.frames.append(item.frame)

    def close(self) -> None:
        pass

    def track(self, meta: dict | None = None) -> PoseTrack:
        return PoseTrack.from_frames(self.frames, meta=meta)


class CallbackSink:
    """Calls ``fn(item)`` for every frame (progress bars, per-frame scoring)."""

    def __init__(self, fn: Callable[[SessionFrame], None]):
        self.fn = fn

    def add(self, item: SessionFrame) -> None:
        self.fn(item)

    def close(self) -> None:
        pass


__all__ = ["Session", "SessionFrame", "Sink", "run", "analyze_track", "Annotate", "default_annotator",
           "DefaultAnnotator", "OutputFile", "VideoSink", "TrackSink", "CallbackSink"]
