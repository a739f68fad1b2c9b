"""The desk monitor over simulated hours: real landmark readings (an upright
seated frame, a slouched one, a standing one, nobody in view) with a little
jitter, at the 2 frames/s the Desk page judges, through
:class:`coach.session.desk.DeskRun` and the live session.

What a person at the desk would check: the "get up" reminder comes at 30:00
of sitting (then every 10 minutes), a minute standing or away restarts the
count and a shorter one does not, snooze and pause do what they say, a
posture cue waits 30 s and is not nagged, calibration keeps the time, a
replay of the same frames counts the same, and the camera is judged only
twice a second.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from coach.core.pose import PoseFrame, PoseTrack
from coach.session.desk import DeskRun
from coach.session.loop import analyze_track
from coach.session.speech import Announcer
from pose_rules import get_rule

ROOT = Path(__file__).resolve().parents[2]
TRACKS = ROOT / "devset" / "tracks"
FPS = 2.0  # the desk rule's judge_fps
STEP = 1.0 / FPS
SUGGESTIONS = ("Knee-to-chest stretch: 3 x 20 s hold per side", "Cat-cow: 10 slow repeats")


def _frame(track: str, t: float) -> PoseFrame:
    path = TRACKS / f"{track}.npz"
    if not path.is_file():  # pragma: no cover - the devset is part of the repository
        pytest.skip(f"{path} is missing")
    tr = PoseTrack.load(path)
    i = int(np.argmin(np.abs(tr.timestamps - t)))
    return tr.frame(i)


@pytest.fixture(scope="module")
def bases() -> dict[str, PoseFrame]:
    """Real readings (MediaPipe full model) the desk rule judges as named."""
    b = {
        "sit": _frame("clip_kocka_krava_na_zidli", 6.4),  # side view, sitting upright
        "slouch": _frame("clip_kocka_krava_na_zidli", 3.0),  # side view, slouched + head forward
        "front": _frame("clip_bocni_uklon_na_zidli", 0.4),  # front view, sitting upright
        "stand": _frame("clip_spravny_postoj", 10.0),  # standing
    }
    rule = get_rule("desk_posture")
    th = rule.resolve({})
    assert rule.evaluate(b["sit"], th).status == "good"
    assert rule.evaluate(b["front"], th).status == "good"
    assert "slouched" in rule.evaluate(b["slouch"], th).faults
    assert rule.evaluate(b["stand"], th).status == "not_in_position"
    return b


class Desk:
    """A DeskRun fed a schedule of postures at 2 frames/s, frame time from 0."""

    def __init__(self, bases, *, overrides=None, seed: int = 0, **kw):
        self.bases = bases
        self.announcer = Announcer()
        self.run = DeskRun(self.announcer, overrides, suggestions=kw.pop("suggestions", SUGGESTIONS), **kw)
        self.rng = np.random.default_rng(seed)
        self.n = 0  # frames so far: frame n is at n / FPS s
        self.frames: list[PoseFrame] = []
        self.states = []

    @property
    def t(self) -> float:
        """The time of the next frame."""
        return self.n * STEP

    def make(self, kind: str, t: float) -> PoseFrame:
        if kind == "away":
            return PoseFrame.empty(t, self.bases["sit"].image_size)
        base = self.bases[kind]
        lm = base.landmarks.copy()
        lm[:, :2] += self.rng.normal(0.0, 0.002, (lm.shape[0], 2)).astype(np.float32)
        return PoseFrame(lm, base.world, t, base.image_size)

    def feed(self, kind: str, seconds: float, *, until_reminder: bool = False):
        """``seconds`` of ``kind`` frames ("sit", "slouch", "front", "stand", "away")."""
        for _ in range(int(round(seconds * FPS))):
            f = self.make(kind, self.t)
            self.n += 1
            self.frames.append(f)
            st, _ = self.run.step(f)
            self.states.append(st)
        return self

    def said(self, kind: str) -> list:
        return [u for u in self.announcer.since(0) if u.kind == kind]

    def stats(self) -> dict:
        return self.run.status()


def _lag(bases) -> float:
    """Frames the 1 Hz landmark smoothing takes to follow sitting -> standing
    at 2 frames/s (the first standing frame is still a blend with sitting)."""
    d = Desk(bases).feed("sit", 60).feed("stand", 10)
    return 10.0 - d.run.progress().stats["standing_s"]


# ----------------------------------------------------------------------------- reminders

def test_forty_minutes_sitting_gives_reminders_at_30_and_40_minutes(bases):
    d = Desk(bases).feed("sit", 40 * 60 + STEP)  # frames at 0 .. 2400.0 s
    reminders = d.said("reminder")
    assert [u.t for u in reminders] == [1800.0, 2400.0]
    assert all(u.sound == "chime" for u in reminders)
    assert "30 minutes" in reminders[0].text and "40 minutes" in reminders[1].text
    # each reminder is followed by a stretch from the routine, in the routine's order
    said = d.announcer.since(0)
    for r, tip in zip(reminders, SUGGESTIONS):
        i = said.index(r)
        assert said[i + 1].kind == "suggestion" and said[i + 1].t == r.t and tip in said[i + 1].text
    s = d.stats()
    assert s["reminders"] == 2 and s["breaks"] == 0
    assert s["sitting_s"] == pytest.approx(2400.0)
    assert s["next_reminder_s"] == pytest.approx(3000.0)
    assert d.said("cue") == []  # upright the whole time: nothing to correct


def test_a_minute_standing_is_a_break_and_restarts_the_count(bases):
    lag = _lag(bases)
    assert lag <= STEP  # at most one frame to follow the person standing up
    d = Desk(bases).feed("sit", 20 * 60)
    assert d.stats()["sitting_s"] == pytest.approx(20 * 60 - STEP)  # the first frame credits no time
    d.feed("stand", 60 + lag)  # judged standing for exactly break_s
    s = d.stats()
    assert s["breaks"] == 1 and s["sitting_s"] == 0.0
    assert d.run.progress().stats["standing_s"] == pytest.approx(60.0)
    sat_down = d.t
    d.feed("sit", 31 * 60)
    reminders = d.said("reminder")
    assert len(reminders) == 1  # 20 min before the break do not count
    assert abs(reminders[0].t - (sat_down + 1800.0)) <= STEP + lag
    assert d.run.report().progress.goal  # the report is made without trouble
    units = [u for u in d.run.session.engine.counter.units() if u["kind"] == "reminder"]
    assert units[0]["sitting_s"] == pytest.approx(1800.0)


def test_59_seconds_standing_is_no_break_and_the_count_goes_on(bases):
    lag = _lag(bases)
    d = Desk(bases).feed("sit", 20 * 60)
    before = d.stats()["sitting_s"]
    d.feed("stand", 59 + lag)  # judged standing 59 s: one second short of a break
    s = d.stats()
    assert s["breaks"] == 0
    assert s["sitting_s"] == pytest.approx(before + lag)  # neither added (the lag frame counts as sitting) nor reset
    assert d.run.progress().stats["standing_s"] == pytest.approx(59.0)
    d.feed("sit", 12 * 60)
    reminders = d.said("reminder")
    assert len(reminders) == 1
    # 30 min of sitting, not of wall time: the minute standing is not counted
    assert reminders[0].t == pytest.approx(1800.0 + 59.0 + lag, abs=STEP)
    assert [u for u in d.run.session.engine.counter.units() if u["kind"] == "reminder"][0]["sitting_s"] == \
        pytest.approx(1800.0)


def test_away_for_45_minutes_no_reminder_a_break_then_reminder_30_min_after_return(bases):
    d = Desk(bases).feed("sit", 25 * 60)
    left = d.t
    d.feed("away", 45 * 60)
    assert d.said("reminder") == []  # 25 min sitting, then nobody: no reminder while away
    s = d.stats()
    assert s["breaks"] == 1 and s["sitting_s"] == 0.0 and s["posture"].startswith("away")
    brk = [u for u in d.run.session.engine.counter.units() if u["kind"] == "break"]
    # the break counts once nobody has been seen for break_s (60 s after the last sitting frame)
    assert brk[0]["end"] == pytest.approx(left - STEP + 60.0)
    back = d.t
    d.feed("sit", 31 * 60)
    reminders = d.said("reminder")
    assert len(reminders) == 1
    assert abs(reminders[0].t - (back + 1800.0)) <= STEP
    assert d.stats()["breaks"] == 1


# ----------------------------------------------------------------------------- snooze / pause

def test_snooze_postpones_the_reminder_to_the_end_of_the_snooze(bases):
    d = Desk(bases).feed("sit", 25 * 60)  # frames 0 .. 1499.5
    d.run.request("snooze")  # at 24:59.5 (the latest frame): for 10 min
    until = d.run.snoozed_until
    assert until == pytest.approx(25 * 60 - STEP + 600.0)
    assert d.stats()["snoozed_until"] == until
    d.feed("slouch", 5 * 60)  # slouching while snoozed: nothing is said
    d.feed("sit", 5 * 60 + STEP)
    assert [u for u in d.said("reminder") if u.t < until] == []
    assert d.said("cue") == []
    # shown cues are held back as well
    assert all(st.cue is None for st in d.states if st is not None and st.timestamp < until)
    reminders = d.said("reminder")
    assert [u.t for u in reminders] == [until]  # the first frame after the snooze ends
    assert d.run.snoozed_until is None


def test_snooze_at_25_min_reminder_at_35_min_exactly(bases):
    d = Desk(bases).feed("sit", 25 * 60 + STEP)  # the latest frame at 25:00
    d.run.request("snooze")
    assert d.run.snoozed_until == 2100.0
    d.feed("sit", 10 * 60 + STEP)
    assert [u.t for u in d.said("reminder")] == [2100.0]
    assert d.stats()["reminders"] == 1


def test_unsnooze_gives_the_due_reminder_at_once(bases):
    d = Desk(bases).feed("sit", 25 * 60 + STEP)
    d.run.request("snooze")
    d.feed("sit", 6 * 60)  # to 31:00, the reminder waits
    assert d.said("reminder") == []
    d.run.request("unsnooze")
    assert d.run.snoozed_until is None
    d.feed("sit", STEP)
    assert [u.t for u in d.said("reminder")] == [31 * 60 + STEP]


class CountingEstimator:
    """Stands in for the pose estimator: hands back the next posture's reading, counting the calls."""

    def __init__(self, bases, kind: str = "sit"):
        self.bases, self.kind, self.calls, self.closed = bases, kind, 0, False
        self.rng = np.random.default_rng(1)

    def process(self, image, t):
        self.calls += 1
        base = self.bases[self.kind]
        lm = base.landmarks.copy()
        lm[:, :2] += self.rng.normal(0.0, 0.002, (lm.shape[0], 2)).astype(np.float32)
        return PoseFrame(lm, base.world, t, base.image_size)

    def close(self):
        self.closed = True


