"""Review a recorded clip in memory: the back end of the app's "Review a clip"
and "Tune thresholds" pages.

* :func:`review_video` runs pose inference on a video (a path, its bytes or an
  uploaded file object), feeds the engine exactly as ``coach analyze`` does
  (through the session loop, :mod:`coach.session.loop`), keeps the landmark track and,
  when asked, encodes an annotated H.264 MP4 **in memory**: nothing is written
  to disk.
* :func:`review_track` does the same for a landmark track (no inference); the
  skeleton is drawn on a blank background, or on the track's source video when
  one is given.
* :func:`reevaluate` re-judges cached landmarks with other thresholds (a few
  hundredths of a millisecond per frame), for live threshold tuning.

Errors keep their one-line messages: :class:`coach.media.video.VideoError`,
:class:`coach.core.pose.TrackError`, :class:`coach.media.models.ModelError`,
:class:`coach.engine.thresholds.ThresholdError` and
:class:`pose_rules.UnknownExercise` propagate unchanged.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from coach.core.pose import PoseTrack
from coach.engine.report import Report
from pose_rules.base import Rule

from .loop import Annotate, CallbackSink, Session, TrackSink, VideoSink, run
from .sources import _readable_once, source_matches, track_frames, track_images, video_frames

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

#: ``progress(fraction)`` with fraction in 0..1.
Progress = Callable[[float], None]

#: Most progress callbacks per run (plus nothing else: the last one is 1.0).
PROGRESS_STEPS = 50
#: Frame rate given to the encoder when the source's is unknown (track input).
DEFAULT_FPS = 30.0


@dataclass
class ReviewResult:
    """What a review gives the app."""

    report: Report  # with its per-frame timeline
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
                 video_max_side: int | None = 720, model_name: str | None = None,
                 jobs: int | None = 0) -> ReviewResult:
    """Analyse a video in memory.

    source: a path, the video's bytes or a binary file object (an upload).
    rule: a :class:`pose_rules.base.Rule` or an exercise name.
    thresholds: overrides of the defaults (validated first, before any work).
    model: the pose model bundle, a path or its bytes; None: the installed
        ``full`` model (:func:`coach.media.models.resolve_model`).
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
    jobs: processes to use (0 or None: one per core, 1: this one only). A clip
        long enough for more than one segment (:mod:`coach.session.parallel`)
        is analysed by that many processes, a time segment each, and they
        render the annotated video too (*annotate* is sent to them, so it
        must pickle, as ``default_annotator``'s does; one that does not is
        drawn here); the video's bytes and the model go to them through
        pipes (nothing is written to disk). A shorter clip, or ``jobs=1``,
        is analysed here, frame by frame. Several processes need the calling
        script to have the ``if __name__ == "__main__":`` guard (they are
        started with ``spawn``).

    The report equals ``coach analyze``'s for the same input, model, max_side,
    thresholds and jobs (apart from its "source" and "model" labels), and the
    track equals ``coach extract``'s. With several processes the result is the
    sequential one within the tolerance :mod:`coach.session.parallel` states
    (the same reps; the verdict of nearly every frame).
    """
    from coach.media.video import probe

    rule = _get_rule(rule)
    rule.resolve(thresholds)  # ThresholdError now, not after the inference
    if name is None:
        name = _default_name(source)
    if _readable_once(source):
        source = source.read()  # a stream: keep its bytes to probe and then decode
    info = probe(source, name=name)
    if model is None:
        from coach.media.models import resolve_model

        model_arg = resolve_model()  # ModelError (one line) when none is installed
    elif isinstance(model, (bytes, bytearray, memoryview)):
        model_arg = bytes(model)
    else:
        model_arg = model
    label = model_name or _model_label(model_arg)

    from coach.session.parallel import plan_clip, resolve_jobs

    segments = plan_clip(source, info.duration, resolve_jobs(jobs), name=name)
    if len(segments) > 1:
        return _review_parallel(source, rule, thresholds, model_arg, segments, info, name=name, label=label,
                                annotate=annotate, progress=progress, max_side=max_side,
                                video_max_side=video_max_side)
    reporter = _Reporter(progress, info.frame_count, info.duration)
    sinks: list = [TrackSink()]
    if annotate is not None:
        sinks.append(VideoSink(annotate, None, fps=info.fps or DEFAULT_FPS, max_side=video_max_side, name=name))
    count = [0]

    def tick(item) -> None:
        count[0] += 1
        reporter.update(count[0], item.state.timestamp)
    sinks.append(CallbackSink(tick))
    session = Session(rule, thresholds, source=name, model=label, sinks=sinks)
    report = run(video_frames(source, model_arg, max_side=max_side, name=name), session)
    track = sinks[0].track({"source": name, "model": label, "exercise": rule.name})
    reporter.finish()
    return ReviewResult(report, track, sinks[1].data if annotate is not None else None, "mp4", name)


#: Shares of the progress bar for the poses and for drawing the video, in a
#: review on several processes (pose inference costs about twice as much as
#: decoding, drawing and encoding a 720-pixel video).
POSES_SHARE = 0.7


def _review_parallel(source, rule: Rule, thresholds, model, segments, info, *, name: str, label: str,
                     annotate: Annotate | None, progress: Progress | None, max_side: int | None,
                     video_max_side: int | None) -> ReviewResult:
    """:func:`review_video` on several processes (see there)."""
    import io

    from coach.media.models import validate_bundle
    from coach.session.parallel import ParallelClip

    if not isinstance(source, (str, os.PathLike, bytes)):
        if isinstance(source, (bytearray, memoryview)):
            source = bytes(source)
        else:  # a file object that can seek: its bytes go to the processes
            source.seek(0)
            source = source.read()
    validate_bundle(model, check_crc=True)  # ModelError here, not in every process
    total = max(1, info.frame_count)
    reporter = _Reporter(progress, 1000)
    done = {"poses": 0, "video": 0}
    share = POSES_SHARE if annotate is not None else 1.0

    def tell(what: str, n: int) -> None:
        done[what] += n
        frac = share * min(1.0, done["poses"] / total) + (1 - share) * min(1.0, done["video"] / total)
        reporter.update(int(frac * 1000), 0.0)

    sinks: list = [TrackSink()]
    states: list = []
    if annotate is not None:
        sinks.append(CallbackSink(lambda item: states.append(item.state)))
    video = None
    with ParallelClip(source, model, segments, max_side=max_side, name=name, frame_count=info.frame_count) as clip:
        frames = clip.poses(on_frames=lambda n: tell("poses", n))
        session = Session(rule, thresholds, source=name, model=label, sinks=sinks)
        report = run(((None, f) for f in frames), session)  # the engine: well under a millisecond a frame
        if annotate is not None and states:
            buf = io.BytesIO()
            clip.render(states, annotate, buf, fps=info.fps or DEFAULT_FPS, video_max_side=video_max_side,
                        format="mp4", on_frames=lambda n: tell("video", n))
            video = buf.getvalue()
    track = sinks[0].track({"source": name, "model": label, "exercise": rule.name})
    reporter.finish()
    return ReviewResult(report, track, video, "mp4", name)


# --------------------------------------------------------------------------
# tracks


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
    rule.resolve(thresholds)
    source_name = str(track.meta.get("source", ""))
    reporter = _Reporter(progress, len(track))
    sinks: list = []
    images = None
    if annotate is not None:
        fps = DEFAULT_FPS
        if len(track) > 1 and track.duration > 0:
            fps = (len(track) - 1) / track.duration
        sinks.append(VideoSink(annotate, None, fps=fps, max_side=video_max_side,
                               name=Path(source_name).name or "track"))
        images = track_images(track, background, max_side=video_max_side)
    count = [0]

    def tick(item) -> None:
        count[0] += 1
        reporter.update(count[0], item.state.timestamp)
    sinks.append(CallbackSink(tick))
    session = Session(rule, thresholds, source=source_name, model=track.meta.get("model"), sinks=sinks)
    try:
        report = run(track_frames(track, images), session)
    finally:
        if images is not None:
            images.close()
    reporter.finish()
    return ReviewResult(report, track, sinks[0].data if annotate is not None else None, "mp4", source_name)


def reevaluate(track: PoseTrack, rule=None, thresholds: Mapping[str, float] | None = None) -> Report:
    """The report for cached landmarks with other thresholds (no inference).

    Equals ``coach analyze TRACK --thresholds ...``'s report, timeline included.
    """
    rule = _get_rule(rule, track)
    session = Session(rule, thresholds, source=str(track.meta.get("source", "")), model=track.meta.get("model"))
    return run(track_frames(track), session)
