"""Recognising the exercise (coach.engine.recognize): on real and derived
tracks of the development set, the hysteresis in frame time, ``looks_like``,
and replay determinism."""
from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pose_rules
import synth
from coach.core.landmarks import Landmark as L
from coach.core.pose import PoseFrame, PoseTrack
from coach.engine.recognize import (ENTER_S, GLITCH_S, LEAVE_S, NOTHING, Recognition, Recognizer, classify, family_of,
                                    looks_like)
from coach.evaluation.labels import load_labels

ROOT = Path(__file__).resolve().parents[2]
DEVSET = ROOT / "devset"
FPS = 30.0


@pytest.fixture(scope="module")
def labels():
    return {i.key: i for i in load_labels(DEVSET / "labels.json")}


def run(frames, rec: Recognizer | None = None) -> list[Recognition]:
    rec = rec or Recognizer()
    return [rec.update(f) for f in frames]


def stream(*parts, fps: float = FPS, start: float = 0.0) -> list[PoseFrame]:
    """Frames at ``fps``: each part is (a frame to hold, seconds) or (a
    function of t, seconds)."""
    out, t = [], start
    for pose, seconds in parts:
        for _ in range(int(round(seconds * fps))):
            out.append(pose(t) if callable(pose) else synth.at(pose, t))
            t = round(t + 1.0 / fps, 9)
    return out


PLANK = synth.plank(0.0)
SIDE = synth.side_plank(0.0)
BRIDGE = synth.bridge(0.0)
ALL_FOURS = synth.quadruped()
GONE = PoseFrame.empty(0.0, synth.SIZE)
LYING = synth.bridge(0.0, lifted=False)  # on the back, hips down: no exercise's position


# ----------------------------------------------------------------------------- real tracks of the devset

def families_over(key: str, labels, inside: bool = True) -> list[str | None]:
    """The recognised family on each frame of a devset track, within its
    labelled in-position time (``inside``) from ENTER_S + 0.5 s into it,
    or on every frame (``inside=False``)."""
    item = labels[key]
    track = PoseTrack.load(item.path)
    recs = run(track)
    if not inside:
        return [r.family for r in recs]
    out = []
    for f, r in zip(track, recs):
        spans = [a for a, b in item.position or () if a <= f.timestamp <= b]
        if spans and f.timestamp - max(spans) >= ENTER_S + 0.5:
            out.append(r.family)
    return out


@pytest.mark.parametrize("key, family", [
    ("tracks/clipd_plank_blips_1x1.npz", "Plank"),  # with three 0.3 s tracking glitches
    ("tracks/clipd_kneeplank_hold_9x16.npz", "Knee plank"),
    ("tracks/clip_bird_dog_16x9.npz", "Bird-dog"),  # real clip: two reps, lifting and lowering
    ("tracks/clip_bird_dog_9x16.npz", "Bird-dog"),
    ("tracks/clip_kocici_hrbet.npz", "Bird-dog"),  # real clip, all fours at rest: the bird-dog's start
    ("tracks/clipd_k2c_sides_16x9.npz", "Knee to chest"),  # lying, held on each side
])
def test_a_clip_is_recognised_as_its_exercise_all_through_its_position(labels, key, family):
    got = families_over(key, labels)
    assert len(got) > 100
    assert set(got) == {family}


def test_a_side_plank_is_recognised_as_a_side_plank_and_let_go_when_it_drops(labels):
    item = labels["tracks/clipd_sideplank_16x9.npz"]
    track = PoseTrack.load(item.path)
    recs = run(track)
    held = [r.family for f, r in zip(track, recs) if 2.0 <= f.timestamp <= 10.0]
    assert set(held) == {"Side plank"} and recs[60].exercise == "side_plank_left"
    assert recs[-1].exercise is None  # down on the floor at the end


@pytest.mark.parametrize("key, family", [
    ("tracks/still_side_bridge_1_16x9.npz", "Side plank"),
    ("tracks/still_plank_1_16x9.npz", "Plank"),
    ("tracks/ham_16x9_raise75.npz", "Hamstring stretch (lying)"),
    ("tracks/piri_one_kn_16x9_sup80.npz", "Piriformis stretch (figure-4)"),
    ("tracks/piri_one_kn_16x9_sup112.npz", "Piriformis stretch (figure-4)"),  # not pulled in: still the figure-4
    ("tracks/k2c_16x9_hip46.npz", "Knee to chest"),
    ("tracks/k2c_16x9_otherleg50.npz", "Knee to chest"),  # the raised leg's ankle near the knee: no figure-4
    ("tracks/still_glute_kickback_1_16x9.npz", "Quadruped hip extension"),  # not a knee plank
])
def test_a_still_held_is_recognised(labels, key, family):
    frame = PoseTrack.load(labels[key].path).frame(0)
    recs = run(stream((frame, ENTER_S + 0.5)))
    assert recs[-1].family == family
    assert classify(frame)[0] == recs[-1].exercise


