"""Review a recorded clip in memory: the back end of the app's "Review a clip"
and "Tune thresholds" pages.

* :func:`review_video` runs pose inference on a video (a path, its bytes or an
  uploaded file object), feeds the engine exactly as ``coach analyze`` does
  (through :func:`coach.analysis.analyze_frames`), keeps the landmark track and,
  when asked, encodes an annotated H.264 MP4 **in memory**: nothing is written
  to disk.
* :func:`review_track` does the same for a landmark track (no inference); the
  skeleton is drawn on a blank background, or on the track's source video when
  one is given.
* :func:`reevaluate` re-judges cached landmarks with other thresholds (a few
  hundredths of a millisecond per frame), for live threshold tuning.

Errors keep their one-line messages: :class:`coach.video.VideoError`,
:class:`coach.pose.TrackError`, :class:`coach.models.ModelError`,
:class:`coach.thresholds.ThresholdError` and
:class:`pose_rules.UnknownExercise` propagate unchanged.
"""
from __future__ import annotations

import contextlib
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping

import numpy as np

from pose_rules.base import Rule
from .analysis import analyze_frames, analyze_track
from .engine import EngineState
from .pose import PoseFrame, PoseTrack
from .thresholds import resolve

__all__ = [
    "Annotate",
    "Progress",
    "ReviewResult",
    "reevaluate",
    "review_track",
    "review_video",
    "source_matches",
    "track_images",
]

#: ``annotate(image_rgb, engine_state) -> image_rgb``: draws one frame (may draw in place).
Annotate = Callable[[np.ndarray, EngineState], np.ndarray]
#: ``progress(fraction)`` with fraction in 0..1.
Progress = Callable[[float], None]

#: Most progress callbacks per run (plus nothing else: the last one is 1.0).
PROGRESS_STEPS = 50
#: Frame rate given to the encoder when the source's is unknown (track input).
DEFAULT_FPS = 30.0


@dataclass
class ReviewResult:
    """What a review gives the app."""

    report: dict  # coach.analysis report, with its per-frame timeline
    track: PoseTrack  # the landmarks, for re-evaluation without inference
    video: bytes | None  # annotated video (H.264 MP4), None when not asked for
    video_format: str  # "mp4"
    source_name: str


# --------------------------------------------------------------------------
# helpers


def _get_rule(rule, track: PoseTrack | None = None) -> Rule:
    import pose_rules

    if isinstance(rule, Rule):
        return rule
    if rule is None:
        exercise = track.meta.get("exercise") if track is not None else None
        if not exercise:
            raise ValueError("no exercise given and the track does not record one")
        rule = exercise
    return pose_rules.get_rule(str(rule))


class _Reporter:
    """Calls ``progress(fraction)`` at most :data:`PROGRESS_STEPS` times: when
    the fraction passes the next 1/50 step, and 1.0 at the end."""

    def __init__(self, callback: Progress | None, frames: int = 0, duration: float = 0.0):
        self.callback = callback
        self.frames = max(0, int(frames or 0))
        self.duration = float(duration or 0.0)
        self._step = 0

    def update(self, done: int, t: float) -> None:
        if self.callback is None:
            return
        if self.frames > 0:
            frac = done / self.frames
        elif self.duration > 0:
            frac = t / self.duration
        else:
            return
        step = min(int(frac * PROGRESS_STEPS), PROGRESS_STEPS - 1)
        if step > self._step:
            self._step = step
            self.callback(step / PROGRESS_STEPS)

    def finish(self) -> None:
        if self.callback is not None and self._step < PROGRESS_STEPS:
            self._step = PROGRESS_STEPS
            self.callback(1.0)


