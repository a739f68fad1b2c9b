"""Live coach logic: camera set-up check, what is said and when, and the
thread-safe live session (fed by a fake estimator: no model needed)."""
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import pose_rules
from coach.engine.report import Report
from coach.session.camera_check import (FRONT_VIEW_MIN_RATIO, SIDE_VIEW_MAX_RATIO, SetupCheck, check_setup)
from coach.core.landmarks import Landmark as L
from coach.session.live import LiveSession, LiveSnapshot
from coach.session.loop import analyze_track
from coach.core.pose import PoseFrame, PoseTrack
from coach.session.speech import Announcer, Utterance
from coach.engine.thresholds import ThresholdError, resolve
from synth import SIZE, bridge, frame, hide, plank, quadruped, side_plank

FPS = 30.0
BIRD_DOG = Path(__file__).resolve().parents[2] / "samples" / "bird_dog.track.npz"
IMG = np.full((180, 320, 3), 90, np.uint8)  # small images keep the tests fast

FEET = "Move back so your feet are in view"
LIFT = "Lift your hips"


def rule(name):
    return pose_rules.get_rule(name)


def front_on(t=0.0):
    """A person standing facing the camera: shoulders and hips side by side."""
    left = dict(shoulder=(700.0, 200.0), elbow=(730.0, 300.0), wrist=(740.0, 390.0), hip=(680.0, 400.0),
                knee=(680.0, 530.0), ankle=(680.0, 650.0))
    right = dict(shoulder=(560.0, 200.0), elbow=(530.0, 300.0), wrist=(520.0, 390.0), hip=(580.0, 400.0),
                 knee=(580.0, 530.0), ankle=(580.0, 650.0))
    return frame(left, right, SIZE, t, vis_left=0.99, vis_right=0.99, head=(630.0, 150.0))


class FakeEstimator:
    """Returns PoseFrames from a function of the frame time."""

    def __init__(self, pose_at, delay_s: float = 0.0):
        self.pose_at = pose_at
        self.delay_s = delay_s
        self.calls = 0
        self.closed = False
        self.busy = False
        self.used_after_close = False
        self.closed_while_busy = False
        self.threads = set()

    def process(self, image_rgb, t):
        if self.closed:
            self.used_after_close = True
        self.busy = True
        self.calls += 1
        self.threads.add(threading.get_ident())
        if self.delay_s:
            time.sleep(self.delay_s)
        self.busy = False
        return self.pose_at(t)

    def close(self):
        if self.busy:
            self.closed_while_busy = True
        self.closed = True


def factory_for(pose_at, made=None, **kw):
    def make():
        est = FakeEstimator(pose_at, **kw)
        if made is not None:
            made.append(est)
        return est
    return make


def times(seconds, start=0.0):
    n = int(round(seconds * FPS))
    return [start + i / FPS for i in range(n)]


# --- camera set-up check ----------------------------------------------------------

def test_side_view_poses_pass_the_setup_check():
    assert check_setup(rule("plank"), plank(0)) == SetupCheck(True, "Camera set up", True)
    assert check_setup(rule("plank"), plank(0, facing="right")).ok
    assert check_setup(rule("glute_bridge"), bridge(0)).ok
    assert check_setup(rule("bird_dog"), quadruped(-90)).ok
    # wrists are not needed
    assert check_setup(rule("plank"), hide(plank(0), L.LEFT_WRIST, L.RIGHT_WRIST)).ok


def test_setup_check_asks_for_the_missing_body_part():
    for how in ("nan", "vis0", "out"):
        chk = check_setup(rule("plank"), hide(plank(0), L.LEFT_ANKLE, L.RIGHT_ANKLE, how=how))
        assert chk == SetupCheck(False, FEET, True), how
    chk = check_setup(rule("plank"), hide(plank(0), L.LEFT_KNEE, L.RIGHT_KNEE))
    assert chk.message == FEET
    chk = check_setup(rule("plank"), hide(plank(0), L.LEFT_SHOULDER, L.RIGHT_SHOULDER))
    assert chk == SetupCheck(False, "Move so your upper body is in view", True)


