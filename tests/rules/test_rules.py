"""Single-frame rules on synthetic landmark poses (laid out in pixels)."""

import numpy as np
import pytest

import pose_rules
from coach.core.landmarks import Landmark as L
from pose_rules import evaluate
from synth import SIZE, bridge, hide, plank, quadruped, side_plank


# --- plank ---------------------------------------------------------------------------

@pytest.mark.parametrize("bend", [0.0, -6.0, 8.0])
def test_plank_straight_body_is_good(bend):
    v = evaluate("plank", plank(bend))
    assert v.status == "good" and v.faults == () and v.cue is None


@pytest.mark.parametrize("bend", [-14.0, -25.0])
def test_plank_sagging_hips_told_from_piked(bend):
    v = evaluate("plank", plank(bend))
    assert v.status == "fault"
    assert v.faults == ("hips_sagging",)
    assert v.cue == "Lift your hips"
    assert v.measures["hip_bend_deg"] == pytest.approx(bend, abs=0.5)


@pytest.mark.parametrize("bend", [25.0, 35.0, 60.0])
def test_plank_piked_hips(bend):
    v = evaluate("plank", plank(bend))
    assert v.faults == ("hips_piked",)
    assert v.cue == "Lower your hips"
    assert v.measures["hip_bend_deg"] > 0


def test_plank_variants_check_their_support():
    assert evaluate("forearm_plank", plank(0, support="forearm")).status == "good"
    assert evaluate("high_plank", plank(0, support="hands")).status == "good"
    assert evaluate("plank", plank(0, support="hands")).status == "good"
    wrong = evaluate("forearm_plank", plank(0, support="hands"))
    assert wrong.status == "not_in_position" and "forearm" in wrong.cue.lower()
    assert evaluate("high_plank", plank(0, support="forearm")).status == "not_in_position"


def test_knee_plank_uses_the_shoulder_knee_line():
    assert evaluate("knee_plank", plank(0, knees=True)).status == "good"
    assert evaluate("knee_plank", plank(-20, knees=True)).faults == ("hips_sagging",)
    assert evaluate("knee_plank", plank(25, knees=True)).faults == ("hips_piked",)


def test_plank_standing_is_not_in_position():
    # rotate the plank pose upright: body vertical
    f = plank(0)
    lm = np.array(f.landmarks)
    x, y = lm[:, 0] * SIZE[0], lm[:, 1] * SIZE[1]
    lm[:, 0], lm[:, 1] = (640 + (y - 400)) / SIZE[0], (100 + (x - 380) * 0.6) / SIZE[1]
    v = evaluate("plank", lm, SIZE)
    assert v.status == "not_in_position"


def test_side_is_picked_by_visibility():
    assert evaluate("plank", plank(0, facing="left")).side == "left"
    assert evaluate("plank", plank(0, facing="right")).side == "right"


def test_angles_are_measured_in_pixels_not_normalized_units():
    f = plank(-14.0)  # laid out on a 1280x720 image
    right = evaluate("plank", f.landmarks, (1280, 720))
    square = evaluate("plank", f.landmarks, (720, 720))
    assert right.measures["hip_bend_deg"] == pytest.approx(-14.0, abs=0.5)
    assert abs(square.measures["hip_bend_deg"] - right.measures["hip_bend_deg"]) > 3


# --- missing landmarks: "can't see", never "good" -----------------------------------------

@pytest.mark.parametrize("how", ["nan", "vis0", "out"])
def test_missing_ankles_cannot_be_judged(how):
    f = hide(plank(0), L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL,
             L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX, how=how)
    v = evaluate("plank", f)
    assert v.status == "cant_see"
    assert v.cue == "Move back so your feet are in view"
    assert not v.good and not v.in_position


def test_no_person_is_cant_see_for_every_exercise():
    empty = np.full((33, 4), np.nan)
    for name, rule in pose_rules.RULES.items():
        v = evaluate(name, empty, SIZE)
        if not rule.judged:  # a timed step: never "good form", whatever it sees
            assert v.status == "timed" and not v.good and "not judged" in v.reason
            continue
        assert v.status == "cant_see" and v.cue


