"""Engine state over time: hold timer, grace, pause, reps, cues, determinism.
(The counting tools on their own: tests/core/test_counting.py; the time
policy: tests/core/test_timing.py.)"""
import time

import pytest

import pose_rules
from coach.core.landmarks import Landmark as L
from coach.core.pose import PoseFrame, PoseTrack
from coach.engine.engine import CueDebouncer, Engine
from coach.session.loop import analyze_track
from pose_rules.base import ThresholdError
from synth import SIZE, bridge, hide, plank, quadruped, side_plank

FPS = 30.0


def run(rule_name, frames, thresholds=None):
    eng = Engine(pose_rules.get_rule(rule_name), thresholds)
    states = [eng.update(f) for f in frames]
    assert all(s is not None for s in states)  # increasing timestamps: no frame is dropped
    return eng, states


def seq(pose_at, seconds, fps=FPS, start=0.0):
    n = int(round(seconds * fps))
    return [pose_at(start + i / fps) for i in range(n)]


def events(states, kind):
    return [e for s in states for e in s.progress.events if e.kind == kind]


GOOD = lambda t: plank(0, t=t)  # noqa: E731
SAG = lambda t: plank(-22, t=t)  # noqa: E731
GONE = lambda t: PoseFrame.empty(t, SIZE)  # noqa: E731


def test_hold_counts_only_good_form_time():
    frames = seq(GOOD, 3.0) + seq(SAG, 2.0, start=3.0) + seq(GOOD, 1.0, start=5.0)
    eng, states = run("plank", frames)
    p = states[-1].progress
    assert p.done == {"both": pytest.approx(4.0, abs=0.15)}
    assert p.total == pytest.approx(4.0, abs=0.15)
    assert p.longest_s == pytest.approx(3.0, abs=0.15)
    assert p.current_s == pytest.approx(1.0, abs=0.15)


def test_one_bad_frame_does_not_break_the_hold():
    frames = seq(GOOD, 2.0)
    frames[30] = plank(-40, t=frames[30].timestamp)  # one glitchy frame at 1.0 s
    eng, states = run("plank", frames, {"smoothing_hz": 30})
    p = states[-1].progress
    assert p.current_s == pytest.approx(p.total)
    assert p.total == pytest.approx(2.0 - 2 / FPS, abs=0.08)


def test_bad_form_longer_than_grace_breaks_the_hold():
    frames = seq(GOOD, 2.0) + seq(SAG, 1.0, start=2.0) + seq(GOOD, 1.0, start=3.0)
    _, states = run("plank", frames, {"grace_s": 0.5})
    assert states[-1].progress.current_s == pytest.approx(1.0, abs=0.15)
    _, states = run("plank", frames, {"grace_s": 2.0})
    assert states[-1].progress.current_s == pytest.approx(3.0, abs=0.2)


def test_timer_pauses_while_person_not_visible():
    frames = seq(GOOD, 2.0) + seq(GONE, 3.0, start=2.0) + seq(GOOD, 1.0, start=5.0)
    _, states = run("plank", frames)
    during = states[int(3.5 * FPS)]
    assert during.status == "cant_see" and during.cue
    assert during.progress.total == pytest.approx(states[int(2 * FPS) - 1].progress.total)  # frozen
    assert states[-1].progress.total == pytest.approx(3.0, abs=0.15)
    assert states[-1].progress.current_s == pytest.approx(3.0, abs=0.15)  # paused, not broken


def test_half_out_of_frame_never_counts_as_good():
    feet = (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)
    frames = seq(lambda t: hide(plank(0, t=t), *feet, how="out"), 3.0)
    _, states = run("plank", frames)
    assert all(s.status == "cant_see" for s in states)
    assert states[-1].progress.total == 0.0 and states[-1].time_in_position_s == 0.0
    assert states[-1].cue == "Move back so your feet are in view"


