"""A routine on live frames: steps start by themselves when the person is in
position, the wrong exercise is named, sides are switched, rest is counted
down, skip and pause work, and the summary says what was done. The frames
are real MediaPipe readings of real photos (devset), looped with landmark
jitter as a fake camera would show them, and time comes only from them."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coach.core.landmarks import Landmark
from coach.core.pose import PoseFrame, PoseTrack
from coach.engine import routines as R
from coach.session.routine import (DONE, FINISHED, GET_READY, NOT_STARTED, PAUSED, REST, SKIPPED, FreeRun,
                                   RoutineRun)
from coach.session.speech import Announcer

ROOT = Path(__file__).resolve().parents[2]
TRACKS = ROOT / "devset" / "tracks"
FPS = 15.0

#: Landmark index of the mirror-image point (left <-> right).
_MIRROR = [Landmark[n.replace("LEFT_", "@").replace("RIGHT_", "LEFT_").replace("@", "RIGHT_")].value
           for n in Landmark.__members__]


def still(name: str) -> PoseFrame:
    t = PoseTrack.load(TRACKS / f"{name}.npz")
    return PoseFrame(t.landmarks[0], t.world[0], 0.0, (t.meta["image_width"], t.meta["image_height"]))


def mirrored(f: PoseFrame) -> PoseFrame:
    """The same pose seen in a mirror: the person's other side down."""
    lm = np.array(f.landmarks)[_MIRROR]
    lm[:, 0] = 1.0 - lm[:, 0]
    wd = np.array(f.world)[_MIRROR]
    wd[:, 0] = -wd[:, 0]
    return PoseFrame(lm, wd, f.timestamp, f.image_size)


NOBODY = PoseFrame(np.full((33, 4), np.nan), None, 0.0, (1008, 567))


class Camera:
    """Frames at 15 fps from t = 0, each pose with 0.002 (normalised) jitter."""

    def __init__(self, seed: int = 1):
        self.t = 0.0
        self.rng = np.random.default_rng(seed)

    def show(self, pose: PoseFrame, seconds: float):
        for _ in range(int(round(seconds * FPS))):
            lm = np.array(pose.landmarks)
            if pose.detected:
                lm[:, :2] += self.rng.normal(0, 0.002, size=(33, 2))
            yield PoseFrame(lm, pose.world, self.t, pose.image_size)
            self.t += 1.0 / FPS


def short_routine(**kw) -> R.Routine:
    text = """
name = "Short"
rest = 3
[[step]]
exercise = "plank"
hold = 5
[[step]]
exercise = "side_plank"
hold = 5
rest = 0
"""
    return R.loads(text)


@pytest.fixture(scope="module")
def poses():
    plank = still("still_plank_1_16x9")
    side_left = still("still_side_bridge_1_16x9")
    return {"plank": plank, "side_left": side_left, "side_right": mirrored(side_left), "nobody": NOBODY}


def run_script(run: RoutineRun, script, poses, cam: Camera | None = None, on_frame=None):
    cam = cam or Camera()
    phases = []
    for pose, seconds in script:
        for f in cam.show(poses[pose], seconds):
            if on_frame is not None:
                on_frame(run, f.timestamp)
            run.step(f)
            phases.append((f.timestamp, run.phase))
    return phases


def said(ann: Announcer) -> list[str]:
    return [u.text for u in ann.since(0)]


def test_mirrored_side_plank_is_the_other_side(poses):
    import pose_rules

    assert pose_rules.evaluate("side_plank", poses["side_left"]).side == "left"
    v = pose_rules.evaluate("side_plank", poses["side_right"])
    assert v.status == "good" and v.side == "right"


def test_a_routine_runs_hands_free_from_frames_alone(poses):
    ann = Announcer()
    run = RoutineRun("Short", R.plan(short_routine()), ann)
    script = [("nobody", 3), ("side_left", 4), ("plank", 8), ("plank", 3),  # plank done, then rest 3 s
              ("side_left", 8), ("side_right", 8)]
    phases = run_script(run, script, poses)
    text = said(ann)
    assert text[0] == "Next: plank. Get into position"
    assert "Step into the camera's view" in text
    # the wrong exercise is named while waiting for the plank, and it does not start the step
    looks = [s for s in text if s.startswith("This looks like")]
    assert looks and looks[0] == "This looks like a side plank; the routine expects a plank"
    first_coaching = next(t for t, p in phases if p == "coaching")
    assert 7.0 <= first_coaching <= 8.3  # plank shown from 6 s, in position 1 s -> starts by itself
    assert "Go" in text
    assert any(s.startswith("Well done. Rest 3 seconds. Next: side plank") for s in text)
    assert REST in {p for _, p in phases}
    assert "Next: side plank, left side. Get into position" in text
    assert "Now the right side" in text
    assert phases[-1][1] == FINISHED and text[-1] == "Routine complete. Well done"

    summary = run.report()
    assert [s.outcome for s in summary.steps] == [DONE, DONE]
    plank, side = summary.steps
    assert plank.report.progress.total >= 5.0 - 1e-6
    assert side.report.progress.done["left"] >= 5.0 - 1e-6 and side.report.progress.done["right"] >= 5.0 - 1e-6
    assert side.sides_done == ("left", "right")
    assert summary.completed == 2 and "2 of 2 steps done" in summary.lines()[0]


