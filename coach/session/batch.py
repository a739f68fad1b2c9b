"""Folders of clips: ``coach analyze DIR_OR_GLOB -e EXERCISE --jobs N``.

Every clip of a folder (its video files and ``.npz`` landmark tracks, not its
subfolders) or of a glob pattern (``'clips/**/*.mp4'`` recurses) is analysed
as ``coach analyze CLIP --jobs 1`` would analyse it alone: one process per
clip, the clip's frames in order, a landmarker of its own (a fresh one per
clip: MediaPipe's tracking must not carry over from the last clip). With many
clips, whole clips in parallel use the cores better than segments of one clip
(no warm-up overlap, no stitching), so ``jobs`` worker processes (spawned,
each reading the model once) take the clips one after another.

A clip that cannot be analysed (not a video, corrupt, unreadable, nobody in
it) is reported on one line and the others go on. The results come back as
:class:`ClipResult` (one per clip, in input order): the rows of the summary
table, CSV and JSON, and optionally each clip's full report
(:meth:`coach.engine.report.Report.to_dict`).

The same clips can run as Ray tasks (:func:`run_ray`, ``--ray ADDRESS``): one
task per clip (``num_cpus=1``) reading the file by its absolute path, so the
path must be visible to every Ray worker (shared storage, the same mount
point), and ``back-coach`` must be installed on them; the model's bytes are
sent once (``ray.put``). The tasks report their progress through a Ray queue
(an actor without CPUs) that the driver reads a few times a second, so the
bars are those of a local run.
"""
from __future__ import annotations

import csv
import glob
import io
import json
import math
import multiprocessing
import os
import signal
import sys
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Callable, Mapping, Sequence

#: The files of a folder that are analysed (besides ``.npz`` tracks); hidden files are not.
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".3gp", ".ts", ".mts")
TRACK_SUFFIX = ".npz"
#: Summary files by extension.
SUMMARY_SUFFIXES = (".csv", ".json")
SUMMARY_VERSION = 1

#: Exit statuses of a folder run.
EXIT_OK, EXIT_SOME_FAILED, EXIT_NOTHING_DONE = 0, 1, 2

OK, FAILED, NO_PERSON = "ok", "failed", "no person"

#: A clip whose worker process died (a crash, out of memory) while it ran is
#: tried this many times in all before it is reported as failed.
ATTEMPTS = 2


class BatchError(ValueError):
    """Nothing can be done (no clips, a bad option); one line for the user."""


# ----------------------------------------------------------------------------- the clips

def _has_magic(spec: str) -> bool:
    return any(c in spec for c in "*?[")


def is_many(spec: str | None) -> bool:
    """Whether ``spec`` names several clips: a folder, or a glob pattern that
    is not itself the name of a file."""
    if not spec:
        return False
    p = Path(spec)
    if p.is_dir():
        return True
    return not p.exists() and _has_magic(spec)


def is_clip(path: Path) -> bool:
    """A file a folder run analyses: a video, a photo or a landmark track (not a hidden file)."""
    from coach.media.video import STILL_SUFFIXES

    return not path.name.startswith(".") and path.suffix.lower() in VIDEO_SUFFIXES + STILL_SUFFIXES + (TRACK_SUFFIX,)


