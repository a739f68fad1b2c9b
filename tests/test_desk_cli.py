"""``coach desk`` as a user meets it: a seated clip played as the camera
(the summary, the status lines, the reminder and the break, the session in
the history), Ctrl-C / SIGTERM, bad cameras and files in one line, and
``coach analyze PHOTO -e desk_posture`` on the shared desk photos. The
camera loop itself runs on a fake ``cv2.VideoCapture`` (no camera here).
"""
from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from coach.session import desk_cli
from coach.session.desk import DeskRun
from coach.session.speech import Announcer, Utterance

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT.parent / "shared" / "clips"
SEATED = CLIPS / "polybag" / "kocka_krava_na_zidli.mp4"  # 16.2 s, seated cat-cow, side view
HUNCH = CLIPS / "openposture" / "desk_hunch.jpeg"
STRAIGHT = CLIPS / "sittingposture_nvv" / "straight_hf.jpg"


def need(*paths: Path) -> None:
    for p in paths:
        if not p.is_file():
            pytest.skip(f"needs the shared clips beside the checkout (../shared): {p.name} is missing")


def coach(*args, model: Path | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ, COACH_MODEL=str(model) if model else str(ROOT / "no-model-needed-here.task"))
    return subprocess.run([sys.executable, "-m", "coach.cli", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def assert_user_error(proc: subprocess.CompletedProcess, *words: str) -> str:
    """Exit code 2, exactly one stderr line 'coach: error: ...', no traceback."""
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == 2, f"rc={proc.returncode}\n{proc.stderr}"
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("coach: error:"), proc.stderr
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    return lines[0]


def summary_value(text: str, label: str) -> str:
    found = [ln.strip()[len(label):].strip() for ln in text.splitlines() if ln.strip().startswith(label)]
    assert len(found) == 1, f"no single {label!r} line in:\n{text}"
    return found[0]


def history_json(model: Path | None = None) -> list[dict]:
    proc = coach("history", "--json", model=model)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# ----------------------------------------------------------------------------- end to end (pose model)

@pytest.mark.model
def test_desk_on_a_seated_clip_prints_the_summary_and_saves_the_session(pose_model):
    need(SEATED)
    proc = coach("desk", "--source", SEATED, "--fast", "--no-speech", model=pose_model)
    assert proc.returncode == 0, proc.stderr
    out, err = proc.stdout, proc.stderr
    assert "Traceback" not in err
    assert out.splitlines()[0] == ("Playing kocka_krava_na_zidli.mp4 as the camera "
                                   "(nothing is recorded or sent; Ctrl-C to stop)")
    # the report: the clip's 16 s of sitting, judged 2 frames a second
    assert summary_value(out, "time sitting").startswith("0:16 in all")
    frames = int(re.match(r"(\d+): sitting (\d+)", summary_value(out, "frames judged")).group(1))
    assert 30 <= frames <= 34
    assert "breaks taken        0" in out and "reminders given     0" in out
    # status lines every ~5 s (plain lines: stderr is not a terminal)
    status = [ln for ln in err.splitlines() if " · " in ln]
    assert 3 <= len(status) <= 6, err
    assert all(re.match(r"\d+:\d\d sitting · .+ · slouched \d+:\d\d · breaks 0 · reminders 0$", ln) for ln in status)
    assert "\r" not in err and "\a" not in out + err
    assert re.search(r"history: saved as session 1 in ", err)
    # the history keeps it as a desk session
    [s] = history_json()
    assert s["kind"] == "desk" and s["source"] == str(SEATED) and 15.5 <= s["duration_s"] <= 16.5
    assert [r["goal"] for r in s["results"]] == ["sitting", "breaks", "reminders"]
    sitting = s["results"][0]
    assert 15.5 <= sitting["done"] <= 16.5 and 0 <= sitting["good"] <= sitting["done"]
    listing = coach("history").stdout
    assert re.search(r"desk, 16 s {2}\(kocka_krava_na_zidli\.mp4\)", listing), listing
    assert re.search(r"Desk posture: sitting 0:16, slouched \d+ %, 0 breaks, 0 reminders", listing), listing


@pytest.mark.model
def test_desk_reminder_and_break_on_a_still_played_as_the_camera(pose_model, tmp_path):
    """32 s sitting upright, then 12 s nobody: with --minutes 0.5 the reminder
    comes at 0:30 (printed, with a stretch), and the empty chair is a break."""
    need(STRAIGHT)
    from webcam import photos_to_y4m

    cam = tmp_path / "cam.y4m"
    photos_to_y4m([(STRAIGHT, 32.0, False), (None, 12.0, False)], cam, max_side=480, fps=2)
    proc = coach("desk", "--source", cam, "--fast", "--no-speech", "--minutes", "0.5", "--break-s", "10",
                 "--json", tmp_path / "desk.json", model=pose_model)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert re.search(r"^reminder: You have been sitting for 30 minutes|^reminder: .*sitting", out, re.M), out
    assert re.search(r"^stretch: A stretch from your routine: ", out, re.M), out
    assert summary_value(out, "reminders given").startswith("1 ")
    assert summary_value(out, "breaks taken").startswith("1 ")
    rep = json.loads((tmp_path / "desk.json").read_text())
    assert rep["exercise"] == "desk_posture" and rep["summary"]["goal"]["stats"]["reminders"] == 1
    listing = coach("history").stdout
    assert re.search(r"Desk posture: sitting 0:3\d, slouched \d %, 1 break, 1 reminder", listing), listing


@pytest.mark.model
def test_duration_json_quiet_and_no_save(pose_model, tmp_path):
    need(SEATED)
    proc = coach("desk", "--source", SEATED, "--fast", "--no-speech", "--duration", "6", "-q", "--no-save",
                 "--json", tmp_path / "r.json", model=pose_model)
    assert proc.returncode == 0, proc.stderr
    assert " · " not in proc.stderr  # -q: no status lines
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["summary"]["duration_s"] == pytest.approx(6.0, abs=0.1)
    assert 11 <= rep["summary"]["frames"] <= 14
    assert "history: saved" not in proc.stderr and history_json() == []


@pytest.mark.model
def test_sigterm_stops_cleanly_with_the_summary_and_history(pose_model):
    """In real time (not --fast): stopped after a few seconds like Ctrl-C."""
    need(SEATED)
    env = dict(os.environ, COACH_MODEL=str(pose_model))
    p = subprocess.Popen([sys.executable, "-m", "coach.cli", "desk", "--source", str(SEATED), "--no-speech"],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = p.stdout.readline()
        assert "(nothing is recorded or sent; Ctrl-C to stop)" in first
        time.sleep(4.0)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    assert "Traceback" not in err
    sat = summary_value(out, "time sitting")
    assert re.match(r"0:0[2-6] in all", sat), out  # stopped early, not the whole 16 s
    assert "history: saved as session" in err


@pytest.mark.model
@pytest.mark.parametrize("photo, posture", [(HUNCH, "sitting: slouched, head forward"),
                                            (STRAIGHT, "sitting upright")])
def test_analyze_a_desk_photo(pose_model, photo, posture):
    need(photo)
    proc = coach("analyze", photo, "-e", "desk_posture", "-q", model=pose_model)
    assert proc.returncode == 0, proc.stderr
    assert re.search(rf"^\s+posture\s+{re.escape(posture)}$", proc.stdout, re.M), proc.stdout


# ----------------------------------------------------------------------------- bad input: one line, exit 2

def test_a_camera_that_cannot_be_opened():
    line = assert_user_error(coach("desk", "--camera", "99", "--no-speech"), "cannot open camera 99")
    assert line.endswith(")")


def test_missing_and_corrupt_sources(tmp_path):
    assert_user_error(coach("desk", "--source", tmp_path / "nope.mp4"), "nope.mp4", "no such file")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    assert_user_error(coach("desk", "--source", bad), "bad.mp4")
    assert_user_error(coach("desk", "--source", tmp_path), "directory")


def test_bad_options(tmp_path):
    need(SEATED)
    assert_user_error(coach("desk", "--camera", "1", "--source", SEATED), "choose one")
    assert_user_error(coach("desk", "--source", SEATED, "--minutes", "0.1"), "sit_limit_min")
    assert_user_error(coach("desk", "--source", SEATED, "--duration", "0"), "--duration")
    assert_user_error(coach("desk", "--source", SEATED, "--thresholds", tmp_path / "none.json"))
    assert_user_error(coach("desk", "--source", SEATED, "--json", SEATED), "input file")
    assert history_json() == []


# ----------------------------------------------------------------------------- the camera loop (fake camera)

class FakeCapture:
    """A camera at ``fps`` showing ``image`` (BGR); ``fail_after``: grab fails from then on.
    ``virtual``: no sleeping; :meth:`clock` is the last frame's time (its index / fps),
    for a test that must not depend on how busy the machine is."""

    def __init__(self, image: np.ndarray, fps: float = 30.0, fail_after: int | None = None, opened: bool = True,
                 virtual: bool = False):
        self.image, self.every, self.fail_after, self.opened = image, 1.0 / fps, fail_after, opened
        self.fps, self.virtual = fps, virtual
        self.grabs = self.retrieves = 0
        self.released = False
        self.props: dict = {}

    def isOpened(self):
        return self.opened

    def set(self, prop, value):
        self.props[prop] = value
        return True

    def clock(self) -> float:
        return (self.grabs - 1) / self.fps

    def grab(self):
        if not self.virtual:
            time.sleep(self.every)
        self.grabs += 1
        return self.fail_after is None or self.grabs <= self.fail_after

    def retrieve(self):
        self.retrieves += 1
        return True, self.image.copy()

    def release(self):
        self.released = True


def test_camera_frames_judges_two_a_second_and_decodes_only_those():
    cap = FakeCapture(np.zeros((48, 64, 3), np.uint8), fps=30, virtual=True)
    got = []
    for rgb, t in desk_cli.camera_frames(cap, 0, 2.0, clock_fn=cap.clock):
        got.append(t)
        if t >= 2.0:
            break
    assert got == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])
    assert cap.retrieves == 5 and cap.grabs == 61  # every frame of the 2 s grabbed, 5 decoded
    assert cap.released


def test_camera_that_stops_sending_ends_the_session_with_a_warning():
    warned = []
    cap = FakeCapture(np.zeros((8, 8, 3), np.uint8), fps=50, fail_after=10)
    got = list(desk_cli.camera_frames(cap, 3, 2.0, lost_s=0.3, warn=warned.append))
    assert len(got) == 1 and warned == ["camera 3 stopped sending pictures; stopping"] and cap.released
    never = FakeCapture(np.zeros((8, 8, 3), np.uint8), fps=50, fail_after=0)
    with pytest.raises(desk_cli.SourceError, match="cannot read camera 3"):
        list(desk_cli.camera_frames(never, 3, 2.0, lost_s=0.2))


def test_open_camera_refuses_in_one_line():
    with pytest.raises(desk_cli.SourceError, match=r"^cannot open camera 5 \(.+\)$"):
        desk_cli.open_camera(5, lambda i: FakeCapture(np.zeros((8, 8, 3), np.uint8), opened=False))
    cap = desk_cli.open_camera(0, lambda i: FakeCapture(np.zeros((8, 8, 3), np.uint8)))
    assert cap.props  # asked for a small, slow stream


@pytest.mark.model
def test_coach_desk_on_a_fake_camera(pose_model, monkeypatch, capsys):
    """The camera path of `coach desk`, end to end, with cv2.VideoCapture replaced."""
    need(STRAIGHT)
    import cv2

    from coach import cli

    monkeypatch.setenv("COACH_MODEL", str(pose_model))
    image = cv2.imread(str(STRAIGHT))
    made = []

    def factory(index):
        made.append(FakeCapture(image, fps=15))
        return made[-1]

    monkeypatch.setattr(cv2, "VideoCapture", factory)
    assert cli.main(["desk", "--duration", "2", "--no-speech"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "Camera on (nothing is recorded or sent; Ctrl-C to stop)"
    assert "Desk posture (sitting) — camera 0" in out
    judged = re.match(r"(\d+): sitting (\d+), with a posture fault 0", summary_value(out, "frames judged"))
    assert judged and judged.group(1) == judged.group(2) and 4 <= int(judged.group(1)) <= 6, out
    assert float(summary_value(out, "duration").split()[0]) >= 2.0
    assert "history: saved as session 1" in err and made[0].released
    [s] = history_json()
    assert s["kind"] == "desk" and s["source"] == "camera 0"


# ----------------------------------------------------------------------------- pieces

class NobodyEstimator:
    """A pose estimator that sees nobody (the chair is empty)."""

    def process(self, rgb, t):
        from coach.core.pose import PoseFrame

        return PoseFrame.empty(t, (rgb.shape[1], rgb.shape[0]))


def test_ctrl_c_stops_the_monitor_cleanly():
    def frames():
        for i in range(100):
            if i == 7:
                raise KeyboardInterrupt
            yield np.zeros((4, 4, 3), np.uint8), i * 0.5

    run = DeskRun(Announcer())
    err = io.StringIO()
    outcome = desk_cli.monitor(frames(), NobodyEstimator(), run, desk_cli.Terminal(out=io.StringIO(), err=err))
    assert outcome.stopped == "interrupted" and outcome.frames == 7
    assert outcome.report.summary.frames == 7
    assert err.getvalue().splitlines()[-1] == "0:00 sitting · away (nobody seen) · slouched 0:00 · breaks 0 · reminders 0"


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_status_overwrites_itself_on_a_terminal_and_reminders_ring():
    said = []

    class Speaker:
        def say(self, text):
            said.append(text)

    out, err = Tty(), Tty()
    term = desk_cli.Terminal(out=out, err=err, speaker=Speaker())
    term.status("0:05 sitting · upright · slouched 0:00 · breaks 0 · reminders 0")
    term.say(Utterance(1, 5.0, "You have been sitting for 30 minutes", "reminder", "chime"))
    term.say(Utterance(2, 5.0, "A stretch from your routine: Knee to chest", "suggestion"))
    term.status("0:10 sitting · upright · slouched 0:00 · breaks 0 · reminders 1")
    term.close()
    first = "0:05 sitting · upright · slouched 0:00 · breaks 0 · reminders 0"
    assert err.getvalue().startswith("\r" + first)
    # cleared (spaces over it) before the reminder, which rings the bell; the last line stays
    assert ("\r" + " " * len(first) + "\r\a") in err.getvalue() and err.getvalue().endswith("reminders 1\n")
    assert out.getvalue() == ("reminder: You have been sitting for 30 minutes\n"
                              "stretch: A stretch from your routine: Knee to chest\n")
    assert said == ["You have been sitting for 30 minutes"]  # the stretch is only printed


def test_status_line_words():
    st = {"sitting_s": 751, "slouched_s": 40, "breaks": 1, "reminders": 0, "now": ["sitting"]}
    assert desk_cli.status_line(st) == "12:31 sitting · upright · slouched 0:40 · breaks 1 · reminders 0"
    st["now"] = ["sitting", "slouched", "head_forward"]
    assert desk_cli.status_line(st).split(" · ")[1] == "slouched, head forward"
    st["now"] = ["away"]
    assert desk_cli.status_line(st).split(" · ")[1] == "away (nobody seen)"


def test_speech_commands_per_system():
    none = lambda name: None  # noqa: E731
    assert desk_cli.speech_command("linux", none) is None
    say = desk_cli.speech_command("darwin", lambda n: "/usr/bin/say" if n == "say" else None)
    assert say("Get up") == ["say", "Get up"]
    spd = desk_cli.speech_command("linux", lambda n: f"/usr/bin/{n}" if n in ("spd-say", "espeak") else None)
    assert spd("Get up") == ["spd-say", "--wait", "Get up"]
    esp = desk_cli.speech_command("linux", lambda n: "/usr/bin/espeak" if n == "espeak" else None)
    assert esp("Get up") == ["espeak", "Get up"]
    ps = desk_cli.speech_command("win32", lambda n: "C:/ps.exe" if n == "powershell" else None)
    argv = ps("It's time")
    assert argv[0] == "C:/ps.exe" and "Speak('It''s time')" in argv[-1]


def test_a_speaker_without_a_working_command_stays_silent():
    s = desk_cli.Speaker(lambda text: ["/nonexistent/speech-command", text])
    s.say("hello")  # no exception, and the caller does not wait for speech
    s.close()  # the line is tried on the speech thread
    assert s.command is None
    s.say("again")  # silent from now on
    assert s._thread is None


# ----------------------------------------------------------------------------- the History page

def _history_app():
    from coach.webapp.history_page import history_page

    history_page()


def test_history_page_shows_desk_sessions_apart_from_the_exercises(monkeypatch, tmp_path):
    pytest.importorskip("streamlit")
    from datetime import datetime, timezone

    from streamlit.testing.v1 import AppTest

    from coach.history import ExerciseResult, History, SessionRecord
    from coach.webapp import history_page as hp

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COACH_MODEL", str(tmp_path / "no-model.task"))
    now = datetime.now(timezone.utc)
    desk = dict(exercise="desk_posture", title="Desk posture (sitting)", side="both", target=None)
    with History() as h:
        assert h.add(SessionRecord("desk", now, 3900.0, (
            ExerciseResult(goal="sitting", unit="s", done=3900.0, good=3432.0, longest_s=1800.0,
                           faults={"head_forward": 400.0, "slouched": 68.0}, **desk),
            ExerciseResult(goal="breaks", unit="breaks", done=2, good=2, **desk),
            ExerciseResult(goal="reminders", unit="reminders", done=1, good=1, **desk)), source="camera 0")).saved
        assert h.add(SessionRecord("live", now, 60.0, (
            ExerciseResult("plank", "Plank", "hold", "s", "both", 60.0, 30.0, 28.0, faults={"hips_sagging": 2.0}),
        ))).saved
        results = h.results()
    [day] = hp.desk_data(results)
    assert (day["sitting_s"], day["slouched_pct"], day["breaks"], day["reminders"]) == (3900.0, 12.0, 2, 1)
    assert hp.desk_chart([day]).to_dict()

    at = AppTest.from_function(_history_app, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Desk posture" in [s.value for s in at.subheader]
    assert any("sitting 1:05:00, slouched 12 %, 2 breaks, 1 reminder." in c.value and "head forward 6:40" in c.value
               for c in at.caption), [c.value for c in at.caption]
    assert at.selectbox(key="history_exercise").options == ["Plank (forearms or hands)"]  # not the desk
    assert not any("Desk" in c.value and "Lift your hips" in c.value for c in at.caption)  # the exercise faults alone
    [table] = at.dataframe
    assert "Desk posture: sitting 1:05:00, slouched 12 %, 2 breaks, 1 reminder" in list(table.value["results"])

    listing = coach("history").stdout
    assert "Desk posture: sitting 1:05:00, slouched 12 %, 2 breaks, 1 reminder" in listing
    assert "posture faults (time sitting so): head forward 6:40, slouched 1:08" in listing