def test_hold_target_and_configurable():
    _, states = run("plank", seq(GOOD, 6.0), {"hold_target_s": 5})
    assert states[-1].progress.reached and states[-1].progress.target == 5
    assert not states[int(4 * FPS)].progress.reached
    said = events(states, "target")  # said once, when it is reached
    assert [e.text for e in said] == ["Target reached"]
    first = next(s for s in states if s.progress.events)
    assert first.timestamp == pytest.approx(5.0, abs=0.1)
    eng, _ = run("plank", [GOOD(0)])
    assert eng.th["hold_target_s"] == 60
    assert Engine(pose_rules.get_rule("side_plank")).th["hold_target_s"] == 45
    assert Engine(pose_rules.get_rule("glute_bridge")).th["hold_target_s"] == 60


def test_side_plank_hold_is_per_side():
    frames = seq(lambda t: side_plank(0, "left", t=t), 3.0) + seq(lambda t: side_plank(0, "right", t=t), 2.0, start=3.0)
    _, states = run("side_plank", frames)
    p = states[-1].progress
    assert p.done["left"] == pytest.approx(3.0, abs=0.2)
    assert p.done["right"] == pytest.approx(2.0, abs=0.2)
    assert p.side == "right" and states[-1].side == "right"


def test_glute_bridge_times_the_hold_and_counts_lifts_together():
    frames = seq(lambda t: bridge(0, t=t), 3.0)
    _, states = run("glute_bridge", frames)
    p = states[-1].progress
    assert p.kind == "set" and p.part("hold") is not None and p.part("reps") is not None
    assert p.part("hold").total == pytest.approx(3.0, abs=0.2) and p.total == p.part("hold").total
    assert p.part("reps").done == {"both": 0}


# --- cues ----------------------------------------------------------------------------------

def test_cue_appears_only_after_the_fault_persists():
    frames = seq(GOOD, 1.0) + seq(SAG, 0.3, start=1.0) + seq(GOOD, 1.0, start=1.3)
    _, states = run("plank", frames)
    assert all(s.cue is None for s in states)  # 0.3 s sag: no cue
    frames = seq(GOOD, 1.0) + seq(SAG, 2.0, start=1.0)
    _, states = run("plank", frames)
    first = next(s for s in states if s.cue)
    assert first.cue == "Lift your hips"
    assert 1.45 <= first.timestamp <= 1.75  # ~0.5 s after the sag began (plus smoothing)
    assert states[-1].faults == ("hips_sagging",)


def test_one_cue_at_a_time_by_priority():
    d = CueDebouncer(0.5)
    out = [d.update(i / 10, ["hips_sagging", "knees_bent"]) for i in range(10)]
    assert out[-1][0] == "hips_sagging"
    assert out[3] == []


def test_cue_does_not_flicker_on_alternating_frames():
    frames = [SAG(i / FPS) if i % 2 else GOOD(i / FPS) for i in range(90)]
    _, states = run("plank", frames, {"smoothing_hz": 30})
    shown = [s.cue for s in states]
    changes = sum(1 for a, b in zip(shown, shown[1:]) if a != b)
    assert changes <= 2


# --- reps ----------------------------------------------------------------------------------

def rep_frames(side, start, up_s=1.5, t_lift=0.5, fps=FPS, peak=-5.0):
    """down 0.5 s, lift over t_lift, hold up_s at the top, lower over t_lift, down 0.5 s."""
    out, t = [], start
    def add(thigh, dur):
        nonlocal t
        for _ in range(int(round(dur * fps))):
            out.append(quadruped(thigh(t), lifted_leg=side, arm_deg=0, t=t))
            t += 1 / fps
    add(lambda t: -90, 0.5)
    t0 = t
    add(lambda t: -90 + (peak + 90) * (t - t0) / t_lift, t_lift)
    add(lambda t: peak, up_s)
    t1 = t
    add(lambda t: peak - (peak + 90) * (t - t1) / t_lift, t_lift)
    add(lambda t: -90, 0.5)
    return out


