"""``coach desk``: the desk posture monitor on a local camera, in the terminal.

The camera is read with OpenCV (``cv2.VideoCapture``; the cv2 that MediaPipe
brings). Frames are grabbed as the camera sends them (``grab`` does not
decode), and only about ``judge_fps`` (2) a second are decoded and given to
the pose model, so an all-day monitor costs little CPU. A video file can play
the camera (``--source``; for machines without one, and for tests), in real
time or as fast as it decodes (``fast``).

Time is the frames' time: for the camera, ``time.monotonic()`` since the start
taken when the frame is grabbed; for a file, the file's own timestamps.

The judging is :class:`coach.session.desk.DeskRun` (as on the Desk page); this
module only feeds it, prints its status and what it says, rings the bell and
speaks reminders with the system's speech command when there is one. Nothing
is recorded: frames are dropped once judged.
"""
from __future__ import annotations

import contextlib
import math
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TextIO

import numpy as np

from coach.core.timing import RateLimit
from coach.media.estimator import quiet_stderr
from pose_rules.goals import SITTING, clock

from .desk import DeskRun
from .speech import CUE, REMINDER, SETUP, START, SUGGESTION, Utterance

#: A status line every this many seconds (frame time).
STATUS_EVERY_S = 5.0
#: Ask the camera for this frame rate (cameras that cannot keep their own): fewer frames to grab.
CAMERA_FPS = 10
#: Ask the camera for this frame width (the pose model sees 256 px anyway).
CAMERA_WIDTH = 640
#: The camera sent nothing for this long: it is gone (unplugged, taken by another program).
CAMERA_LOST_S = 5.0
#: Utterance kinds that are spoken (the others are only printed).
SPOKEN = (REMINDER, CUE, START, SETUP)
#: How each utterance kind is labelled when printed.
LABELS = {REMINDER: "reminder", SUGGESTION: "stretch", CUE: "posture", START: "calibration", SETUP: "calibration"}


class SourceError(Exception):
    """The camera or the file playing it cannot be read (one line)."""


# ----------------------------------------------------------------------------- frames

def _cv2():
    import cv2

    with contextlib.suppress(Exception):
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    return cv2


def _camera_hint(index: int) -> str:
    if sys.platform == "darwin":
        return "no such camera, or the terminal may not use it: System Settings > Privacy & Security > Camera"
    if os.name == "nt":
        return "no such camera, or another program is using it, or camera access is off in Settings > Privacy"
    if sys.platform.startswith("linux") and not Path(f"/dev/video{index}").exists():
        return f"no /dev/video{index}"
    return "no such camera, or another program is using it, or no permission"


def _scaled(rgb: np.ndarray, max_side: int | None) -> np.ndarray:
    if not max_side or max(rgb.shape[:2]) <= max_side:
        return rgb
    cv2 = _cv2()
    h, w = rgb.shape[:2]
    s = max_side / max(h, w)
    return cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def open_camera(index: int, capture_factory: Callable | None = None):
    """An opened ``cv2.VideoCapture`` for camera ``index`` (SourceError if it cannot be opened)."""
    cv2 = _cv2()
    factory = capture_factory or cv2.VideoCapture
    with quiet_stderr():
        try:
            cap = factory(int(index))
            ok = cap.isOpened()
        except Exception as e:  # a backend error: said in one line
            raise SourceError(f"cannot open camera {index} ({' '.join(str(e).split())[:160]})") from None
    if not ok:
        with contextlib.suppress(Exception):
            cap.release()
        raise SourceError(f"cannot open camera {index} ({_camera_hint(index)})")
    with contextlib.suppress(Exception):  # requests: a camera may ignore them
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, CAMERA_WIDTH)
        cap.set(cv2.CAP_PROP_FPS, CAMERA_FPS)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return cap