def _live(bases, kind="sit"):
    from coach.session.live import LiveSession

    est = CountingEstimator(bases, kind)
    live = LiveSession(lambda: est, "desk_posture", countdown_s=0,
                       run_factory=lambda a: DeskRun(a, suggestions=SUGGESTIONS))
    return live, est


IMAGE = np.full((120, 160, 3), 90, np.uint8)


def test_pause_stops_estimation_and_freezes_the_sitting_time(bases):
    live, est = _live(bases)
    t = 0.0
    for i in range(121):  # 60 s sitting at 2 frames/s
        t = i * STEP
        live.process(IMAGE, t)
    assert est.calls == 121
    sitting = live.snapshot().routine["sitting_s"]
    assert sitting == pytest.approx(60.0)
    live.command("pause")
    snap = live.snapshot()
    assert snap.routine["paused"] is True and snap.hud.phase == "paused"
    out = None
    for i in range(1, 20 * 60 * 2 + 1):  # 20 min paused
        out = live.process(IMAGE, t + i * STEP)
    assert est.calls == 121  # not looked at while paused
    assert out is not None and out.mean() < IMAGE.mean()  # the picture is dimmed
    snap = live.snapshot()
    assert snap.routine["sitting_s"] == pytest.approx(sitting)  # frozen: neither counted nor reset
    assert snap.routine["breaks"] == 0
    live.command("resume")
    t += 20 * 60
    for i in range(1, 121):
        live.process(IMAGE, t + i * STEP)
    assert est.calls == 121 + 120
    snap = live.snapshot()
    assert snap.routine["paused"] is False
    # the first frame after the pause credits nothing (a gap in the frames), then it counts on
    assert snap.routine["sitting_s"] == pytest.approx(sitting + 119 * STEP)
    assert snap.routine["breaks"] == 0


