"""Integration tests: the real MediaPipe model on real photos and clips.

The model is the one the product provisions (the ``pose_model`` fixture,
:func:`coach.media.models.ensure_model`; the CLI gets it as ``COACH_MODEL``).
The photos and clips are the shared data beside the checkout
(../shared/clips): the tests that need them are skipped cleanly when it is
missing, before any model is looked for. Each clip is analysed once per
session (session-scoped fixtures), through the ``coach`` CLI.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pose_rules
from reports import goal_part
from videos import encode_clip

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CLIPS = SHARED / "clips"
PHOTOS = CLIPS / "free_exercise_db"
POLYBAG = CLIPS / "polybag"

pytestmark = pytest.mark.model


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


# ---------------------------------------------------------------- helpers


def _read_rgb(path: Path) -> np.ndarray:
    import cv2

    bgr = cv2.imread(str(_need(path)))
    assert bgr is not None, f"cannot read {path}"
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)




# Fixtures needing shared data name it first (``photos``, ``polybag``), so a
# missing folder skips the test before the model fixture is set up.


@pytest.fixture(scope="session")
def photos() -> Path:
    return _need(PHOTOS)


@pytest.fixture(scope="session")
def polybag() -> Path:
    return _need(POLYBAG)


@pytest.fixture(scope="session")
def photo_pose(photos, pose_model):
    """photo_pose(rel) -> PoseFrame of a free_exercise_db photo (a fresh
    estimator per photo, VIDEO mode, t = 0), cached for the session."""
    from coach.media.estimator import PoseEstimator

    cache: dict[str, object] = {}

    def get(rel: str):
        if rel not in cache:
            with PoseEstimator(pose_model) as est:
                cache[rel] = est.process(_read_rgb(photos / rel), 0.0)
        return cache[rel]
    return get


@pytest.fixture(scope="session")
def judge(photo_pose):
    """judge(rel, exercise) -> the rule's verdict on a photo."""
    def get(rel: str, exercise: str):
        frame = photo_pose(rel)
        assert frame.detected, f"no person found in {rel}"
        return pose_rules.evaluate(exercise, frame)
    return get


