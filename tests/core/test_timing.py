"""The time policy (coach.core.timing): frames at or before the last are
dropped, gaps are clamped, a long gap is a break; and, through the engine,
what that means for a hold the user sees."""
import math

import pytest

import pose_rules
from coach.core.pose import PoseTrack
from coach.core.timing import BREAK_GAP_S, MAX_FRAME_GAP_S, FrameClock, Tick
from coach.engine.engine import Engine
from coach.session.loop import Session, analyze_track
from synth import plank, side_plank

FPS = 30.0


# --- FrameClock on its own ------------------------------------------------------------------

def test_the_documented_constants():
    assert MAX_FRAME_GAP_S == 0.5 and BREAK_GAP_S == 3.0


def test_first_frame_credits_nothing_and_ordinary_gaps_count_in_full():
    c = FrameClock()
    assert c.tick(5.0) == Tick(5.0, 0.0, False)
    tk = c.tick(5.1)
    assert tk.t == 5.1 and tk.dt == pytest.approx(0.1) and not tk.brk
    tk = c.tick(5.1 + MAX_FRAME_GAP_S)  # exactly the longest full gap
    assert tk.dt == pytest.approx(MAX_FRAME_GAP_S) and not tk.brk
    assert c.dropped == 0


@pytest.mark.parametrize("t", [0.999, 1.0, float("nan"), float("inf"), float("-inf")])
def test_earlier_equal_and_non_finite_frames_are_dropped_and_counted(t):
    c = FrameClock()
    c.tick(0.5)
    c.tick(1.0)
    assert c.tick(t) is None
    assert c.dropped == 1
    assert c.last == 1.0  # the clock is not moved by a dropped frame
    tk = c.tick(1.1)
    assert tk.dt == pytest.approx(0.1) and not tk.brk


def test_a_nan_first_frame_is_dropped():
    c = FrameClock()
    assert c.tick(float("nan")) is None and c.dropped == 1 and c.last is None
    assert c.tick(0.0) == Tick(0.0, 0.0)


def test_drops_are_counted_one_by_one():
    c = FrameClock()
    for t in (1.0, 0.2, 0.3, 1.0, 2.0, 1.5):
        c.tick(t)
    assert c.dropped == 4 and c.last == 2.0


@pytest.mark.parametrize("gap", [0.6, 1.0, 2.0, BREAK_GAP_S])
def test_a_longer_gap_is_clamped(gap):
    c = FrameClock()
    c.tick(10.0)
    tk = c.tick(10.0 + gap)
    assert tk.dt == pytest.approx(MAX_FRAME_GAP_S) and not tk.brk  # up to BREAK_GAP_S: not a break


@pytest.mark.parametrize("gap", [BREAK_GAP_S + 0.01, 10.0, 3600.0])
def test_a_gap_longer_than_the_break_gap_is_a_break_crediting_nothing(gap):
    c = FrameClock()
    c.tick(10.0)
    tk = c.tick(10.0 + gap)
    assert tk == Tick(10.0 + gap, 0.0, True)
    # and time goes on from there normally
    tk = c.tick(10.0 + gap + 0.1)
    assert tk.dt == pytest.approx(0.1) and not tk.brk


def test_the_limits_can_be_set():
    c = FrameClock(max_gap_s=0.2, break_gap_s=1.0)
    c.tick(0.0)
    assert c.tick(0.5).dt == pytest.approx(0.2)
    assert c.tick(2.0).brk


# --- the policy through the engine ----------------------------------------------------------

def good(t):
    return plank(0, t=t)


def hold(eng, seconds, start):
    """Feed ``seconds`` of a good plank from ``start``; returns the states."""
    n = int(round(seconds * FPS))
    return [eng.update(good(start + i / FPS)) for i in range(n)]