def test_no_person_in_the_frame():
    chk = check_setup(rule("plank"), PoseFrame.empty(0.0, SIZE))
    assert chk == SetupCheck(False, "Step into the camera's view", False)


def test_view_angle():
    assert SIDE_VIEW_MAX_RATIO == 0.5 and FRONT_VIEW_MIN_RATIO == 0.3
    # a side-view exercise filmed from the front
    assert check_setup(rule("plank"), front_on()) == SetupCheck(False, "Turn side-on to the camera", True)
    assert check_setup(rule("bird_dog"), front_on()).message == "Turn side-on to the camera"
    # the side plank is filmed facing the camera
    assert check_setup(rule("side_plank"), side_plank(0, down="left")).ok
    assert check_setup(rule("side_plank"), side_plank(0, down="right")).ok
    assert check_setup(rule("side_plank"), plank(0)) == SetupCheck(False, "Face the camera", True)
    # front view needs both shoulders and hips
    chk = check_setup(rule("side_plank"), hide(side_plank(0), L.RIGHT_HIP))
    assert not chk.ok and chk.person


def test_setup_check_works_in_pixels_not_normalized_units():
    # the same normalized pose in a very narrow image: the left/right pairs
    # (spread horizontally) shrink in pixels, the vertical torso does not
    lm = front_on().landmarks
    narrow = PoseFrame(lm, None, 0.0, (200, 720))
    assert check_setup(rule("plank"), front_on()).message == "Turn side-on to the camera"
    assert check_setup(rule("plank"), narrow).ok


# --- what to say and when ----------------------------------------------------------

def test_a_new_cue_is_spoken_at_once_and_repeated_while_it_stays():
    a = Announcer(repeat_s=6.0, min_gap_s=2.5)
    said = [u for t in np.arange(0.0, 20.0, 0.1) if (u := a.cue(round(t, 1), LIFT)) is not None]
    assert [u.t for u in said] == [0.0, 6.0, 12.0, 18.0]
    assert [u.id for u in said] == [1, 2, 3, 4]
    assert all(u.kind == "cue" and u.sound is None and u.text == LIFT for u in said)


def test_no_cue_within_the_gap_after_an_utterance_then_it_follows():
    a = Announcer(repeat_s=6.0, min_gap_s=2.5)
    a.event(0.0, "Go", "start", "go")
    assert a.cue(1.0, LIFT) is None
    assert a.cue(2.4, LIFT) is None
    u = a.cue(2.5, LIFT)
    assert u is not None and u.t == 2.5
    # a blocked cue that went away is not spoken later
    a.event(10.0, "Left, 1", "rep", "rep")
    assert a.cue(11.0, "Lower your hips") is None
    assert a.cue(12.0, None) is None
    assert a.cue(13.0, None) is None
    assert a.since(a.last_id - 1)[-1].text == "Left, 1"


def test_one_cue_after_another_keeps_the_gap():
    a = Announcer(repeat_s=6.0, min_gap_s=2.5)
    assert a.cue(0.0, "Lift your hips").t == 0.0
    assert a.cue(1.0, "Straighten your legs") is None
    assert a.cue(2.5, "Straighten your legs").t == 2.5


def test_the_same_cue_is_not_repeated_within_repeat_s():
    a = Announcer(repeat_s=6.0, min_gap_s=2.5)
    assert a.cue(0.0, LIFT) is not None
    assert a.cue(1.0, None) is None
    assert a.cue(3.0, LIFT) is None  # back again after 3 s: too soon
    assert a.cue(5.9, LIFT) is None
    assert a.cue(6.0, LIFT).t == 6.0


def test_events_are_always_issued_and_reset_the_gap():
    a = Announcer(repeat_s=6.0, min_gap_s=2.5)
    assert a.cue(0.0, LIFT) is not None
    u = a.event(0.5, "3", "countdown", "tick")
    assert (u.text, u.kind, u.sound, u.id) == ("3", "countdown", "tick", 2)
    assert a.event(0.6, "Target reached", "target", "done").id == 3
    assert a.cue(2.9, "Lower your hips") is None  # 2.3 s after the last event
    assert a.cue(3.1, "Lower your hips") is not None