@pytest.mark.parametrize("key", [
    "tracks/clip_spravny_postoj.npz",  # standing
    "tracks/clip_kocka_krava_na_zidli.npz",  # seated cat-cow
    "tracks/clip_bocni_uklon_na_zidli.npz",  # seated side bend
    "tracks/clip_podsazeni_panve.npz",  # pelvic tilts lying: never a bridge
])
def test_real_seated_standing_and_lying_clips_are_no_exercise(labels, key):
    assert set(families_over(key, labels, inside=False)) == {None}


# ----------------------------------------------------------------------------- the choice between rules

def test_the_most_specific_variant_stands_for_its_family():
    assert classify(PLANK) == ("forearm_plank", ("plank", "forearm_plank"))
    assert classify(synth.plank(0.0, support="hands"))[0] == "high_plank"
    assert classify(SIDE)[0] == "side_plank_left"
    assert classify(synth.side_plank(0.0, down="right"))[0] == "side_plank_right"
    assert family_of("forearm_plank") == family_of("plank") == "Plank"


def test_on_all_fours_a_bent_knee_lift_is_a_hip_extension_and_a_straight_one_a_bird_dog():
    rest, in_pos = classify(ALL_FOURS)
    assert rest == "bird_dog" and set(in_pos) == {"bird_dog", "hip_extension"}  # the same position at rest
    assert classify(synth.quadruped(0.0, arm_deg=0.0))[0] == "bird_dog"
    assert classify(synth.quadruped(0.0, knee_bent=True))[0] == "hip_extension"


def test_no_body_or_no_position_is_no_candidate():
    assert classify(GONE) == (None, ())
    assert classify(LYING) == (None, ())
    assert classify(synth.hide(PLANK, *range(33))) == (None, ())


def test_a_profile_changes_what_the_rules_see():
    strict = {n: {"min_shoulder_stack": 1.0} for n in ("side_plank", "side_plank_left", "side_plank_right")}
    assert classify(SIDE, thresholds=strict) == (None, ())
    rules = [pose_rules.RULES["plank"]]
    assert classify(PLANK, rules=rules) == ("plank", ("plank",))
    with pytest.raises(pose_rules.ThresholdError):
        Recognizer(thresholds={"plank": {"no_such_threshold": 1.0}})


# ----------------------------------------------------------------------------- hysteresis in frame time

def first_time(recs, frames, pred):
    return next((f.timestamp for f, r in zip(frames, recs) if pred(r)), None)


def test_recognised_after_enter_s_of_frame_time_at_any_frame_rate():
    for fps in (5.0, 15.0, 30.0, 60.0):
        frames = stream((PLANK, 3.0), fps=fps, start=100.0)
        recs = run(frames)
        t = first_time(recs, frames, lambda r: r.exercise is not None)
        assert t == pytest.approx(100.0 + ENTER_S, abs=1.01 / fps)
        assert recs[-1] == Recognition("forearm_plank", "Plank", "forearm_plank", ("plank", "forearm_plank"), t,
                                       100.0)


def test_a_three_frame_glitch_of_another_exercise_never_flips_it():
    frames = stream((PLANK, 3.0), (SIDE, 3 / FPS), (PLANK, 1.0), (BRIDGE, 3 / FPS), (PLANK, 2.0))
    recs = run(frames)
    after = [r for f, r in zip(frames, recs) if f.timestamp >= ENTER_S + 0.01]
    assert {r.exercise for r in after} == {"forearm_plank"}
    assert {r.candidate for r in after} >= {"side_plank_left", "glute_bridge"}  # the glitches were seen


def test_a_switch_from_plank_to_side_plank_is_recognised():
    frames = stream((PLANK, 3.0), (SIDE, 4.0))
    recs = run(frames)
    t = first_time(recs, frames, lambda r: r.exercise == "side_plank_left")
    assert t is not None
    assert 3.0 + ENTER_S - 1e-6 <= t <= 3.0 + max(ENTER_S, LEAVE_S) + 1.01 / FPS
    switched = [r for f, r in zip(frames, recs) if f.timestamp >= 3.0]
    assert {r.exercise for r in switched} == {"forearm_plank", "side_plank_left"}  # never nothing in between
    assert recs[-1].family == "Side plank" and recs[-1].since == t


def test_a_body_out_of_view_longer_than_leave_s_is_nothing():
    frames = stream((PLANK, 3.0), (GONE, LEAVE_S + 1.0))
    recs = run(frames)
    dropped = next(f.timestamp for f, r in zip(frames, recs) if f.timestamp > 3.0 and r.exercise is None)
    assert dropped == pytest.approx(3.0 - 1 / FPS + LEAVE_S, abs=1.01 / FPS)  # LEAVE_S after it was last seen
    assert all(r.exercise == "forearm_plank" for f, r in zip(frames, recs) if ENTER_S + 0.01 <= f.timestamp < dropped)
    assert recs[-1] == NOTHING


def test_variants_of_a_family_switch_without_dropping_the_family():
    frames = stream((PLANK, 3.0), (synth.plank(0.0, support="hands"), 3.0))
    recs = run(frames)
    assert all(r.family == "Plank" for f, r in zip(frames, recs) if f.timestamp >= ENTER_S + 0.01)
    assert recs[-1].exercise == "high_plank"


