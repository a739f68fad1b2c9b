"""The live coach behind the app's "Live coach" page, without the UI.

The video component calls :meth:`LiveSession.process` from its own worker
thread, once per camera frame, and shows the annotated image it returns; the
page polls :meth:`LiveSession.snapshot` and :meth:`LiveSession.utterances_since`
a few times a second from another thread, and calls :meth:`configure`,
:meth:`stop`, :meth:`reset` and :meth:`close`. One lock guards the state; the
pose inference itself runs outside it, so polling never waits for a frame.

This class owns the threads, the pose estimator, the speech queue and the
pictures; the phases (camera set-up, countdown, calibration, coaching) are a
:class:`coach.session.phases.LiveRun`, and the coaching itself is the session
loop (:class:`coach.session.loop.Session`), as for a clip.

Time: the frame timestamps passed to :meth:`process`, under the time policy
of :mod:`coach.core.timing`: a frame not later than the last one is dropped
(nothing is reset); :meth:`reset` (a new camera stream: the page calls it on
START) starts a new clock and a new pose-estimator timeline. The processing
time in :attr:`LiveSnapshot.process_ms` is a diagnostic (``time.perf_counter``).
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Mapping

import numpy as np

from coach.core.pose import PoseFrame
from coach.core.timing import FrameClock, RateLimit
from coach.engine.hud import COACHING, PHASES, STOPPED, WAITING, HudView, phase_view
from coach.engine.report import Report
from coach.media.annotate import GuideAnnotator, HudAnnotator, SkeletonAnnotator
from pose_rules import get_rule
from pose_rules.base import Rule
from pose_rules.goals import Progress

from .phases import LiveRun
from .speech import Announcer, Utterance

log = logging.getLogger(__name__)

#: The frame rate in the snapshot is measured over this much frame time.
FPS_WINDOW_S = 2.0
#: The processing time in the snapshot is the mean over this many frames.
PROCESS_WINDOW = 30


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows, as of the latest frame (read-only)."""

    exercise: str
    phase: str  # one of coach.engine.hud.PHASES
    hud: HudView  # what to show, in words (the video overlay draws the same view)
    progress: Progress  # the goal's count so far
    person: bool  # a person detected in the latest frame
    status: str | None  # engine status while coaching (good / fault / not_in_position / cant_see)
    cue: str | None
    side: str | None
    key_measure: str | None  # rule.key_measures[0].name
    key_value: float | None  # its current value (None when unknown)
    t: float | None  # latest frame time
    frames: int
    frames_dropped: int  # skipped to keep up, or dropped by the time policy
    fps: float  # processed frames per second over the last ~2 s of frame time
    process_ms: float  # mean processing time per frame over the last ~30 frames (diagnostics)
    processed_at: float | None = None  # wall-clock time the latest frame was done (diagnostics: display latency)
    error: str | None = None  # the pose estimator failed (could not start, or failed on the latest frame)
    calibration: dict | None = None  # the calibration in force (Calibration.to_dict()), if any
    calibration_error: str | None = None  # why the last calibration was refused
    routine: dict | None = None  # a routine or the free mode: its steps and where it stands (RoutineRun.status())

    @property
    def message(self) -> str:
        return self.hud.message


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
        :meth:`process` call of a stream (on the video thread).
    exercise, thresholds: as for the CLI (validated: ``UnknownExercise``,
        ``ThresholdError``).
    countdown_s: countdown after the camera is set up (0 = start at once).
    setup_hold_s: the set-up check must pass this long (frame time) before
        the countdown starts.
    calibrate_s: hold the best form this long after the countdown to
        calibrate the limits to the person (0 = no calibration step).
    run_factory: instead of one exercise, ``run_factory(announcer)`` makes
        the run of each stream: a routine or the free mode
        (:class:`coach.session.routine.RoutineRun` / ``FreeRun``), whose
        current step decides the exercise; ``exercise`` is then only the first.
    """

    def __init__(self, estimator_factory: Callable[[], Any], exercise: str,
                 thresholds: Mapping[str, float] | None = None,
                 countdown_s: float = 3.0, setup_hold_s: float = 1.0, calibrate_s: float = 0.0,
                 run_factory: Callable[[Announcer], Any] | None = None):
        rule = get_rule(exercise)
        self._run_factory = run_factory
        overrides = dict(thresholds or {})
        rule.resolve(overrides)  # validates
        self._countdown_s = _check_seconds("countdown_s", countdown_s)
        self._setup_hold_s = _check_seconds("setup_hold_s", setup_hold_s)
        self._calibrate_s = _check_seconds("calibrate_s", calibrate_s)
        self._calibration = None  # coach.session.calibration.Calibration in force
        self._calibration_dict: dict | None = None  # its to_dict(), for the snapshots
        self._lock = threading.Lock()
        self._factory = estimator_factory
        self._estimator: Any = None
        self._estimator_failed = False  # the factory raised: no retry until reset()
        self._busy = 0  # process() calls using an estimator right now
        self._to_close: list = []  # estimators closed while in use: closed when the user is done
        self._generation = 0  # bumped by close()
        self._rule: Rule = rule
        self._overrides = overrides
        self._announcer = Announcer()
        self._clear()

    # -- state helpers (call with the lock held) --------------------------------
    def _new_run(self) -> None:
        if self._run_factory is not None:
            self._run = self._run_factory(self._announcer)
            self._rule = self._run.rule
        else:
            self._run = LiveRun(self._rule, self._overrides, self._announcer, countdown_s=self._countdown_s,
                                setup_hold_s=self._setup_hold_s, calibrate_s=self._calibrate_s,
                                calibration=self._calibration)
        self._thresholds_cache = None
        self._judge = RateLimit(self._rule.judge_fps)  # a monitor judges a frame or two a second
        mv = self._run.th["min_visibility"]
        self._skeleton = SkeletonAnnotator(mv)
        self._guide = GuideAnnotator(self._rule, mv)
        self._hud = HudAnnotator()

    def _clear(self) -> None:
        """Everything back to "waiting" with a new clock (the settings are kept)."""
        self._phase = WAITING
        self._clock = FrameClock()
        self._frames = 0
        self._dropped = 0
        self._frame_times: deque[float] = deque()
        self._proc_times: deque[float] = deque(maxlen=PROCESS_WINDOW)
        self._processed_at: float | None = None
        self._person = False
        self._error: str | None = None
        self._last_drawn: tuple | None = None  # (state, frame, raw status) of the last judged frame
        self._new_run()

    def _step(self, frame: PoseFrame, t: float):
        self._frames += 1
        ft = self._frame_times
        ft.append(t)
        while ft and ft[0] < t - FPS_WINDOW_S:
            ft.popleft()
        self._person = frame.detected
        st, raw_status = self._run.step(frame)
        if self._run.calibration is not self._calibration:  # a calibration was made (or refused)
            self._calibration = self._run.calibration
            self._calibration_dict = self._calibration.to_dict() if self._calibration is not None else None
        if self._run.rule is not self._rule:  # a routine went on to its next step
            self._rule, self._thresholds_cache = self._run.rule, None
            self._judge = RateLimit(self._rule.judge_fps)
        if self._run.th != self._thresholds_cache:
            self._thresholds_cache = self._run.th
            mv = self._run.th["min_visibility"]
            self._skeleton, self._guide = SkeletonAnnotator(mv), GuideAnnotator(self._rule, mv)
        return st, raw_status

    _thresholds_cache: dict | None = None

    @property
    def _shown_phase(self) -> str:
        return self._phase if self._phase in (WAITING, STOPPED) else self._run.phase

    def _view_locked(self) -> HudView:
        phase = self._shown_phase
        notes = (f"⚠ {self._error}",) if self._error else ()
        if phase == WAITING:
            return phase_view(WAITING, notes=notes)
        return self._run.view(phase, notes)

    def _snapshot_locked(self) -> LiveSnapshot:
        rule, st, run = self._rule, self._run.state, self._run
        phase = self._shown_phase
        coaching = phase == COACHING
        km = rule.key_measures[0].name if rule.key_measures else None
        key_value = _finite(st.verdict.measures.get(km)) if (st is not None and km) else None
        ft = self._frame_times
        span = ft[-1] - ft[0] if len(ft) >= 2 else 0.0
        fps = (len(ft) - 1) / span if span > 0 else 0.0
        proc = self._proc_times
        return LiveSnapshot(
            exercise=rule.name, phase=phase, hud=self._view_locked(), progress=run.progress(),
            person=self._person,
            status=st.status if (coaching and st is not None) else None,
            cue=st.cue if (coaching and st is not None) else None,
            side=st.side if st is not None else None,
            key_measure=km, key_value=key_value, t=self._clock.last, frames=self._frames,
            frames_dropped=self._dropped + self._clock.dropped, fps=fps,
            process_ms=1000.0 * sum(proc) / len(proc) if proc else 0.0,
            error=self._error, processed_at=self._processed_at,
            calibration=self._calibration_dict, calibration_error=run.calibration_error,
            routine=run.status() if hasattr(run, "status") else None,
        )

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
            if self._clock.tick(t) is None:  # not later than the last frame: dropped (the time policy)
                return img.copy()
            if getattr(self._run, "camera_paused", False):  # the person paused the monitor: not looked at
                view, hud = self._view_locked(), self._hud
                out = (img // 4).astype(np.uint8)
                hud(out, view)
                return out
            if not self._judge.take(t):
                # a monitor judges a frame or two a second: the others show the last judgement
                view, hud, (skeleton, guide), last = self._view_locked(), self._hud, \
                    (self._skeleton, self._guide), self._last_drawn
                out = img.copy(order="C")
                if last is not None:
                    st, frame, raw_status = last
                    if st is not None:
                        skeleton(out, st)
                        guide(out, st)
                    elif frame is not None:
                        skeleton(out, SimpleNamespace(frame=frame, status=raw_status))
                hud(out, view)
                return out
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
            if self._phase == WAITING:  # the first frame with a pose: the run starts
                self._phase = "running"
            st, raw_status = self._step(frame, t)
            self._last_drawn = (st, frame, raw_status)
            view = self._view_locked()
            skeleton, guide, hud = self._skeleton, self._guide, self._hud
        # drawing needs no lock: the state and snapshot of THIS frame are immutable
        if st is not None:
            skeleton(out, st)
            guide(out, st)
        else:
            skeleton(out, SimpleNamespace(frame=frame, status=raw_status))
        hud(out, view)
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
            return self._shown_phase

    @property
    def thresholds(self) -> dict[str, float]:
        """All threshold values in force (defaults with the overrides and the calibration applied)."""
        with self._lock:
            return dict(self._run.th)

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
        """The :class:`coach.session.calibration.Calibration` in force, or None."""
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
            th = rule.resolve(overrides)
            cd = _check_seconds("countdown_s", countdown_s) if countdown_s is not None else self._countdown_s
            cs = _check_seconds("calibrate_s", calibrate_s) if calibrate_s is not None else self._calibrate_s
            changed = rule is not self._rule or th != rule.resolve(self._overrides) or cs != self._calibrate_s
            self._rule, self._overrides, self._countdown_s, self._calibrate_s = rule, overrides, cd, cs
            if changed:
                self._calibration, self._calibration_dict = None, None
                if self._phase != STOPPED:  # start over at set-up with the new settings
                    self._new_run()
                    self._thresholds_cache = None
            elif self._phase != STOPPED:  # the same run goes on; a new countdown length applies
                self._run.countdown_s = cd

    def command(self, name: str) -> None:
        """A routine's "skip", "pause" or "resume" (applied at the next frame),
        or the desk's commands (:data:`coach.session.desk.COMMANDS`, at once);
        ignored when the run is a single exercise."""
        with self._lock:
            request = getattr(self._run, "request", None)
            if request is not None:
                request(name)

    def stop(self) -> Report:
        """End the session: phase "stopped"; returns :meth:`summary` (a
        routine's :class:`coach.session.routine.RoutineSummary`). Later
        :meth:`process` calls return the image untouched until :meth:`reset`."""
        with self._lock:
            self._phase = STOPPED
            return self._run.report()

    def reset(self) -> None:
        """A new camera stream: back to "waiting" with a fresh run, clock and
        announcer; the estimator is closed, so the next frame starts a new one
        with a new timeline (it is retried if starting it failed)."""
        with self._lock:
            self._announcer = Announcer(self._announcer.repeat_s, self._announcer.min_gap_s,
                                        first_id=self._announcer.next_id)
            self._estimator_failed = False
            self._clear()
        self.close()

    def summary(self) -> Report:
        """The session's report so far (the same :class:`~coach.engine.report.Report`
        as a clip's, without a timeline); its note says why it is empty when
        coaching never started."""
        with self._lock:
            return self._run.report()

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