class _Renderer:
    """Annotates frames and encodes them into an in-memory MP4."""

    def __init__(self, annotate: Annotate, fps: float, max_side: int | None, name: str):
        self.annotate = annotate
        self.fps = fps
        self.max_side = max_side
        self.name = name
        self.buffer = io.BytesIO()
        self.writer = None

    def open(self, size: tuple[int, int]):
        from .video import VideoWriter

        if self.writer is None:
            self.writer = VideoWriter(self.buffer, fps=self.fps, size=size, max_side=self.max_side,
                                      format="mp4", name=self.name)
        return self.writer

    def frame(self, image: np.ndarray, st: EngineState) -> None:
        if self.writer is None:
            h, w = image.shape[:2]
            self.open((w, h))
        # scale first, then draw: drawing on the (smaller) output is cheaper,
        # and the annotators place everything relative to the image size
        image = self.writer.fit(image)
        image = self.annotate(image, st)
        self.writer.write(image, st.timestamp)

    def finish(self) -> bytes | None:
        if self.writer is None:
            return None
        self.writer.close()
        return self.buffer.getvalue()

    def abort(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:
                pass
        self.buffer = io.BytesIO()


def _analyse(renderer: _Renderer | None, run: Callable[[], dict]) -> tuple[dict, bytes | None]:
    """Run the analysis (which feeds the renderer); returns the report and the
    finished video, or drops the half-written video if anything fails."""
    try:
        report = run()
        return report, (renderer.finish() if renderer is not None else None)
    except BaseException:
        if renderer is not None:
            renderer.abort()
        raise


def _readable_once(source) -> bool:
    if isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)):
        return False
    try:
        return not source.seekable()
    except (AttributeError, OSError, ValueError):
        return True