def test_since_returns_what_was_issued_after_an_id():
    a = Announcer()
    for i in range(60):
        a.event(float(i), str(i), "countdown", "tick")
    assert [u.id for u in a.since(57)] == [58, 59, 60]
    assert a.since(60) == []
    kept = a.since(0)
    assert len(kept) == 50 and kept[0].id == 11 and kept[-1].id == 60
    assert all(isinstance(u, Utterance) for u in kept)


def test_a_frame_out_of_order_does_not_reset_the_announcer():
    """The time policy: an earlier time is not a new stream (the live session
    makes a new Announcer for that), so the same cue is not said again."""
    a = Announcer()
    assert a.cue(100.0, LIFT) is not None
    assert a.cue(0.0, LIFT) is None
    assert a.cue(100.5, LIFT) is None


def test_announcer_ids_can_continue_from_a_previous_one():
    a = Announcer(first_id=7)
    assert a.event(0.0, "Go", "start", "go").id == 7
    assert a.since(6)[0].text == "Go"


# --- the live session ----------------------------------------------------------------

def plank_story(t):
    """0-2 s feet out of view, then a good plank (set up at 2 s, countdown 3-6 s,
    "Go" at 6 s), good until 10 s, sagging 10-20 s, good again 20-24 s."""
    if t < 2.0:
        return hide(plank(0, t=t), L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL,
                    L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX, how="out")
    if 10.0 <= t < 20.0:
        return plank(-25, t=t)
    return plank(0, t=t)


@pytest.fixture(scope="module")
def plank_run():
    made = []
    s = LiveSession(factory_for(plank_story, made), "plank")
    first = s.snapshot()
    snaps, outputs = [], {}
    for t in times(24.0):
        out = s.process(IMG, t)
        snaps.append(s.snapshot())
        if abs(t - 1.0) < 1e-9 or abs(t - 15.0) < 1e-9:
            outputs[round(t)] = out
    said = s.utterances_since(0)
    summary = s.stop()
    return dict(session=s, first=first, snaps=snaps, said=said, summary=summary, outputs=outputs, made=made)


def at_time(snaps, t):
    return min(snaps, key=lambda sn: abs(sn.t - t))


def test_waiting_before_the_first_frame(plank_run):
    sn = plank_run["first"]
    assert isinstance(sn, LiveSnapshot)
    assert (sn.phase, sn.t, sn.frames, sn.person, sn.status) == ("waiting", None, 0, False, None)
    assert sn.progress.kind == "hold" and sn.progress.target == 60.0 and sn.progress.total == 0.0
    assert sn.key_measure == "hip_bend_deg"
    assert (sn.hud.phase, sn.hud.title, sn.hud.headline) == ("waiting", "Press START and allow the camera", None)
    assert sn.message == ""


def test_setup_instruction_while_the_feet_are_out_of_view(plank_run):
    early = [sn for sn in plank_run["snaps"] if sn.t < 2.0]
    assert all(sn.phase == "setup" and sn.message == FEET and sn.person for sn in early)
    assert all(sn.progress.total == 0 and sn.status is None and sn.cue is None for sn in early)
    assert all(sn.hud.phase == "setup" and sn.hud.message == FEET and sn.hud.cue is None for sn in early)
    setup_said = [u for u in plank_run["said"] if u.kind == "setup"]
    assert [(u.t, u.text) for u in setup_said] == [(0.0, FEET)]  # once: it cleared within repeat_s
    assert at_time(plank_run["snaps"], 2.5).message == "Camera set up"


def test_countdown_then_go(plank_run):
    said = plank_run["said"]
    events = [(round(u.t, 3), u.text, u.kind, u.sound) for u in said if u.kind in ("countdown", "start")]
    assert events == [(3.0, "3", "countdown", "tick"), (4.0, "2", "countdown", "tick"),
                      (5.0, "1", "countdown", "tick"), (6.0, "Go", "start", "go")]
    assert [u.id for u in said] == list(range(1, len(said) + 1))
    snaps = plank_run["snaps"]
    assert at_time(snaps, 3.5).phase == "countdown" and at_time(snaps, 3.5).message == "3"
    assert at_time(snaps, 5.5).message == "1"
    assert at_time(snaps, 3.5).hud.countdown and at_time(snaps, 3.5).hud.headline.big == "0 / 60 s"
    assert at_time(snaps, 5.9).progress.total == 0
    assert at_time(snaps, 6.0).phase == "coaching" and at_time(snaps, 6.0).message == ""