def test_all_landmarks_invisible_is_cant_see():
    lm = np.array(plank(0).landmarks)
    lm[:, 3] = 0.0
    assert evaluate("plank", lm, SIZE).status == "cant_see"


def test_accepts_list_of_dicts():
    f = plank(-20)
    rows = [dict(x=float(r[0]), y=float(r[1]), z=float(r[2]), visibility=float(r[3])) for r in f.landmarks]
    assert evaluate("plank", rows, SIZE).faults == ("hips_sagging",)


def test_unknown_exercise():
    with pytest.raises(pose_rules.UnknownExercise, match="unknown exercise 'yoga'"):
        evaluate("yoga", plank(0))


def test_image_size_is_required_for_raw_landmarks():
    with pytest.raises(ValueError, match="image_size"):
        evaluate("plank", plank(0).landmarks)


# --- side plank ------------------------------------------------------------------------

@pytest.mark.parametrize("down", ["left", "right"])
def test_side_plank_sides_and_faults(down):
    good = evaluate("side_plank", side_plank(0, down))
    assert good.status == "good" and good.side == down
    drop = evaluate("side_plank", side_plank(-10, down))
    assert drop.faults == ("hips_dropping",) and drop.cue == "Lift your hips"
    # dropped further, the lower hip reaches the floor: lying on the side, not a side plank
    floor = evaluate("side_plank", side_plank(-20, down))
    assert floor.status == "not_in_position" and floor.reason == "hips on the floor"
    high = evaluate("side_plank", side_plank(22, down))
    assert high.faults == ("hips_too_high",)
    lying = evaluate("side_plank", side_plank(-35, down))
    assert lying.status == "not_in_position"


def test_side_plank_one_side_exercises():
    assert evaluate("side_plank_left", side_plank(0, "left")).status == "good"
    other = evaluate("side_plank_left", side_plank(0, "right"))
    assert other.status == "not_in_position" and "left" in other.cue


def test_side_plank_needs_a_side_on_body():
    assert evaluate("side_plank", plank(0)).status != "good"


# --- glute bridge ----------------------------------------------------------------------

def test_bridge_good_low_and_arched():
    assert evaluate("glute_bridge", bridge(0)).status == "good"
    low = evaluate("glute_bridge", bridge(-18))
    assert low.faults == ("hips_too_low",) and low.cue == "Lift your hips"
    arch = evaluate("glute_bridge", bridge(30))
    assert arch.faults == ("over_arching",)


def test_bridge_hips_on_floor_is_not_in_position():
    v = evaluate("glute_bridge", bridge(lifted=False))
    assert v.status == "not_in_position" and v.cue == "Push your hips up"


def test_bridge_is_not_a_plank():
    assert evaluate("glute_bridge", plank(0)).status != "good"
    assert evaluate("plank", bridge(0)).status != "good"


# --- bird-dog / hip extension ------------------------------------------------------------

def test_bird_dog_start_position_is_good_and_not_lifting():
    v = evaluate("bird_dog", quadruped(-90))
    assert v.status == "good"
    assert v.rep_value == pytest.approx(-90, abs=3)


@pytest.mark.parametrize("leg", ["left", "right"])
def test_bird_dog_lift_to_hip_level(leg):
    v = evaluate("bird_dog", quadruped(-3, lifted_leg=leg, arm_deg=0))
    assert v.status == "good" and v.side == leg
    assert v.measures["lifted_thigh_deg"] == pytest.approx(-3, abs=1)


def test_bird_dog_leg_too_high_and_too_low():
    high = evaluate("bird_dog", quadruped(25, arm_deg=0))
    assert high.faults == ("leg_too_high",) and high.cue == "Lower your leg to hip level"
    low = evaluate("bird_dog", quadruped(-40, arm_deg=0))
    assert low.faults == ("leg_too_low",) and low.cue == "Knee up to hip level"


