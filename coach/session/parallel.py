"""Clip analysis on several cores: the clip is cut into time segments, each
analysed with its own pose landmarker (the first by the calling process, in
a thread, as its imports are done; each other one by a process of its own),
and the segments' poses are stitched back in time order; the engine then judges them
in one pass, as for a landmark track (it costs well under a millisecond a
frame).

MediaPipe's VIDEO mode tracks the body from frame to frame, so a landmarker
that starts in the middle of a clip reads its first frames a little
differently from one that has run since the start. Each segment but the
first therefore starts ``overlap_s`` early (the decoder seeks to the keyframe
before that) and its landmarker warms up on those frames, which are then
dropped: the segment's own frames come from a tracker already on the body.
Those seeks decode frames from the keyframe on without analysing them, so
:func:`plan_clip` reads the clip's keyframe times (from its packets) and
places the cuts so that each process has about the same work
(:func:`plan_segments`), rather than cutting the clip into equal parts.
``tests/session/test_parallel.py`` measures how close the result is to the
sequential analysis: the same frames and reps, and at least 97 % of the
frames judged alike on the real bird-dog clip.

An annotated video is made in a third pass (:meth:`ParallelClip.render`):
the same processes decode their segment again, draw each frame's engine
state (the engine's pass gives them; the annotator is sent to them, so it
must pickle, as :class:`coach.session.loop.DefaultAnnotator` does) and
encode it with the sequential video's encoder settings; the main process
joins the segments' MP4s by copying their packets
(:func:`coach.media.concat.join_mp4`), so the video has every frame once, at
its own time, and plays as one (a keyframe where each segment begins).

Pose inference uses about one core (measured on 2 cores), so ``jobs`` up to
the number of cores helps; each process also pays its start (imports, model)
of about a second, so there is a segment for at most each ``MIN_SEGMENT_S``
of the clip, and a clip shorter than two is analysed in the calling process
(callers check ``len(plan_segments(...)) > 1``).
"""
from __future__ import annotations

import bisect
import io
import math
import multiprocessing
import os
import pickle
import queue
import threading
import warnings
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from coach.core.pose import PoseFrame