def test_live_session_judges_two_frames_a_second_from_a_30_fps_camera(bases):
    live, est = _live(bases)
    for i in range(300):  # 10 s at 30 fps
        out = live.process(IMAGE, i / 30.0)
        assert out.shape == IMAGE.shape
    assert 19 <= est.calls <= 21
    snap = live.snapshot()
    assert snap.frames == est.calls  # the frames judged
    assert snap.routine["sitting_s"] == pytest.approx(10.0, abs=1.0)


# ----------------------------------------------------------------------------- posture cues

def test_a_slouch_is_cued_after_30_s_and_said_once_in_ten_minutes(bases):
    d = Desk(bases).feed("sit", 60)
    start = d.t
    d.feed("slouch", 15 * 60)
    cue_ts = [st.timestamp for st in d.states if st is not None and st.cue]
    assert cue_ts, "a slouch held 15 minutes is never cued"
    first = cue_ts[0]
    assert start + 30.0 - 1e-9 <= first <= start + 30.0 + 2 * STEP  # cue_delay_s (+ the smoothing's frame)
    # shown from then on while the slouch lasts
    assert all(st.cue for st in d.states if st is not None and st.timestamp >= first)
    said = d.said("cue")
    slouched = get_rule("desk_posture").fault("slouched").cue
    # the smoothing shows head-forward half a second before the slouch: its cue is said first, and the
    # slouch's (more important) right after it reaches the screen; then nothing until cue_repeat_min
    assert said[0].t == first
    assert said[0].text == next(st.cue for st in d.states if st is not None and st.timestamp == first)
    upgrade = [u for u in said[1:] if u.t < first + 600.0]
    assert len(upgrade) <= 1 and all(u.text == slouched and u.t <= first + 5.0 for u in upgrade)
    assert said[-1].t == pytest.approx(first + 600.0, abs=5.0 + STEP) and len(said) == 2 + len(upgrade)
    assert d.states[-1].cue == slouched
    assert d.stats()["slouched_s"] == pytest.approx(15 * 60, abs=2 * STEP)
    # sitting up: the cue goes
    d.feed("sit", 10)
    assert d.states[-1].cue is None and d.stats()["posture"] == "sitting upright"