def test_bird_dog_arm_must_be_raised():
    v = evaluate("bird_dog", quadruped(0, arm_deg=-70))
    assert v.faults == ("arm_too_low",)
    # a hidden (far-side) arm is not judged
    f = quadruped(0, lifted_leg="left", arm_deg=-70, vis_far=0.2)
    assert "arm_too_low" not in evaluate("bird_dog", f).faults


def test_hip_extension_knee_bent():
    assert evaluate("hip_extension", quadruped(0, knee_bent=True)).status == "good"
    assert evaluate("hip_extension", quadruped(0, knee_bent=False)).faults == ("knee_straight",)
    assert evaluate("hip_extension", quadruped(20, knee_bent=True)).faults[0] == "leg_too_high"


def test_quadruped_rules_reject_other_positions():
    assert evaluate("bird_dog", plank(0)).status == "not_in_position"
    assert evaluate("bird_dog", bridge(0)).status == "not_in_position"


# --- declarations ------------------------------------------------------------------------

def test_every_rule_declares_thresholds_and_faults():
    for name, rule in pose_rules.RULES.items():
        assert rule.title and rule.description
        names = [t.name for t in rule.thresholds]
        assert len(names) == len(set(names)), name
        assert "min_visibility" in names
        for t in rule.thresholds:
            assert t.unit and t.meaning, (name, t.name)
        assert (rule.faults or not rule.judged) and all(f.cue for f in rule.faults)
        fault_names = [f.name for f in rule.faults]
        assert len(fault_names) == len(set(fault_names)), name
        for km in rule.key_measures:  # a calibrated measure names its neutral threshold
            assert km.neutral is None or km.neutral in names, (name, km.neutral)


def test_every_rule_counts_something_it_can_describe():
    for name, rule in pose_rules.RULES.items():
        goal = rule.goal
        assert goal.kind in {"hold", "reps", "repeats", "set", "timed", "posture"}, name
        assert (goal.kind == "posture") == rule.monitor, name  # only the all-day monitor counts posture time
        assert (goal.kind == "timed") == (not rule.judged), name  # only a step the camera cannot judge is timed
        assert goal.describe() and goal.parts(), name
        assert all(p.kind != "set" for p in goal.parts()), name  # a set is flat
        th = rule.resolve()  # the declared defaults fit together
        assert goal.counter(th).progress.total == 0, name
        own = {t.name for t in rule.thresholds}
        for part in goal.parts():
            if part.kind == "reps":  # the rep counter follows two of the rule's own thresholds
                assert {part.up, part.down} <= own, (name, part.up, part.down)
                assert th[part.down] < th[part.up], name
                assert rule.motion in own, (name, rule.motion)  # and the motion gate one more
        assert rule.motion is None or rule.motion in own, (name, rule.motion)


def test_goals_as_the_user_reads_them():
    g = pose_rules.get_rule
    assert g("plank").goal.describe() == "hold 60 s" and not g("plank").goal.per_side
    assert g("side_plank").goal.describe() == "hold 45 s per side" and g("side_plank").goal.per_side
    assert g("bird_dog").goal.kind == "reps" and g("bird_dog").goal.sides == ("left", "right")
    assert g("bird_dog").motion == "moving_deg_s"
    bridge = g("glute_bridge").goal
    assert bridge.kind == "set" and [p.kind for p in bridge.parts()] == ["hold", "reps"]
    assert bridge.describe() == "hold 60 s + 5 reps"
    assert bridge.parts()[1].sides == ("both",)  # lifts of both hips: no sides
    # the description follows the thresholds in force
    assert g("plank").goal.describe({"hold_target_s": 30}) == "hold 30 s"
    assert g("bird_dog").goal.describe({"rep_target": 8}) == "8 reps per side"


def test_key_measures_are_declared_and_name_real_thresholds_and_measures():
    from coach.engine.thresholds import all_thresholds
    for rule in pose_rules.RULES.values():
        assert rule.key_measures or not rule.judged, rule.name
        names = {t.name for t in all_thresholds(rule)}
        for km in rule.key_measures:
            for lim in km.limits:
                assert lim.threshold in names, (rule.name, lim.threshold)