def test_hold_time_grows_only_while_the_plank_is_good(plank_run):
    snaps = plank_run["snaps"]
    before_sag = at_time(snaps, 10.0).progress.total
    assert before_sag == pytest.approx(4.0, abs=0.1)
    assert at_time(snaps, 8.0).status == "good"
    assert at_time(snaps, 15.0).status == "fault"
    assert at_time(snaps, 19.9).progress.total == pytest.approx(before_sag, abs=0.2)
    assert at_time(snaps, 23.9).progress.total == pytest.approx(before_sag + 4.0, abs=0.3)
    assert at_time(snaps, 15.0).key_value == pytest.approx(-25.0, abs=0.5)
    # what the HUD shows: the hold timer while good, the fault title while sagging
    good, sag = at_time(snaps, 9.0), at_time(snaps, 15.0)
    assert (good.hud.phase, good.hud.title, good.hud.status) == ("coaching", "Good form", "good")
    assert good.hud.headline.big == f"{good.progress.total:.0f} / 60 s"
    assert (sag.hud.title, sag.hud.status) == ("Fix your form", "fault")
    holds = [sn.progress.total for sn in snaps]
    # grows only, except that the sag's first moments are taken back when its cue shows
    assert all(b >= a - 0.55 for a, b in zip(holds, holds[1:]))


def test_sagging_plank_cue_is_shown_and_spoken_within_the_gap_rules(plank_run):
    snaps = plank_run["snaps"]
    assert at_time(snaps, 15.0).cue == LIFT and at_time(snaps, 15.0).hud.cue == LIFT
    cues = [u for u in plank_run["said"] if u.kind == "cue"]
    assert cues and all(u.text == LIFT for u in cues)
    go = next(u.t for u in plank_run["said"] if u.text == "Go")
    assert cues[0].t >= go + 2.5 - 1e-9 and cues[0].t < 11.0  # soon after the sag began at 10 s
    gaps = np.diff([u.t for u in cues])
    assert len(cues) == 2 and all(g >= 6.0 - 1e-9 for g in gaps)  # 10.5 s and 16.5 s; cleared at ~20 s


def test_annotated_output(plank_run):
    for out in plank_run["outputs"].values():
        assert out.shape == IMG.shape and out.dtype == np.uint8
        assert not np.array_equal(out, IMG)
    assert (IMG == 90).all()  # the input is not drawn on


def test_stop_summary(plank_run):
    s, report = plank_run["session"], plank_run["summary"]
    assert isinstance(report, Report)
    assert report.progress.kind == "hold" and report.progress.done == {"both": pytest.approx(8.0, abs=0.3)}
    assert report.progress.longest_s == pytest.approx(4.0, abs=0.2)
    assert report.reps == ()
    summary = report.summary
    assert summary.most_frequent_fault["fault"] == "hips_sagging"
    assert summary.most_frequent_fault["cue"] == LIFT
    assert summary.most_frequent_fault["time_s"] == pytest.approx(9.5, abs=0.5)
    assert [(f.fault, f.cue) for f in report.faults] == [("hips_sagging", LIFT)]
    assert summary.note is None and report.exercise == "plank"
    # the JSON is the same shape as a clip's
    d = report.to_dict()
    assert d["summary"]["goal"]["done"]["both"] == pytest.approx(8.0, abs=0.3)
    assert d["exercise"] == "plank" and d["faults"][0]["fault"] == "hips_sagging"
    assert s.snapshot().phase == "stopped"
    out = s.process(IMG, 30.0)  # ignored after stop
    assert np.array_equal(out, IMG) and s.snapshot().frames == len(plank_run["snaps"])
    assert len(plank_run["made"]) == 1 and plank_run["made"][0].calls == len(plank_run["snaps"])