def camera_frames(cap, index: int, judge_fps: float, *, max_side: int | None = None,
                  clock_fn: Callable[[], float] = time.monotonic, lost_s: float = CAMERA_LOST_S,
                  warn: Callable[[str], None] = lambda m: None) -> Iterator[tuple[np.ndarray, float]]:
    """``(rgb, t)`` from an opened capture, at most ``judge_fps`` a second:
    every frame is grabbed (so the one judged is fresh) but only those judged
    are decoded. ``t``: seconds since the first frame, taken when grabbed.
    Ends when the camera sends nothing for ``lost_s`` (after ``warn``);
    SourceError when it never sent a frame."""
    cv2 = _cv2()
    every = 1.0 / judge_fps if judge_fps else 0.0
    t0: float | None = None
    due = 0.0  # the next frame time to judge: on a grid of ``every``, unless it falls behind
    failing_since: float | None = None
    try:
        while True:
            ok = cap.grab()
            now = clock_fn()
            if not ok:
                failing_since = now if failing_since is None else failing_since
                if now - failing_since >= lost_s:
                    if t0 is None:
                        raise SourceError(f"cannot read camera {index} (it opened but sent no picture; "
                                          f"{_camera_hint(index)})")
                    warn(f"camera {index} stopped sending pictures; stopping")
                    return
                time.sleep(0.05)
                continue
            failing_since = None
            if t0 is None:
                t0 = now
            t = now - t0
            if t < due - 1e-3:
                continue
            ok, bgr = cap.retrieve()
            if not ok or bgr is None or getattr(bgr, "ndim", 0) != 3:
                continue
            due += every
            if due <= t:  # fell behind (a slow judgement): back on time, no burst to catch up
                due = t + every
            yield _scaled(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), max_side), t
    finally:
        with contextlib.suppress(Exception):
            cap.release()


def file_frames(path: str | Path, judge_fps: float, *, realtime: bool = True, max_side: int | None = None,
                sleep: Callable[[float], None] = time.sleep) -> Iterator[tuple[np.ndarray, float]]:
    """``(rgb, t)`` from a video file played as the camera: its own
    timestamps, at most ``judge_fps`` frames a second, paced to the wall
    clock unless ``realtime`` is False. VideoError when it cannot be read."""
    from coach.media.video import iter_frames

    limit = RateLimit(judge_fps)
    wall0 = time.monotonic()
    with contextlib.closing(iter_frames(path, max_side=max_side, prefetch=4)) as decoded:
        for rgb, t in decoded:
            if not limit.take(t):
                continue
            if realtime:
                wait = wall0 + t - time.monotonic()
                if wait > 0:
                    sleep(wait)
            yield rgb, t


# ----------------------------------------------------------------------------- speech

def speech_command(platform: str | None = None, which: Callable[[str], str | None] = shutil.which
                   ) -> Callable[[str], list[str]] | None:
    """How to speak a line on this system (a function text -> argv), or None
    when there is no speech command: ``say`` (macOS), ``spd-say`` or
    ``espeak`` / ``espeak-ng`` (Linux), PowerShell's SAPI voice (Windows)."""
    platform = platform or sys.platform
    if platform == "darwin" and which("say"):
        return lambda text: ["say", text]
    if platform.startswith("win"):
        ps = which("powershell") or which("pwsh")
        if ps:
            return lambda text: [ps, "-NoProfile", "-NonInteractive", "-Command",
                                 "Add-Type -AssemblyName System.Speech; "
                                 "(New-Object System.Speech.Synthesis.SpeechSynthesizer).Speak('"
                                 + text.replace("'", "''") + "')"]
        return None
    if which("spd-say"):
        return lambda text: ["spd-say", "--wait", text]
    for name in ("espeak-ng", "espeak"):
        if which(name):
            return lambda text, exe=name: [exe, text]
    return None


class Speaker:
    """Says lines with the system's speech command on a thread of its own,
    one after the other, so the camera loop never waits for speech. Never
    fails: without a command, or when it fails, it is silent."""

    def __init__(self, command: Callable[[str], list[str]] | None):
        self.command = command
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._thread: threading.Thread | None = None

    def say(self, text: str) -> None:
        if self.command is None or not text:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="coach-speech", daemon=True)
            self._thread.start()
        with contextlib.suppress(queue.Full):  # far behind: drop the line rather than wait
            self._queue.put_nowait(text)

    def _work(self) -> None:
        while True:
            text = self._queue.get()
            if text is None or self.command is None:
                return
            try:
                subprocess.run(self.command(text), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=30, check=False)
            except subprocess.TimeoutExpired:
                pass
            except (OSError, ValueError, subprocess.SubprocessError):
                self.command = None  # it does not work here: stay quiet from now on

    def close(self) -> None:
        """Let the lines queued be spoken (waiting at most 10 s), then stop the thread."""
        t, self._thread = self._thread, None
        if t is None:
            return
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=1)
        t.join(timeout=10)


# ----------------------------------------------------------------------------- the terminal

