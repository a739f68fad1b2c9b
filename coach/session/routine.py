"""A guided routine and the free mode, run on live frames, without threads or
pictures (the live session drives them as it drives a single exercise's
:class:`coach.session.phases.LiveRun`: the same ``step(frame)`` / ``view()`` /
``progress()`` / ``report()``).

Routine phases, per planned step (:func:`coach.engine.routines.plan`)::

    get ready --in position for start_hold_s--> coaching --every side's target--> rest --rest s--> next step
                                                                                 (last step: finished)

* get ready: "Next: side plank, left side. Get into position" is said once;
  the step starts **by itself** once the exercise's own in-position check has
  held for ``start_hold_s`` (nobody touches the laptop from the floor). While
  waiting, the camera check says what to change ("Move back so your feet are
  in view"), and the recogniser says when the person is doing something else
  ("This looks like a side plank; the routine expects a plank"). A step the
  camera cannot judge (the drawing-in) starts after ``ready_s``.
* coaching: the frames go through a :class:`coach.session.loop.Session` for
  the step's exercise with the day's target; cues and reps are spoken; a
  one-side-at-a-time step goes on to the other side ("Now the right side")
  once a side's target is reached (the side worked first counts first);
* rest: a countdown of the step's rest ("Rest 30 seconds. Next: glute bridge").

Commands from the page (:meth:`RoutineRun.request`: "skip", "pause",
"resume") take effect at the next frame, so all times stay frame times.
Skipping keeps what the step counted so far (marked skipped). Pausing
freezes the step and the rest countdown; frames are not judged meanwhile.

The free mode (:class:`FreeRun`) has no plan: the recogniser decides which
exercise the person is doing, each exercise done becomes a segment coached
and counted as if it had been picked, and the summary lists them all.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from coach.core.pose import PoseFrame
from coach.engine.engine import EngineState
from coach.engine.hud import (COACHING, FAULT_TONE, GOOD_TONE, IDLE_TONE, POSITION_TONE, READY_TONE, UNSEEN_TONE,
                              HudView, coaching_view)
from coach.engine.recognize import Recognizer, looks_like
from coach.engine.report import Report
from coach.engine.routines import PlannedStep, RoutineStep
from pose_rules import get_rule
from pose_rules.base import CANT_SEE, NOT_IN_POSITION, Rule

from .camera_check import check_setup
from .loop import Session
from .phases import coach_frame
from .speech import COUNTDOWN as SAY_COUNTDOWN, SETUP as SAY_SETUP, START, TARGET, Announcer

# Routine phases (beside coach.engine.hud's COACHING)
GET_READY, REST, PAUSED, FINISHED = "get_ready", "rest", "paused", "finished"
ROUTINE_PHASES = (GET_READY, COACHING, REST, PAUSED, FINISHED)
#: Step outcomes
DONE, SKIPPED, STOPPED, NOT_STARTED = "done", "skipped", "stopped", "not started"

_EPS = 1e-6
#: In-position frames may drop out this long without restarting the start hold (tracking jitter).
START_DROPOUT_S = 0.3
#: "This looks like ..." is said again at most this often (frame time).
LOOKS_LIKE_REPEAT_S = 15.0


def side_words(side: str | None) -> str:
    return f"{side} side" if side in ("left", "right") else ""


def spoken_name(rule: Rule) -> str:
    """How an exercise is said: its family's name ("side plank", not "Side plank (either side)")."""
    name = rule.family or rule.title
    return name.lower() if not name[:2].isupper() else name


def _say_step(p: PlannedStep, side: str | None) -> str:
    title = spoken_name(p.rule)
    where = f", {side_words(side)}" if side in ("left", "right") else ""
    return f"{title}{where}"


@dataclass(frozen=True)
class StepResult:
    """What one step came to."""

    planned: PlannedStep
    outcome: str  # done / skipped / stopped / not started
    report: Report | None  # the step's report (None when it never started)
    sides_done: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        p = self.planned
        return {"step": p.index, "exercise": p.exercise, "title": p.title, "target": p.describe(),
                "outcome": self.outcome, "sides_done": list(self.sides_done),
                "result": self.report.progress.text() if self.report is not None else None,
                "summary": self.report.to_dict()["summary"] if self.report is not None else None}