def test_the_same_frames_give_the_same_routine(poses):
    script = [("nobody", 1), ("plank", 8), ("side_right", 8), ("side_left", 8)]
    out = []
    for _ in range(2):
        ann = Announcer()
        run = RoutineRun("Short", R.plan(short_routine()), ann)
        run_script(run, script, poses, Camera(seed=7))
        out.append(([(u.t, u.text) for u in ann.since(0)], run.report().to_dict()))
    assert out[0] == out[1]


def test_the_side_worked_first_counts_first(poses):
    ann = Announcer()
    run = RoutineRun("Short", R.plan(short_routine()), ann)
    run_script(run, [("plank", 7), ("nobody", 3.5), ("side_right", 8), ("side_left", 8)], poses)
    assert "Now the left side" in said(ann)
    assert run.phase == FINISHED


def test_pause_freezes_the_step_and_skip_moves_on(poses):
    ann = Announcer()
    run = RoutineRun("Short", R.plan(short_routine()), ann)
    cam = Camera()
    run_script(run, [("plank", 3)], poses, cam)  # started at ~1 s, ~2 s counted
    before = run.progress().total
    run.request("pause")
    run_script(run, [("plank", 6)], poses, cam)
    assert run.phase == PAUSED and run.progress().total == pytest.approx(before, abs=0.1)
    run.request("resume")
    run_script(run, [("plank", 1)], poses, cam)
    assert run.phase == "coaching"
    run.request("skip")  # the plank step, partly done: straight on to the next step (no rest)
    run_script(run, [("nobody", 0.5)], poses, cam)
    assert run.phase == GET_READY and run.rule.name == "side_plank"
    run.request("skip")
    run_script(run, [("nobody", 0.2)], poses, cam)
    s = run.report()
    assert run.phase == FINISHED
    assert [x.outcome for x in s.steps] == [SKIPPED, SKIPPED]
    assert s.steps[0].report is not None and s.steps[0].report.progress.total > 0  # what was done is kept
    assert s.steps[1].report is None and s.completed == 0
    assert "Paused" in said(ann)


def test_skip_during_the_rest_starts_the_next_step_at_once(poses):
    run = RoutineRun("Short", R.plan(short_routine()), Announcer())
    cam = Camera()
    run_script(run, [("plank", 7)], poses, cam)
    assert run.phase == REST
    run.request("skip")
    run_script(run, [("nobody", 0.2)], poses, cam)
    assert run.phase == GET_READY and run.rule.name == "side_plank"
    assert [x.outcome for x in run.report().steps] == [DONE, NOT_STARTED]


def test_stopping_midway_reports_the_step_in_progress_and_the_rest_not_started(poses):
    run = RoutineRun("Short", R.plan(short_routine()), Announcer())
    run_script(run, [("plank", 4)], poses)
    s = run.report()
    assert [x.outcome for x in s.steps] == ["stopped", NOT_STARTED]
    assert len(s.reports) == 1


def test_an_unjudged_step_starts_after_the_get_ready_time(poses):
    r = R.loads("name = 'b'\n[[step]]\nexercise = 'drawing_in'\nrepeats = 1\nhold = 3\n")
    ann = Announcer()
    run = RoutineRun("b", R.plan(r), ann, ready_s=2.0)
    phases = run_script(run, [("nobody", 14)], poses)
    assert said(ann)[0] == "Next: abdominal drawing-in. It starts in 2 seconds"
    assert next(t for t, p in phases if p == "coaching") == pytest.approx(2.0, abs=0.1)
    assert run.phase == FINISHED


def test_free_mode_logs_whatever_is_done(poses):
    ann = Announcer()
    run = FreeRun(ann)
    run_script(run, [("nobody", 1), ("plank", 6), ("nobody", 3), ("side_left", 6)], poses)
    s = run.report()
    names = [x.planned.exercise for x in s.steps]
    assert names[0] in ("plank", "forearm_plank", "high_plank") and names[-1].startswith("side_plank")
    assert s.free and all(x.report.summary.time_in_position_s > 0 for x in s.steps)
    assert said(ann)[0] == "Plank"


def test_free_mode_keeps_one_exercise_across_its_rests(poses):
    run = FreeRun(Announcer())
    run_script(run, [("plank", 4), ("nobody", 3), ("plank", 4)], poses)
    s = run.report()
    assert len(s.steps) == 1 and s.steps[0].report.progress.total > 4.0