def test_reset_starts_over_with_a_new_estimator(plank_run):
    s, made = plank_run["session"], plank_run["made"]
    last_id = plank_run["said"][-1].id
    assert len(made) == 1 and not made[0].closed
    s.reset()
    assert made[0].closed  # the old stream's estimator timeline is over
    sn = s.snapshot()
    assert (sn.phase, sn.frames, sn.frames_dropped, sn.progress.total, sn.t) == ("waiting", 0, 0, 0.0, None)
    assert s.utterances_since(0) == []
    s.process(IMG, 0.0)  # the new stream starts at 0 again: not dropped
    assert s.snapshot().phase == "setup" and s.snapshot().frames == 1
    u = s.utterances_since(0)
    assert u and u[0].id == last_id + 1  # ids keep increasing for the page's poller
    assert len(made) == 2 and made[1].calls == 1 and not made[0].used_after_close  # a new estimator
    s.close()
    assert made[1].closed


def test_target_reached_is_announced_once():
    s = LiveSession(factory_for(lambda t: plank(0, t=t)), "plank", {"hold_target_s": 5}, countdown_s=0,
                    setup_hold_s=0)
    for t in times(12.0):
        s.process(IMG, t)
    said = s.utterances_since(0)
    assert [(u.text, u.kind, u.sound) for u in said] == [("Go", "start", "go"), ("Target reached", "target", "done")]
    assert said[1].t == pytest.approx(5.0, abs=0.1)
    sn = s.snapshot()
    assert sn.progress.reached and sn.progress.target == 5.0
    assert sn.hud.headline.reached and sn.hud.headline.fraction == 1.0
    assert sn.fps == pytest.approx(30.0, abs=0.5)


def test_bird_dog_track_reps_are_announced():
    track = PoseTrack.load(BIRD_DOG)
    frames = list(track)
    core = analyze_track(track, rule("bird_dog"), timeline=False)
    assert core.progress.done == {"left": 1, "right": 1}

    s = LiveSession(factory_for(lambda t: frames[int(round(t * FPS))]), "bird_dog", setup_hold_s=0.5,
                    countdown_s=0)
    for f in frames:
        s.process(IMG, f.timestamp)
    said = s.utterances_since(0)
    go = [u for u in said if u.kind == "start"]
    assert len(go) == 1 and go[0].t < core.reps[0]["start"]  # set-up done before the first rep began
    reps = [u for u in said if u.kind == "rep"]
    # each rep is named by its leg and, where the raised arm is seen, its arm
    expected = [(", ".join(f"{r[k]} {k}" for k in ("leg", "arm") if r.get(k)).capitalize() + ", 1", r["end"])
                for r in core.reps]
    assert [(u.text, round(u.t, 3)) for u in reps] == expected
    assert [u.text for u in reps] == ["Right leg, left arm, 1", "Left leg, 1"]  # the right arm is out of frame
    assert all(u.sound == "rep" for u in reps)
    sn = s.snapshot()
    assert sn.progress.done == {"left": 1, "right": 1} and sn.progress.good == core.progress.good
    assert sn.progress.kind == "reps" and sn.progress.target == 5 and sn.key_measure == "lifted_thigh_deg"
    assert sn.hud.headline.big == "L 1  R 1" and sn.hud.headline.sub == "of 5 a side"
    summary = s.summary()
    assert isinstance(summary, Report)
    assert summary.progress.done == {"left": 1, "right": 1}
    assert [(r["side"], r["good"]) for r in summary.reps] == [(r["side"], r["good"]) for r in core.reps]
    assert summary.summary.most_frequent_fault["fault"] == "leg_too_low"


