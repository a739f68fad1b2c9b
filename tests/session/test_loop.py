"""The session loop (coach.session.loop): Session, run() and the sinks, and
what the HUD annotator draws on the video."""
from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

import pose_rules
from coach.core.pose import PoseFrame, PoseTrack
from coach.engine.engine import Engine
from coach.engine.hud import coaching_view
from coach.media.annotate import AMBER, GREEN, GREY, RED, HudAnnotator
from coach.session.loop import (CallbackSink, Session, TrackSink, VideoSink, analyze_track, default_annotator,
                                run)
from coach.session.sources import track_frames, track_images
from reports import same_report
from synth import SIZE, plank

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
FPS = 30.0




def _decoded(data: bytes) -> tuple[str, list[np.ndarray]]:
    with av.open(io.BytesIO(data)) as c:
        s = c.streams.video[0]
        return s.codec_context.name, [f.to_ndarray(format="rgb24") for f in c.decode(s)]


@pytest.fixture(scope="module")
def bird_dog() -> PoseTrack:
    return PoseTrack.load(SAMPLES / "bird_dog.track.npz")


def _session(rule, sinks=(), track=None):
    meta = track.meta if track is not None else {}
    return Session(rule, source=str(meta.get("source", "")), model=meta.get("model"), sinks=sinks)


# ---------------------------------------------------------------- run() and the sinks


def test_a_track_through_run_gives_a_video_of_every_frame_and_the_analyze_report(bird_dog):
    rule = pose_rules.get_rule("bird_dog")
    th = rule.resolve()
    video = VideoSink(default_annotator(rule, th), None, fps=FPS, max_side=320, name="bird_dog")
    keep = TrackSink()
    seen = []
    session = _session(rule, [video, keep, CallbackSink(lambda item: seen.append(item.state.timestamp))], bird_dog)
    report = run(track_frames(bird_dog, track_images(bird_dog, max_side=320)), session)

    # the report is analyze_track's (coach analyze TRACK), timeline included
    assert same_report(report, analyze_track(bird_dog, rule))
    assert report.summary.frames == len(bird_dog) == len(report.timeline)
    # every sink saw every frame, in order
    assert seen == pytest.approx(bird_dog.timestamps.tolist())
    assert len(keep.track()) == len(bird_dog)
    np.testing.assert_array_equal(keep.track(bird_dog.meta).landmarks, bird_dog.landmarks)
    # the MP4 in memory: one frame per track frame, at most 320 px
    assert video.data is not None and video.data[4:8] == b"ftyp"
    codec, frames = _decoded(video.data)
    assert codec == "h264" and len(frames) == len(bird_dog)
    assert max(frames[0].shape[:2]) <= 320
    # drawn on: the title bar is coloured by each frame's status (green when good, red for a fault)
    statuses = [row["status"] for row in report.timeline]
    for i in (statuses.index("good"), len(statuses) - 1 - statuses[::-1].index("good")):
        bar = frames[i][:8].reshape(-1, 3).astype(int).mean(axis=0)
        assert bar[1] > bar[0] + 40 and bar[1] > bar[2] + 40, (i, bar)  # green
    assert "fault" in statuses  # the left leg stays too low for a while
    bar = frames[statuses.index("fault") + 2][:8].reshape(-1, 3).astype(int).mean(axis=0)
    assert bar[0] > bar[1] + 40 and bar[0] > bar[2] + 40, bar  # red


def test_frames_not_later_than_the_last_reach_no_sink():
    rule = pose_rules.get_rule("plank")
    got = []
    session = Session(rule, sinks=[CallbackSink(lambda item: got.append(item.frame.timestamp))])
    for t in (0.0, 1 / 30, 2 / 30, 1 / 30, 2 / 30, 3 / 30):  # one going back, one repeated
        session.feed(plank(0, t=t))
    assert got == [0.0, 1 / 30, 2 / 30, 3 / 30]
    assert session.report().summary.frames == 4
    assert session.feed(plank(0, t=0.0)) is None


class Boom:
    """A sink that fails at its n-th frame."""

    def __init__(self, at: int):
        self.at, self.n, self.closed = at, 0, False

    def add(self, item) -> None:
        self.n += 1
        if self.n == self.at:
            raise RuntimeError("sink failed")

    def close(self) -> None:
        self.closed = True


def test_a_failing_sink_stops_the_run_and_the_video_is_dropped(bird_dog):
    rule = pose_rules.get_rule("bird_dog")
    video = VideoSink(default_annotator(rule, rule.resolve()), None, fps=FPS, max_side=160)
    boom = Boom(at=60)
    closed = []

    def frames():
        try:
            yield from track_frames(bird_dog, track_images(bird_dog, max_side=160))
        finally:
            closed.append(True)

    with pytest.raises(RuntimeError, match="sink failed"):
        run(frames(), _session(rule, [video, boom], bird_dog))
    assert boom.n == 60 and not boom.closed  # stopped there: not finished as if all went well
    assert closed == [True]  # the frame source was closed (a video decoder stops)
    # the half-written video is dropped: nothing to hand out
    assert video.data is None and video.writer is None
    video.close()  # closing after the abort gives nothing either
    assert video.data is None


def test_abort_drops_a_finished_video_too():
    rule = pose_rules.get_rule("plank")
    video = VideoSink(default_annotator(rule, rule.resolve()), None, fps=FPS, max_side=160)
    session = Session(rule, sinks=[video])
    img = np.full((120, 160, 3), 90, np.uint8)
    for i in range(10):
        session.feed(plank(0, t=i / FPS), img.copy())
    session.close()
    assert video.data and len(_decoded(video.data)[1]) == 10
    video.abort()
    assert video.data is None