def test_a_frame_1_ms_earlier_is_dropped_and_does_not_reset_a_10_s_hold():
    eng = Engine(pose_rules.get_rule("plank"))
    states = hold(eng, 10.0 + 1 / FPS, 0.0)
    last = states[-1]
    assert last.progress.current_s == pytest.approx(10.0, abs=0.05)
    assert eng.update(good(last.timestamp - 0.001)) is None  # out of order: dropped
    assert eng.clock.dropped == 1
    after = hold(eng, 1.0, last.timestamp + 1 / FPS)
    assert all(s is not None for s in after)
    p = after[-1].progress
    assert p.current_s == pytest.approx(11.0, abs=0.05)  # the hold went on
    assert p.total == pytest.approx(p.current_s) and p.longest_s == pytest.approx(p.current_s)


def test_a_forward_jump_of_an_hour_ends_the_hold_without_crediting_the_gap():
    eng = Engine(pose_rules.get_rule("plank"))
    states = hold(eng, 10.0 + 1 / FPS, 0.0)
    before = states[-1].progress
    assert before.current_s == pytest.approx(10.0, abs=0.05)
    t = states[-1].timestamp + 3600.0
    jumped = eng.update(good(t))
    assert jumped is not None and jumped.dt == 0.0
    assert jumped.progress.current_s == 0.0  # the hold ended at the break
    assert jumped.progress.total == pytest.approx(before.total)  # nothing of the hour credited
    assert jumped.progress.longest_s == pytest.approx(before.current_s)
    after = hold(eng, 2.0, t + 1 / FPS)
    p = after[-1].progress
    assert p.current_s == pytest.approx(2.0, abs=0.05)  # a new hold from the jump
    # the total grows by at most the frames' own time (2 s of frames after the jump)
    assert before.total < p.total <= before.total + 2.0 + 1e-6
    assert p.longest_s == pytest.approx(before.current_s)
    assert eng.time_in_position <= before.total + 2.0 + 1e-6


def test_a_gap_shorter_than_the_break_counts_clamped_and_keeps_the_hold():
    eng = Engine(pose_rules.get_rule("plank"))
    states = hold(eng, 5.0, 0.0)
    before = states[-1].progress
    st = eng.update(good(states[-1].timestamp + 2.0))  # a 2 s stall of the camera
    assert st.dt == pytest.approx(MAX_FRAME_GAP_S)
    assert st.progress.total == pytest.approx(before.total + MAX_FRAME_GAP_S)
    assert st.progress.current_s == pytest.approx(before.current_s + MAX_FRAME_GAP_S)  # not broken


def test_a_per_side_hold_also_ends_at_a_break():
    eng = Engine(pose_rules.get_rule("side_plank"))
    for i in range(int(4 * FPS)):
        st = eng.update(side_plank(0, "left", t=i / FPS))
    before = st.progress
    st = eng.update(side_plank(0, "left", t=st.timestamp + 60.0))
    assert st.progress.current_s == 0.0
    assert st.progress.done["left"] == pytest.approx(before.done["left"])


def test_dropped_frames_reach_neither_the_report_nor_its_timeline():
    frames = [good(i / FPS) for i in range(60)]
    session = Session(pose_rules.get_rule("plank"))
    for f in frames:
        session.feed(f)
    assert session.feed(good(1.0)) is None  # earlier than the last (1.967 s)
    assert session.feed(frames[-1]) is None  # the same time again
    rep = session.close()
    assert rep.summary.frames == 60 and len(rep.timeline) == 60
    assert rep.progress.total == pytest.approx(59 / FPS)
    ts = [r["t"] for r in rep.timeline]
    assert ts == sorted(ts) and len(set(ts)) == len(ts)


def test_a_track_with_a_long_pause_is_judged_by_the_same_policy():
    frames = [good(i / FPS) for i in range(150)] + [good(600.0 + i / FPS) for i in range(60)]
    rep = analyze_track(PoseTrack.from_frames(frames), pose_rules.get_rule("plank"))
    assert rep.progress.total == pytest.approx(149 / FPS + 59 / FPS, abs=1e-6)
    assert rep.progress.longest_s == pytest.approx(149 / FPS, abs=1e-6)
    assert rep.progress.current_s == pytest.approx(59 / FPS, abs=1e-6)
    assert math.isclose(rep.summary.duration_s, 600.0 + 59 / FPS)
