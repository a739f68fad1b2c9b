"""The counting tools on their own: the form-gated hold timer and the rep
counter with hysteresis (coach.core.counting), fed one frame at a time."""
import pytest

from coach.core.counting import HoldTimer, RepCounter


# --- hold timer -----------------------------------------------------------------------------

def test_hold_timer_grace_and_break():
    h = HoldTimer(grace_s=0.5)
    for _ in range(10):
        h.update(0.1, "good")
    h.update(0.3, "bad")  # shown problem shorter than the grace: the hold goes on
    h.update(0.1, "good")
    assert h.current == pytest.approx(1.1)
    h.update(0.6, "bad")  # longer than the grace: the hold ends
    assert h.current == 0.0 and h.longest == pytest.approx(1.1) and h.total == pytest.approx(1.1)


def test_hold_timer_pending_time_counts_until_the_problem_is_shown():
    h = HoldTimer(grace_s=0.5)
    for _ in range(10):
        h.update(0.1, "good")
    h.update(0.2, "pending")  # a glitch too short for a cue costs nothing
    h.update(0.1, "good")
    assert h.total == pytest.approx(1.3) and h.current == pytest.approx(1.3)
    h.update(0.3, "pending")
    h.update(0.3, "bad")  # now shown: the pending time is taken back, and with it the hold
    assert h.total == pytest.approx(1.3) and h.current == 0.0
    assert h.longest == pytest.approx(1.3)


def test_hold_timer_unseen_pauses_without_resetting():
    h = HoldTimer(grace_s=0.5)
    for _ in range(5):
        h.update(0.1, "good")
    for _ in range(50):
        h.update(0.1, "unseen")
    h.update(0.1, "good")
    assert h.current == pytest.approx(0.6) and h.total == pytest.approx(0.6)


def test_hold_timer_brk_ends_the_current_hold_but_keeps_the_total():
    h = HoldTimer(grace_s=0.5)
    for _ in range(10):
        h.update(0.1, "good")
    h.brk()
    assert h.current == 0.0 and h.total == pytest.approx(1.0) and h.longest == pytest.approx(1.0)
    h.update(0.1, "good")
    assert h.current == pytest.approx(0.1) and h.total == pytest.approx(1.1)


def test_hold_timer_brk_confirms_pending_time_as_part_of_the_longest_hold():
    h = HoldTimer(grace_s=0.5)
    for _ in range(10):
        h.update(0.1, "good")
    h.update(0.2, "pending")  # not yet known to be a problem when the frames stopped
    h.brk()
    assert h.longest == pytest.approx(1.2) and h.total == pytest.approx(1.2) and h.current == 0.0


# --- rep counter ----------------------------------------------------------------------------

def test_rep_hysteresis_ignores_jitter_around_the_threshold():
    c = RepCounter(up=-30, down=-60, min_top_s=0.0)
    t = 0.0
    values = [-90, -20, -35, -25, -40, -22, -50, -28, -90]  # never below -60 until the end
    done = []
    for v in values:
        done.append(c.update(t, 0.1, v, "left", True))
        t += 0.1
    assert c.counts == {"left": 1, "right": 0}
    assert sum(r is not None for r in done) == 1
    assert done[-1].side == "left" and done[-1].end == pytest.approx(0.8)


def test_rep_needs_minimum_time_at_the_top():
    c = RepCounter(up=-30, down=-60, min_top_s=0.5)
    for i, v in enumerate([-90, -20, -20, -20, -90]):  # 0.2 s at the top
        c.update(i / 10, 0.1, v, "right", True)
    assert c.counts == {"left": 0, "right": 0} and c.reps == []


def test_leaving_position_cancels_a_rep():
    c = RepCounter(up=-30, down=-60, min_top_s=0.0, cancel_after_s=0.3)
    c.update(0.0, 0.1, -10, "left", True)
    for i in range(4):  # 0.4 s out of position (stood up): the rep is cancelled
        c.update(0.1 + i / 10, 0.1, None, None, True)
    c.update(0.5, 0.1, -90, "left", True)
    assert c.counts["left"] == 0


def test_a_glitch_shorter_than_the_grace_does_not_cancel_a_rep():
    c = RepCounter(up=-30, down=-60, min_top_s=0.0, cancel_after_s=0.3)
    c.update(0.0, 0.1, -10, "left", True)
    c.update(0.1, 0.1, None, None, True)  # one frame without a value (a leg lost for a moment)
    c.update(0.2, 0.1, -90, "left", True)
    assert c.counts["left"] == 1


def test_unseen_frames_change_nothing():
    c = RepCounter(up=-30, down=-60, min_top_s=0.0, cancel_after_s=0.3)
    c.update(0.0, 0.1, -10, "left", True)
    for i in range(20):  # 2 s the camera cannot see: neither cancelled nor counted
        assert c.update(0.1 + i / 10, 0.1, -90, "left", False) is None
    assert c.current is not None
    c.update(2.1, 0.1, -90, "left", True)
    assert c.counts["left"] == 1


def test_bilateral_reps_are_counted_whatever_side_the_verdict_names():
    c = RepCounter(up=0.3, down=0.2, min_top_s=0.0, sides=("both",))
    for i, v in enumerate([0.1, 0.4, 0.45, 0.1, 0.4, 0.1]):
        c.update(i / 10, 0.1, v, "left" if i % 2 else None, True)
    assert c.counts == {"both": 2}


def test_a_rep_with_a_fault_is_counted_but_not_as_good():
    c = RepCounter(up=-30, down=-60, min_top_s=0.0)
    c.update(0.0, 0.1, -20, "left", True)
    c.update(0.1, 0.1, -10, "left", True, faults=("leg_too_high",))
    rep = c.update(0.2, 0.1, -90, "left", True)
    assert c.counts["left"] == 1 and c.good_counts["left"] == 0
    assert rep.to_dict()["faults"] == ["leg_too_high"] and rep.to_dict()["good"] is False


def test_rep_is_named_by_its_limbs():
    c = RepCounter(up=-30, down=-60, min_top_s=0.0)
    c.update(0.0, 0.1, -20, "right", True, limbs={"leg": "right", "arm": "left"})
    rep = c.update(0.1, 0.1, -90, "right", True)
    assert rep.label == "Right leg, left arm"
    assert rep.to_dict()["leg"] == "right" and rep.to_dict()["arm"] == "left"


def test_rep_thresholds_must_be_ordered():
    with pytest.raises(ValueError, match="below the up"):
        RepCounter(up=-60, down=-50, min_top_s=0.0)