def expand(specs: Sequence[str]) -> list[Path]:
    """The clips ``specs`` name, in order, each once: a folder gives its video
    files, photos and tracks (sorted by name, not recursive, hidden files left out); a
    glob pattern every file it matches (sorted; ``**`` recurses); a file
    itself. Raises :class:`BatchError` when a folder has no clip or a pattern
    matches no file."""
    out: list[Path] = []
    seen: set[str] = set()

    def add(p: Path) -> None:
        try:
            key = str(p.resolve())
        except (OSError, RuntimeError):
            key = str(p)
        if key not in seen:
            seen.add(key)
            out.append(p)

    for spec in specs:
        p = Path(spec)
        if p.is_dir():
            try:
                names = sorted(os.listdir(p))
            except OSError as e:
                raise BatchError(f"{spec}: cannot list the folder ({e.strerror or e})") from None
            found = [p / n for n in names if is_clip(p / n) and (p / n).is_file()]
            if not found:
                from coach.media.video import STILL_SUFFIXES

                raise BatchError(f"{spec}: no video files ({', '.join(VIDEO_SUFFIXES[:6])}, ...), photos "
                                 f"({', '.join(STILL_SUFFIXES)}) or landmark tracks (.npz) in this folder "
                                 f"(subfolders are not searched; "
                                 f"use a pattern such as '{p / '**' / '*.mp4'}')")
            for f in found:
                add(f)
        elif not p.exists() and _has_magic(spec):
            found = [Path(m) for m in sorted(glob.glob(spec, recursive=True)) if Path(m).is_file()]
            if not found:
                raise BatchError(f"no files match {spec!r}")
            for f in found:
                add(f)
        elif not p.exists():
            raise BatchError(f"{spec}: no such file")
        else:
            add(p)
    return out


def report_names(paths: Sequence[Path], json_dir: str | Path) -> list[Path]:
    """Where ``--json-dir`` puts each clip's report: ``DIR/<file name>.json``
    (``-2``, ``-3`` ... added when two clips share a name)."""
    taken: set[str] = set()
    out = []
    for p in paths:
        base, name, n = p.name, f"{p.name}.json", 1
        while name.lower() in taken:
            n += 1
            name = f"{base}-{n}.json"
        taken.add(name.lower())
        out.append(Path(json_dir) / name)
    return out


# ----------------------------------------------------------------------------- one clip (in a worker)

@dataclass(frozen=True)
class Options:
    """How every clip is analysed (picklable: it goes to the workers).
    ``exercise`` None: a track's own recorded exercise. ``profile``: the
    --thresholds file's values by exercise. ``model_label``: the report's
    ``model`` for videos (as ``coach analyze`` writes it)."""

    exercise: str | None = None
    target: str | None = None
    profile: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    max_side: int | None = None
    model_label: str | None = None
    full_report: bool = False