def test_a_short_slouch_is_not_cued(bases):
    d = Desk(bases).feed("sit", 60)
    for _ in range(10):
        d.feed("slouch", 20).feed("sit", 20)
    assert all(st.cue is None for st in d.states if st is not None)
    assert d.said("cue") == []
    assert d.stats()["slouched_s"] == pytest.approx(200.0, abs=10 * STEP)  # counted all the same


# ----------------------------------------------------------------------------- calibration

def test_calibrating_during_a_session_keeps_the_sitting_time(bases):
    d = Desk(bases).feed("sit", 10 * 60)
    sitting = d.stats()["sitting_s"]
    th_before = dict(d.run.th)
    d.run.request("calibrate")
    assert d.stats()["calibrating"] is True
    d.feed("sit", 5.0 + STEP)
    s = d.stats()
    assert s["calibrating"] is False and s["calibrated"] is True, d.run.calibration_error
    assert s["sitting_s"] == pytest.approx(sitting + 5.0 + STEP)  # kept, and counted on while calibrating
    assert [u.text for u in d.announcer.since(0) if u.kind == "start"][-1] == "Calibrated"
    # the side view's neutrals are now this person's upright readings
    changed = {k for k in th_before if d.run.th[k] != th_before[k]}
    assert "trunk_neutral_deg" in changed and "ear_fwd_neutral_deg" in changed
    eng = d.run.session.engine.th
    assert eng["trunk_neutral_deg"] == d.run.th["trunk_neutral_deg"]  # in force in the engine
    assert eng["sit_limit_min"] == 30.0  # the goal's own settings are kept
    v = d.states[-1].verdict
    assert v.measures["trunk_fwd_deg"] == pytest.approx(d.run.th["trunk_neutral_deg"], abs=3.0)
    # the reminder still comes at 30:00 of sitting
    d.feed("sit", 21 * 60)
    assert [u.t for u in d.said("reminder")] == [1800.0]