def _default_name(source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    own = getattr(source, "name", None)
    if isinstance(own, str) and own.strip():
        return Path(own).name or own
    return "video"


def _model_label(model) -> str:
    if isinstance(model, (bytes, bytearray, memoryview)):
        return "model bytes"
    return Path(model).stem or str(model)


# --------------------------------------------------------------------------
# video


def review_video(source, rule, thresholds: Mapping[str, float] | None = None, model=None, *,
                 name: str | None = None, annotate: Annotate | None = None,
                 progress: Progress | None = None, max_side: int | None = None,
                 video_max_side: int | None = 720, model_name: str | None = None) -> ReviewResult:
    """Analyse a video in memory.

    source: a path, the video's bytes or a binary file object (an upload).
    rule: a :class:`pose_rules.base.Rule` or an exercise name.
    thresholds: overrides of the defaults (validated first, before any work).
    model: the pose model bundle, a path or its bytes; None: the installed
        ``full`` model (:func:`coach.models.resolve_model`).
    name: what the report, the track and error messages call the video
        (None: the path as given, else the file object's ``name``, else "video").
    annotate: ``(image_rgb, engine_state) -> image_rgb`` drawing one frame; when
        given, ``video`` is an annotated H.264 MP4 (faststart) whose longer side
        is at most *video_max_side*; when None, no video is made.
    progress: ``progress(fraction)``, called at most 50 times.
    max_side: downscale frames to this before inference (as ``--max-side``).
    model_name: the model's name recorded in the report and the track
        (default: the bundle's file name without extension, e.g.
        "pose_landmarker_full"; "model bytes" for bytes).

    The report equals ``coach analyze``'s for the same input, model, max_side
    and thresholds (apart from its "source" and "model" labels), and the track
    equals ``coach extract``'s.
    """
    from .video import iter_frames, probe

    rule = _get_rule(rule)
    resolve(rule, thresholds)  # ThresholdError now, not after the inference
    if name is None:
        name = _default_name(source)
    if _readable_once(source):
        source = source.read()  # a stream: keep its bytes to probe and then decode
    info = probe(source, name=name)
    if model is None:
        from .models import resolve_model

        model_arg = resolve_model()  # ModelError (one line) when none is installed
    elif isinstance(model, (bytes, bytearray, memoryview)):
        model_arg = bytes(model)
    else:
        model_arg = model
    label = model_name or _model_label(model_arg)

    reporter = _Reporter(progress, info.frame_count, info.duration)
    renderer = _Renderer(annotate, info.fps or DEFAULT_FPS, video_max_side, name) if annotate else None
    frames: list[PoseFrame] = []
    current: list = [None]  # the image of the frame being judged

    def poses() -> Iterator[PoseFrame]:
        from .estimator import PoseEstimator  # the only mediapipe user

        with PoseEstimator(model_arg) as est, \
                contextlib.closing(iter_frames(source, max_side=max_side, name=name)) as decoded:
            for rgb, t in decoded:
                frame = est.process(rgb, t)
                current[0] = rgb
                frames.append(frame)
                yield frame

    def on_state(frame: PoseFrame, st: EngineState) -> None:
        if renderer is not None:
            renderer.frame(current[0], st)
        current[0] = None
        reporter.update(len(frames), st.timestamp)

    gen = poses()
    try:
        report, video = _analyse(renderer, lambda: analyze_frames(gen, rule, thresholds, source=name,
                                                                  model=label, on_state=on_state))
    finally:
        gen.close()
    track = PoseTrack.from_frames(frames, meta={"source": name, "model": label, "exercise": rule.name})
    reporter.finish()
    return ReviewResult(report, track, video, "mp4", name)


# --------------------------------------------------------------------------
# tracks


def _same_shape(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Same aspect ratio (within 1 %), i.e. one is a scaled copy of the other."""
    if min(a) <= 0 or min(b) <= 0:
        return False
    return math.isclose(a[0] / a[1], b[0] / b[1], rel_tol=0.01)


def track_images(track: PoseTrack, source=None, *, max_side: int | None = None,
                 name: str | None = None) -> Iterator[np.ndarray]:
    """Endless images to draw a track on: the frames of its source video when
    *source* (path, bytes or file object) is given and has the track's
    proportions (frame i for track frame i), then blank canvases.

    Blank canvases (:func:`coach.annotate.blank_canvas`) have the track's image
    size, scaled down to *max_side*. Like ``coach analyze TRACK --annotated``,
    a source that cannot be read just falls back to the blank background.
    """
    from .annotate import blank_canvas
    from .video import _scaled_size, iter_frames

    w, h = _scaled_size(track.image_size[0], track.image_size[1], max_side)
    blank = blank_canvas((w, h))
    frames = None
    if source is not None:
        if _readable_once(source):
            source = source.read()
        if source_matches(track, source, name=name):
            frames = iter_frames(source, max_side=max_side, name=name)
    return _images(frames, blank)


def source_matches(track: PoseTrack, source, *, name: str | None = None) -> bool:
    """Whether *source* is a readable video with the track's proportions (so
    the track can be drawn on its frames)."""
    from .video import VideoError, probe

    try:
        info = probe(source, name=name)
    except VideoError:
        return False
    return _same_shape((info.width, info.height), track.image_size)


def _images(frames, blank: np.ndarray) -> Iterator[np.ndarray]:
    if frames is not None:
        from .video import VideoError

        try:
            for image, _ in frames:
                yield image
        except VideoError:
            pass  # a corrupt tail: the rest is drawn on the blank background
        finally:
            frames.close()
    while True:
        yield blank.copy()


def review_track(track: PoseTrack, rule=None, thresholds: Mapping[str, float] | None = None, *,
                 annotate: Annotate | None = None, progress: Progress | None = None,
                 video_max_side: int | None = 720, background=None) -> ReviewResult:
    """Analyse a landmark track (no inference), optionally rendering it.

    rule: a Rule or an exercise name; None: the exercise the track records.
    With *annotate*, ``video`` is an H.264 MP4 of the annotated frames drawn
    on a blank background (or on *background*, the track's source video, when
    given and of the same proportions). The report equals
    ``coach analyze TRACK``'s.
    """
    rule = _get_rule(rule, track)
    resolve(rule, thresholds)
    source_name = str(track.meta.get("source", ""))
    reporter = _Reporter(progress, len(track))
    renderer = None
    images = None
    if annotate is not None:
        fps = DEFAULT_FPS
        if len(track) > 1 and track.duration > 0:
            fps = (len(track) - 1) / track.duration
        renderer = _Renderer(annotate, fps, video_max_side, Path(source_name).name or "track")
        images = track_images(track, background, max_side=video_max_side)
    done = [0]

    def on_state(frame: PoseFrame, st: EngineState) -> None:
        done[0] += 1
        if renderer is not None:
            renderer.frame(next(images), st)
        reporter.update(done[0], st.timestamp)

    try:
        report, video = _analyse(renderer, lambda: analyze_track(track, rule, thresholds, on_state=on_state))
    finally:
        close = getattr(images, "close", None)
        if close is not None:
            close()
    reporter.finish()
    return ReviewResult(report, track, video, "mp4", source_name)


def reevaluate(track: PoseTrack, rule=None, thresholds: Mapping[str, float] | None = None) -> dict:
    """The report for cached landmarks with other thresholds (no inference).

    Equals ``coach analyze TRACK --thresholds ...``'s report, timeline included.
    """
    return analyze_track(track, _get_rule(rule, track), thresholds)