@dataclass(frozen=True)
class RoutineSummary:
    """The end of a routine (or of a free-mode session): each step's result."""

    name: str
    steps: tuple[StepResult, ...]
    duration_s: float
    free: bool = False

    @property
    def reports(self) -> tuple[Report, ...]:
        """The reports of the steps that were started (for the history)."""
        return tuple(s.report for s in self.steps if s.report is not None)

    @property
    def completed(self) -> int:
        return sum(s.outcome == DONE for s in self.steps)

    def lines(self) -> list[str]:
        out = [f"{self.name}: {self.completed} of {len(self.steps)} steps done, {self.duration_s / 60:.1f} min"]
        for s in self.steps:
            res = s.report.progress.text() if s.report is not None else "–"
            faults = ""
            if s.report is not None and s.report.summary.most_frequent_fault:
                m = s.report.summary.most_frequent_fault
                faults = f"; most frequent fault \"{m['cue']}\" ({m['time_s']:.0f} s)"
            out.append(f"  {s.planned.index}. {s.planned.title} ({s.planned.describe()}): {s.outcome}, {res}{faults}")
        return out

    def to_dict(self) -> dict:
        return {"routine": self.name, "free": self.free, "duration_s": round(self.duration_s, 2),
                "completed": self.completed, "steps": [s.to_dict() for s in self.steps]}


@dataclass
class _Active:
    """The step being done."""

    planned: PlannedStep
    th: dict  # the thresholds in force for it (resolved once, not per frame)
    session: Session | None = None
    sides_left: list = field(default_factory=list)
    side: str | None = None