def test_a_forty_minute_track_through_coach_analyze_says_when_the_reminder_came(bases, tmp_path, capsys):
    """What a user reviewing a day would read: 10 min sitting, 30 s away (not
    a break), 30 min sitting: one reminder, at 30:30 of the recording and
    30:00 of sitting; then 2 min away (a break, from 40:30) and 1 min sitting."""
    from coach.cli import main

    d = Desk(bases).feed("sit", 10 * 60).feed("away", 30).feed("sit", 30 * 60).feed("away", 120).feed("sit", 60)
    path = tmp_path / "desk40.npz"
    PoseTrack.from_frames(d.frames).save(path)
    assert main(["analyze", str(path), "-e", "desk_posture", "-q"]) == 0
    rows = {line[:21].strip(): line[21:].strip() for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["reminders given"].startswith("1 ")
    assert rows["reminders at"] == "30:30 (sitting 30:00)"
    assert rows["breaks taken"].startswith("1 ")
    assert rows["breaks at"].startswith("40:29 (after sitting 39:59")


# ----------------------------------------------------------------------------- replay

def test_a_replay_of_the_frames_counts_the_same_as_the_live_run(bases):
    d = Desk(bases)
    for _ in range(2):
        d.feed("sit", 20 * 60).feed("slouch", 3 * 60).feed("front", 10 * 60).feed("stand", 30)
        d.feed("sit", 5 * 60).feed("away", 5 * 60).feed("sit", 2 * 60)
    live = d.run.report().progress
    replay = analyze_track(PoseTrack.from_frames(d.frames), get_rule("desk_posture"), timeline=False).progress
    for k in ("sitting_s", "slouched_s", "breaks", "reminders", "standing_s", "away_s", "frames",
              "frames_sitting", "frames_slouched"):
        assert replay.stats[k] == pytest.approx(live.stats[k]), k
    assert replay.total == pytest.approx(live.total)
    assert replay.longest_s == pytest.approx(live.longest_s)
    assert live.stats["breaks"] == 2 and live.stats["reminders"] >= 1
    assert live.stats["slouched_s"] > 5 * 60
    assert replay.lines() == live.lines()


def test_commands_are_checked(bases):
    d = Desk(bases)
    with pytest.raises(ValueError, match="unknown desk command"):
        d.run.request("nap")
    d.run.request("snooze")  # before the first frame: nothing to snooze from
    d.feed("sit", 5)
    assert d.run.snoozed_until is None
    assert math.isfinite(d.stats()["sitting_s"])
