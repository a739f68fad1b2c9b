"""The live coach's phases for one camera stream, without threads or pictures::

    setup --camera set up for setup_hold_s--> countdown --countdown_s-->
          [calibrating --calibrate_s-->] coaching

* setup: :func:`coach.session.camera_check.check_setup` on the raw frame; its
  message is the instruction shown and spoken; nothing is judged or counted;
* countdown: "3", "2", "1" at whole seconds, then "Go";
* calibrating (when ``calibrate_s`` > 0): the person holds their best form;
  :func:`coach.session.calibration.calibrate` turns those frames into their
  neutral reading and limits, which the coaching then uses; a refused
  calibration is said and shown, and the countdown starts again;
* coaching: every frame goes through a :class:`coach.session.loop.Session`
  (engine + report); cues are spoken, and the goal's events ("Target
  reached", "Left, 3") are announced.

Phase times are frame times. :meth:`LiveRun.step` takes frames in time order
(the live session drops the others, :mod:`coach.core.timing`).
"""
from __future__ import annotations

import math
from typing import Mapping

from coach.core.pose import PoseFrame
from coach.engine.engine import EngineState
from coach.engine.hud import CALIBRATING, COACHING, COUNTDOWN, SETUP, HudView, phase_view
from coach.engine.report import Report
from pose_rules.base import CANT_SEE, NOT_IN_POSITION, Rule

from .camera_check import check_setup
from .loop import Session
from .speech import COUNTDOWN as SAY_COUNTDOWN, REP, SETUP as SAY_SETUP, START, TARGET, Announcer

_EPS = 1e-6
#: What kind of utterance each goal event is, and its beep.
EVENT_SPEECH = {"rep": (REP, "rep"), "target": (TARGET, "done"), "side": (TARGET, "tick")}


def coach_frame(session: Session, frame: PoseFrame, announcer: Announcer,
                quiet: tuple[str, ...] = ()) -> EngineState | None:
    """One coached frame: judged by the session; its goal's events ("Left,
    3", "Target reached"; not those of the kinds in ``quiet``) announced, and
    the current cue offered to the announcer. None when the time policy drops
    the frame."""
    st = session.feed(frame)
    if st is None:
        return None
    t = frame.timestamp
    for ev in st.progress.events:
        if ev.kind in quiet:
            continue
        kind, sound = EVENT_SPEECH.get(ev.kind, (TARGET, None))
        announcer.event(t, ev.text, kind, sound)
    announcer.cue(t, st.cue)
    return st