#: Each segment but the first starts this much early to warm the tracker up.
#: Measured against the sequential analysis (frames judged alike, reps): 1.0 s
#: and 0.5 s gave 99.3 / 98.6 % on bird_dog.mp4 (2 segments) and 98.0 / 98.5 %
#: on a 71 s bird-dog clip (4 segments), the same reps each time.
OVERLAP_S = 0.5
#: A segment is at least this long (shorter clips use fewer processes).
MIN_SEGMENT_S = 4.0
#: Decoding a frame only (from the keyframe a seek lands on up to the
#: warm-up) costs about this share of analysing one (decoding, RGB and pose):
#: 2-3 ms against 25-30 ms a frame, measured on bird_dog.mp4 (1080x1920).
SEEK_COST = 0.1


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
                  min_segment_s: float = MIN_SEGMENT_S, keyframes: Sequence[float] | None = None,
                  seek_cost: float = SEEK_COST) -> list[Segment]:
    """``jobs`` segments (fewer when the clip is shorter than ``min_segment_s``
    a segment); the last one runs to the end whatever the stated duration.

    Without ``keyframes`` the segments are of equal length. With them (the
    clip's keyframe times, :func:`coach.media.video.keyframe_times`) the
    segments are placed so that each process has about the same work: a
    segment's frames and warm-up frames at a full frame's cost each, plus the
    frames decoded from the keyframe the seek lands on at ``seek_cost`` each
    (a segment starting long after a keyframe is made shorter)."""
    if not (math.isfinite(duration_s) and duration_s > 0):
        return [Segment(0.0, 0.0, math.inf)]
    n = max(1, min(int(jobs), int(duration_s // min_segment_s)))
    if n == 1:
        return [Segment(0.0, 0.0, math.inf)]
    edges = [duration_s * i / n for i in range(n)]
    if keyframes:
        edges = _balanced_edges(duration_s, n, overlap_s, sorted(float(k) for k in keyframes), seek_cost) or edges
    edges = edges + [math.inf]
    return [Segment(max(0.0, edges[i] - overlap_s) if i else 0.0, edges[i], edges[i + 1])
            for i in range(len(edges) - 1)]


def plan_clip(source, duration_s: float, jobs: int, overlap_s: float = OVERLAP_S, *,
              name: str | None = None) -> list[Segment]:
    """:func:`plan_segments` for the video ``source`` (a path or its bytes),
    balanced by its keyframes (read only when there is more than one
    segment)."""
    from coach.media.video import keyframe_times

    segments = plan_segments(duration_s, jobs, overlap_s)
    if len(segments) < 2:
        return segments
    return plan_segments(duration_s, jobs, overlap_s, keyframes=keyframe_times(source, name=name))


def _balanced_edges(duration: float, n: int, overlap: float, keyframes: list[float],
                    seek_cost: float) -> list[float] | None:
    """The starts of ``n`` segments that make the costliest segment's work
    (seconds of video at a full frame's cost) as small as possible: a binary
    search on that cost, each segment made as long as the cost allows.
    (Pulling a segment's start back onto a keyframe never pays: decoding a
    frame costs less than analysing it.)"""
    def seek(w: float) -> float:  # frames decoded before the warm-up, in seconds
        k = bisect.bisect_right(keyframes, w + 1e-6)
        return w - keyframes[k - 1] if k else w

    def edges_for(limit: float) -> list[float] | None:
        edges = [0.0]
        for i in range(n - 1):
            w = max(0.0, edges[-1] - overlap) if i else 0.0
            end = w + limit - seek_cost * seek(w)
            if end >= duration:
                return edges  # the limit allows fewer segments (a smaller one is searched for)
            edges.append(end)
        w = max(0.0, edges[-1] - overlap)
        return edges if duration - w + seek_cost * seek(w) <= limit else None

    lo, hi = duration / n, duration + overlap
    best = None
    for _ in range(40):
        mid = (lo + hi) / 2
        found = edges_for(mid)
        if found is None:
            lo = mid
        else:
            best, hi = found, mid
    return best


# ----------------------------------------------------------------------------- in the worker processes

#: In a worker process: the clip (a path or its bytes), the model (a path or
#: its bytes), what messages call the clip, and the queue for progress; given
#: once when the process starts, so bytes are not sent again with each task.
#: (The calling process runs the first segment itself, in a thread, with a
#: context of its own: ``ctx`` below, with a ``stop`` event.)
_WORKER: dict = {}


class _Stopped(Exception):
    """The calling process's own segment was called off (an error elsewhere, Ctrl-C)."""


def _init_worker(feed, name, progress) -> None:
    # The clip and the model come through a queue, not as the process's
    # start-up arguments: the parent writes those into a pipe and, should the
    # child die before reading them all (a script without the
    # ``if __name__ == "__main__":`` guard), waits for ever.
    source, model = feed.get()
    _WORKER.update(source=source, model=model, name=name, queue=progress)


class _Teller:
    """Tells the main process how many frames are done, a few at a time (and
    stops the calling process's own segment when it is called off)."""

    def __init__(self, tag: int, ctx: dict, every: int = 8):
        self.tag, self.ctx, self.every, self.n = tag, ctx, every, 0
        self.stop = ctx.get("stop")

    def add(self, k: int = 1) -> None:
        if self.stop is not None and self.stop.is_set():
            raise _Stopped
        self.n += k
        if self.n >= self.every:
            self.flush()

    def flush(self) -> None:
        q = self.ctx.get("queue")
        if self.n and q is not None:
            try:
                q.put((self.tag, self.n))
            except (OSError, ValueError):
                pass  # progress only
        self.n = 0


def _segment_poses(seg: Segment, max_side: int | None, tag: int = 0, ctx: dict | None = None):
    """The poses of the segment's frames, as arrays (timestamps (n,),
    landmarks (n, 33, 4), world (n, 33, 3)), the image size, the decoder's
    warnings, and whether nothing could be decoded from the segment on (a
    later segment of a file cut short)."""
    from coach.media.estimator import PoseEstimator
    from coach.media.video import VideoError, iter_frames

    ctx = _WORKER if ctx is None else ctx
    source, model, name = ctx["source"], ctx["model"], ctx["name"]
    tell = _Teller(tag, ctx)
    ts, lms, worlds = [], [], []
    size = (0, 0)
    unreadable = False  # nothing could be decoded from the segment on (a truncated file)
    notes: list[str] = []
    try:
        with PoseEstimator(model) as est, \
                closing(iter_frames(source, max_side=max_side, start_s=seg.warm, name=name,
                                    on_warning=notes.append)) as frames:
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
                tell.add()
    except VideoError:
        if seg.start <= 0:
            raise  # the clip itself cannot be read: as the sequential analysis says
        unreadable = True
    tell.flush()
    if not ts:
        empty = np.zeros(0), np.zeros((0, 33, 4), np.float32), np.zeros((0, 33, 3), np.float32)
        return (*empty, size, notes, unreadable)
    return np.asarray(ts), np.stack(lms), np.stack(worlds), size, notes, unreadable


def _pts_ms(t: float) -> int:
    """A frame time as VideoWriter turns it into a pts (milliseconds)."""
    return int(round(max(0.0, float(t)) / 0.001))


def _draw(source, name, start_s: float, states: Sequence, annotate, writer, decode_side: int | None,
          offset_ms: int, tick: Callable[[], None]) -> int:
    """Decode the clip from ``start_s``, draw ``annotate(image, state)`` on
    each frame that has a state (same timestamp) and write it; returns the
    frames written. Frames without a state (the engine's time policy dropped
    them) are not written, as in the sequential analysis."""
    from coach.media.video import iter_frames

    j = n = 0
    with closing(iter_frames(source, max_side=decode_side, start_s=start_s, name=name,
                             on_warning=lambda message: None)) as frames:  # the poses' pass told them
        for rgb, t in frames:
            while j < len(states) and states[j].timestamp < t - 1e-6:
                j += 1  # a judged frame this decoding did not give (not expected)
            if j >= len(states):
                break
            st = states[j]
            if t < st.timestamp - 1e-6:
                continue
            image = writer.fit(rgb)  # drawn on in place, at the output's size
            writer.write(annotate(image, st), (_pts_ms(st.timestamp) - offset_ms) / 1000.0)
            j += 1
            n += 1
            tick()
    return n


def _segment_video(start_s: float, states: Sequence, annotate, image_size: tuple[int, int], fps: float,
                   video_max_side: int | None, decode_side: int | None, offset_ms: int, tag: int = 0,
                   ctx: dict | None = None):
    """The annotated video of one segment: (MP4 bytes, frames written); its
    timestamps start at the segment's first frame (``offset_ms``)."""
    from coach.media.video import VideoWriter

    ctx = _WORKER if ctx is None else ctx
    out = io.BytesIO()
    name = ctx["name"]
    tell = _Teller(tag, ctx)
    writer = VideoWriter(out, fps=fps, size=image_size, max_side=video_max_side, format="mp4", name=name)
    n = _draw_into(writer, ctx["source"], name, start_s, states, annotate, decode_side, offset_ms, tell.add)
    tell.flush()
    return out.getvalue(), n


def _draw_into(writer, source, name, start_s: float, states: Sequence, annotate, decode_side: int | None,
               offset_ms: int, tick: Callable[[], None]) -> int:
    """:func:`_draw` into ``writer``, which is then closed (on an error too,
    without hiding the error); returns the frames written."""
    try:
        n = _draw(source, name, start_s, states, annotate, writer, decode_side, offset_ms, tick)
    except BaseException:
        try:
            writer.close()
        except Exception:
            pass
        raise
    writer.close()
    return n


# ----------------------------------------------------------------------------- in the main process

def _output_size(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """The size VideoWriter gives frames of ``size`` with ``max_side``."""
    from coach.media.video import _scaled_size

    w, h = size
    scaled = _scaled_size(w, h, max_side)
    if scaled != (w, h):
        return max(2, scaled[0] // 2 * 2), max(2, scaled[1] // 2 * 2)
    return w + w % 2, h + h % 2


def _picklable(obj) -> bool:
    try:
        pickle.dumps(obj)
        return True
    except Exception:
        return False


class ParallelClip:
    """One clip analysed by several processes, one a segment
    (:func:`plan_segments`), each with its own landmarker; the same processes
    then render the annotated video, a segment each, joined without encoding
    again. Use it as a context manager (it owns the processes)::

        with ParallelClip("clip.mp4", model, plan_segments(duration, jobs)) as clip:
            frames = clip.poses()               # pass 1: the poses, in time order
            states = judge(frames)              # pass 2: the engine, in one pass
            clip.render(states, annotate, "annotated.mp4", fps=30)  # pass 3

    ``source``: a path or the video's bytes; ``model``: a bundle path or its
    bytes; both are sent to each process once. ``name``: what messages call
    the clip; ``frame_count``: its frames as :func:`coach.media.video.probe`
    counts them (to tell a file cut short). Errors (a corrupt clip, the
    model) are raised as the sequential analysis raises them, and the
    decoder's warnings (a corrupt tail) given as it gives them."""

    def __init__(self, source, model, segments: Sequence[Segment], *, max_side: int | None = None,
                 name: str | None = None, frame_count: int = 0):
        if isinstance(source, os.PathLike):
            source = os.fspath(source)
        elif isinstance(source, (bytearray, memoryview)):
            source = bytes(source)
        if isinstance(model, os.PathLike):
            model = os.fspath(model)
        elif isinstance(model, (bytearray, memoryview)):
            model = bytes(model)
        self.source, self.model, self.segments = source, model, list(segments)
        self.max_side, self.name = max_side, name
        self.frame_count = max(0, int(frame_count or 0))  # the clip's (probe's); 0: unknown
        self.image_size: tuple[int, int] = (0, 0)  # of the frames estimated (known after poses())
        self._pool: ProcessPoolExecutor | None = None
        self._open = False
        self._queue = self._feed = None
        self._tag = 0

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        return os.path.basename(self.source) if isinstance(self.source, str) else "video"

    def __enter__(self) -> "ParallelClip":
        # The first segment is analysed here, in a thread (this process has its
        # imports done: it starts a second or so before a new process would),
        # the others each in a process of its own.
        self._local = dict(source=self.source, model=self.model, name=self.name, queue=queue.SimpleQueue(),
                           stop=threading.Event())
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coach-segment")
        ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads (decoder, MediaPipe)
        self._queue = ctx.Queue()
        self._feed = ctx.Queue()
        workers = len(self.segments) - 1
        for _ in range(workers):  # one for each process (sent, a copy at a time, by the queue's thread)
            self._feed.put((self.source, self.model))
        self._feed.cancel_join_thread()  # what no process took is not waited for at exit
        if workers > 0:
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                             initargs=(self._feed, self.name, self._queue))
        self._open = True
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(abandon=exc_type is not None)

    def close(self, abandon: bool = False) -> None:
        """Stop the processes and this process's segment thread, at once:
        between passes every result is in, so nothing is lost and nothing
        waits for the processes' own exit (their teardown takes 0.2-0.4 s).
        ``abandon``: called during a pass (an error, Ctrl-C), whose work is
        dropped; the thread stops at its next frame."""
        if not self._open:
            return
        self._open = False
        self._local["stop"].set()
        self._thread.shutdown(wait=not abandon, cancel_futures=True)
        pool, self._pool = self._pool, None
        if pool is not None:
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for p in processes:
                try:
                    p.terminate()
                except Exception:
                    pass
        for q in (self._queue, self._feed):
            try:
                q.close()
            except Exception:
                pass

    def _drain(self, tag: int, on_frames: Callable[[int], None] | None) -> int:
        told = 0
        for source in (self._queue, self._local["queue"]):
            while True:
                try:
                    t, n = source.get_nowait()
                except (queue.Empty, OSError, ValueError, EOFError):
                    break
                if t == tag:  # not a late word from an earlier pass
                    told += n
                    if on_frames is not None:
                        on_frames(n)
        return told

    def _run(self, fn, tasks: list[tuple], on_frames=None, on_done=None, frames_of=None) -> list:
        """``fn(*args, tag)`` for each task, the first in this process's
        thread, the others in the processes; their results in task order.
        The first error raised is raised here. ``on_frames(n)`` as the
        segments tell their progress, topped up at the end to
        ``frames_of(result)`` summed."""
        if not self._open:
            raise RuntimeError("ParallelClip is used outside its with block")
        if len(tasks) > 1 and (self._pool is None or len(tasks) > len(self.segments)):
            raise ValueError(f"{len(tasks)} tasks for {len(self.segments)} segments")
        self._tag += 1
        tag = self._tag
        futures = [self._thread.submit(fn, *tasks[0], tag, ctx=self._local)] if tasks else []
        futures += [self._pool.submit(fn, *args, tag) for args in tasks[1:]]
        pending = set(futures)
        told = 0
        try:
            while pending:
                done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                told += self._drain(tag, on_frames)
                for fut in done:
                    res = fut.result()  # raises the process's error
                    if on_done is not None:
                        on_done(res)
        except BrokenProcessPool:
            from coach.media.video import VideoError

            raise VideoError(f"{self.label}: a worker process stopped unexpectedly "
                             "(out of memory?); try fewer --jobs") from None
        except BaseException:
            # Only this process's thread's future: the processes' are cancelled
            # by their pool's own thread (close()), as one cancelled here and
            # then failed there on seeing a worker gone is a traceback.
            for fut in futures[:1]:
                fut.cancel()
            raise
        results = [fut.result() for fut in futures]
        if on_frames is not None and frames_of is not None:
            told += self._drain(tag, on_frames)
            rest = sum(frames_of(r) for r in results) - told
            if rest > 0:
                on_frames(rest)
        return results

    # -- pass 1: poses ------------------------------------------------------
    def poses(self, on_frames: Callable[[int], None] | None = None,
              on_segment: Callable[[int], None] | None = None) -> list[PoseFrame]:
        """The poses of every frame, in time order. ``on_frames(n)``: n more
        frames done (as the processes go); ``on_segment(n)``: a segment of n
        frames finished."""
        results = self._run(_segment_poses, [(s, self.max_side) for s in self.segments], on_frames,
                            (lambda res: on_segment(len(res[0]))) if on_segment is not None else None,
                            frames_of=lambda res: len(res[0]))
        frames: list[PoseFrame] = []
        last = -math.inf
        for ts, lms, worlds, size, _, _ in results:
            if size != (0, 0) and self.image_size == (0, 0):
                self.image_size = tuple(size)
            for i, t in enumerate(ts.tolist()):
                if t <= last:  # a frame at a segment's edge given twice
                    continue
                last = t
                frames.append(PoseFrame(lms[i], worlds[i], t, size))
        self._warn(results, len(frames))
        return frames

    def _warn(self, results: list, count: int) -> None:
        """The decoder's warnings (a corrupt tail), once each, as the
        sequential analysis gives them; a file cut short in a later segment
        is told as the sequential decoder tells it."""
        notes: list[str] = []
        for res in results:
            notes += [n for n in res[4] if n not in notes]
        expected = self.frame_count
        cut = any(res[5] for res in results) or (expected > 0 and count < expected - 1)
        if cut and not any("truncated" in n or "corrupt" in n for n in notes):
            if expected > 0:
                notes.append(f"{self.label}: only {count} of {expected} frames could be decoded "
                             "(the file is probably truncated)")
            else:
                notes.append(f"{self.label}: only {count} frames could be decoded (the file is probably truncated)")
        for note in notes:
            warnings.warn(note, RuntimeWarning, stacklevel=3)

    # -- pass 3: the annotated video ----------------------------------------
    def _groups(self, states: Sequence) -> list[list]:
        """The states of each segment (by time)."""
        groups: list[list] = [[] for _ in self.segments]
        k = 0
        for st in states:
            while k + 1 < len(self.segments) and st.timestamp >= self.segments[k + 1].start:
                k += 1
            groups[k].append(st)
        return groups

    def render(self, states: Sequence, annotate, target, *, fps: float, video_max_side: int | None = 720,
               image_size: tuple[int, int] | None = None, format: str | None = None,
               on_frames: Callable[[int], None] | None = None) -> int:
        """Draw ``annotate(image, state)`` on the frame of each judged state
        (pass 2's engine states, in time order) and write the video to
        ``target`` (a path, or a binary file object with ``format``), as
        :class:`coach.session.loop.VideoSink` would: the same size (the
        frames' ``image_size`` scaled to ``video_max_side``), encoder and
        timestamps. An MP4 is rendered by the processes, a segment each, and
        joined by copying the packets; a WebM, or an ``annotate`` that cannot
        be sent to another process (it must pickle), is rendered here.
        Returns the frames written (0: nothing is written)."""
        from coach.media.concat import PartsDiffer, join_mp4
        from coach.media.video import VideoWriter

        if not states:
            return 0
        size = tuple(image_size or self.image_size)
        if min(size) <= 0:
            size = tuple(states[0].frame.image_size)
        fmt = (format or (os.path.splitext(os.fspath(target))[1] if isinstance(target, (str, os.PathLike))
                          else "mp4")).lower().lstrip(".")
        out = _output_size(size, video_max_side)
        # decode straight at about the output's size when it is smaller than the frames estimated
        decode_side = max(out) if max(out) < max(size) else self.max_side
        groups = self._groups(states)
        tasks = []
        for seg, group in zip(self.segments, groups):
            if group:
                start_s = seg.start if seg.warm > 0 else 0.0  # decoded as pass 1 did: the same timestamps
                tasks.append((start_s, group, annotate, size, fps, video_max_side, decode_side,
                              _pts_ms(group[0].timestamp)))
        if fmt == "mp4" and len(tasks) > 1 and _picklable(annotate):
            parts = self._run(_segment_video, tasks, on_frames, frames_of=lambda res: res[1])
            if sum(n for _, n in parts) == len(states):
                try:
                    return join_mp4([(data, task[-1]) for (data, _), task in zip(parts, tasks)], target,
                                    name=None if isinstance(target, (str, os.PathLike)) else self.label)
                except PartsDiffer:
                    pass  # drawn again here, in one go
        writer = VideoWriter(target, fps=fps, size=size, max_side=video_max_side,
                             format=None if isinstance(target, (str, os.PathLike)) else fmt, name=None)
        return _draw_into(writer, self.source, self.name, 0.0, states, annotate, decode_side, 0,
                          (lambda: on_frames(1)) if on_frames is not None else (lambda: None))


def parallel_poses(source, model, jobs: int, *, duration_s: float, max_side: int | None = None,
                   overlap_s: float = OVERLAP_S, on_segment: Callable[[int], None] | None = None,
                   on_frames: Callable[[int], None] | None = None, name: str | None = None) -> list[PoseFrame]:
    """The poses of every frame of the video ``source`` (a path or its
    bytes), in time order, estimated in ``jobs`` processes with ``model`` (a
    bundle path or its bytes). ``on_segment(n)`` is called with each finished
    segment's frame count, ``on_frames(n)`` as frames are done. Errors (a
    corrupt clip, the model) are raised as in the sequential analysis."""
    with ParallelClip(source, model, plan_clip(source, duration_s, jobs, overlap_s, name=name), max_side=max_side,
                      name=name) as clip:
        return clip.poses(on_frames=on_frames, on_segment=on_segment)


__all__ = ["Segment", "plan_segments", "plan_clip", "parallel_poses", "ParallelClip", "resolve_jobs", "cpu_count",
           "OVERLAP_S", "MIN_SEGMENT_S", "SEEK_COST"]