def test_a_recognised_hip_extension_stays_one_on_all_fours_at_rest():
    lift = synth.quadruped(0.0, knee_bent=True)
    frames = stream((ALL_FOURS, 2.0), (lift, 3.0), (ALL_FOURS, 3.0))
    recs = run(frames)
    assert recs[int(1.9 * FPS)].exercise == "bird_dog"  # at rest, before any lift: the declared order
    assert recs[int(4.9 * FPS)].exercise == "hip_extension"
    assert recs[-1].exercise == "hip_extension"  # back at rest: still the same exercise


def test_frames_out_of_order_are_ignored_and_time_is_the_frames_own(monkeypatch):
    frames = stream((PLANK, 2.0), (SIDE, 3.0), (GONE, 2.0), fps=12.0, start=5.0)
    expected = run(frames)

    def no_clock(*a, **k):
        raise AssertionError("the recogniser must not read the clock")

    rec = Recognizer()
    with monkeypatch.context() as m:
        for name in ("time", "monotonic", "perf_counter", "time_ns", "monotonic_ns"):
            m.setattr(time, name, no_clock)
        mixed = []
        for f in frames:
            mixed.append(rec.update(f))
            assert rec.update(synth.at(f, f.timestamp - 0.01)) == mixed[-1]  # late: changes nothing
            assert rec.update(f) == mixed[-1]  # a duplicate: changes nothing
    assert mixed == expected
    rec.reset()
    assert rec.current == NOTHING
    assert run(frames, rec) == expected  # replaying after reset gives the same


def test_enter_and_leave_times_are_checked():
    with pytest.raises(ValueError):
        Recognizer(enter_s=-1.0)
    with pytest.raises(ValueError):
        Recognizer(leave_s=float("nan"))
    frames = stream((PLANK, 0.5))
    assert run(frames, Recognizer(enter_s=0.0))[0].exercise == "forearm_plank"


GLITCHES = [SIDE, BRIDGE, GONE, LYING, ALL_FOURS, synth.hide(PLANK, L.LEFT_HIP, L.RIGHT_HIP),
            synth.plank(-40.0), synth.plank(0.0, knees=True), synth.plank(0.0, support="hands"),
            synth.side_plank(0.0, down="right")]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from([PLANK, SIDE, BRIDGE, ALL_FOURS]),
       glitches=st.lists(st.tuples(st.sampled_from(GLITCHES), st.floats(0.0, 1.0), st.floats(0.0, 2.0)),
                         min_size=1, max_size=4),
       fps=st.sampled_from([7.5, 15.0, 24.0, 30.0, 60.0]), start=st.floats(0.0, 1e5))
def test_any_glitch_shorter_than_enter_s_never_changes_the_exercise(base, glitches, fps, start):
    """Glitches (another exercise, no body, part of it hidden, no position)
    shorter than ENTER_S, each followed by the exercise for longer than
    GLITCH_S (else they are one longer glitch)."""
    most = math.ceil(ENTER_S * fps) - 1  # frames: n / fps < ENTER_S
    parts = [(base, ENTER_S + 0.5)]
    for pose, frac, extra in glitches:
        parts += [(pose, max(1, int(frac * most)) / fps), (base, GLITCH_S + 1.5 / fps + extra)]
    frames = stream(*parts, fps=fps, start=start)
    recs = run(frames)
    settled = [r.exercise for f, r in zip(frames, recs) if f.timestamp >= start + ENTER_S + 0.5 / fps]
    assert len(set(settled)) == 1 and settled[0] == classify(synth.at(base, 0.0))[0]


# ----------------------------------------------------------------------------- looks_like

def rec_of(exercise, in_position=()):
    return Recognition(exercise, family_of(exercise), exercise, tuple(in_position), 0.0)


def test_looks_like_compares_families():
    plank = rec_of("forearm_plank", ("plank", "forearm_plank"))
    assert looks_like("plank", plank) and looks_like("forearm_plank", plank) and looks_like("High plank", plank)
    assert not looks_like("side_plank", plank) and not looks_like("knee_plank", plank)
    side = rec_of("side_plank_left", ("side_plank", "side_plank_left"))
    assert looks_like("side_plank", side) and looks_like("side_plank_right", side)
    assert not looks_like("plank", side)


def test_looks_like_accepts_the_expected_exercise_in_position_and_nothing_else():
    on_all_fours = rec_of("bird_dog", ("bird_dog", "hip_extension"))
    assert looks_like("hip_extension", on_all_fours)  # the same position at rest
    assert not looks_like("hip_extension", rec_of("bird_dog", ("bird_dog",)))
    assert not looks_like("plank", NOTHING)
    assert looks_like("plank", Recognition(None, None, "forearm_plank", ("plank", "forearm_plank"), None))
    with pytest.raises(pose_rules.UnknownExercise):
        looks_like("yoga", on_all_fours)
