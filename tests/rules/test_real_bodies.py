"""Issue 7: the coach on real bodies. Each test here failed with the rules and
engine before the fix it names; they run on the development set's tracks
(real MediaPipe readings of the shared material and variants derived from
them by known geometry, see devset/README.md), so no model is needed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import pose_rules
from coach.evaluation import derive as D
from coach.session.loop import analyze_track
from coach.core.geometry import signed_bend
from coach.core.landmarks import Landmark as L
from coach.core.pose import PoseFrame, PoseTrack
from coach.engine.thresholds import defaults

DEVSET = Path(__file__).resolve().parents[2] / "devset" / "tracks"
ASPECTS = ("16x9", "4x3", "1x1", "9x16")


def still(name: str) -> PoseFrame:
    return PoseTrack.load(DEVSET / f"{name}.npz").frame(0)


def clip(name: str) -> PoseTrack:
    return PoseTrack.load(DEVSET / f"{name}.npz")


def judge(exercise: str, frame: PoseFrame):
    return pose_rules.evaluate(exercise, frame)


def raised_plank(frame: PoseFrame, reading: float) -> PoseFrame:
    """The real plank with its hips raised (four-bar: forearms and toes on the
    floor) until MediaPipe's hip bend reads ``reading`` degrees."""
    p = D.to_pixels(frame)
    side = judge("plank", frame).side
    sp = D.side_points(side)
    chain = (sp["elbow"], sp["shoulder"], sp["hip"], sp["ankle"])
    groups = ([], list(D.FACE) + list(D.SHOULDERS) + list(D.HIPS), list(D.KNEES) + list(D.FEET))
    m = lambda q: signed_bend(q[sp["shoulder"]], q[sp["hip"]], q[sp["ankle"]])  # noqa: E731
    return D.to_frame(frame, D.bend_chain(p, chain, groups, m, reading))


# --- 1. correct planks read above the line are not "piked" ------------------------------------

@pytest.mark.parametrize("aspect", ASPECTS)
def test_a_plank_read_well_above_the_line_is_still_good(aspect):
    # MediaPipe reads correct planks of other bodies / cameras up to ~15-18 deg above the
    # shoulder-ankle line; the old 15 deg pike limit called them piked
    v = judge("plank", raised_plank(still(f"still_plank_1_{aspect}"), 17.0))
    assert v.status == "good", (v.faults, v.measures["hip_bend_deg"])
    assert judge("plank", raised_plank(still(f"still_plank_1_{aspect}"), 30.0)).faults == ("hips_piked",)


# --- 2. the hold timer agrees with what the user is told -------------------------------------

def test_glitches_too_short_for_a_cue_cost_no_hold_time():
    rep = analyze_track(clip("clipd_plank_blips_1x1"), pose_rules.get_rule("plank"))
    assert rep.progress.total == pytest.approx(20.0, abs=0.15)  # three 0.3 s blips: nothing lost (was 19.0)
    assert rep.to_dict()["summary"]["goal"]["done"]["both"] == pytest.approx(20.0, abs=0.15)
    assert rep.faults == () and not any(r["cue"] for r in rep.timeline)


def test_a_shown_fault_takes_back_its_first_moments():
    rep = analyze_track(clip("clipd_plank_faults_4x3"), pose_rules.get_rule("plank"))
    rows = rep.timeline
    hold = lambda r: r["progress"]["hold"]["both"]  # noqa: E731
    # while a fault is shown the timer does not move, and the hold ends when the fault began
    shown = [r for r in rows if r["faults"] and r["status"] == "fault"]
    pairs = [(a, b) for a, b in zip(shown, shown[1:]) if a["faults"] == b["faults"] and b["t"] - a["t"] < 0.1]
    assert pairs and all(hold(a) == pytest.approx(hold(b)) for a, b in pairs)
    assert all(r["cue"] for r in shown)
    assert rep.faults
    for f in rep.faults:  # once shown, the time since the fault began is taken back: the hold ended there
        good_before = [r for r in rows if r["t"] < f.start][-1]
        first_shown = next(r for r in rows if f.fault in r["faults"])
        assert first_shown["t"] > f.start
        assert hold(first_shown) == pytest.approx(hold(good_before)), f
        assert first_shown["current_hold_s"] == 0.0


# --- 3. a strong pike is a pike, not "not in position" -----------------------------------------

@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("base", ["plank", "push_up_"])
def test_strong_pike_with_the_shoulders_behind_the_elbows_is_told_to_lower_the_hips(aspect, base):
    v = judge("plank", still(f"plank_{base}_{aspect}_shoulders_back60"))
    assert v.measures["elbow_drop_deg"] < 45  # the old arm check (45 deg) rejected this
    assert v.status == "fault" and v.faults[0] == "hips_piked" and v.cue == "Lower your hips"


# --- 4. lying on the floor is not a sagging plank ----------------------------------------------

@pytest.mark.parametrize("aspect", ASPECTS)
def test_lying_on_the_forearms_is_not_in_position(aspect):
    for name in (f"plank_plank_{aspect}_lying", f"plank_push_up__{aspect}_lying", f"still_lower_back_curl_1_{aspect}"):
        v = judge("plank", still(name))
        assert v.status == "not_in_position", (name, v.status, v.faults)
        assert "floor" in v.cue.lower() or v.reason != "lying on the floor", (name, v.cue)
    # a real sag of 24 deg stays a sag
    assert judge("plank", still(f"plank_plank_{aspect}_bend-24")).faults == ("hips_sagging",)