@dataclass
class ClipResult:
    """One clip's outcome, as the summary shows it."""

    file: str
    status: str = OK  # OK, FAILED or NO_PERSON
    error: str | None = None
    exercise: str | None = None
    duration_s: float | None = None
    frames: int | None = None
    frames_with_person: int | None = None
    time_in_position_s: float | None = None
    goal: dict | None = None  # the report's summary.goal (Progress.to_dict())
    good_form_pct: float | None = None  # of the frames judged in position, those in good form
    fault_time_s: dict = field(default_factory=dict)
    analysis_s: float = 0.0  # wall time of the analysis
    warnings: list = field(default_factory=list)
    report: dict | None = None  # the full report (Options.full_report)
    still_faults: list | None = None  # a photo: its faults as judged, most important first

    @property
    def ok(self) -> bool:
        return self.status == OK

    def main_faults(self, n: int = 3) -> list[tuple[str, float | None]]:
        """The faults with the most time (None: a photo's faults, which have no time)."""
        if self.still_faults is not None:
            return [(f, None) for f in self.still_faults[:n]]
        return sorted(self.fault_time_s.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def row(self) -> dict:
        """The summary row (JSON; the CSV flattens ``done``, ``good``, ``fault_time_s``)."""
        g = self.goal or {}
        main = self.main_faults(1)
        return {"file": self.file, "status": self.status, "exercise": self.exercise,
                "duration_s": _round(self.duration_s, 2), "frames": self.frames,
                "frames_with_person": self.frames_with_person,
                "time_in_position_s": _round(self.time_in_position_s, 2),
                "result": g.get("text"), "kind": g.get("kind"), "unit": g.get("unit"), "total": g.get("total"),
                "done": g.get("done"), "good": g.get("good"), "target": g.get("target"), "reached": g.get("reached"),
                "good_form_pct": _round(self.good_form_pct, 1), "main_fault": main[0][0] if main else None,
                "fault_time_s": {k: _round(v, 2) for k, v in sorted(self.fault_time_s.items())},
                "photo_faults": None if self.still_faults is None else "; ".join(self.still_faults),
                "error": self.error, "analysis_s": _round(self.analysis_s, 2)}


def _round(x, nd):
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


#: Errors whose message is written for the user (the others get their type in front).
_USER_ERRORS = ("VideoError", "TrackError", "ThresholdError", "ModelError", "DamagedModelError", "UnknownExercise",
                "ValueError")


def _reason(exc: BaseException | Warning, path: str, name: str | None = None) -> str:
    """An error (or a warning) as one line, without the clip's name in front
    (the skip line names it) and with ``name`` for the path elsewhere."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for prefix in dict.fromkeys(p for p in (path, name, Path(path).name) if p):
        if text.startswith(f"{prefix}: "):
            text = text[len(prefix) + 2:]
            break
        if text.startswith(f"{prefix} is "):  # "X is not a landmark track (...)"
            text = text[len(prefix) + 4:]
            break
    if name and path != name:
        text = text.replace(path, name)
    if isinstance(exc, Warning) or type(exc).__name__ in _USER_ERRORS:
        return text
    return f"{type(exc).__name__}: {text}"


class _Ticker:
    """Sends a clip's progress (frames done) to the driver a few times a second."""

    def __init__(self, queue, key, every_s: float = 0.25):
        self.queue, self.key, self.every = queue, key, every_s
        self.n, self.last = 0, time.monotonic()

    def send(self, kind: str, value: int = 0) -> None:
        if self.queue is not None:
            try:
                self.queue.put((self.key, kind, value))
            except Exception:  # the driver (or Ray's queue actor) went away: progress is only news
                self.queue = None

    def frame(self) -> None:
        self.n += 1
        now = time.monotonic()
        if now - self.last >= self.every:
            self.send("frames", self.n)
            self.n, self.last = 0, now

    def flush(self) -> None:
        if self.n:
            self.send("frames", self.n)
            self.n = 0


def analyse_clip(path: str, opts: Options, model=None, progress=None, key=None, name: str | None = None) -> ClipResult:
    """Analyse one clip (a video file or a track) as ``coach analyze`` does
    with one process; never raises for a bad clip: the result says why.
    ``model``: the pose model (a bundle path or its bytes; not needed for
    tracks). ``progress``: a queue that gets ``(key, "begin", 0)``, ``(key, "start", frames)``,
    ``(key, "frames", n)`` and ``(key, "end", 0)``. ``name``: the clip as the
    report and the summary call it (default ``path``)."""
    name = name or path
    t0 = time.monotonic()
    ticker = _Ticker(progress, key)
    ticker.send("begin")
    res = ClipResult(file=name)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.simplefilter("ignore", DeprecationWarning)
            _analyse(path, name, opts, model, ticker, res)
        res.warnings = [_reason(w.message, path, name) for w in caught]
    except Exception as e:  # a bad clip: reported, the others go on
        res.status, res.error = FAILED, _reason(e, path, name)
    finally:
        ticker.flush()
        ticker.send("end")
    res.analysis_s = time.monotonic() - t0
    return res


def _analyse(path: str, name: str, opts: Options, model, ticker: _Ticker, res: ClipResult) -> None:
    import pose_rules
    from pose_rules.base import FAULT, GOOD

    from coach.session.loop import CallbackSink, Session, run

    track = None
    if path.lower().endswith(TRACK_SUFFIX):
        from coach.core.pose import PoseTrack

        track = PoseTrack.load(path)
    exercise = opts.exercise or (track.meta.get("exercise") if track is not None else None)
    if not exercise:
        raise ValueError("no exercise: give --exercise" + (" (the track has none recorded)" if track else ""))
    rule = pose_rules.get_rule(exercise)
    overrides = {**dict(opts.profile.get(rule.name, {})), **rule.target(opts.target)}
    rule.resolve(overrides)  # a bad value: ThresholdError, one line
    res.exercise = rule.name
    if track is not None:
        from coach.session.sources import track_frames

        frames, total, label = track_frames(track), len(track), track.meta.get("model")
    else:
        from coach.media.video import probe
        from coach.session.sources import video_frames

        if model is None:
            raise ValueError("no pose model given")
        info = probe(path, name=Path(name).name)  # a corrupt file fails here, before the model loads
        total, label = info.frame_count, opts.model_label
        if rule.judge_fps and info.fps and info.frame_count:  # the frames judged
            total = max(1, math.ceil(info.frame_count * min(info.fps, rule.judge_fps) / info.fps))
        frames = video_frames(path, model, max_side=opts.max_side, name=Path(name).name, max_fps=rule.judge_fps)
    ticker.send("start", int(total or 0))
    counts = {"in position": 0, "good": 0}  # frames judged in position, and those with no fault shown

    def seen(item) -> None:
        st = item.state
        if st.status in (GOOD, FAULT):
            counts["in position"] += 1
            counts["good"] += not st.faults
        ticker.frame()

    session = Session(rule, overrides, source=name, model=label, timeline=opts.full_report,
                      sinks=[CallbackSink(seen)])
    report = run(frames, session)
    s = report.summary
    judged = counts["in position"]
    res.duration_s, res.frames, res.frames_with_person = s.duration_s, s.frames, s.frames_with_person
    res.time_in_position_s = s.time_in_position_s
    res.goal = report.progress.to_dict()
    res.good_form_pct = 100.0 * counts["good"] / judged if (judged and rule.judged) else None
    res.fault_time_s = dict(s.fault_time_s)
    own = report.progress.goal.judged_form(report.progress)  # a goal that judges form itself (the desk)
    if own is not None:
        res.good_form_pct, res.fault_time_s = own[0], dict(own[1])
    if s.still and rule.judged:  # a photo: its verdict, not a time
        status, res.still_faults, res.fault_time_s = s.still["status"], list(s.still["faults"]), {}
        res.good_form_pct = 100.0 if status == GOOD else 0.0 if status == FAULT else None
        if own is None:
            from coach.engine.report import still_words

            res.goal = {**res.goal, "text": still_words(s.still, rule)}
    if opts.full_report:
        res.report = report.to_dict()
    if s.frames == 0:
        res.status, res.error = FAILED, "no frames could be read"
    elif s.frames_with_person == 0:
        res.status, res.error = NO_PERSON, s.note or "no person was found"


# ----------------------------------------------------------------------------- progress on the terminal

class Progress:
    """One bar for all the clips (clips done of all, frames so far) and one
    bar per clip being analysed, on stderr; ``enabled`` False: none (the
    lines of :meth:`line` are still printed)."""

    def __init__(self, n_clips: int, enabled: bool, slots: int):
        from tqdm import tqdm

        self._tqdm = tqdm
        self.enabled = enabled
        self.frames = 0
        self.overall = tqdm(total=n_clips, desc="clips", unit="clip", position=0, file=sys.stderr,
                            dynamic_ncols=True, disable=not enabled, leave=False)
        self.bars: dict = {}
        self.free = list(range(1, max(1, slots) + 1))
        self.names: dict = {}
        self.counted: dict = {}  # frames counted so far, by running clip
        self.finished: set = set()

    def name(self, key, name: str) -> None:
        self.names[key] = name

    def start(self, key, total: int) -> None:
        if not self.enabled or key in self.bars or key in self.finished:
            return
        pos = self.free.pop(0) if self.free else len(self.bars) + 1
        label = Path(self.names.get(key, str(key))).name
        label = label if len(label) <= 24 else label[:21] + "..."
        self.bars[key] = (self._tqdm(total=total or None, desc=label, unit="frame", position=pos, file=sys.stderr,
                                     dynamic_ncols=True, leave=False), pos)

    def _count(self, n: int) -> None:
        self.frames += n
        if self.enabled and n:
            self.overall.set_postfix_str(f"{self.frames} frames")

    def advance(self, key, n: int) -> None:
        if key in self.finished:
            return  # news from a clip already counted
        self.counted[key] = self.counted.get(key, 0) + n
        self._count(n)
        if key in self.bars:
            self.bars[key][0].update(n)

    def end(self, key) -> None:
        bar = self.bars.pop(key, None)
        if bar is not None:
            bar[0].close()
            self.free.append(bar[1])
            self.free.sort()

    def retry(self, key) -> None:
        """A clip starts again (its worker died): what it counted is taken back."""
        self.end(key)
        self._count(-self.counted.pop(key, 0))

    def clip_done(self, key, frames: int) -> None:
        """A clip is finished with ``frames`` frames judged (its bar goes; the frames not yet counted are)."""
        self.end(key)
        self.finished.add(key)
        self._count(max(0, frames - self.counted.pop(key, 0)))
        self.overall.update(1)

    def event(self, key, kind: str, value: int) -> None:
        if kind == "begin":
            if key in self.counted or key in self.bars:  # started again (a retried task): take back its count
                self.retry(key)
        elif kind == "start":
            self.start(key, value)
        elif kind == "frames":
            self.advance(key, value)
        elif kind == "end":
            self.end(key)

    def line(self, text: str) -> None:
        self._tqdm.write(text, file=sys.stderr)

    def close(self) -> None:
        for key in list(self.bars):
            self.end(key)
        self.overall.close()


# ----------------------------------------------------------------------------- local worker processes

_WORKER: dict = {}


def _init_worker(queue, model_path: str | None) -> None:
    """A worker process: Ctrl-C is the driver's to handle (it stops the
    workers), the model is read on the first video."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER.update(queue=queue, model_path=model_path, model=None)
    queue.put((None, "pid", os.getpid()))


def _worker_task(key: int, path: str, name: str, opts: Options) -> ClipResult:
    model = None
    if not path.lower().endswith(TRACK_SUFFIX) and _WORKER.get("model_path"):
        if _WORKER["model"] is None:
            try:
                _WORKER["model"] = Path(_WORKER["model_path"]).read_bytes()
            except OSError as e:
                return ClipResult(name, FAILED, f"cannot read the pose model: {e.strerror or e}")
        model = _WORKER["model"]
    return analyse_clip(path, opts, model, _WORKER.get("queue"), key, name)


OnResult = Callable[[int, ClipResult], None]


def run_local(paths: Sequence[Path], opts: Options, model_path: str | None, jobs: int,
              progress: Progress, on_result: OnResult) -> None:
    """Analyse ``paths`` in ``jobs`` spawned worker processes; ``on_result(i,
    result)`` for each clip as it finishes. Ctrl-C (KeyboardInterrupt) stops
    the workers and is raised."""
    ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads
    queue = ctx.Queue()
    attempts = [0] * len(paths)
    todo = list(range(len(paths)))
    pids: set[int] = set()
    try:
        rounds = 0
        while todo:
            rounds += 1
            if rounds > ATTEMPTS * len(paths) + 1:  # never forever, whatever breaks the pools
                for i in todo:
                    progress.clip_done(i, 0)
                    on_result(i, ClipResult(str(paths[i]), FAILED, "the worker processes kept stopping"))
                break
            todo = _local_round(ctx, queue, paths, todo, opts, model_path, jobs, progress, on_result, attempts, pids)
    finally:
        queue.close()
        queue.cancel_join_thread()


def _local_round(ctx, queue, paths, todo, opts, model_path, jobs, progress, on_result, attempts, pids) -> list[int]:
    """Run the clips ``todo`` in one pool; returns those to run again (the
    pool broke: a worker died) ."""
    started: set[int] = set()
    again: list[int] = []
    delivered = 0

    def drain() -> None:
        while True:
            try:
                key, kind, value = queue.get_nowait()
            except Empty:
                return
            except (OSError, ValueError, EOFError):
                return
            if kind == "pid":
                pids.add(value)
                continue
            if kind == "begin":
                started.add(key)
            progress.event(key, kind, value)

    pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo))), mp_context=ctx,
                               initializer=_init_worker, initargs=(queue, model_path))
    futures = {}
    try:
        for i in todo:
            progress.name(i, str(paths[i]))
            futures[pool.submit(_worker_task, i, str(Path(paths[i]).absolute()), str(paths[i]), opts)] = i
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            drain()
            for fut in sorted(done, key=lambda f: futures[f]):
                i = futures[fut]
                try:
                    res = fut.result()
                except BrokenProcessPool:
                    if i in started:
                        attempts[i] += 1
                    if attempts[i] >= ATTEMPTS:
                        res = ClipResult(str(paths[i]), FAILED, "the process analysing it stopped unexpectedly "
                                                                "(a crash or out of memory)")
                    else:
                        progress.retry(i)
                        again.append(i)
                        if i in started:
                            progress.line(f"coach: warning: the process analysing {paths[i]} stopped unexpectedly "
                                          "(a crash or out of memory?); analysing it again")
                        continue
                except Exception as e:  # e.g. a result that cannot be sent back
                    res = ClipResult(str(paths[i]), FAILED, _reason(e, str(paths[i])))
                delivered += 1
                progress.clip_done(i, res.frames or 0)
                on_result(i, res)
        drain()
        if again and not delivered and not started:  # the pool broke before any clip began
            for i in again:
                progress.clip_done(i, 0)
                on_result(i, ClipResult(str(paths[i]), FAILED, "the worker processes could not start"))
            again = []
    except BaseException:
        # The pool's own thread cancels what has not begun (cancel_futures),
        # not this one: a future cancelled here and then failed by that thread
        # when it sees a worker gone (Python 3.11's terminate_broken) is an
        # InvalidStateError traceback from the pool's thread. Whichever the
        # pool's thread sees first, the shutdown or a worker gone, is safe.
        pool.shutdown(wait=False, cancel_futures=True)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        raise
    pool.shutdown(wait=True)
    pids.clear()
    return sorted(again)


# ----------------------------------------------------------------------------- Ray

RAY_INSTALL = "pip install 'back-coach[ray]' (or: pip install 'ray>=2.9')"


def import_ray():
    """Ray, or a :class:`BatchError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise BatchError(f"--ray needs Ray, which is not installed: {RAY_INSTALL}") from None
    return ray


def run_ray(paths: Sequence[Path], opts: Options, model_path: str | None, address: str, jobs: int,
            progress: Progress, on_result: OnResult) -> None:
    """Analyse ``paths`` as Ray tasks (one a clip, ``num_cpus=1``).
    ``address``: ``local`` starts a Ray instance on this machine with
    ``jobs`` CPUs (stopped at the end); anything else is given to
    ``ray.init(address=...)`` (``auto``: the cluster this machine belongs
    to; ``ray://HOST:10001``: Ray Client). Each task reads its clip by its
    absolute path (shared storage)."""
    import logging

    ray = import_ray()
    kw = dict(include_dashboard=False) if address == "local" else {}
    if address == "local":
        kw["num_cpus"] = max(1, jobs)
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR, **kw)
    except Exception as e:  # ConnectionError, ValueError, RuntimeError...
        raise BatchError(f"--ray {address}: cannot start or reach Ray ({_reason(e, '')})") from None
    try:
        model_ref = None
        if model_path and any(not str(p).lower().endswith(TRACK_SUFFIX) for p in paths):
            model_ref = ray.put(Path(model_path).read_bytes())  # once, shared by every task
        events = _ray_events() if progress.enabled else None
        task = ray.remote(num_cpus=1, max_retries=ATTEMPTS - 1)(analyse_clip)
        refs = {}
        for i, p in enumerate(paths):
            progress.name(i, str(p))
            refs[task.remote(str(Path(p).absolute()), opts, model_ref, events, i, str(p))] = i
        pending = list(refs)
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1, timeout=0.25)
                events = _drain_ray_events(events, progress)
                for ref in ready:
                    i = refs[ref]
                    try:
                        res = ray.get(ref)
                    except Exception as e:  # the task's worker died, the node went away...
                        res = ClipResult(str(paths[i]), FAILED, f"Ray: {_reason(e, str(paths[i]))}")
                    progress.clip_done(i, res.frames or 0)
                    on_result(i, res)
        except BaseException:
            for ref in pending:
                try:
                    ray.cancel(ref, force=True)
                except Exception:
                    pass
            raise
    finally:
        ray.shutdown()


def _ray_events():
    """A Ray queue for the tasks' progress (its actor asks for no CPU, so it
    takes no clip's place); None when it cannot be made (no bars then)."""
    try:
        from ray.util.queue import Queue

        return Queue(actor_options={"num_cpus": 0})
    except Exception:
        return None


def _drain_ray_events(events, progress: Progress):
    """Hand the tasks' news so far to the bars; returns the queue, or None once
    it fails (the bars stop; the clips go on)."""
    if events is None:
        return None
    try:
        n = events.qsize()
        for key, kind, value in (events.get_nowait_batch(n) if n else ()):
            progress.event(key, kind, value)
        return events
    except Exception:
        return None


# ----------------------------------------------------------------------------- the whole run

@dataclass
class BatchOutcome:
    results: list[ClipResult]
    wall_s: float

    @property
    def failed(self) -> list[ClipResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_status(self) -> int:
        """0: every clip analysed; 1: some failed; 2: none could be analysed."""
        if not self.failed:
            return EXIT_OK
        return EXIT_NOTHING_DONE if len(self.failed) == len(self.results) else EXIT_SOME_FAILED

    def totals(self) -> dict:
        ok = [r for r in self.results if r.ok]
        return {"clips": len(self.results), "analysed": len(ok), "failed": len(self.results) - len(ok),
                "frames": sum(r.frames or 0 for r in self.results),
                "duration_s": _round(sum(r.duration_s or 0.0 for r in self.results), 2),
                "wall_s": _round(self.wall_s, 2)}


def run_batch(paths: Sequence[Path], opts: Options, model_path: str | None, *, jobs: int, ray_address: str | None,
              show_progress: bool, json_dir: str | Path | None = None,
              on_report: Callable[[Path, dict], None] | None = None) -> BatchOutcome:
    """Analyse every clip; prints ``coach: skipped X: why`` (stderr) as clips
    fail. ``on_report(dest, report_dict)``: each clip's full report, written
    by the caller into ``json_dir`` as it comes (``opts.full_report``)."""
    results: list[ClipResult | None] = [None] * len(paths)
    names = report_names(paths, json_dir) if json_dir is not None else None
    if not ray_address:  # bar rows for the clips at work: one per worker process,
        slots = max(1, min(jobs, len(paths)))
    elif ray_address == "local":  # one per CPU of the local Ray instance,
        slots = max(1, jobs)
    else:  # none set aside on a cluster, whose count is not known here
        slots = 0
    progress = Progress(len(paths), show_progress, slots)
    t0 = time.monotonic()

    def on_result(i: int, res: ClipResult) -> None:
        results[i] = res
        for w in res.warnings:
            progress.line(f"coach: warning: {res.file}: {w}")
        if not res.ok:
            progress.line(f"coach: skipped {res.file}: {res.error}")
        if res.report is not None and names is not None and on_report is not None:
            on_report(names[i], res.report)
            res.report = None  # written: not kept for thousands of clips

    try:
        if ray_address:
            run_ray(paths, opts, model_path, ray_address, jobs, progress, on_result)
        else:
            run_local(paths, opts, model_path, jobs, progress, on_result)
    finally:
        progress.close()
    return BatchOutcome([r for r in results if r is not None], time.monotonic() - t0)


# ----------------------------------------------------------------------------- the summary

def _num(x, unit: str = "", nd: int = 1) -> str:
    return "-" if x is None else f"{x:.{nd}f}{unit}"


def format_table(outcome: BatchOutcome) -> str:
    """The summary table: a row per clip, then the totals."""
    head = ("file", "status", "duration", "frames", "result", "good form", "main faults")
    rows = []
    for r in outcome.results:
        if r.ok or r.status == NO_PERSON:
            faults = ", ".join(k if v is None else f"{k} {v:.1f} s" for k, v in r.main_faults()) or (
                "none" if r.ok else "")
            result = (r.goal or {}).get("text") or "-"
            if r.status == NO_PERSON:
                result, faults = r.error or "no person", ""
            rows.append((r.file, r.status, _num(r.duration_s, " s"), str(r.frames), result,
                         _num(r.good_form_pct, " %", 0), faults))
        else:
            rows.append((r.file, r.status, "-", "-", "-", "-", r.error or ""))
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    widths[4] = min(widths[4], 48)
    right = {2, 3, 5}

    def fmt(row) -> str:
        cells = []
        for i, c in enumerate(row):
            if i == len(row) - 1:
                cells.append(c)
            elif i == 4 and len(c) > widths[4]:
                cells.append(c[:widths[4] - 3] + "...")
            else:
                cells.append(c.rjust(widths[i]) if i in right else c.ljust(widths[i]))
        return "  ".join(cells).rstrip()

    t = outcome.totals()
    lines = [fmt(head)] + [fmt(row) for row in rows]
    lines.append(f"{t['clips']} clip{'' if t['clips'] == 1 else 's'}: {t['analysed']} analysed, {t['failed']} "
                 f"failed; {t['duration_s']:.1f} s of video, {t['frames']} frames in {t['wall_s']:.1f} s")
    return "\n".join(lines)


CSV_COLUMNS = ("file", "status", "exercise", "duration_s", "frames", "frames_with_person", "time_in_position_s",
               "result", "kind", "unit", "total", "done", "good", "target", "reached", "good_form_pct", "main_fault",
               "fault_time_s", "photo_faults", "error", "analysis_s")


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dict):  # {"left": 1, "right": 2} -> "left=1; right=2"
        return "; ".join(f"{k}={_cell(x)}" for k, x in v.items())
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(v)
    return str(v)


def summary_csv(outcome: BatchOutcome) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in outcome.results:
        row = r.row()
        w.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return buf.getvalue()


def summary_dict(outcome: BatchOutcome, options: Options | None = None) -> dict:
    return {"summary_version": SUMMARY_VERSION,
            "exercise": options.exercise if options is not None else None,
            "totals": outcome.totals(), "clips": [r.row() for r in outcome.results]}


def summary_text(outcome: BatchOutcome, dest: str | Path, options: Options | None = None) -> str:
    """The summary file's text for ``dest``'s extension (.csv or .json)."""
    if str(dest).lower().endswith(".csv"):
        return summary_csv(outcome)
    return json.dumps(summary_dict(outcome, options), indent=1, allow_nan=False) + "\n"


def check_summary_name(dest: str) -> None:
    if not str(dest).lower().endswith(SUMMARY_SUFFIXES):
        raise BatchError(f"--summary {dest}: give a file ending in .csv or .json")


__all__ = ["BatchError", "ClipResult", "Options", "BatchOutcome", "Progress", "is_many", "is_clip", "expand",
           "report_names", "analyse_clip", "run_local", "run_ray", "run_batch", "import_ray", "format_table",
           "summary_csv", "summary_dict", "summary_text", "check_summary_name", "VIDEO_SUFFIXES", "EXIT_OK",
           "EXIT_SOME_FAILED", "EXIT_NOTHING_DONE"]