def test_timestamps_going_back_are_dropped_not_a_restart():
    made = []
    s = LiveSession(factory_for(lambda t: plank(0, t=t), made), "plank", countdown_s=1.0, setup_hold_s=0.5)
    for t in times(5.0):
        s.process(IMG, t)
    before = s.snapshot()
    assert before.phase == "coaching" and before.progress.total > 2.0 and before.frames_dropped == 0
    calls = made[0].calls
    for t in (0.0, 2.0, before.t):  # earlier, and the same time again: dropped by the time policy
        out = s.process(IMG, t)
        assert np.array_equal(out, IMG)  # handed back untouched
    sn = s.snapshot()
    assert (sn.phase, sn.t, sn.frames, sn.status) == ("coaching", before.t, before.frames, "good")
    assert sn.progress.total == before.progress.total and sn.frames_dropped == 3
    assert made[0].calls == calls and len(made) == 1  # never reached the estimator; no new one either
    # the stream goes on from where it was
    for t in times(1.0, start=5.0):
        s.process(IMG, t)
    sn = s.snapshot()
    assert sn.phase == "coaching" and sn.progress.total == pytest.approx(before.progress.total + 1.0, abs=0.1)
    assert sn.frames == before.frames + 30 and sn.frames_dropped == 3
    assert [u.text for u in s.utterances_since(0) if u.kind == "start"] == ["Go"]  # no second start


def test_reset_is_a_new_stream_and_a_replay_counts_the_same():
    made = []
    s = LiveSession(factory_for(plank_story, made), "plank", countdown_s=1.0, setup_hold_s=0.5)

    def play():
        for t in times(16.0):
            s.process(IMG, t)
        sn = s.snapshot()
        said = [(round(u.t, 3), u.text, u.kind) for u in s.utterances_since(0)]
        return sn, said, s.summary()

    first, said1, report1 = play()
    assert first.phase == "coaching" and first.progress.total > 3.0 and report1.faults
    assert len(made) == 1 and made[0].calls == first.frames
    s.reset()
    assert made[0].closed
    second, said2, report2 = play()
    # the factory was called again: a new estimator, with its own timeline starting at 0
    assert len(made) == 2 and made[1].calls == second.frames and not made[0].used_after_close
    assert second.frames_dropped == 0  # the new stream's early times are not "going back"
    assert (second.phase, second.frames, second.t, second.status) == (first.phase, first.frames, first.t,
                                                                         first.status)
    assert second.progress.done == first.progress.done
    assert second.progress.longest_s == first.progress.longest_s
    assert said2 == said1
    assert report2.to_dict() == report1.to_dict()


def test_snapshot_from_another_thread_while_frames_are_processed():
    s = LiveSession(factory_for(lambda t: plank(-25 if t > 3 else 0, t=t)), "plank", countdown_s=0,
                    setup_hold_s=0)
    errors, seen = [], []
    n = 240

    def video():
        try:
            for t in times(n / FPS):
                s.process(IMG, t)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    th = threading.Thread(target=video)
    th.start()
    while th.is_alive():
        sn = s.snapshot()
        seen.append(sn.frames)
        if sn.phase == "coaching":
            assert sn.status is not None
        s.utterances_since(0)
        s.summary()  # mid-session summaries must not disturb the report
        time.sleep(0.001)
    th.join()
    assert not errors
    assert seen == sorted(seen) and s.snapshot().frames == n
    faults = s.stop().faults
    assert [(f.fault, round(f.end, 2)) for f in faults] == [("hips_sagging", round((n - 1) / FPS, 2))]


def test_estimator_is_made_lazily_on_the_video_thread_and_closed_safely():
    made = []
    s = LiveSession(factory_for(lambda t: plank(0, t=t), made, delay_s=0.05), "plank")
    assert made == []
    th = threading.Thread(target=s.process, args=(IMG, 0.0))
    th.start()
    while not made or not made[0].busy:
        time.sleep(0.001)
    s.close()  # while a frame is being processed
    assert not made[0].closed
    th.join()
    est = made[0]
    assert est.threads == {th.ident} and est.calls == 1
    assert est.closed and not est.closed_while_busy  # closed once the frame was done
    s.process(IMG, 1.0)  # a later frame starts a fresh estimator
    assert len(made) == 2 and made[1].calls == 1 and not made[1].closed and not est.used_after_close
    s.close()
    assert made[1].closed


def test_estimator_that_cannot_start_is_reported():
    def broken():
        raise RuntimeError("no model")
    s = LiveSession(broken, "plank")
    out = s.process(IMG, 0.0)
    assert np.array_equal(out, IMG)
    sn = s.snapshot()
    assert "no model" in sn.error and sn.phase == "waiting"
    assert s.summary().summary.note  # nothing was coached
    assert sn.hud.notes and "no model" in sn.hud.notes[0]  # the error is shown on the video too