@pytest.mark.parametrize("aspect", ["16x9", "4x3", "1x1"])
def test_lying_on_the_side_is_not_a_side_plank_with_dropped_hips(aspect):
    v = judge("side_plank", still(f"still_side_bridge_0_{aspect}"))  # real photo: lying on one side
    assert v.status == "not_in_position" and v.reason == "hips on the floor", (v.status, v.faults)
    assert judge("side_plank", still(f"sideplank_sidebridge_{aspect}_bend-9")).faults == ("hips_dropping",)
    assert judge("side_plank", still(f"still_side_bridge_1_{aspect}")).status == "good"


# --- 5. knee plank needs the knees down; a toe plank no knee down --------------------------------

@pytest.mark.parametrize("aspect", ASPECTS)
def test_a_toe_plank_is_not_a_knee_plank(aspect):
    v = judge("knee_plank", still(f"still_plank_1_{aspect}"))
    assert v.status == "not_in_position" and v.cue == "Put your knees down on the floor"
    assert judge("knee_plank", still(f"kneeplank_plank_{aspect}_good")).status == "good"


@pytest.mark.parametrize("aspect", ASPECTS)
def test_one_knee_down_is_not_a_plank(aspect):
    v = judge("plank", still(f"plank_plank_{aspect}_oneknee"))
    assert v.status == "not_in_position", (v.faults, v.measures)


def test_all_fours_is_not_a_knee_plank():
    rep = analyze_track(clip("clip_bird_dog_9x16"), pose_rules.get_rule("knee_plank"))
    assert rep.summary.time_in_position_s < 0.5  # was 4.4 s (the lifted leg taken for a knee plank)


# --- 6. reps people do are counted ------------------------------------------------------------

def test_glute_bridge_lifts_are_reps():
    rep = analyze_track(clip("clipd_bridge_reps_4x3"), pose_rules.get_rule("glute_bridge"))
    lifts = rep.progress.part("reps")
    assert lifts.done == {"both": 6} and lifts.total == 6 and len(rep.reps) == 6
    assert rep.progress.part("hold").total == pytest.approx(23.0, abs=1.2)  # the hold is still timed


@pytest.mark.parametrize("factor", [3, 4])
def test_brisk_bird_dog_reps_are_counted(factor):
    rep = analyze_track(clip(f"clipd_bird_dog_x{factor}"), pose_rules.get_rule("bird_dog"))
    assert rep.progress.done == {"left": 1, "right": 1}
    assert min(r["top_s"] for r in rep.reps) < 1.1  # about the old 1 s minimum at the top (it lost them)


def test_bird_dog_reps_name_the_arm_and_the_leg():
    rep = analyze_track(clip("clip_bird_dog_9x16"), pose_rules.get_rule("bird_dog"))
    first = rep.reps[0]
    assert first["leg"] == "right" and first["arm"] == "left"


def test_the_arm_on_the_same_side_as_the_leg_is_a_fault():
    f = still("birddog_right_16x9_top")
    p = D.to_pixels(f)
    same = D.side_points("right")  # raise the right arm (the leg lifted is the right one) and lower the left
    other = D.side_points("left")
    p = D.rotate_limb(p, other["shoulder"], other["wrist"], [other["elbow"], other["pinky"], other["index"],
                                                              other["thumb"]], -85.0)
    p = D.rotate_limb(p, same["shoulder"], same["wrist"], [same["elbow"], same["pinky"], same["index"],
                                                             same["thumb"]], 0.0)
    lm = np.array(f.landmarks)
    lm[[same["shoulder"], same["elbow"], same["wrist"]], 3] = 0.9
    v = judge("bird_dog", D.to_frame(PoseFrame(lm, None, 0.0, f.image_size), p))
    assert v.faults[0] == "same_side_arm" and v.cue == "Lift the opposite arm"


# --- 7. three-quarter views: say so instead of judging ------------------------------------------

@pytest.mark.parametrize("aspect", ASPECTS)
def test_a_three_quarter_bridge_is_not_judged(aspect):
    v = judge("glute_bridge", still(f"still_butt_lift_bridge_1_{aspect}"))  # photographed from about 45 deg
    assert v.status == "cant_see" and v.reason.startswith("camera angle")
    assert v.cue == "Turn side-on to the camera so I can judge your form"
    assert v.measures["oblique_deg"] > defaults(pose_rules.get_rule("glute_bridge"))["max_oblique_deg"]


def _turned(frame: PoseFrame, deg: float) -> PoseFrame:
    """The frame with MediaPipe's depth of the feet changed so that the
    shoulder-ankle line points ``deg`` out of the picture."""
    lm = np.array(frame.landmarks)
    w, h = frame.image_size
    mid = lambda a, b: (lm[a, :2] + lm[b, :2]) / 2 * [w, h]  # noqa: E731
    length = float(np.linalg.norm(mid(L.LEFT_ANKLE, L.RIGHT_ANKLE) - mid(L.LEFT_SHOULDER, L.RIGHT_SHOULDER)))
    lm[:, 2] = 0.0
    for i in (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX):
        lm[int(i), 2] = np.tan(np.radians(deg)) * length / w
    return PoseFrame(lm, None, 0.0, frame.image_size)


def test_the_camera_angle_limit_is_a_threshold():
    f = still("still_plank_1_16x9")
    assert judge("plank", _turned(f, 20)).status == "good"
    v = judge("plank", _turned(f, 55))
    assert v.status == "cant_see" and "side-on" in v.cue
    assert pose_rules.evaluate("plank", _turned(f, 55), thresholds={"max_oblique_deg": 60}).status == "good"
