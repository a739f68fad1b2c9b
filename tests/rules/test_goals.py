"""Goals as objects: what each kind counts, and how it says so. The counters
are fed Steps directly (no landmarks needed), as the engine feeds them."""
from __future__ import annotations

import pytest

import pose_rules
from coach.core.timing import Tick
from pose_rules.base import FAULT, GOOD, NOT_IN_POSITION, TIMING_THRESHOLDS, Verdict
from pose_rules.goals import BOTH, LEFT_RIGHT, Hold, Repeats, Reps, Step

TIMING = {t.name: t.default for t in TIMING_THRESHOLDS}  # grace_s 0.5


def th(goal, **extra):
    return {**TIMING, **{t.name: t.default for t in goal.thresholds()}, "up": 1.0, "down": 0.5, **extra}


def feed(counter, frames, fps=10.0):
    """frames: (status, side, rep_value) per frame; returns the progress after each."""
    out, t = [], 0.0
    for i, (status, side, value) in enumerate(frames):
        v = Verdict("toy", status, side, {}, ("sag",) if status == FAULT else (), rep_value=value)
        hold_state = "good" if status == GOOD else ("bad" if status == FAULT else "bad")
        out.append(counter.update(Step(Tick(t, 0.0 if i == 0 else 1 / fps), v, hold_state)))
        t += 1 / fps
    return out


def test_hold_counts_good_time_and_announces_the_target_once():
    goal = Hold(5.0)
    p = feed(goal.counter(th(goal, hold_target_s=5.0)), [(GOOD, "left", None)] * 61)
    assert p[-1].done == {"both": pytest.approx(6.0)}
    assert p[-1].reached and p[-1].text(short=True) == "6 / 5 s"
    said = [e.text for q in p for e in q.events]
    assert said == ["Target reached"]
    assert p[-1].headline().fraction == 1.0


def test_hold_per_side_needs_both_sides():
    goal = Hold(5.0, LEFT_RIGHT)
    p = feed(goal.counter(th(goal, hold_target_s=5.0)), [(GOOD, "left", None)] * 61)
    assert p[-1].done == {"left": pytest.approx(6.0), "right": 0.0}
    assert not p[-1].reached
    assert p[-1].headline().sub == "left side"
    p = feed(goal.counter(th(goal, hold_target_s=5.0)), [(GOOD, "left", None)] * 61 + [(GOOD, "right", None)] * 61)
    assert p[-1].reached
    assert [e.text for q in p for e in q.events] == ["Target reached", "Target reached"]


def test_bilateral_reps_count_frames_without_a_side():
    """A bridge lift or a crunch names no side: it must still count."""
    goal = Reps("up", "down", rep_sides=BOTH)
    frames = ([(GOOD, None, 0.0)] * 5 + [(GOOD, None, 1.2)] * 6 + [(GOOD, None, 0.0)] * 5) * 3
    p = feed(goal.counter(th(goal)), frames)
    assert p[-1].done == {"both": 3}
    assert [e.text for q in p for e in q.events] == ["1", "2", "3"]
    assert p[-1].text() == "3" and p[-1].headline().sub == "of 5"


def test_reps_per_side_are_named_by_side():
    goal = Reps("up", "down")
    frames = [(GOOD, "left", 0.0)] * 3 + [(GOOD, "left", 1.5)] * 6 + [(GOOD, "left", 0.0)] * 3 \
        + [(GOOD, "right", 1.5)] * 6 + [(GOOD, "right", 0.0)] * 3
    p = feed(goal.counter(th(goal)), frames)
    assert p[-1].done == {"left": 1, "right": 1}
    assert [e.text for q in p for e in q.events] == ["Left, 1", "Right, 1"]
    assert p[-1].text(short=True) == "L 1  R 1"


def test_repeats_count_holds_per_side_and_ask_for_the_other_side():
    goal = Repeats(2.0, count=2)
    t = th(goal, hold_target_s=2.0, repeat_target=2)
    one = [(GOOD, "left", None)] * 25 + [(NOT_IN_POSITION, None, None)] * 10  # 2.4 s in, 1 s out
    frames = one * 2 + [(GOOD, "right", None)] * 25 + [(NOT_IN_POSITION, None, None)] * 10 \
        + [(GOOD, "right", None)] * 25
    p = feed(goal.counter(t), frames)
    said = [e.text for q in p for e in q.events]
    assert said == ["Left, 1. Relax", "Left, 2. Relax", "Now the other side",
                    "Right, 1. Relax", "Right, 2. Relax", "Target reached"]
    assert p[-1].done == {"left": 2, "right": 2} and p[-1].reached


def test_a_repeat_needs_an_unbroken_hold_and_a_release_before_the_next():
    goal = Repeats(2.0, count=3)
    t = th(goal, hold_target_s=2.0, repeat_target=3)
    # 1.5 s good, a shown fault of 1 s (breaks the hold), 1.5 s good: no repeat yet
    frames = [(GOOD, "left", None)] * 15 + [(FAULT, "left", None)] * 10 + [(GOOD, "left", None)] * 15
    p = feed(goal.counter(t), frames)
    assert p[-1].done["left"] == 0
    # holding on after a repeat does not count a second one
    p = feed(goal.counter(t), [(GOOD, "left", None)] * 60)
    assert p[-1].done["left"] == 1


def test_goal_set_counts_both_and_the_first_decides():
    goal = Hold(5.0) + Reps("up", "down", rep_sides=BOTH)
    frames = [(GOOD, None, 0.0)] * 3 + [(GOOD, None, 1.5)] * 60 + [(GOOD, None, 0.0)] * 3
    p = feed(goal.counter(th(goal, hold_target_s=5.0)), frames)
    assert p[-1].part("reps").done == {"both": 1}
    assert p[-1].part("hold").total == pytest.approx(6.5)
    assert p[-1].reached
    assert p[-1].headline().extra == ("Reps 1",)
    assert [label for label, _ in p[-1].lines()] == ["good-form hold", "longest good hold", "reps"]


def test_every_rule_declares_a_goal_and_its_thresholds_resolve():
    for rule in pose_rules.RULES.values():
        th_ = rule.resolve()
        for t in rule.goal.thresholds():
            assert t.name in th_
        p = rule.goal.start(th_)
        assert p.total == 0 and not p.reached and p.text()
        assert rule.goal.describe(th_)