class RoutineRun:
    """A routine on live frames (see the module docstring).

    planned: today's steps (:func:`coach.engine.routines.plan`).
    profile: the person's threshold profile ({exercise: overrides}): each
        step is judged with it, the day's targets on top.
    recognizer: a :class:`coach.engine.recognize.Recognizer` (a new one by default).
    """

    countdown_s = 0.0  # (the live session sets it; a routine starts steps by itself)
    calibration = None
    calibration_error = None

    def __init__(self, name: str, planned: Sequence[PlannedStep], announcer: Announcer, *,
                 profile: Mapping[str, Mapping[str, float]] | None = None, recognizer: Recognizer | None = None,
                 start_hold_s: float = 1.0, ready_s: float = 5.0):
        if not planned:
            raise ValueError("a routine needs at least one step")
        self.name = name
        self.planned = tuple(planned)
        self.announcer = announcer
        self.profile = {k: dict(v) for k, v in (profile or {}).items()}
        self.recognizer = recognizer or Recognizer(thresholds=self.profile)
        self.start_hold_s, self.ready_s = float(start_hold_s), float(ready_s)
        self.results: list[StepResult] = []
        self.phase = GET_READY
        self.state: EngineState | None = None
        self.message = ""
        self.note = ""
        self._requests: list[str] = []
        self._paused_from: str | None = None
        self._rest_end: float | None = None
        self._paused_at = 0.0
        self._rest_said: int | None = None
        self._in_pos: float = 0.0  # expected exercise in position this long (start hold)
        self._out: float = 0.0
        self._ready_since: float | None = None
        self._looks_said: tuple[str, float] | None = None
        self._last_t: float | None = None
        self._first_t: float | None = None
        self.seen: str | None = None  # the exercise recognised while waiting (None: none)
        self._i = 0
        self._active = self._make_active(0)
        self._last_th = self._active.th  # the thresholds of the last step, once the routine is over
        self._announced = False

    # -- what the live session reads -------------------------------------------------
    @property
    def rule(self) -> Rule:
        """The exercise of the current (or next) step."""
        return self._active.planned.rule if self._active is not None else self.planned[-1].rule

    @property
    def th(self) -> dict[str, float]:
        return self._active.th if self._active is not None else self._last_th

    def _overrides(self, p: PlannedStep) -> dict[str, float]:
        return {**self.profile.get(p.exercise, {}), **dict(p.overrides)}

    def _make_active(self, i: int) -> _Active | None:
        if i >= len(self.planned):
            return None
        p = self.planned[i]
        return _Active(p, p.rule.resolve(self._overrides(p)), sides_left=list(p.sides))

    # -- commands ------------------------------------------------------------------------
    def request(self, command: str) -> None:
        """"skip", "pause" or "resume": applied at the next frame."""
        if command not in ("skip", "pause", "resume"):
            raise ValueError(f"unknown routine command {command!r}")
        self._requests.append(command)

    @property
    def paused(self) -> bool:
        return self.phase == PAUSED

    def _apply(self, t: float) -> None:
        reqs, self._requests = self._requests, []
        for c in reqs:
            if c == "pause" and self.phase not in (PAUSED, FINISHED):
                self._paused_from, self.phase = self.phase, PAUSED
                self._paused_at = t
                self.announcer.event(t, "Paused", SAY_SETUP, "tick")
            elif c == "resume" and self.phase == PAUSED:
                self.phase = self._paused_from or GET_READY
                if self._rest_end is not None:  # the rest countdown was frozen
                    self._rest_end += t - self._paused_at
                self._in_pos, self._ready_since = 0.0, None
                self.announcer.event(t, "Go on", START, "go")
            elif c == "skip" and self.phase != FINISHED:
                if self.phase == PAUSED:
                    self.phase = self._paused_from or GET_READY
                if self.phase == REST:
                    self._next_step(t)
                else:
                    self._finish_step(t, SKIPPED, rest=False)

    # -- phases --------------------------------------------------------------------------
    def _announce(self, t: float) -> None:
        a = self._active
        if a is None:
            return
        side = a.sides_left[0] if a.sides_left else None
        what = _say_step(a.planned, side)
        if not a.planned.rule.judged:
            self.announcer.event(t, f"Next: {what}. It starts in {self.ready_s:.0f} seconds", SAY_SETUP, "tick")
        else:
            self.announcer.event(t, f"Next: {what}. Get into position", SAY_SETUP, "tick")
        self._announced = True

    def _start_step(self, t: float) -> None:
        a = self._active
        a.session = Session(a.planned.rule, self._overrides(a.planned), source=f"routine: {self.name}",
                            timeline=False)
        self.phase, self.state, self.message = COACHING, None, ""
        self.announcer.event(t, "Go", START, "go")

    def _finish_step(self, t: float, outcome: str, rest: bool = True) -> None:
        a = self._active
        if a is None:
            return
        report = a.session.report() if a.session is not None else None
        done = tuple(s for s in a.planned.sides if s not in a.sides_left)
        self.results.append(StepResult(a.planned, outcome, report, done))
        self.state = None
        last = self._i + 1 >= len(self.planned)
        if rest and not last and a.planned.rest > 0:
            self.phase, self._rest_end, self._rest_said = REST, t + a.planned.rest, None
            nxt = self.planned[self._i + 1]
            self.announcer.event(t, f"Well done. Rest {a.planned.rest:.0f} seconds. Next: {_say_step(nxt, None)}",
                                 TARGET, "done")
        else:
            if outcome == DONE and not last:
                self.announcer.event(t, "Well done", TARGET, "done")
            self._next_step(t)

    def _next_step(self, t: float) -> None:
        self._i += 1
        self._rest_end = None
        self._last_th = self.th
        self._active = self._make_active(self._i)
        self._in_pos, self._out, self._ready_since, self._looks_said = 0.0, 0.0, None, None
        self.recognizer.reset()
        if self._active is None:
            self.phase, self.message = FINISHED, "Routine complete"
            self.announcer.event(t, "Routine complete. Well done", TARGET, "done")
            return
        self.phase = GET_READY
        self._announce(t)

    def _get_ready(self, frame: PoseFrame, t: float, dt: float) -> str:
        """Wait for the person to be in the step's position; returns the raw status."""
        a = self._active
        rule = a.planned.rule
        if not self._announced:
            self._announce(t)
        if not rule.judged:  # timed, not judged: it starts after ready_s
            if self._ready_since is None:
                self._ready_since = t
            left = self.ready_s - (t - self._ready_since)
            self.message = f"Starts in {max(0, math.ceil(left - _EPS))}"
            if left <= _EPS:
                self._start_step(t)
            return NOT_IN_POSITION
        th = self.th
        verdict = rule.evaluate(frame, th)
        rec = self.recognizer.update(frame)
        self.seen = rec.family
        if verdict.in_position:
            self._in_pos += dt
            self._out = 0.0
            if verdict.side in a.sides_left:  # the side being worked comes first
                a.side = verdict.side
        else:
            self._out += dt
            if self._out > START_DROPOUT_S:
                self._in_pos = 0.0
        if self._in_pos >= self.start_hold_s - _EPS:
            self._start_step(t)
            return verdict.status
        check = check_setup(rule, frame, th["min_visibility"])
        other = rec.exercise if (rec.exercise and not looks_like(rule.name, rec)) else None
        if other is not None:
            fam = rec.family or other
            want = spoken_name(rule)
            self.message = (f"This looks like {_article(fam)} {fam.lower()}; the routine expects "
                            f"{_article(want)} {want}")
            said = self._looks_said
            if said is None or said[0] != other or t - said[1] >= LOOKS_LIKE_REPEAT_S:
                self.announcer.event(t, self.message, SAY_SETUP, None)
                self._looks_said = (other, t)
        elif not check.ok:
            self.message = check.message
            self.announcer.cue(t, check.message, SAY_SETUP)
        else:
            self.message = "Get into position"
        return verdict.status if verdict.status in (NOT_IN_POSITION, CANT_SEE) else NOT_IN_POSITION

    def _coach(self, frame: PoseFrame, t: float) -> EngineState | None:
        a = self._active
        # the routine says what comes next: not the goal's "Now the other side" / "Target reached"
        st = coach_frame(a.session, frame, self.announcer, ("side", "target") if a.planned.rule.judged else ())
        if st is None:
            return None
        self.state = st
        p = st.progress.parts[0] if st.progress.parts else st.progress
        target = p.target if p.target is not None else math.inf
        if p.goal.per_side:
            if st.side in a.sides_left and (a.side not in a.sides_left or p.done.get(a.side, 0.0) <= 0):
                a.side = st.side
            for s in list(a.sides_left):
                if p.done.get(s, 0.0) >= target - 1e-9:
                    a.sides_left.remove(s)
                    if a.sides_left:
                        a.side = a.sides_left[0]
                        self.announcer.event(t, f"Now the {side_words(a.side)}", TARGET, "tick")
        elif p.reached:
            a.sides_left.clear()
        if not a.sides_left:
            self._finish_step(t, DONE)
        return st

    def step(self, frame: PoseFrame) -> tuple[EngineState | None, str]:
        t = frame.timestamp
        dt = 0.0 if self._last_t is None else max(0.0, min(0.5, t - self._last_t))
        self._last_t = t
        if self._first_t is None:
            self._first_t = t
        self._apply(t)
        if self.phase in (PAUSED, FINISHED):
            return None, NOT_IN_POSITION
        if self.phase == REST:
            left = self._rest_end - t
            n = max(0, math.ceil(left - _EPS))
            self.message = str(n)
            if n <= 3 and n != self._rest_said and n > 0:
                self._rest_said = n
                self.announcer.event(t, str(n), SAY_COUNTDOWN, "tick")
            if left <= _EPS:
                self._next_step(t)
            else:
                return None, NOT_IN_POSITION
        if self.phase == GET_READY:
            raw = self._get_ready(frame, t, dt)
            if self.phase != COACHING:
                return None, raw
        if self.phase == COACHING:
            st = self._coach(frame, t)
            return st, st.status if st is not None else NOT_IN_POSITION
        return None, NOT_IN_POSITION

    # -- what is shown --------------------------------------------------------------------
    def progress(self):
        a = self._active
        if a is not None and a.session is not None:
            return a.session.engine.progress
        return self.rule.goal.start(self.th)

    def status(self) -> dict:
        """The routine's position, for the page: steps with their outcome so far."""
        rows = []
        done = {r.planned.index: r for r in self.results}
        for p in self.planned:
            r = done.get(p.index)
            now = self._active is not None and self._active.planned.index == p.index
            rows.append({"step": p.index, "title": p.title, "exercise": p.exercise, "target": p.describe(),
                         "why": p.why(), "outcome": r.outcome if r else ("now" if now else ""),
                         "result": r.report.progress.text() if (r and r.report is not None) else ""})
        a = self._active
        return {"name": self.name, "phase": self.phase, "step": a.planned.index if a else None,
                "steps": len(self.planned), "side": (a.side or (a.sides_left[0] if a.sides_left else None)) if a
                else None, "paused": self.phase == PAUSED, "seen": self.seen if self.phase == GET_READY else None,
                "rows": rows}

    def _title(self) -> str:
        a = self._active
        if a is None:
            return self.name
        side = a.side if a.side in a.sides_left else (a.sides_left[0] if a.sides_left else None)
        where = f" — {side_words(side)}" if side in ("left", "right") else ""
        return f"{a.planned.index}/{len(self.planned)} {a.planned.title}{where}"

    def view(self, phase: str | None = None, notes: tuple[str, ...] = ()) -> HudView:
        phase = self.phase if phase in (None, COACHING, GET_READY, REST, PAUSED, FINISHED) else phase
        a = self._active
        step_note = (f"{self.name}: step {a.planned.index} of {len(self.planned)} · target {a.planned.describe()}",) \
            if a is not None else ()
        if phase == COACHING and self.state is not None:
            v = coaching_view(self.state)
            return HudView(COACHING, f"{self._title()}: {v.title.lower()}", v.tone, cue=v.cue, cue_tone=v.cue_tone,
                           headline=v.headline, notes=step_note + notes, measures=v.measures, time_s=v.time_s,
                           status=v.status)
        if phase == COACHING:
            return HudView(COACHING, self._title(), POSITION_TONE, "Go", GOOD_TONE,
                           headline=self.progress().headline(), notes=step_note + notes)
        if phase == GET_READY:
            tone = POSITION_TONE if self.message == "Get into position" else UNSEEN_TONE
            if self.message.startswith("This looks like"):
                tone = FAULT_TONE
            return HudView(GET_READY, f"Next: {self._title()}", READY_TONE, self.message or "Get into position", tone,
                           headline=self.progress().headline(), notes=step_note + notes)
        if phase == REST:
            nxt = self.planned[self._i + 1] if self._i + 1 < len(self.planned) else None
            extra = (f"Next: {nxt.title} ({nxt.describe()})",) if nxt else ()
            return HudView(REST, "Rest", READY_TONE, self.message, IDLE_TONE, countdown=True, notes=extra + notes)
        if phase == PAUSED:
            return HudView(PAUSED, f"Paused — {self._title()}", IDLE_TONE, "Paused: press Resume", IDLE_TONE,
                           notes=step_note + notes)
        if phase == FINISHED:
            done = sum(r.outcome == DONE for r in self.results)
            return HudView(FINISHED, f"{self.name}: routine complete", GOOD_TONE,
                           f"{done} of {len(self.planned)} steps done", IDLE_TONE, notes=notes)
        return HudView(phase, self._title(), IDLE_TONE, notes=notes)

    def report(self) -> RoutineSummary:
        """The routine so far: finished steps, the step in progress (as
        "stopped") and the steps not reached."""
        results = list(self.results)
        seen = {r.planned.index for r in results}
        a = self._active
        if a is not None and a.planned.index not in seen:
            rep = a.session.report() if a.session is not None else None
            results.append(StepResult(a.planned, STOPPED if rep is not None else NOT_STARTED, rep,
                                      tuple(s for s in a.planned.sides if s not in a.sides_left)))
            seen.add(a.planned.index)
        for p in self.planned:
            if p.index not in seen:
                results.append(StepResult(p, NOT_STARTED, None))
        results.sort(key=lambda r: r.planned.index)
        span = (self._last_t - self._first_t) if (self._last_t is not None and self._first_t is not None) else 0.0
        return RoutineSummary(self.name, tuple(results), span)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


