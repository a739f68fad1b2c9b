"""The HUD view model: what the user is shown at a moment, in words, once.

The video overlay (:class:`coach.media.annotate.HudAnnotator`) and the live
page's HTML panel both draw a :class:`HudView`, so they say the same thing.
The session phases are named here too: every phase a session can be in,
with its title.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from pose_rules.base import CANT_SEE, FAULT, GOOD, NOT_IN_POSITION, TIMED
from pose_rules.goals import Headline, Progress

from .engine import EngineState

# Session phases (the live coach; a clip is "coaching" throughout)
WAITING, SETUP, COUNTDOWN, CALIBRATING, COACHING, STOPPED = (
    "waiting", "setup", "countdown", "calibrating", "coaching", "stopped")
PHASES = (WAITING, SETUP, COUNTDOWN, CALIBRATING, COACHING, STOPPED)

#: The title shown for each verdict status while coaching.
STATUS_TITLE = {GOOD: "Good form", FAULT: "Fix your form", NOT_IN_POSITION: "Get into position",
                CANT_SEE: "Can't see you", TIMED: "Timed step: not judged by the camera"}
#: The title shown in the other phases.
PHASE_TITLE = {WAITING: "Press START and allow the camera", SETUP: "Camera set-up", COUNTDOWN: "Get ready",
               CALIBRATING: "Calibrating: hold your best form", STOPPED: "Stopped"}

# Tones: what colour a renderer gives a part of the view
GOOD_TONE, FAULT_TONE, POSITION_TONE, UNSEEN_TONE, READY_TONE, IDLE_TONE = (
    "good", "fault", "position", "unseen", "ready", "idle")
STATUS_TONE = {GOOD: GOOD_TONE, FAULT: FAULT_TONE, NOT_IN_POSITION: POSITION_TONE, CANT_SEE: UNSEEN_TONE,
               TIMED: READY_TONE}


@dataclass(frozen=True)
class HudView:
    """What to show. ``tone`` colours the title bar; ``message`` goes in the
    centre (a set-up instruction, a countdown number, the calibration
    instruction) with ``message_tone``; ``cue`` at the bottom with
    ``cue_tone``; ``headline`` is the goal's big number (None before
    coaching); ``notes`` are small extra lines (a refused calibration, an
    error); ``measures`` and ``time_s`` are details for reviewing clips."""

    phase: str
    title: str
    tone: str
    message: str = ""
    message_tone: str = IDLE_TONE
    countdown: bool = False
    cue: str | None = None
    cue_tone: str = FAULT_TONE
    headline: Headline | None = None
    notes: tuple[str, ...] = ()
    measures: tuple[tuple[str, float], ...] = ()
    time_s: float | None = None
    status: str | None = None


def coaching_view(st: EngineState, measures: int = 3) -> HudView:
    """The view of one coached frame (clips, and the live coach while coaching)."""
    ms = tuple((k, float(v)) for k, v in list(st.verdict.measures.items())[:measures]
               if isinstance(v, float) and math.isfinite(v))
    return HudView(COACHING, STATUS_TITLE.get(st.status, st.status), STATUS_TONE.get(st.status, UNSEEN_TONE),
                   cue=st.cue, cue_tone=FAULT_TONE if st.status == FAULT else POSITION_TONE,
                   headline=st.progress.headline(), measures=ms, time_s=st.timestamp, status=st.status)


def phase_view(phase: str, message: str = "", *, setup_ok: bool = False, progress: Progress | None = None,
               state: EngineState | None = None, notes: tuple[str, ...] = ()) -> HudView:
    """The view in any phase: ``state`` (the latest coached frame) while
    coaching; ``progress`` (the goal's count so far) shown from the countdown
    on; ``setup_ok`` when the camera set-up check passes."""
    if phase == COACHING and state is not None:
        v = coaching_view(state)
        return HudView(v.phase, v.title, v.tone, cue=v.cue, cue_tone=v.cue_tone, headline=v.headline,
                       notes=notes, measures=v.measures, time_s=v.time_s, status=v.status)
    headline = progress.headline() if (progress is not None and phase in (COUNTDOWN, COACHING, STOPPED)) else None
    if phase == SETUP:
        tone = POSITION_TONE if setup_ok else UNSEEN_TONE
        return HudView(phase, PHASE_TITLE[phase], tone, message or "Hold still…",
                       GOOD_TONE if setup_ok else POSITION_TONE, notes=notes)
    if phase in (COUNTDOWN, CALIBRATING):
        return HudView(phase, PHASE_TITLE[phase], READY_TONE, message, IDLE_TONE, countdown=phase == COUNTDOWN,
                       headline=headline, notes=notes)
    return HudView(phase, PHASE_TITLE.get(phase, STATUS_TITLE[CANT_SEE]), IDLE_TONE, headline=headline, notes=notes)


__all__ = ["HudView", "coaching_view", "phase_view", "PHASES", "WAITING", "SETUP", "COUNTDOWN", "CALIBRATING",
           "COACHING", "STOPPED", "STATUS_TITLE", "PHASE_TITLE"]
