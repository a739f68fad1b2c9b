"""The live coach behind the app's "Live coach" page, without the UI.

The video component calls :meth:`LiveSession.process` from its own worker
thread, once per camera frame, and shows the annotated image it returns; the
page polls :meth:`LiveSession.snapshot` and :meth:`LiveSession.utterances_since`
a few times a second from another thread, and calls :meth:`configure`,
:meth:`stop`, :meth:`reset` and :meth:`close`. One lock guards the state; the
pose inference itself runs outside it, so polling never waits for a frame.

Phases::

    waiting --first frame--> setup --camera set up for setup_hold_s--> countdown
            --countdown_s--> [calibrating --calibrate_s-->] coaching --stop()--> stopped
            --reset()--> waiting

* setup: :func:`coach.camera_check.check_setup` on the raw frame; its message
  is the instruction shown and spoken; nothing is judged or counted;
* countdown: "3", "2", "1" at whole seconds, then "Go";
* calibrating (when ``calibrate_s`` > 0): the person holds their best form;
  :func:`coach.calibration.calibrate` turns those frames into their neutral
  reading and limits, which the coaching then uses (:attr:`LiveSession.calibration`);
  a refused calibration is said and shown, and the countdown starts again;
* coaching: every frame goes through a :class:`coach.engine.Engine` and a
  :class:`coach.analysis.ReportBuilder`; cues are spoken through an
  :class:`coach.speech.Announcer`, with "Target reached" and each finished rep
  ("Left, 3") as events.

Time comes only from the frame timestamps passed to :meth:`process` (the
processing time in :attr:`LiveSnapshot.process_ms` is a diagnostic, measured
with ``time.perf_counter``). Timestamps going back (a new camera stream) start
over at setup with a fresh engine.
"""
from __future__ import annotations

import copy
import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Mapping

import numpy as np

from pose_rules import get_rule
from pose_rules.base import CANT_SEE, NOT_IN_POSITION, Rule
from .analysis import ReportBuilder
from .annotate import GuideAnnotator, LiveHudAnnotator, SkeletonAnnotator
from .camera_check import check_setup
from .engine import Engine, EngineState
from .pose import PoseFrame
from .speech import COUNTDOWN, REP, SETUP, START, TARGET, Announcer, Utterance
from .thresholds import resolve

log = logging.getLogger(__name__)

WAITING, SETUP_PHASE, COUNTDOWN_PHASE, CALIBRATING, COACHING, STOPPED = (
    "waiting", "setup", "countdown", "calibrating", "coaching", "stopped")
PHASES = (WAITING, SETUP_PHASE, COUNTDOWN_PHASE, CALIBRATING, COACHING, STOPPED)