class FreeRun:
    """The free mode: whatever the person does is recognised, coached and
    logged (see the module docstring). Each recognised exercise is a segment
    with its own session; the summary lists the segments in which the person
    was in position."""

    countdown_s = 0.0
    calibration = None
    calibration_error = None
    name = "Free mode"

    def __init__(self, announcer: Announcer, *, profile: Mapping[str, Mapping[str, float]] | None = None,
                 recognizer: Recognizer | None = None):
        self.announcer = announcer
        self.profile = {k: dict(v) for k, v in (profile or {}).items()}
        self.recognizer = recognizer or Recognizer(thresholds=self.profile)
        self.phase = GET_READY
        self.state: EngineState | None = None
        self.segments: list[tuple[str, Session]] = []
        self.message = "Do any exercise: I'll recognise it"
        self._first_t: float | None = None
        self._last_t: float | None = None
        self._rule = get_rule("plank")

    @property
    def rule(self) -> Rule:
        return self.segments[-1][1].rule if self.segments and self.phase == COACHING else self._rule

    @property
    def th(self) -> dict[str, float]:
        if self.segments and self.phase == COACHING:
            return self.segments[-1][1].thresholds
        return self._rule.resolve(self.profile.get(self._rule.name, {}))

    def request(self, command: str) -> None:
        if command not in ("skip", "pause", "resume"):
            raise ValueError(f"unknown routine command {command!r}")

    def step(self, frame: PoseFrame) -> tuple[EngineState | None, str]:
        t = frame.timestamp
        if self._first_t is None:
            self._first_t = t
        self._last_t = t
        rec = self.recognizer.update(frame)
        current = self.segments[-1][0] if self.segments else None
        # a segment ends only when another exercise is recognised: the rests in
        # between (out of position) belong to it, as its goal needs them (repeats)
        if rec.exercise is not None and (current is None or not looks_like(current, rec)):
            rule = get_rule(rec.exercise)
            self.segments.append((rule.name, Session(rule, self.profile.get(rule.name, {}), source="free mode",
                                                     timeline=False)))
            self.phase = COACHING
            self.announcer.event(t, rec.family or rule.title, START, "go")
        if not self.segments:
            return None, NOT_IN_POSITION if frame.detected else CANT_SEE
        st = coach_frame(self.segments[-1][1], frame, self.announcer)
        if st is None:
            return None, NOT_IN_POSITION
        self.state = st
        return st, st.status

    def progress(self):
        if self.segments and self.phase == COACHING:
            return self.segments[-1][1].engine.progress
        return self._rule.goal.start(self.th)

    def status(self) -> dict:
        rows = [{"step": i, "title": s.rule.title, "exercise": name, "target": s.rule.goal.describe(s.thresholds),
                 "why": "", "outcome": "now" if (i == len(self.segments) and self.phase == COACHING) else "logged",
                 "result": s.engine.progress.text()} for i, (name, s) in enumerate(self.segments, 1)]
        return {"name": self.name, "phase": self.phase, "step": len(self.segments) or None, "steps": len(rows),
                "side": None, "paused": False, "free": True, "rows": rows}

    def view(self, phase: str | None = None, notes: tuple[str, ...] = ()) -> HudView:
        if self.phase == COACHING and self.state is not None:
            v = coaching_view(self.state)
            return HudView(COACHING, f"{self.rule.title}: {v.title.lower()}", v.tone, cue=v.cue, cue_tone=v.cue_tone,
                           headline=v.headline, notes=("Free mode: recognised from your pose",) + notes,
                           measures=v.measures, time_s=v.time_s, status=v.status)
        return HudView(GET_READY, "Free mode", READY_TONE, self.message, POSITION_TONE, notes=notes)

    def report(self) -> RoutineSummary:
        steps = []
        for i, (name, s) in enumerate(self.segments, 1):
            rep = s.report()
            if rep.summary.time_in_position_s <= 0:
                continue  # recognised but never coached in position: nothing to log
            p = PlannedStep(i, RoutineStep(name, tuple(s.rule.goal.sides)), None, None, {})
            steps.append(StepResult(p, DONE if rep.progress.reached else STOPPED, rep,
                                    tuple(k for k, v in rep.progress.done.items() if v > 0)))
        span = (self._last_t - self._first_t) if (self._last_t is not None and self._first_t is not None) else 0.0
        return RoutineSummary(self.name, tuple(steps), span, free=True)


__all__ = ["RoutineRun", "FreeRun", "RoutineSummary", "StepResult", "ROUTINE_PHASES", "GET_READY", "REST", "PAUSED",
           "FINISHED", "DONE", "SKIPPED", "STOPPED", "NOT_STARTED"]