def test_a_track_without_pictures_makes_no_video():
    rule = pose_rules.get_rule("plank")
    video = VideoSink(default_annotator(rule, rule.resolve()), None)
    track = PoseTrack.from_frames([plank(0, t=i / FPS) for i in range(30)])
    report = run(track_frames(track), Session(rule, sinks=[video]))
    assert report.summary.frames == 30 and video.data is None and video.writer is None


# ---------------------------------------------------------------- what the HUD draws


def _states(rule_name: str, poses) -> list:
    eng = Engine(pose_rules.get_rule(rule_name))
    return [st for st in (eng.update(f) for f in poses) if st is not None]


@pytest.fixture(scope="module")
def plank_states():
    """2 s of a good plank, then 3 s sagging (the cue shows after its delay)."""
    poses = [plank(0, t=i / FPS) for i in range(60)] + [plank(-25, t=(60 + i) / FPS) for i in range(90)]
    return _states("plank", poses)


def _bar_colour(out: np.ndarray, base: np.ndarray) -> np.ndarray:
    """The colour added to the title bar: its most common pixel minus a quarter of the picture."""
    bar_h = max(20, int(0.09 * out.shape[0]))
    px, counts = np.unique(out[:bar_h].reshape(-1, 3), axis=0, return_counts=True)
    return px[counts.argmax()].astype(int) - (int(base[0, 0, 0]) >> 2)


def _tone(colour) -> np.ndarray:
    return np.array([int(c * 0.75) for c in colour])


def _cue_area(image: np.ndarray) -> np.ndarray:
    h = image.shape[0]
    return image[int(0.75 * h):]


@pytest.mark.parametrize("shape", [(720, 1280, 3), (1280, 720, 3), (360, 640, 3)])
def test_hud_title_bar_is_green_for_good_form_and_nothing_is_drawn_in_the_cue_area(plank_states, shape):
    good = plank_states[59]
    assert (good.status, good.cue) == ("good", None)
    view = coaching_view(good)
    assert (view.title, view.cue) == ("Good form", None)
    base = np.full(shape, 90, np.uint8)
    out = HudAnnotator()(base.copy(), view)
    np.testing.assert_array_equal(_bar_colour(out, base), _tone(GREEN))
    # the title is written in white on the bar
    bar_h = max(20, int(0.09 * shape[0]))
    assert (out[:bar_h] == 255).all(axis=2).any()
    # no cue: the bottom of the picture is left as it was
    np.testing.assert_array_equal(_cue_area(out), _cue_area(base))


@pytest.mark.parametrize("shape", [(720, 1280, 3), (1280, 720, 3), (360, 640, 3)])
def test_hud_title_bar_is_red_for_a_fault_and_the_cue_is_written_in_red(plank_states, shape):
    fault = plank_states[-1]
    assert (fault.status, fault.cue) == ("fault", "Lift your hips")
    view = coaching_view(fault)
    assert (view.title, view.cue) == ("Fix your form", "Lift your hips")
    base = np.full(shape, 90, np.uint8)
    out = HudAnnotator()(base.copy(), view)
    np.testing.assert_array_equal(_bar_colour(out, base), _tone(RED))
    cue = _cue_area(out)
    assert (cue == np.array(RED, np.uint8)).all(axis=2).sum() > 50  # the cue's letters
    assert not (cue == np.array(GREEN, np.uint8)).all(axis=2).any()
    # the same frame without its cue: nothing at the bottom
    from dataclasses import replace

    quiet = HudAnnotator()(base.copy(), replace(view, cue=None))
    np.testing.assert_array_equal(_cue_area(quiet), _cue_area(base))


def test_hud_title_bar_is_amber_out_of_position_and_grey_when_nobody_is_seen():
    base = np.zeros((360, 640, 3), np.uint8)
    standing = _states("plank", [_standing(i / FPS) for i in range(10)])[-1]
    assert standing.status == "not_in_position"
    view = coaching_view(standing)
    assert view.title == "Get into position"
    np.testing.assert_array_equal(_bar_colour(HudAnnotator()(base.copy(), view), base), _tone(AMBER))
    gone = _states("plank", [PoseFrame.empty(i / FPS, SIZE) for i in range(10)])[-1]
    assert gone.status == "cant_see"
    view = coaching_view(gone)
    assert view.title == "Can't see you"
    np.testing.assert_array_equal(_bar_colour(HudAnnotator()(base.copy(), view), base), _tone(GREY))


def _standing(t):
    """The plank pose turned upright: visible, but not in the plank position."""
    lm = np.array(plank(0).landmarks)
    x, y = lm[:, 0] * SIZE[0], lm[:, 1] * SIZE[1]
    lm[:, 0], lm[:, 1] = (640 + (y - 400)) / SIZE[0], (100 + (x - 380) * 0.6) / SIZE[1]
    return PoseFrame(lm, None, t, SIZE)


def test_hud_details_add_the_frame_time_and_measures_in_the_top_right_and_under_the_bar(plank_states):
    good = plank_states[59]
    view = coaching_view(good)
    assert view.time_s == pytest.approx(59 / FPS) and view.measures
    base = np.zeros((720, 1280, 3), np.uint8)
    plain, detailed = HudAnnotator()(base.copy(), view), HudAnnotator(details=True)(base.copy(), view)
    bar_h = int(0.09 * 720)
    right = slice(int(0.75 * 1280), 1280)
    # the time: white text at the right of the bar, only with details
    assert (detailed[:bar_h, right] == 255).all(axis=2).any()
    assert not (plain[:bar_h, right] == 255).all(axis=2).any()
    assert not np.array_equal(plain[bar_h:], detailed[bar_h:])  # the measures under the headline
    np.testing.assert_array_equal(_cue_area(plain), _cue_area(detailed))