#: The frame rate in the snapshot is measured over this much frame time.
FPS_WINDOW_S = 2.0
#: The processing time in the snapshot is the mean over this many frames.
PROCESS_WINDOW = 30
_EPS = 1e-6


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows, as of the latest frame (read-only)."""

    exercise: str
    phase: str  # waiting | setup | countdown | calibrating | coaching | stopped
    message: str  # set-up instruction, countdown number ("3"), calibration instruction, or ""
    person: bool  # a person detected in the latest frame
    status: str | None  # engine status while coaching (good / fault / not_in_position / cant_see)
    cue: str | None
    side: str | None
    hold_s: float
    current_hold_s: float
    longest_hold_s: float
    hold_by_side: dict
    hold_target_s: float | None
    target_reached: bool
    reps: dict
    good_reps: dict
    rep_target: int | None
    key_measure: str | None  # rule.key_measures[0].name
    key_value: float | None  # its current value (None when unknown)
    t: float | None  # latest frame time
    frames: int
    frames_dropped: int
    fps: float  # processed frames per second over the last ~2 s of frame time
    process_ms: float  # mean processing time per frame over the last ~30 frames (diagnostics)
    processed_at: float | None = None  # wall-clock time the latest frame was done (diagnostics: display latency)
    error: str | None = None  # the pose estimator failed (could not start, or failed on the latest frame)
    calibration: dict | None = None  # the calibration in force (Calibration.to_dict()), if any
    calibration_error: str | None = None  # why the last calibration was refused


def _finite(v) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _check_seconds(name: str, v: float) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a number of seconds >= 0, got {v!r}")
    return float(v)


def _one_line(e: BaseException) -> str:
    return " ".join((str(e) or type(e).__name__).split())[:300]


class LiveSession:
    """One person's live coaching session (thread-safe; see the module docstring).

    estimator_factory: returns an object with ``.process(image_rgb, t) ->
        PoseFrame`` and ``.close()``; called lazily on the first
        :meth:`process` call (on the video thread) and reused afterwards.
    exercise, thresholds: as for the CLI (validated: ``UnknownExercise``,
        ``ThresholdError``).
    countdown_s: countdown after the camera is set up (0 = start at once).
    setup_hold_s: the set-up check must pass this long (frame time) before
        the countdown starts.
    calibrate_s: hold the best form this long after the countdown to
        calibrate the limits to the person (0 = no calibration step).
    """

    def __init__(self, estimator_factory: Callable[[], Any], exercise: str,
                 thresholds: Mapping[str, float] | None = None,
                 countdown_s: float = 3.0, setup_hold_s: float = 1.0, calibrate_s: float = 0.0):
        rule = get_rule(exercise)
        overrides = dict(thresholds or {})
        th = resolve(rule, overrides)
        self._countdown_s = _check_seconds("countdown_s", countdown_s)
        self._setup_hold_s = _check_seconds("setup_hold_s", setup_hold_s)
        self._calibrate_s = _check_seconds("calibrate_s", calibrate_s)
        self._calibration = None  # coach.calibration.Calibration in force
        self._calibration_dict: dict | None = None  # its to_dict(), for the snapshots
        self._calibration_error: str | None = None
        self._lock = threading.Lock()
        self._factory = estimator_factory
        self._estimator: Any = None
        self._estimator_failed = False  # the factory raised: no retry until reset()
        self._busy = 0  # process() calls using an estimator right now
        self._to_close: list = []  # estimators closed while in use: closed when the user is done
        self._generation = 0  # bumped by close()
        self._rule: Rule = rule
        self._overrides = overrides
        self._th = th
        self._announcer = Announcer()
        self._make_annotators()
        self._clear()

    # -- state helpers (call with the lock held) --------------------------------
    def _make_annotators(self) -> None:
        mv = self._th["min_visibility"]
        self._skeleton = SkeletonAnnotator(mv)
        self._guide = GuideAnnotator(self._rule, mv)
        self._hud = LiveHudAnnotator()

    def _clear(self) -> None:
        """Everything back to "waiting" (the estimator and settings are kept)."""
        self._phase = WAITING
        self._t: float | None = None
        self._frames = 0
        self._dropped = 0
        self._frame_times: deque[float] = deque()
        self._proc_times: deque[float] = deque(maxlen=PROCESS_WINDOW)
        self._processed_at: float | None = None
        self._person = False
        self._error: str | None = None
        self._restart_run(WAITING)

    def _restart_run(self, phase: str) -> None:
        """A fresh run from ``phase`` (no engine, no report yet)."""
        self._phase = phase
        self._engine: Engine | None = None
        self._report: ReportBuilder | None = None
        self._state: EngineState | None = None
        self._message = ""
        self._setup_since: float | None = None
        self._countdown_start: float | None = None
        self._countdown_said: int | None = None
        self._targets_said: set[str] = set()
        self._cal_frames: list[PoseFrame] = []
        self._cal_start: float | None = None

    def _start_countdown(self, t: float) -> None:
        self._phase = COUNTDOWN_PHASE
        self._countdown_start = t
        self._countdown_said = None
        self._message = ""

    def _start_calibrating(self, t: float) -> None:
        self._phase = CALIBRATING
        self._cal_frames = []
        self._cal_start = t
        self._message = f"Hold your best {self._rule.title.lower()}"
        self._announcer.event(t, self._message, START, "go")

    def _finish_calibrating(self, t: float) -> None:
        from .calibration import CalibrationError, calibrate

        try:
            cal = calibrate(self._cal_frames, self._rule, self._overrides, source="live camera",
                            min_seconds=max(0.5, 0.6 * self._calibrate_s))
        except CalibrationError as e:
            self._calibration_error = str(e)
            self._announcer.event(t, "Calibration did not work. Try again", SETUP, "tick")
            self._start_countdown(t)
            return
        self._calibration, self._calibration_dict, self._calibration_error = cal, cal.to_dict(), None
        self._th = resolve(self._rule, self._in_force())
        self._make_annotators()
        self._start_coaching(t)

    def _in_force(self) -> dict:
        """The overrides in force: the configured ones plus the calibration."""
        return {**self._overrides, **(self._calibration.values if self._calibration is not None else {})}

    def _start_coaching(self, t: float) -> None:
        self._phase = COACHING
        self._engine = Engine(self._rule, self._in_force())
        self._report = ReportBuilder(self._rule, self._engine.th, timeline=False)
        self._message = ""
        self._announcer.event(t, "Go", START, "go")

    def _step(self, frame: PoseFrame, t: float) -> tuple[EngineState | None, str]:
        """Phase logic for one frame. Returns the engine state (coaching) and
        the status to colour the raw skeleton with (other phases)."""
        if self._t is not None and t < self._t:  # a new stream: start over
            self._restart_run(SETUP_PHASE)
            self._frame_times.clear()
        self._t = t
        self._frames += 1
        ft = self._frame_times
        ft.append(t)
        while ft and ft[0] < t - FPS_WINDOW_S:
            ft.popleft()
        if self._phase == WAITING:
            self._phase = SETUP_PHASE

        self._person = frame.detected
        raw_status = NOT_IN_POSITION

        if self._phase == SETUP_PHASE:  # the camera check runs only until it has passed
            check = check_setup(self._rule, frame, self._th["min_visibility"])
            raw_status = NOT_IN_POSITION if check.ok else CANT_SEE
            self._message = check.message
            if check.ok:
                if self._setup_since is None:
                    self._setup_since = t
                if t - self._setup_since >= self._setup_hold_s - _EPS:
                    self._start_countdown(t)
            else:
                self._setup_since = None
            if self._phase == SETUP_PHASE:
                self._announcer.cue(t, None if check.ok else check.message, SETUP)

        if self._phase == COUNTDOWN_PHASE:
            remaining = self._countdown_s - (t - self._countdown_start)
            if remaining <= _EPS:
                if self._calibrate_s > 0 and self._calibration is None:
                    self._start_calibrating(t)
                else:
                    self._start_coaching(t)
            else:
                n = math.ceil(remaining - _EPS)
                if n != self._countdown_said:
                    self._countdown_said = n
                    self._announcer.event(t, str(n), COUNTDOWN, "tick")
                self._message = str(n)

        if self._phase == CALIBRATING:
            self._cal_frames.append(frame)
            left = self._calibrate_s - (t - self._cal_start)
            self._message = f"Hold your best {self._rule.title.lower()}: {max(0, math.ceil(left - _EPS))}"
            if left <= _EPS:
                self._finish_calibrating(t)

        if self._phase != COACHING:
            return None, raw_status

        st = self._engine.update(frame)
        self._report.add(frame, st)
        self._state = st
        if st.target_reached:
            key = (st.side or "both") if self._rule.hold_per_side else "both"
            if key not in self._targets_said:
                self._targets_said.add(key)
                self._announcer.event(t, "Target reached", TARGET, "done")
        rep = st.rep_completed
        if rep is not None:
            n = st.reps.get(rep.side, 0)
            self._announcer.event(t, f"{rep.label}, {n}" if rep.label else str(n), REP, "rep")
        self._announcer.cue(t, st.cue)
        return st, raw_status

    def _snapshot_locked(self) -> LiveSnapshot:
        rule, st = self._rule, self._state
        coaching = self._phase == COACHING
        km = rule.key_measures[0].name if rule.key_measures else None
        key_value = _finite(st.verdict.measures.get(km)) if (st is not None and km) else None
        rep_ex = rule.rep_thresholds is not None
        ft = self._frame_times
        span = ft[-1] - ft[0] if len(ft) >= 2 else 0.0
        fps = (len(ft) - 1) / span if span > 0 else 0.0
        proc = self._proc_times
        return LiveSnapshot(
            exercise=rule.name, phase=self._phase, message=self._message, person=self._person,
            status=st.status if (coaching and st is not None) else None,
            cue=st.cue if (coaching and st is not None) else None,
            side=st.side if st is not None else None,
            hold_s=st.hold_s if st is not None else 0.0,
            current_hold_s=st.current_hold_s if st is not None else 0.0,
            longest_hold_s=st.longest_hold_s if st is not None else 0.0,
            hold_by_side=dict(st.hold_by_side) if st is not None else {},
            hold_target_s=st.hold_target_s if st is not None else self._th.get("hold_target_s"),
            target_reached=bool(st.target_reached) if st is not None else False,
            reps=dict(st.reps) if st is not None else ({s: 0 for s in rule.rep_sides} if rep_ex else {}),
            good_reps=dict(st.good_reps) if st is not None else ({s: 0 for s in rule.rep_sides} if rep_ex else {}),
            rep_target=st.rep_target if st is not None else (int(self._th["rep_target"]) if rep_ex else None),
            key_measure=km, key_value=key_value, t=self._t, frames=self._frames,
            frames_dropped=self._dropped, fps=fps,
            process_ms=1000.0 * sum(proc) / len(proc) if proc else 0.0,
            error=self._error, processed_at=self._processed_at,
            calibration=self._calibration_dict,
            calibration_error=self._calibration_error,
        )

    def _summary_locked(self) -> dict:
        note = None
        if self._engine is None:
            engine = Engine(self._rule, self._in_force())
            builder = ReportBuilder(self._rule, engine.th, timeline=False)
            note = "coaching never started (the camera set-up or the countdown was not finished)"
        else:
            engine = self._engine
            # report() closes the open fault intervals: work on a copy so that
            # coaching can go on after a summary taken mid-session
            builder = copy.copy(self._report)
            builder.fault_open = dict(builder.fault_open)
            builder.fault_list = list(builder.fault_list)
            builder.fault_time = dict(builder.fault_time)
            builder.rows = []
        report = builder.report(engine)
        summary = dict(report["summary"])
        rule = engine.rule
        fault_time = summary.get("fault_time_s") or {}
        most = None
        if fault_time:
            name = max(fault_time, key=lambda k: (fault_time[k] or 0.0))
            most = {"fault": name, "cue": rule.fault(name).cue, "time_s": fault_time[name]}
        summary["exercise"] = rule.name
        summary["most_frequent_fault"] = most
        summary["faults"] = report["faults"]
        summary["note"] = note
        return summary

    # -- video thread ------------------------------------------------------------
    def process(self, image_rgb: np.ndarray, t: float) -> np.ndarray:
        """One camera frame (RGB uint8, (H, W, 3)) at frame time ``t`` seconds:
        estimator -> phase logic -> engine. Returns an annotated copy of the
        image (same size); after :meth:`stop` the image comes back as it was."""
        started = time.perf_counter()
        img = np.asarray(image_rgb)
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {img.shape} {img.dtype}")
        t = float(t)
        if not math.isfinite(t):
            raise ValueError(f"frame time must be a finite number of seconds, got {t!r}")

        with self._lock:
            if self._phase == STOPPED or self._estimator_failed:
                return img.copy()
            est, generation = self._estimator, self._generation
            self._busy += 1
        frame, error = None, None
        try:
            if est is None:
                try:
                    est = self._factory()
                except Exception as e:  # e.g. the model cannot be loaded: say so on the page
                    log.exception("pose estimator could not be started")
                    with self._lock:
                        self._estimator_failed = True
                        self._error = f"The pose estimator could not be started: {_one_line(e)}"
                    return img.copy()
                with self._lock:
                    if self._estimator is None and self._generation == generation:
                        self._estimator = est
                    else:  # close() came meanwhile: use it for this frame only
                        self._to_close.append(est)
            try:
                frame = est.process(img, t)
            except Exception as e:
                log.exception("pose estimation failed")
                error = f"Pose estimation failed: {_one_line(e)}"
        finally:
            with self._lock:
                self._busy -= 1
                closing = self._to_close if self._busy == 0 else []
                if closing:
                    self._to_close = []
            for e in closing:
                _close(e)

        out = img.copy(order="C")
        if frame is not None and frame.timestamp != t:
            frame = PoseFrame(frame.landmarks, frame.world, t, frame.image_size)
        with self._lock:
            if self._phase == STOPPED:
                return out
            if error is not None:
                self._error = error
                return out
            self._error = None
            st, raw_status = self._step(frame, t)
            snap = self._snapshot_locked()
            skeleton, guide, hud = self._skeleton, self._guide, self._hud
        # drawing needs no lock: the state and snapshot of THIS frame are immutable
        if st is not None:
            skeleton(out, st)
            guide(out, st)
        else:
            skeleton(out, SimpleNamespace(frame=frame, status=raw_status))
        hud(out, snap)
        with self._lock:
            self._proc_times.append(time.perf_counter() - started)
            self._processed_at = time.time()
        return out

    def note_dropped(self, n: int) -> None:
        """The caller skipped ``n`` older frames (the newest frame wins)."""
        with self._lock:
            self._dropped += max(0, int(n))

    # -- page thread ----------------------------------------------------------------
    @property
    def phase(self) -> str:
        with self._lock:
            return self._phase

    @property
    def thresholds(self) -> dict[str, float]:
        """All threshold values in force (defaults with the overrides applied)."""
        with self._lock:
            return dict(self._th)

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            return self._snapshot_locked()

    def utterances_since(self, last_id: int) -> list[Utterance]:
        """What to say (and beep) since utterance ``last_id``, oldest first. Ids
        keep increasing across :meth:`reset` within one session."""
        with self._lock:
            return self._announcer.since(last_id)

    @property
    def calibration(self):
        """The :class:`coach.calibration.Calibration` in force, or None."""
        with self._lock:
            return self._calibration

    def configure(self, exercise: str | None = None, thresholds: Mapping[str, float] | None = None,
                  countdown_s: float | None = None, calibrate_s: float | None = None) -> None:
        """Change the exercise, the threshold overrides (replacing the previous
        ones; a new exercise without ``thresholds`` starts from its defaults)
        or the countdown. A changed exercise or thresholds starts over at set-up
        (after :meth:`stop` the results stay until :meth:`reset`). Raises
        ``UnknownExercise`` / ``ThresholdError`` / ``ValueError`` and changes
        nothing when a value is invalid."""
        with self._lock:
            rule = get_rule(exercise) if exercise is not None else self._rule
            if thresholds is not None:
                overrides = dict(thresholds)
            elif rule is not self._rule:
                overrides = {}
            else:
                overrides = self._overrides
            th = resolve(rule, overrides)
            cd = _check_seconds("countdown_s", countdown_s) if countdown_s is not None else self._countdown_s
            cs = _check_seconds("calibrate_s", calibrate_s) if calibrate_s is not None else self._calibrate_s
            changed = rule is not self._rule or th != self._th or cs != self._calibrate_s
            self._rule, self._overrides, self._th, self._countdown_s = rule, overrides, th, cd
            self._calibrate_s = cs
            if changed:
                self._calibration, self._calibration_dict, self._calibration_error = None, None, None
                self._make_annotators()
                if self._phase in (SETUP_PHASE, COUNTDOWN_PHASE, COACHING):
                    self._restart_run(SETUP_PHASE)

    def stop(self) -> dict:
        """End the session: phase "stopped"; returns :meth:`summary`. Later
        :meth:`process` calls return the image untouched until :meth:`reset`."""
        with self._lock:
            self._phase = STOPPED
            self._message = ""
            return self._summary_locked()

    def reset(self) -> None:
        """Back to "waiting" with a fresh engine, announcer and report; keeps
        the estimator (and retries starting it if that failed)."""
        with self._lock:
            self._announcer = Announcer(self._announcer.repeat_s, self._announcer.min_gap_s,
                                        first_id=self._announcer.next_id)
            self._estimator_failed = False
            self._clear()

    def summary(self) -> dict:
        """The report's summary (see :mod:`coach.analysis`) plus ``exercise``,
        ``most_frequent_fault`` ({fault, cue, time_s} with the most fault time,
        or None), ``faults`` (the fault intervals) and ``note`` (None, or why
        there is nothing: coaching never started)."""
        with self._lock:
            return self._summary_locked()

    def close(self) -> None:
        """Close the estimator (a frame being processed finishes first; a later
        :meth:`process` call starts a new one)."""
        with self._lock:
            est, self._estimator = self._estimator, None
            self._generation += 1
            if est is not None and self._busy:
                self._to_close.append(est)
                est = None
        if est is not None:
            _close(est)


def _close(est) -> None:
    try:
        est.close()
    except Exception:  # closing must not take the page down
        log.exception("closing the pose estimator failed")


__all__ = ["LiveSession", "LiveSnapshot", "PHASES", "FPS_WINDOW_S", "PROCESS_WINDOW"]