class LiveRun:
    """One run of the phases (see the module docstring). ``calibration``: a
    :class:`coach.session.calibration.Calibration` already in force (no
    calibration step then)."""

    def __init__(self, rule: Rule, overrides: Mapping[str, float], announcer: Announcer, *,
                 countdown_s: float, setup_hold_s: float, calibrate_s: float, calibration=None):
        self.rule = rule
        self.overrides = dict(overrides)
        self.announcer = announcer
        self.countdown_s, self.setup_hold_s, self.calibrate_s = countdown_s, setup_hold_s, calibrate_s
        self.calibration = calibration
        self.calibration_error: str | None = None
        self.th = rule.resolve(self.in_force())
        self.phase = SETUP
        self.message = ""
        self.setup_ok = False
        self.session: Session | None = None
        self.state: EngineState | None = None
        self._setup_since: float | None = None
        self._countdown_start: float | None = None
        self._countdown_said: int | None = None
        self._cal_frames: list[PoseFrame] = []
        self._cal_start: float | None = None

    def in_force(self) -> dict:
        """The overrides in force: the configured ones plus the calibration."""
        return {**self.overrides, **(self.calibration.values if self.calibration is not None else {})}

    # -- phases ---------------------------------------------------------------------
    def _start_countdown(self, t: float) -> None:
        self.phase, self._countdown_start, self._countdown_said, self.message = COUNTDOWN, t, None, ""

    def _start_calibrating(self, t: float) -> None:
        self.phase, self._cal_frames, self._cal_start = CALIBRATING, [], t
        self.message = f"Hold your best {self.rule.title.lower()}"
        self.announcer.event(t, self.message, START, "go")

    def _finish_calibrating(self, t: float) -> None:
        from .calibration import CalibrationError, calibrate

        try:
            cal = calibrate(self._cal_frames, self.rule, self.overrides, source="live camera",
                            min_seconds=max(0.5, 0.6 * self.calibrate_s))
        except CalibrationError as e:
            self.calibration_error = str(e)
            self.announcer.event(t, "Calibration did not work. Try again", SAY_SETUP, "tick")
            self._start_countdown(t)
            return
        self.calibration, self.calibration_error = cal, None
        self.th = self.rule.resolve(self.in_force())
        self._start_coaching(t)

    def _start_coaching(self, t: float) -> None:
        self.phase, self.message = COACHING, ""
        self.session = Session(self.rule, self.in_force(), source="live camera", timeline=False)
        self.announcer.event(t, "Go", START, "go")

    def step(self, frame: PoseFrame) -> tuple[EngineState | None, str]:
        """One frame. Returns the engine state (coaching) and the status to
        colour the raw skeleton with (the other phases)."""
        t = frame.timestamp
        raw_status = NOT_IN_POSITION
        if self.phase == SETUP:  # the camera check runs only until it has passed
            check = check_setup(self.rule, frame, self.th["min_visibility"])
            raw_status = NOT_IN_POSITION if check.ok else CANT_SEE
            self.message, self.setup_ok = check.message, check.ok
            if check.ok:
                if self._setup_since is None:
                    self._setup_since = t
                if t - self._setup_since >= self.setup_hold_s - _EPS:
                    self._start_countdown(t)
            else:
                self._setup_since = None
            if self.phase == SETUP:
                self.announcer.cue(t, None if check.ok else check.message, SAY_SETUP)

        if self.phase == COUNTDOWN:
            remaining = self.countdown_s - (t - self._countdown_start)
            if remaining <= _EPS:
                if self.calibrate_s > 0 and self.calibration is None:
                    self._start_calibrating(t)
                else:
                    self._start_coaching(t)
            else:
                n = math.ceil(remaining - _EPS)
                if n != self._countdown_said:
                    self._countdown_said = n
                    self.announcer.event(t, str(n), SAY_COUNTDOWN, "tick")
                self.message = str(n)

        if self.phase == CALIBRATING:
            self._cal_frames.append(frame)
            left = self.calibrate_s - (t - self._cal_start)
            self.message = f"Hold your best {self.rule.title.lower()}: {max(0, math.ceil(left - _EPS))}"
            if left <= _EPS:
                self._finish_calibrating(t)

        if self.phase != COACHING:
            return None, raw_status
        st = coach_frame(self.session, frame, self.announcer)
        if st is None:
            return None, raw_status
        self.state = st
        return st, raw_status

    # -- what is shown -----------------------------------------------------------------
    def progress(self):
        return self.session.engine.progress if self.session is not None else self.rule.goal.start(self.th)

    def view(self, phase: str | None = None, notes: tuple[str, ...] = ()) -> HudView:
        phase = phase or self.phase
        if self.calibration_error and phase in (COUNTDOWN, CALIBRATING):
            notes = (f"Calibration refused: {self.calibration_error}",) + notes
        return phase_view(phase, self.message, setup_ok=self.setup_ok, progress=self.progress(),
                          state=self.state if phase == COACHING else None, notes=notes)

    def report(self) -> Report:
        """The report so far (the coaching goes on after it)."""
        if self.session is None:
            empty = Session(self.rule, self.in_force(), source="live camera", timeline=False)
            return empty.report(note="coaching never started (the camera set-up or the countdown was not finished)")
        return self.session.report()


__all__ = ["LiveRun", "EVENT_SPEECH", "coach_frame"]