@pytest.fixture(scope="session")
def coach(pose_model):
    """coach(*args, check=True) -> the ``coach`` CLI run with the provisioned model."""
    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        env = dict(os.environ, COACH_MODEL=str(pose_model))
        proc = subprocess.run([sys.executable, "-m", "coach.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        if check:
            assert proc.returncode == 0, f"coach {' '.join(args)} failed:\n{proc.stderr}"
        return proc
    return run


@pytest.fixture(scope="session")
def analyze(coach):
    """analyze(src, exercise, out, *extra) -> the JSON report of ``coach analyze``."""
    def run(src: Path, exercise: str | None, out: Path, *extra: str) -> dict:
        args = ["analyze", str(src), "--json", str(out), "-q", *extra]
        if exercise:
            args += ["-e", exercise]
        coach(*args)
        return json.loads(out.read_text(encoding="utf-8"))
    return run


def _write_video(path: Path, image: np.ndarray, n: int = 30, fps: int = 30) -> Path:
    from coach.media.video import VideoWriter

    h, w = image.shape[:2]
    with VideoWriter(path, fps=fps, size=(w, h)) as writer:
        for i in range(n):
            writer.write(image, i / fps)
    return path


def _write_rotated_video(path: Path, stored: np.ndarray, rotation_ccw: int, n: int = 30) -> Path:
    """H.264 clip of *stored* frames with a display matrix (PyAV's ccw degrees)."""
    h, w = stored.shape[:2]
    return encode_clip(path, ((stored, i / 30) for i in range(n)), (w, h), rotation_ccw=rotation_ccw)


# ---------------------------------------------------------------- photos

PHOTO_CASES = [
    ("Plank/1.jpg", "plank", "good"),
    ("Plank/0.jpg", "plank", "not good"),
    # shot from about 45 deg: the coach says it cannot judge the angles (and why), never "good"
    ("Butt_Lift_Bridge/1.jpg", "glute_bridge", "cant_judge"),
    ("Butt_Lift_Bridge/0.jpg", "glute_bridge", "not good"),
    ("Pelvic_Tilt_Into_Bridge/0.jpg", "glute_bridge", "not_in_position"),
    pytest.param("Pelvic_Tilt_Into_Bridge/1.jpg", "glute_bridge", "not good",
                 marks=pytest.mark.xfail(strict=True, reason=(
                     "MediaPipe places the hip landmark on the shoulder-knee line in this photo "
                     "(all three model variants), so the landmarks show a straight bridge")),
                 id="Pelvic_Tilt_Into_Bridge/1.jpg-glute_bridge-hips_too_low"),
    ("Single_Leg_Glute_Bridge/1.jpg", "glute_bridge", "good"),
    ("Single_Leg_Glute_Bridge/0.jpg", "glute_bridge", "not good"),
    ("Glute_Kickback/0.jpg", "hip_extension", "good"),
    ("Side_Bridge/1.jpg", "side_plank", "good"),
    ("Side_Bridge/0.jpg", "side_plank", "not good"),
]


@pytest.mark.parametrize("photo,exercise,expected", PHOTO_CASES,
                         ids=lambda v: v if isinstance(v, str) else None)
def test_labelled_photo(judge, photo, exercise, expected):
    v = judge(photo, exercise)
    detail = f"{photo} as {exercise}: status={v.status} faults={v.faults} measures={v.measures}"
    if expected == "not good":
        assert v.status != "good", detail
    elif expected == "cant_judge":
        assert v.status == "cant_see" and v.reason.startswith("camera angle"), detail
        assert v.cue == "Turn side-on to the camera so I can judge your form"
    else:
        assert v.status == expected, detail


@pytest.mark.parametrize("photo,exercise,words", [
    ("Glute_Kickback/1.jpg", "hip_extension", 'fault: leg too high ("'),
    ("Plank/1.jpg", "plank", "good form"),
    ("Butt_Lift_Bridge/1.jpg", "glute_bridge", "cannot judge: camera angle"),
])
def test_a_photo_report_says_what_the_photo_shows(coach, tmp_path, photo, exercise, words):
    """`coach analyze PHOTO` prints the photo's verdict (a single frame never
    outlasts the cue delay, so "faults: none" would hide a fault) and puts it
    in the JSON report."""
    out = tmp_path / "r.json"
    proc = coach("analyze", str(_need(PHOTOS / photo)), "-e", exercise, "-q", "--json", str(out))
    line = next(ln for ln in proc.stdout.splitlines() if ln.strip().startswith("photo"))
    assert words in line, proc.stdout
    assert "faults: none" not in proc.stdout
    still = json.loads(out.read_text())["summary"]["still"]
    assert still["status"] == {"f": "fault", "g": "good", "c": "cant_see"}[words[0]]
    assert ("leg_too_high" in still["faults"]) == (exercise == "hip_extension")


def test_glute_kickback_start_has_no_leg_fault(judge):
    v = judge("Glute_Kickback/0.jpg", "hip_extension")
    assert v.status == "good", (v.status, v.faults, v.measures)
    assert not any("leg" in f for f in v.faults)


def test_glute_kickback_leg_too_high(judge):
    v = judge("Glute_Kickback/1.jpg", "hip_extension")
    assert "leg_too_high" in v.faults, (v.status, v.faults, v.measures)


NEGATIVE_DIRS = ["Lower_Back_Curl", "Superman", "Crunches", "Hug_Knees_To_Chest", "One_Knee_To_Chest",
                 "Childs_Pose", "Cat_Stretch", "Chair_Lower_Back_Stretch"]
NEGATIVE_CASES = [
    (f"{d}/{i}.jpg", ex)
    for d in NEGATIVE_DIRS for i in (0, 1)
    for ex in ("plank", "side_plank", "glute_bridge", "bird_dog")
    if not (d == "Cat_Stretch" and ex == "bird_dog")  # on all fours: a real bird-dog start
]


@pytest.mark.parametrize("photo,exercise", NEGATIVE_CASES)
def test_negative_photo_is_never_good(judge, photo, exercise):
    v = judge(photo, exercise)
    assert v.status != "good", f"{photo} judged good as {exercise}: measures={v.measures}"


# ---------------------------------------------------------------- clips through the CLI


@pytest.fixture(scope="session")
def outdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("integration")


@pytest.fixture(scope="session")
def bird_dog_live(polybag, outdir, analyze):
    """bird_dog.mp4 analysed live, also saving its landmark track."""
    clip = _need(polybag / "bird_dog.mp4")
    track = outdir / "bird_dog.npz"
    rep = analyze(clip, "bird_dog", outdir / "bird_dog_live.json", "--save-track", str(track))
    return rep, track


def test_bird_dog_clip_reps(bird_dog_live):
    rep, _ = bird_dog_live
    assert rep["summary"]["goal"]["kind"] == "reps"
    assert rep["summary"]["goal"]["done"] == {"left": 1, "right": 1}
    assert len(rep["reps"]) == 2
    labelled = [(1.8, 5.2), (8.7, 12.3)]
    for lo, hi in labelled:
        hits = [r for r in rep["reps"] if r["start"] < hi and r["end"] > lo]
        assert len(hits) == 1, f"extended phase {lo}-{hi} s: reps {rep['reps']}"
    assert {r["side"] for r in rep["reps"]} == {"left", "right"}


def test_bird_dog_replay_equals_live(bird_dog_live, outdir, analyze):
    live, track = bird_dog_live
    assert track.is_file()
    replay = analyze(track, "bird_dog", outdir / "bird_dog_replay.json")
    strip = lambda r: {k: v for k, v in r.items() if k not in ("source", "model")}  # noqa: E731
    a, b = strip(live), strip(replay)
    for key in ("summary", "faults", "reps", "timeline"):
        assert a[key] == b[key], f"{key} differs between live and replay"
    assert a == b


def test_pelvic_tilts_are_not_a_bridge(polybag, outdir, analyze):
    clip = _need(polybag / "podsazeni_panve.mp4")
    s = analyze(clip, "glute_bridge", outdir / "podsazeni.json")["summary"]
    assert s["frames_with_person"] > 0
    assert goal_part(s, "hold")["done"] == {"both": 0}
    assert s["time_in_position_s"] < 1.0


def test_cat_back_gives_no_bird_dog_reps(polybag, outdir, analyze):
    clip = _need(polybag / "kocici_hrbet.mp4")
    s = analyze(clip, "bird_dog", outdir / "kocici.json")["summary"]
    assert s["frames_with_person"] > 0
    assert s["goal"]["done"] == {"left": 0, "right": 0}


# ---------------------------------------------------------------- awkward input


def test_video_without_a_person(tmp_path, analyze):
    h, w = 240, 320
    grad = np.linspace(40, 200, w, dtype=np.float32)[None, :, None]
    img = np.broadcast_to(grad, (h, w, 3)).astype(np.uint8)
    clip = _write_video(tmp_path / "empty_room.mp4", img)
    rep = analyze(clip, "plank", tmp_path / "empty.json")
    s = rep["summary"]
    assert s["frames"] == 30
    assert s["frames_with_person"] == 0
    assert s["goal"]["kind"] == "hold" and s["goal"]["done"] == {"both": 0}
    assert s["time_in_position_s"] == 0
    assert rep["timeline"] and not any(r["status"] == "good" for r in rep["timeline"])


def test_feet_out_of_frame(photos, tmp_path, photo_pose, analyze):
    full = photo_pose("Plank/1.jpg")
    img = _read_rgb(photos / "Plank/1.jpg")
    w = img.shape[1]
    lm = full.landmarks
    head_x, ankle_x = lm[0, 0], lm[27:29, 0].mean()
    knee_x = lm[25:27, 0].mean()
    # keep the head / shoulder / hip part, cut at about the knees so ankles and feet are out
    if head_x > ankle_x:
        x0 = int(round(knee_x * w)) + 10
        crop = img[:, x0:]
    else:
        x1 = int(round(knee_x * w)) - 10
        crop = img[:, :x1]
    crop = np.ascontiguousarray(crop[:, : crop.shape[1] // 2 * 2])
    clip = _write_video(tmp_path / "no_feet.mp4", crop)
    rep = analyze(clip, "plank", tmp_path / "no_feet.json")
    rows = rep["timeline"]
    assert rows and rep["summary"]["frames_with_person"] > 0
    assert not any(r["status"] == "good" for r in rows)
    assert rep["summary"]["goal"]["done"] == {"both": 0}
    late = [r for r in rows if r["t"] >= 0.5]
    assert all(r["status"] == "cant_see" for r in late), {r["status"] for r in late}
    assert all(r["cue"] == "Move back so your feet are in view" for r in late), {r["cue"] for r in late}


def test_phone_rotation_metadata(photos, tmp_path, analyze):
    from coach.media.video import probe

    upright = _read_rgb(photos / "Plank/1.jpg")
    # the phone stores the picture turned a quarter counter-clockwise and asks players to
    # turn it 90 deg clockwise (PyAV's display rotation is counter-clockwise: -90)
    stored = np.ascontiguousarray(np.rot90(upright, k=1))
    stored = np.ascontiguousarray(stored[: stored.shape[0] // 2 * 2, : stored.shape[1] // 2 * 2])
    clip = _write_rotated_video(tmp_path / "phone.mp4", stored, rotation_ccw=-90)
    info = probe(clip)
    assert info.rotation == 90
    assert (info.width, info.height) == (stored.shape[0], stored.shape[1])
    rep = analyze(clip, "plank", tmp_path / "phone.json")
    rows = [r for r in rep["timeline"] if r["t"] >= 0.5]
    assert rows
    good = sum(r["status"] == "good" for r in rows)
    assert good >= 0.8 * len(rows), f"{good}/{len(rows)} good; statuses {[r['status'] for r in rows]}"