def test_reps_are_counted_per_side():
    frames = rep_frames("right", 0.0)
    frames += rep_frames("left", frames[-1].timestamp + 1 / FPS)
    frames += rep_frames("left", frames[-1].timestamp + 1 / FPS)
    eng, states = run("bird_dog", frames)
    assert states[-1].progress.done == {"left": 2, "right": 1}
    assert states[-1].progress.good == {"left": 2, "right": 1}
    # each rep is announced once, at the frame it completes, naming the limbs and the count
    said = events(states, "rep")
    assert [e.text for e in said] == ["Right leg, left arm, 1", "Left leg, right arm, 1", "Left leg, right arm, 2"]
    assert [u["side"] for u in eng.counter.units()] == ["right", "left", "left"]


def test_rep_needs_minimum_time_at_top():
    frames = rep_frames("right", 0.0, up_s=0.2)
    _, states = run("bird_dog", frames, {"rep_min_top_s": 1.0})
    assert states[-1].progress.done == {"left": 0, "right": 0}
    assert events(states, "rep") == []
    _, states = run("bird_dog", frames, {"rep_min_top_s": 0.1})
    assert states[-1].progress.done["right"] == 1
    assert len(events(states, "rep")) == 1


def test_rep_in_progress_is_shown_as_active():
    frames = rep_frames("right", 0.0)
    _, states = run("bird_dog", frames)
    top = states[int(1.5 * FPS)]  # held at the top
    assert top.progress.active and top.progress.done["right"] == 0
    assert not states[-1].progress.active and states[-1].progress.done["right"] == 1


def test_rep_thresholds_must_be_ordered():
    with pytest.raises(ThresholdError, match="must be below") as e:
        Engine(pose_rules.get_rule("bird_dog"), {"rep_up_deg": -60, "rep_down_deg": -50})
    assert "\n" not in str(e.value)


# --- time and determinism -------------------------------------------------------------------

def test_engine_never_reads_the_wall_clock(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("wall clock used")
    for name in ("time", "monotonic", "perf_counter", "time_ns", "monotonic_ns"):
        monkeypatch.setattr(time, name, boom)
    frames = rep_frames("right", 0.0)
    _, states = run("bird_dog", frames)
    assert states[-1].progress.done["right"] == 1


def test_replay_gives_the_same_result_and_depends_on_timestamps_only():
    frames = seq(GOOD, 2.0) + seq(SAG, 1.5, start=2.0) + seq(GOOD, 2.0, start=3.5)
    track = PoseTrack.from_frames(frames)
    a = analyze_track(track, pose_rules.get_rule("plank"))
    b = analyze_track(track, pose_rules.get_rule("plank"))
    assert a.to_json() == b.to_json()
    assert a.progress.total > 2.5  # something was counted
    # the same poses at half the frame rate give the same times
    half = PoseTrack.from_frames(frames[::2])
    c = analyze_track(half, pose_rules.get_rule("plank"))
    assert c.progress.total == pytest.approx(a.progress.total, abs=0.2)
    assert c.to_dict()["summary"]["goal"]["done"]["both"] == pytest.approx(
        a.to_dict()["summary"]["goal"]["done"]["both"], abs=0.2)


def test_timestamps_going_back_are_dropped_not_a_restart():
    eng = Engine(pose_rules.get_rule("plank"))
    states = [eng.update(f) for f in seq(GOOD, 2.0, start=1.0)]
    before = states[-1].progress.total
    assert eng.update(GOOD(0.5)) is None  # earlier than the last frame: dropped
    assert eng.update(GOOD(states[-1].timestamp)) is None  # the same time again: dropped
    assert eng.clock.dropped == 2
    after = eng.update(GOOD(states[-1].timestamp + 1 / FPS))
    assert after is not None
    assert after.progress.total == pytest.approx(before + 1 / FPS)  # nothing reset, nothing lost
    assert after.progress.current_s == pytest.approx(after.progress.total)