def test_configure_validates_and_starts_over():
    s = LiveSession(factory_for(lambda t: plank(0, t=t)), "plank", countdown_s=0, setup_hold_s=0)
    with pytest.raises(pose_rules.UnknownExercise):
        s.configure(exercise="yoga")
    with pytest.raises(ThresholdError):
        s.configure(thresholds={"sag_deg": 500})
    with pytest.raises(ValueError):
        s.configure(countdown_s=-1)
    with pytest.raises(pose_rules.UnknownExercise):
        LiveSession(factory_for(lambda t: plank(0, t=t)), "yoga")
    for t in times(2.0):
        s.process(IMG, t)
    assert s.snapshot().phase == "coaching"
    s.configure(countdown_s=2.0)  # no restart
    s.configure(exercise="plank", thresholds={})  # the same settings: no restart
    assert s.snapshot().phase == "coaching"
    s.configure(thresholds={"sag_deg": 8})
    assert s.snapshot().phase == "setup" and s.snapshot().progress.total == 0.0
    s.configure(exercise="bird_dog")
    sn = s.snapshot()
    assert sn.exercise == "bird_dog" and sn.progress.kind == "reps" and sn.progress.target == 5


def test_summary_before_coaching_and_dropped_frames():
    s = LiveSession(factory_for(lambda t: PoseFrame.empty(t, SIZE)), "side_plank")
    for t in times(1.0):
        s.process(IMG, t)
    s.note_dropped(3)
    sn = s.snapshot()
    assert (sn.phase, sn.person, sn.message) == ("setup", False, "Step into the camera's view")
    assert sn.frames == 30 and sn.frames_dropped == 3 and sn.process_ms > 0
    report = s.stop()
    assert report.progress.total == 0 and report.summary.frames == 0 and report.summary.note
    assert report.summary.most_frequent_fault is None and report.faults == ()


def test_guide_annotator_draws_the_key_measure_line_in_the_status_colour():
    from dataclasses import replace

    from coach.engine.engine import Engine
    from coach.media.annotate import STATUS_COLOUR, GuideAnnotator

    def has(img, colour):
        return bool((img == np.array(colour, np.uint8)).all(axis=2).any())

    st = Engine(rule("plank")).update(plank(-25))
    guide = GuideAnnotator(rule("plank"))
    img = np.zeros((360, 640, 3), np.uint8)
    drawn = guide(img.copy(), st)
    assert has(drawn, STATUS_COLOUR[st.status])  # the shoulder-ankle line and the hip ring
    assert not guide(img.copy(), replace(st, side=None)).any()  # nothing to measure: nothing drawn
    st_nan = Engine(rule("plank")).update(hide(plank(0), L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_SHOULDER, L.RIGHT_SHOULDER))
    assert not guide(img.copy(), replace(st_nan, side="left")).any()
    bird = Engine(rule("bird_dog")).update(quadruped(0, lifted_leg="left"))
    drawn = GuideAnnotator(rule("bird_dog"))(img.copy(), bird)  # thigh line, hip ring, level line
    assert has(drawn, STATUS_COLOUR[bird.status])


def _bar_share(out, base, colour):
    """The share of the title bar's pixels in the bar colour over ``base``."""
    from coach.media.annotate import TONE_COLOUR

    bar_h = max(20, int(0.09 * out.shape[0]))
    want = (np.asarray(base[:bar_h], np.uint8) >> 2) + np.array([int(c * 0.75) for c in TONE_COLOUR[colour]],
                                                                  np.uint8)
    return float((out[:bar_h] == want).all(axis=2).mean())


def test_live_video_shows_the_phase_and_status_in_the_title_bar(plank_run):
    outs = plank_run["outputs"]
    # 1 s: the feet are out of view (set-up not passed); 15 s: sagging (a fault)
    assert _bar_share(outs[1], IMG, "unseen") > 0.5 and _bar_share(outs[1], IMG, "fault") == 0
    assert _bar_share(outs[15], IMG, "fault") > 0.5 and _bar_share(outs[15], IMG, "good") == 0
    # the cue is written at the bottom in red while it is shown (nothing red at set-up)
    red = (outs[15][-60:] == np.array((230, 50, 50), np.uint8)).all(axis=2)
    assert red.any() and not (outs[1][-60:] == np.array((230, 50, 50), np.uint8)).all(axis=2).any()


