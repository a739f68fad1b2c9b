"""The desk monitor on live frames, without threads or pictures: the same
``step(frame)`` / ``view()`` / ``progress()`` / ``report()`` as a single
exercise's :class:`coach.session.phases.LiveRun`, so the live session (the
Desk page) and ``coach desk`` drive it alike.

* No set-up and no countdown: it coaches from the first frame, with the
  rule's absolute defaults until the person calibrates ("calibrate": sit
  upright for ``calibrate_s``; the limits then follow their own upright
  reading, and the sitting time carries on).
* Cues are for an all-day monitor: a posture fault is shown once it has lasted
  the rule's ``cue_delay_s`` (30 s), and said at most once per
  ``cue_repeat_min`` (10 min), never while snoozed (a more important fault
  reaching the screen within ``CUE_UPGRADE_S`` of the cue said is said too).
* The sitting goal's reminder ("You have been sitting for 30 minutes...") is
  said with a chime (the page also shows a browser notification), followed by
  a short stretch from the person's routine (its steps in turn).
* Commands (:meth:`DeskRun.request`) take effect at once, at the latest frame
  time: "snooze" (cues and reminders wait ``snooze_min``), "unsnooze",
  "pause" / "resume" (the camera is not looked at: no pose estimation, and
  the sitting time neither counts nor resets), "calibrate".
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

from coach.core.pose import PoseFrame
from coach.engine.engine import EngineState
from coach.engine.hud import COACHING, IDLE_TONE, READY_TONE, HudView, coaching_view
from coach.engine.report import Report
from pose_rules import get_rule
from pose_rules.base import NOT_IN_POSITION
from pose_rules.goals import posture_words

from .loop import Session
from .speech import CUE, REMINDER, SETUP as SAY_SETUP, START, SUGGESTION, Announcer

# Desk phases (beside coach.engine.hud's COACHING)
DESK_CALIBRATING, DESK_PAUSED = "calibrating", "paused"
COMMANDS = ("snooze", "unsnooze", "pause", "resume", "calibrate")
#: How long "snooze" lasts by default, minutes.
SNOOZE_MIN = 10.0
#: Calibration: sit upright this long.
CALIBRATE_S = 5.0
#: A more important posture cue within this long after the one said is said too.
CUE_UPGRADE_S = 5.0


def stretch_suggestions(routine: str | None = "Daily stretches") -> tuple[str, ...]:
    """Short stretch suggestions from a routine's steps ("Knee to chest: 2
    repeats of 20 s a side"), in the routine's order; () when there is none
    (a routine that cannot be read is skipped, not an error here)."""
    if not routine:
        return ()
    from coach.engine.routines import RoutineError, find_routine, plan

    try:
        r = find_routine(routine)
        return tuple(f"{p.title}: {p.describe()}" for p in plan(r, {}))
    except (RoutineError, OSError, ValueError):
        return ()


class DeskRun:
    """One desk session on a stream of frames (see the module docstring)."""

    exercise = "desk_posture"

    def __init__(self, announcer: Announcer, overrides: Mapping[str, float] | None = None, *,
                 suggestions: Sequence[str] = (), calibrate_s: float = CALIBRATE_S, snooze_min: float = SNOOZE_MIN,
                 source: str = "desk camera", calibration=None):
        self.rule = get_rule(self.exercise)
        self.announcer = announcer
        self.overrides = dict(overrides or {})
        self.calibration = calibration
        self.calibration_error: str | None = None
        self.th = self.rule.resolve(self.in_force())
        self.session = Session(self.rule, self.in_force(), source=source, timeline=False)
        self.suggestions = tuple(suggestions)
        self.calibrate_s = float(calibrate_s)
        self.snooze_s = 60.0 * float(snooze_min)
        self.phase = COACHING
        self.state: EngineState | None = None
        self.message = ""
        self.last_t: float | None = None
        self._cal_frames: list[PoseFrame] = []
        self._cal_start: float | None = None
        self._last_cue_t = -math.inf
        self._last_rank = math.inf  # the priority of the fault last said
        self._reminders = 0
        self.paused = False

    def in_force(self) -> dict:
        return {**self.overrides, **(self.calibration.values if self.calibration is not None else {})}

    # -- commands ------------------------------------------------------------------------
    @property
    def camera_paused(self) -> bool:
        """The person paused the monitor: the camera's frames are not looked at."""
        return self.paused

    @property
    def snoozed_until(self) -> float | None:
        until = self.session.engine.snooze_until
        return until if (self.last_t is not None and until > self.last_t) else None

    def request(self, command: str, t: float | None = None) -> None:
        """A command (see the module docstring), at frame time ``t`` (default: the latest frame's)."""
        if command not in COMMANDS:
            raise ValueError(f"unknown desk command {command!r} (known: {', '.join(COMMANDS)})")
        t = self.last_t if t is None else float(t)
        if command == "pause":
            self.paused = True
        elif command == "resume":
            self.paused = False
        elif command == "snooze" and t is not None:
            self.session.engine.snooze(t + self.snooze_s)
            self.announcer.event(t, f"Snoozed for {self.snooze_s / 60:.0f} minutes", SAY_SETUP, "tick")
        elif command == "unsnooze":
            self.session.engine.snooze(-math.inf)
        elif command == "calibrate":
            self.phase, self._cal_frames, self._cal_start = DESK_CALIBRATING, [], None
            self.calibration_error = None

    # -- frames --------------------------------------------------------------------------
    def step(self, frame: PoseFrame) -> tuple[EngineState | None, str]:
        t = frame.timestamp
        self.last_t = t
        if self.phase == DESK_CALIBRATING:
            self._calibrating(frame, t)
        st = self.session.feed(frame)
        if st is None:
            return None, NOT_IN_POSITION
        self.state = st
        for ev in st.progress.events:
            if ev.kind == "reminder":
                self.announcer.event(t, ev.text, REMINDER, "chime")
                if self.suggestions:
                    tip = self.suggestions[self._reminders % len(self.suggestions)]
                    self.announcer.event(t, f"A stretch from your routine: {tip}", SUGGESTION, None)
                self._reminders += 1
        if st.cue and st.faults and not self.session.engine.snoozed(t):  # a posture fault that has lasted cue_delay_s
            rank = self.rule.fault(st.faults[0]).priority
            since = t - self._last_cue_t
            # at most once per cue_repeat_min; but when a more important fault shows up just after
            # (two that began together reach the screen a frame apart), that one is said too
            if since >= 60.0 * self.th["cue_repeat_min"] - 1e-9 or (since <= CUE_UPGRADE_S and rank < self._last_rank):
                self._last_cue_t, self._last_rank = t, rank
                self.announcer.event(t, st.cue, CUE, None)
        return st, st.status

    def _calibrating(self, frame: PoseFrame, t: float) -> None:
        from .calibration import CalibrationError, calibrate

        if self._cal_start is None:
            self._cal_start = t
            self.announcer.event(t, "Sit upright, looking at the screen", START, "go")
        self._cal_frames.append(frame)
        left = self.calibrate_s - (t - self._cal_start)
        self.message = f"Sit upright, looking at the screen: {max(0, math.ceil(left - 1e-6))}"
        if left > 1e-6:
            return
        self.phase, self.message = COACHING, ""
        try:
            cal = calibrate(self._cal_frames, self.rule, self.overrides, source="desk camera",
                            min_seconds=max(1.0, 0.6 * self.calibrate_s))
        except CalibrationError as e:
            self.calibration_error = str(e)
            self.announcer.event(t, "Calibration did not work. Try again", SAY_SETUP, "tick")
            return
        self.calibration, self.calibration_error = cal, None
        self.th = self.rule.resolve(self.in_force())
        self.session.engine.retune(self.in_force())
        self.announcer.event(t, "Calibrated", START, "done")

    # -- what is shown ---------------------------------------------------------------------
    def progress(self):
        return self.session.engine.progress

    def status(self) -> dict:
        """The monitor's state for the page and the terminal."""
        p = self.progress()
        st = p.stats
        return {"desk": True, "paused": self.paused, "snoozed_until": self.snoozed_until, "t": self.last_t,
                "calibrating": self.phase == DESK_CALIBRATING, "calibrated": self.calibration is not None,
                "sitting_s": p.current_s, "total_sitting_s": p.total, "slouched_s": st.get("slouched_s", 0.0),
                "breaks": int(st.get("breaks", 0)), "reminders": int(st.get("reminders", 0)),
                "next_reminder_s": st.get("next_reminder_s"), "off_s": st.get("off_s", 0.0),
                "posture": posture_words(p.now), "now": list(p.now)}

    def view(self, phase: str | None = None, notes: tuple[str, ...] = ()) -> HudView:
        if self.calibration_error:
            notes = (f"Calibration refused: {self.calibration_error}",) + notes
        if self.paused:
            return HudView(DESK_PAUSED, "Paused: the camera is not being watched", IDLE_TONE, "Paused", IDLE_TONE,
                           headline=self.progress().headline(), notes=notes)
        if self.phase == DESK_CALIBRATING:
            return HudView(DESK_CALIBRATING, "Calibrating: sit upright", READY_TONE, self.message, IDLE_TONE,
                           headline=self.progress().headline(), notes=notes)
        if self.state is None:
            return HudView(COACHING, "Desk posture", IDLE_TONE, headline=self.progress().headline(), notes=notes)
        v = coaching_view(self.state)
        title = "Sitting upright" if v.status == "good" else {"fault": "Posture", "not_in_position": "Standing",
                                                              "cant_see": "Away"}.get(v.status, v.title)
        return HudView(COACHING, title, v.tone, cue=v.cue, cue_tone=v.cue_tone, headline=v.headline, notes=notes,
                       measures=v.measures, time_s=v.time_s, status=v.status)

    def report(self) -> Report:
        return self.session.report()


__all__ = ["DeskRun", "stretch_suggestions", "COMMANDS", "SNOOZE_MIN", "CALIBRATE_S", "DESK_CALIBRATING",
           "DESK_PAUSED"]
