"""Property-based tests (hypothesis) of the time policy through the engine and
of thresholds files: any input, no crash, and nothing counted that the frames'
own time does not cover."""
from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pose_rules
import synth
from coach.core.timing import BREAK_GAP_S, MAX_FRAME_GAP_S
from coach.engine.engine import Engine
from coach.engine.thresholds import ThresholdError, parse_profile

GOOD = synth.plank(0.0)
BAD = synth.plank(-25.0)

times = st.lists(st.one_of(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
                           st.sampled_from([float("nan"), float("inf"), -float("inf")])),
                 min_size=1, max_size=120)


def _credited_span(ts: list[float]) -> float:
    """The most time the policy may credit: the accepted frames' gaps, each
    clamped to MAX_FRAME_GAP_S, breaks (over BREAK_GAP_S) not at all."""
    last, total = None, 0.0
    for t in ts:
        if not math.isfinite(t) or (last is not None and t <= last):
            continue
        if last is not None:
            gap = t - last
            total += 0.0 if gap > BREAK_GAP_S else min(gap, MAX_FRAME_GAP_S)
        last = t
    return total


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ts=times, good=st.lists(st.booleans(), min_size=120, max_size=120))
def test_any_timestamps_never_crash_and_never_credit_more_than_the_frames_cover(ts, good):
    rule = pose_rules.get_rule("plank")
    eng = Engine(rule)
    for t, g in zip(ts, good):
        st_ = eng.update(synth.at(GOOD if g else BAD, t) if math.isfinite(t) else _at_raw(GOOD, t))
        if st_ is not None:
            assert st_.progress.current_s <= st_.progress.total + 1e-9
    span = _credited_span(ts)
    assert eng.progress.total <= span + 1e-6
    assert eng.time_in_position <= span + 1e-6


def _at_raw(frame, t):
    from coach.core.pose import PoseFrame

    return PoseFrame(frame.landmarks, frame.world, t, frame.image_size)


@settings(max_examples=60, deadline=None)
@given(gap=st.floats(min_value=BREAK_GAP_S + 0.001, max_value=1e7))
def test_nothing_is_credited_across_a_gap(gap):
    eng = Engine(pose_rules.get_rule("plank"))
    for i in range(31):
        eng.update(synth.at(GOOD, i / 10))
    before = eng.progress.total
    st_ = eng.update(synth.at(GOOD, 3.0 + gap))
    assert st_ is not None and st_.dt == 0.0
    assert eng.progress.total == before and st_.progress.current_s == 0.0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20)
names = st.sampled_from(["plank", "bird_dog", "glute_bridge", "side_plank", "profile", "calibration", "nope"])
thresholds = st.sampled_from(["sag_deg", "pike_deg", "grace_s", "hold_target_s", "rep_up_deg", "rep_down_deg", "x"])


@settings(max_examples=300, deadline=None)
@given(doc=st.one_of(json_values, st.dictionaries(names, st.one_of(
    json_values, st.dictionaries(thresholds, st.one_of(st.floats(allow_nan=True), st.integers(), json_values),
                                 max_size=4)), max_size=4)))
def test_any_thresholds_document_is_accepted_or_refused_in_one_line(doc):
    try:
        out = parse_profile(json.loads(json.dumps(doc, allow_nan=True)))
    except ThresholdError as e:
        assert "\n" not in str(e) and str(e)
        return
    for ex, vals in out.items():
        pose_rules.get_rule(ex).resolve(vals)  # what was accepted is usable