def status_line(status: dict) -> str:
    """DeskRun.status() in one line: "12:31 sitting · upright · slouched 0:40 · breaks 1 · reminders 0"."""
    now = status.get("now") or []
    if not now:
        posture = "waiting for the first picture"
    elif now[0] == SITTING:
        posture = "upright" if len(now) == 1 else ", ".join(f.replace("_", " ") for f in now[1:])
    else:
        posture = {"away": "away (nobody seen)"}.get(now[0], now[0])
    parts = [f"{clock(status.get('sitting_s') or 0.0)} sitting", posture,
             f"slouched {clock(status.get('slouched_s') or 0.0)}", f"breaks {int(status.get('breaks') or 0)}",
             f"reminders {int(status.get('reminders') or 0)}"]
    if status.get("calibrating"):
        parts.insert(1, "calibrating")
    if status.get("snoozed_until") is not None:
        parts.append("snoozed")
    return " · ".join(parts)


@dataclass
class Terminal:
    """What the monitor prints: utterances on ``out``, status lines on
    ``err`` (overwritten in place with \\r when ``err`` is a terminal)."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    quiet: bool = False
    speaker: Speaker | None = None
    _pending_status: bool = False
    _shown: int = 0  # the length of the status line on the screen (overwritten with spaces: no ANSI codes)

    def _tty(self, stream) -> bool:
        try:
            return bool(stream.isatty())
        except (AttributeError, ValueError):
            return False

    def _clear_status(self) -> None:
        if self._pending_status:
            self.err.write("\r" + " " * self._shown + "\r")
            self.err.flush()
            self._pending_status, self._shown = False, 0

    def status(self, line: str) -> None:
        if self.quiet:
            return
        if self._tty(self.err):
            self.err.write("\r" + line + " " * max(0, self._shown - len(line)))
            self._pending_status, self._shown = True, len(line)
        else:
            self.err.write(line + "\n")
        self.err.flush()

    def say(self, u: Utterance) -> None:
        self._clear_status()
        label = LABELS.get(u.kind, "coach")
        self.out.write(f"{label}: {u.text}\n")
        self.out.flush()
        if u.kind == REMINDER:
            for stream in (self.err, self.out):
                if self._tty(stream):
                    stream.write("\a")
                    stream.flush()
                    break
        if self.speaker is not None and u.kind in SPOKEN:
            self.speaker.say(u.text)

    def line(self, text: str, err: bool = False) -> None:
        self._clear_status()
        stream = self.err if err else self.out
        stream.write(text + "\n")
        stream.flush()

    def close(self) -> None:
        """The last status line stays on the screen."""
        if self._pending_status:
            self.err.write("\n")
            self.err.flush()
            self._pending_status, self._shown = False, 0


# ----------------------------------------------------------------------------- the loop

@dataclass
class DeskOutcome:
    """How a monitoring session ended: its report, the frames judged, why it stopped."""

    report: object
    frames: int
    stopped: str  # "end" (of the file) | "duration" | "interrupted" | "camera lost"
    seconds: float


def monitor(frames: Iterator[tuple[np.ndarray, float]], estimator, run: DeskRun, terminal: Terminal, *,
            duration_s: float | None = None, status_every_s: float = STATUS_EVERY_S) -> DeskOutcome:
    """Judge ``frames`` with ``estimator`` (``.process(rgb, t) -> PoseFrame``)
    and ``run`` until they end, ``duration_s`` of frame time has passed, or
    Ctrl-C / SIGTERM (a KeyboardInterrupt); prints as it goes. The frames
    iterator is closed on the way out (the camera released)."""
    last_id = 0
    n = 0
    next_status = 0.0
    t = 0.0
    stopped = "end"
    asked: list[int] = []

    def _stop(signum, frame):  # the loop stops at its next frame, outside MediaPipe (a second signal: at once)
        asked.append(signum)
        if len(asked) > 1:
            raise KeyboardInterrupt

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):  # not the main thread: Ctrl-C raises as usual
            previous[sig] = signal.signal(sig, _stop)
    try:
        for rgb, t in frames:
            if asked:
                stopped = "interrupted"
                break
            if not run.camera_paused:
                run.step(estimator.process(rgb, t))
                n += 1
            for u in run.announcer.since(last_id):
                last_id = u.id
                terminal.say(u)
            if t >= next_status:
                terminal.status(status_line(run.status()))
                next_status = t + status_every_s
            if duration_s is not None and t >= duration_s - 1e-6:
                stopped = "duration"
                break
    except KeyboardInterrupt:
        stopped = "interrupted"
    finally:
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, handler)
        close = getattr(frames, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()
    if n:
        terminal.status(status_line(run.status()))
    terminal.close()
    return DeskOutcome(run.report(), n, stopped, t if math.isfinite(t) else 0.0)


__all__ = ["SourceError", "open_camera", "camera_frames", "file_frames", "speech_command", "Speaker",
           "status_line", "Terminal", "monitor", "DeskOutcome", "STATUS_EVERY_S"]