def test_hud_draws_every_live_phase_at_any_size():
    from coach.engine.hud import HudView, phase_view
    from coach.media.annotate import HudAnnotator
    from pose_rules.goals import Headline

    hud = HudAnnotator()
    progress = rule("side_plank").goal.start(resolve(rule("side_plank"), {}))
    views = [phase_view("setup", FEET), phase_view("countdown", "2", progress=progress),
             HudView("coaching", "Fix your form", "fault", cue=LIFT, headline=Headline("3 / 45 s", "left side", 3 / 45)),
             phase_view("stopped", progress=progress)]
    assert [v.tone for v in views] == ["unseen", "ready", "fault", "idle"]
    for shape in ((48, 64, 3), (1920, 1080, 3), (720, 1280, 3)):
        for view in views:
            base = np.zeros(shape, np.uint8)
            out = hud(base.copy(), view)
            assert out.shape == shape and out.dtype == np.uint8
            assert _bar_share(out, base, view.tone) > 0.3, (shape, view.phase)
            h = shape[0]
            bottom = out[int(0.8 * h):]
            if view.cue:  # the cue in red at the bottom
                assert (bottom == np.array((230, 50, 50), np.uint8)).all(axis=2).any(), shape
            elif h >= 360:  # no cue: nothing there (a thumbnail is too crowded to tell)
                assert not bottom.any(), (shape, view.phase)


# --- calibration step ------------------------------------------------------------------------------

def test_calibration_step_centres_the_limits_on_the_person():
    # this person's straight plank reads -8 deg (inside the wide defaults); +12 is a pike for them
    def story(t):
        return plank(-8, t=t) if t < 12.0 else plank(12, t=t)

    s = LiveSession(factory_for(story), "plank", countdown_s=1, setup_hold_s=0, calibrate_s=3)
    phases = []
    for t in times(16.0):
        s.process(IMG, t)
        phases.append(s.snapshot().phase)
    assert "calibrating" in phases and phases[-1] == "coaching"
    cal = s.calibration
    assert cal is not None and cal.values["hip_neutral_deg"] == pytest.approx(-8.0, abs=0.5)
    assert s.thresholds["hip_neutral_deg"] == cal.values["hip_neutral_deg"]
    assert s.snapshot().calibration["values"] == cal.values
    assert s.snapshot().status == "fault" and s.snapshot().cue == "Lower your hips"
    said = [u.text for u in s.utterances_since(0)]
    assert "Hold your best plank (forearms or hands)" in said
    # the defaults alone would have called +12 good for this person
    assert pose_rules.evaluate("plank", plank(12)).status == "good"


def test_a_refused_calibration_is_said_and_tried_again():
    def story(t):
        return plank(-20, t=t) if t < 6.0 else plank(0, t=t)  # sagging at first: not a best form

    s = LiveSession(factory_for(story), "plank", countdown_s=0.5, setup_hold_s=0, calibrate_s=2)
    errors = set()
    for t in times(12.0):
        s.process(IMG, t)
        if s.snapshot().calibration_error:
            errors.add(s.snapshot().calibration_error)
    assert any("does not look like your best plank" in e for e in errors)
    assert "Calibration did not work. Try again" in [u.text for u in s.utterances_since(0)]
    assert s.calibration is not None and s.snapshot().phase == "coaching"


def test_changing_the_calibration_setting_clears_the_calibration():
    s = LiveSession(factory_for(lambda t: plank(0, t=t)), "plank", countdown_s=0, setup_hold_s=0, calibrate_s=2)
    for t in times(4.0):
        s.process(IMG, t)
    assert s.calibration is not None
    s.configure(calibrate_s=0)
    assert s.calibration is None and "hip_neutral_deg" not in (s._overrides or {})
    assert s.thresholds == resolve(rule("plank"), {})
