"""Folders of clips (``coach analyze DIR_OR_GLOB``), as a user meets them:
a row per clip in the table and the summary files, each row what the clip
gives analysed alone, a bad file reported on one line while the others go
on, the exit status, Ctrl-C, and the same folder on a local Ray instance.

The landmark tracks bundled in samples/ need no pose model, so most tests
run anywhere; the video tests cut short low-resolution clips from the shared
bird-dog clip (skipped when ../shared is missing)."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from videos import encode_clip

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
TRACKS = sorted(SAMPLES.glob("*.track.npz"))
BIRD_DOG = ROOT.parent / "shared" / "clips" / "polybag" / "bird_dog.mp4"
NO_MODEL = str(ROOT / "no-model-needed-here.task")  # tracks only: a test reaching for a model fails


def coach(*args, model: str | Path = NO_MODEL, cwd: Path = ROOT, timeout: float = 300,
          env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, COACH_MODEL=str(model), **(env or {}))
    return subprocess.run([sys.executable, "-m", "coach.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def one_error_line(proc: subprocess.CompletedProcess, *words: str) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, f"rc={proc.returncode}\n{proc.stderr}"
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("coach: error:"), proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def skipped_lines(proc: subprocess.CompletedProcess) -> list[str]:
    """The "skipped" lines as a terminal shows them (the bars' cursor moves taken out)."""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", proc.stderr)
    return [ln.strip() for ln in text.splitlines() if ln.strip().startswith("coach: skipped")]


def table_rows(stdout: str) -> dict[str, list[str]]:
    """The table's rows by file (its first column)."""
    lines = stdout.strip().splitlines()
    assert lines[0].split()[:2] == ["file", "status"], stdout
    return {ln.split()[0]: ln.split() for ln in lines[1:-1]}


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def alone(src: Path, tmp: Path, *extra, model: str | Path = NO_MODEL) -> dict:
    """The JSON report of ``coach analyze SRC`` on its own (one process)."""
    out = tmp / f"alone-{src.name}.json"
    proc = coach("analyze", src, "--json", out, "-q", "--jobs", "1", *extra, model=model)
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def comparable(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "analysis_s"}  # everything but the time it took


# ----------------------------------------------------------------------------- folders of tracks (no model)

@pytest.fixture
def tracks(tmp_path) -> Path:
    """A folder of the bundled tracks, a broken track, a hidden file, a text
    file, and a subfolder with a track (neither is analysed)."""
    d = tmp_path / "tracks"
    (d / "sub").mkdir(parents=True)
    for t in TRACKS:
        shutil.copy(t, d / t.name)
    (d / "broken.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (d / "notes.txt").write_text("not a clip")
    shutil.copy(TRACKS[0], d / ".hidden.npz")
    shutil.copy(TRACKS[0], d / "sub" / "deeper.npz")
    return d


def test_a_folder_gives_a_row_per_clip_and_a_broken_file_does_not_stop_the_rest(tracks, tmp_path):
    proc = coach("analyze", tracks, "--jobs", "2", "-q", "--summary", tmp_path / "s.csv",
                 "--summary", tmp_path / "s.json", "--json-dir", tmp_path / "reports")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr  # some clips failed
    names = sorted([t.name for t in TRACKS] + ["broken.npz"])  # not the text file, hidden file, subfolder
    rows = table_rows(proc.stdout)
    assert sorted(Path(f).name for f in rows) == names
    assert {Path(f).name: r[1] for f, r in rows.items()} == {n: "failed" if n == "broken.npz" else "ok" for n in names}
    assert proc.stdout.strip().splitlines()[-1].startswith(f"{len(names)} clips: {len(TRACKS)} analysed, 1 failed")
    skipped = skipped_lines(proc)
    assert len(skipped) == 1 and skipped[0].startswith(f"coach: skipped {tracks / 'broken.npz'}: "), proc.stderr

    in_csv, in_json = read_csv(tmp_path / "s.csv"), json.loads((tmp_path / "s.json").read_text())
    assert [Path(r["file"]).name for r in in_csv] == names == [Path(r["file"]).name for r in in_json["clips"]]
    assert in_json["totals"]["clips"] == len(names) and in_json["totals"]["failed"] == 1
    for c, j in zip(in_csv, in_json["clips"]):
        assert c["status"] == j["status"] and c["frames"] == ("" if j["frames"] is None else str(j["frames"]))
        assert c["result"] == (j["result"] or "")
        if j["status"] == "failed":
            assert j["error"] and c["error"] == j["error"]
            continue
        # each clip as it is analysed alone: its exercise (recorded in the track), reps, frames, faults
        own = alone(Path(j["file"]), tmp_path)
        goal = own["summary"]["goal"]
        assert j["exercise"] == own["exercise"]
        assert (j["frames"], j["done"], j["good"], j["result"]) == (
            own["summary"]["frames"], goal["done"], goal["good"], goal["text"])
        assert j["fault_time_s"] == own["summary"]["fault_time_s"]
        # the report written for it is the report of the clip analysed alone
        assert json.loads((tmp_path / "reports" / f"{Path(j['file']).name}.json").read_text()) == own
    assert not (tmp_path / "reports" / "broken.npz.json").exists()


def test_a_glob_pattern_and_several_files(tracks, tmp_path):
    proc = coach("analyze", str(tracks / "k*.npz"), "-q", "--summary", tmp_path / "s.json")
    assert proc.returncode == 0, proc.stderr
    assert [Path(r["file"]).name for r in json.loads((tmp_path / "s.json").read_text())["clips"]] == [
        "kocici_hrbet.track.npz"]
    # a pattern the shell expanded: several files, analysed as a folder
    proc = coach("analyze", *TRACKS[:2], "-q", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    assert sorted(table_rows(proc.stdout)) == sorted(str(t) for t in TRACKS[:2])
    # ** recurses
    proc = coach("analyze", str(tracks / "**" / "deeper.npz"), "-q")
    assert proc.returncode == 0 and list(table_rows(proc.stdout)) == [str(tracks / "sub" / "deeper.npz")]


def test_a_thresholds_file_applies_to_every_clip_of_its_exercise(tracks, tmp_path):
    strict = tmp_path / "strict.json"  # the left rep lifts the thigh to about -2.7 deg: no longer counted
    strict.write_text(json.dumps({"profile": "strict", "bird_dog": {"rep_up_deg": -1}}), encoding="utf-8")
    proc = coach("analyze", str(tracks / "*.track.npz"), "-q", "--thresholds", strict, "--summary",
                 tmp_path / "s.json")
    assert proc.returncode == 0, proc.stderr
    rows = {Path(r["file"]).name: r for r in json.loads((tmp_path / "s.json").read_text())["clips"]}
    assert rows["bird_dog.track.npz"]["done"] == {"left": 0, "right": 1}
    assert rows["bird_dog.track.npz"]["done"] == alone(tracks / "bird_dog.track.npz", tmp_path, "--thresholds",
                                                       strict)["summary"]["goal"]["done"]


def test_nothing_to_do_is_one_line_and_exit_2(tmp_path):
    one_error_line(coach("analyze", str(tmp_path / "*.mp4"), "-e", "plank"), "no files match", "*.mp4")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("x")
    one_error_line(coach("analyze", tmp_path / "empty", "-e", "plank"), "no video files")


def test_every_clip_failing_is_exit_2_with_its_line(tmp_path):
    (tmp_path / "a.npz").write_bytes(b"nonsense")
    (tmp_path / "b.npz").write_bytes(b"")
    proc = coach("analyze", tmp_path, "-q")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert sorted(ln.split(":")[1].strip() for ln in skipped_lines(proc)) == [
        f"skipped {tmp_path / 'a.npz'}", f"skipped {tmp_path / 'b.npz'}"]


def test_options_are_checked_before_any_work(tracks, tmp_path):
    one_error_line(coach("analyze", tracks, "--annotated", tmp_path / "x.mp4"), "--annotated", "one clip")
    one_error_line(coach("analyze", tracks, "--json", tmp_path / "x.json"), "--json", "--summary")
    one_error_line(coach("analyze", tracks, "--summary", tmp_path / "s.txt"), ".csv or .json")
    one_error_line(coach("analyze", tracks, "--summary", tmp_path / "nofolder" / "s.csv"), "does not exist")
    one_error_line(coach("analyze", tracks, "-e", "no_such_exercise"), "unknown exercise")
    one_error_line(coach("analyze", tracks, "-e", "plank", "--target", "nonsense"), "unknown target")
    # a summary that would replace one of the clips is refused, the clip kept
    clip = tracks / "mine.csv"  # a file the pattern names
    clip.write_text("mine")
    one_error_line(coach("analyze", str(tracks / "*.csv"), "--summary", clip), "input file")
    assert clip.read_text() == "mine"
    # videos need an exercise (tracks have their own)
    (tracks / "v.mp4").write_bytes(b"\0" * 100)
    one_error_line(coach("analyze", tracks), "--exercise is required")


def test_without_ray_installed_the_option_says_how_to_install_it(tracks, tmp_path):
    fake = tmp_path / "noray" / "ray"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    proc = coach("analyze", tracks, "--ray", "local", env={"PYTHONPATH": str(fake.parent)})
    one_error_line(proc, "--ray needs Ray", "pip install 'back-coach[ray]'")


# ----------------------------------------------------------------------------- folders of videos (the model)

def _cut(dest: Path, t0: float, t1: float, fps: int = 15, side: int = 480) -> Path:
    """Seconds t0..t1 of the bird-dog clip, at ``fps`` and ``side`` pixels."""
    from coach.media.video import iter_frames

    frames = []
    with closing(iter_frames(BIRD_DOG, max_side=side, start_s=t0)) as decoded:
        for img, t in decoded:
            if t >= t1:
                break
            if t >= t0:
                frames.append((img, t))
    frames = frames[::max(1, round(30 / fps))]
    h, w = frames[0][0].shape[:2]
    return encode_clip(dest, [(img, t - frames[0][1]) for img, t in frames], (w, h), rate=fps)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    """Two short bird-dog clips (a rep each), a corrupt one and one with nobody in it."""
    import numpy as np

    if not BIRD_DOG.exists():
        pytest.skip(f"{BIRD_DOG} not available (the shared clips are needed beside the checkout)")
    d = tmp_path_factory.mktemp("clips")
    _cut(d / "a.mp4", 1.2, 5.6)  # the right-leg rep
    _cut(d / "b.mp4", 8.3, 13.3)  # the left-leg rep
    (d / "bad.mp4").write_bytes(os.urandom(3000))
    grey = np.full((120, 160, 3), 128, np.uint8)
    encode_clip(d / "nobody.mp4", [(grey, i / 15) for i in range(15)], (160, 120), rate=15)
    return d


@pytest.mark.model
def test_a_folder_of_clips_matches_each_clip_analysed_alone(clips, pose_model, tmp_path):
    proc = coach("analyze", clips, "-e", "bird_dog", "-q", "--jobs", "2", "--json-dir", tmp_path / "reports",
                 "--summary", tmp_path / "s.csv", model=pose_model)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    rows = {Path(r["file"]).name: r for r in read_csv(tmp_path / "s.csv")}
    assert list(rows) == ["a.mp4", "b.mp4", "bad.mp4", "nobody.mp4"]
    assert [rows[n]["status"] for n in rows] == ["ok", "ok", "failed", "no person"]
    assert sorted(skipped_lines(proc)) == [
        f"coach: skipped {clips / 'bad.mp4'}: not a video file or it is corrupt "
        "(Invalid data found when processing input)",
        f"coach: skipped {clips / 'nobody.mp4'}: no person was found in this input; nothing could be judged"]
    for name in ("a.mp4", "b.mp4"):
        own = alone(clips / name, tmp_path, "-e", "bird_dog", model=pose_model)
        assert json.loads((tmp_path / "reports" / f"{name}.json").read_text()) == own  # the same report
        assert rows[name]["result"] == own["summary"]["goal"]["text"] and rows[name]["frames"] == str(
            own["summary"]["frames"])
    assert rows["a.mp4"]["done"] == "left=0; right=1" and rows["b.mp4"]["done"] == "left=1; right=0"


SHARED_CLIPS = ROOT.parent / "shared" / "clips"


@pytest.mark.model
def test_a_folder_of_desk_photos_gives_each_photos_posture(pose_model, tmp_path):
    """A folder of photos (issue 12's check: the seated photos through
    `coach analyze -e desk_posture`): a row per photo with its posture, good
    form 0 % for a slouched or reclined one and its faults named, 100 % upright;
    a corrupt photo is one skipped line."""
    names = {"hunchback.jpg": ("sitting: slouched, head forward", "0 %", "slouched, head_forward"),
             "recline.jpg": ("sitting: reclined", "0 %", "reclined"),
             "straight_hf.jpg": ("sitting upright", "100 %", "none")}
    d = tmp_path / "photos"
    d.mkdir()
    for n in names:
        if not (SHARED_CLIPS / "sittingposture_nvv" / n).is_file():
            pytest.skip("the shared seated photos (../shared/clips/sittingposture_nvv) are missing")
        shutil.copy(SHARED_CLIPS / "sittingposture_nvv" / n, d / n)
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    proc = coach("analyze", d, "-e", "desk_posture", "-q", "--summary", tmp_path / "s.json", model=pose_model)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr  # one file failed
    assert len(skipped_lines(proc)) == 1 and "broken.jpg" in skipped_lines(proc)[0], proc.stderr
    lines = {Path(ln.split()[0]).name: ln for ln in proc.stdout.splitlines()[1:-1]}
    for n, (posture, good, faults) in names.items():
        assert posture in lines[n] and good in lines[n] and lines[n].endswith(faults), lines[n]
    rows = {Path(r["file"]).name: r for r in json.loads((tmp_path / "s.json").read_text())["clips"]}
    assert rows["hunchback.jpg"]["photo_faults"] == "slouched; head_forward"
    assert rows["hunchback.jpg"]["good_form_pct"] == 0.0 and rows["straight_hf.jpg"]["good_form_pct"] == 100.0
    assert rows["recline.jpg"]["result"] == "sitting: reclined"


@pytest.mark.model
def test_exercise_photos_in_a_folder_give_their_verdict_not_an_empty_count(pose_model, tmp_path):
    """An exercise photo's row says what the photo shows (a fault is named,
    with 0 % good form) instead of "0 of 60 s, faults none"."""
    src = SHARED_CLIPS / "free_exercise_db" / "Glute_Kickback"
    if not (src / "1.jpg").is_file():
        pytest.skip("the shared exercise photos are missing")
    d = tmp_path / "photos"
    d.mkdir()
    shutil.copy(src / "0.jpg", d / "start.jpg")
    shutil.copy(src / "1.jpg", d / "leg_high.jpg")
    proc = coach("analyze", d, "-e", "hip_extension", "-q", model=pose_model)
    assert proc.returncode == 0, proc.stderr
    lines = {Path(ln.split()[0]).name: ln for ln in proc.stdout.splitlines()[1:-1]}
    assert "good form" in lines["start.jpg"] and "100 %" in lines["start.jpg"], lines["start.jpg"]
    assert "fault: leg too high" in lines["leg_high.jpg"] and lines["leg_high.jpg"].endswith("leg_too_high")


def _read_until(proc: subprocess.Popen, text: bytes, timeout: float) -> bytes:
    got, end = b"", time.monotonic() + timeout
    fd = proc.stderr.fileno()
    while text not in got and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            got += chunk
    return got


def _interrupted(target: Path, pose_model: Path, started: bytes) -> str:
    """``coach analyze TARGET -e bird_dog --jobs 2``, Ctrl-C once its stderr
    shows ``started``; checks exit 130 and the one line, and returns its stderr."""
    env = dict(os.environ, COACH_MODEL=str(pose_model))
    proc = subprocess.Popen([sys.executable, "-m", "coach.cli", "analyze", str(target), "-e", "bird_dog",
                             "--jobs", "2"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        err = _read_until(proc, b"frame/s", 120)  # a progress bar of frames: the analysis is under way
        assert started in err, err.decode(errors="replace")
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
        out, rest = proc.communicate(timeout=60)  # returns once every process holding stderr is gone
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    err = (err + rest).decode(errors="replace")
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.rstrip().endswith("coach: error: interrupted"), err
    return err


@pytest.mark.model
def test_ctrl_c_stops_every_worker_without_a_traceback(clips, pose_model):
    _interrupted(clips, pose_model, b"frame/s")  # a clip's own bar: the workers are analysing


@pytest.mark.model
def test_ctrl_c_during_one_clip_on_two_cores_stops_it_without_a_traceback(pose_model):
    """One clip in two segments: the first in the command's own process (a
    thread), the second in a worker; Ctrl-C stops both at once."""
    clip = ROOT.parent / "shared" / "clips" / "polybag" / "bird_dog.mp4"
    if not clip.exists():
        pytest.skip(f"{clip} not available (the shared clips are needed beside the checkout)")
    _interrupted(clip, pose_model, b"2 processes")  # the poses' bar: both segments are under way


# ----------------------------------------------------------------------------- Ray

@pytest.mark.slow  # 15-20 s (Ray starts in ~5 s), more on a busy machine
@pytest.mark.model
def test_the_same_folder_on_a_local_ray_instance_gives_the_same_rows(tracks, tmp_path, pose_model):
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'back-coach[ray]')")
    folder = tmp_path / "mixed"
    folder.mkdir()
    for f in tracks.iterdir():
        if f.is_file():
            shutil.copy(f, folder / f.name)
    if BIRD_DOG.exists():  # a video too: the model goes to the tasks once (ray.put)
        _cut(folder / "a.mp4", 1.2, 5.6)
    here = coach("analyze", folder, "-e", "bird_dog", "-q", "--jobs", "2", "--summary", tmp_path / "here.json",
                 model=pose_model)
    ray = coach("analyze", folder, "-e", "bird_dog", "--ray", "local", "--jobs", "2",  # with the bars
                "--summary", tmp_path / "ray.json", model=pose_model)
    assert "Traceback" not in ray.stderr, ray.stderr
    if BIRD_DOG.exists():  # the video's own bar, fed by its Ray task through the queue, as in a local run
        assert re.search(r"a\.mp4:\s+\d+%.*frame/s", ray.stderr), ray.stderr[-2000:]
    assert ray.returncode == here.returncode == 1, ray.stderr
    assert skipped_lines(ray) == skipped_lines(here) and len(skipped_lines(ray)) == 1
    rows = [json.loads((tmp_path / f"{n}.json").read_text())["clips"] for n in ("here", "ray")]
    assert [comparable(r) for r in rows[1]] == [comparable(r) for r in rows[0]]
    assert sum(r["status"] == "ok" for r in rows[1]) == len(TRACKS) + BIRD_DOG.exists()


def _workers(pid: int) -> list[int]:
    """The worker processes of ``pid`` (its spawned children, not the resource tracker)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (d / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"spawn_main" in cmd:
            out.append(int(d.name))
    return out


@pytest.mark.model
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the worker processes")
def test_a_worker_killed_mid_clip_is_replaced_and_the_clip_analysed_again(clips, pose_model, tmp_path):
    """As when the out-of-memory killer takes a worker: its clip runs again, nothing is lost."""
    folder = tmp_path / "two"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4"):
        shutil.copy(clips / name, folder / name)
    env = dict(os.environ, COACH_MODEL=str(pose_model))
    proc = subprocess.Popen([sys.executable, "-m", "coach.cli", "analyze", str(folder), "-e", "bird_dog",
                             "--jobs", "2", "--summary", str(tmp_path / "s.json")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        err = _read_until(proc, b"frame/s", 120)
        victims = _workers(proc.pid)
        assert victims, err.decode(errors="replace")
        os.kill(victims[0], signal.SIGKILL)
        out, rest = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    err = (err + rest).decode(errors="replace")
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert "stopped unexpectedly (a crash or out of memory?); analysing it again" in err, err
    rows = json.loads((tmp_path / "s.json").read_text())["clips"]
    assert [(Path(r["file"]).name, r["status"], r["done"]) for r in rows] == [
        ("a.mp4", "ok", {"left": 0, "right": 1}), ("b.mp4", "ok", {"left": 1, "right": 0})]


def test_a_clip_begun_again_counts_its_frames_once():
    """A retried task (Ray re-runs a task whose worker died) begins again: the
    frames its first attempt reported are taken back from the overall count."""
    from coach.session.batch import Progress

    progress = Progress(2, enabled=False, slots=0)
    for kind, value in (("begin", 0), ("start", 100), ("frames", 30), ("frames", 10)):
        progress.event(0, kind, value)
    progress.event(1, "begin", 0)
    progress.event(1, "frames", 5)
    assert progress.frames == 45
    progress.event(0, "begin", 0)  # the first attempt's worker died; it starts again
    assert progress.frames == 5
    progress.event(0, "frames", 100)
    progress.clip_done(0, 100)
    progress.clip_done(1, 5)
    progress.event(0, "frames", 7)  # late news from a finished clip is not counted
    assert progress.frames == 105
    progress.close()


def test_ctrl_c_while_a_worker_dies_leaves_no_traceback_from_the_pools_thread(tmp_path, monkeypatch):
    """Ctrl-C with clips still queued, and a worker seen gone before the pool
    hears of the shutdown (what a busy machine does to the order): the pool's
    own thread must not fail a future this one cancelled (Python 3.11 prints
    an InvalidStateError traceback from that thread, as CI once showed)."""
    import threading

    from coach.session import batch

    for i in range(8):  # one worker, eight clips: most are still queued at the Ctrl-C
        shutil.copy(TRACKS[0], tmp_path / f"t{i}.track.npz")
    paths = sorted(tmp_path.glob("*.track.npz"))

    class CtrlC(batch.Progress):
        def event(self, key, kind, value):
            if kind == "begin":
                raise KeyboardInterrupt

    real_kill, killed = os.kill, []

    def kill_and_let_the_pool_see_it(pid, sig):
        real_kill(pid, sig)
        killed.append(pid)
        time.sleep(1.0)  # the pool's thread notices the worker gone before anything else happens

    errors = []
    monkeypatch.setattr(threading, "excepthook", lambda a: errors.append(a.exc_value))
    monkeypatch.setattr(batch.os, "kill", kill_and_let_the_pool_see_it)
    with pytest.raises(KeyboardInterrupt):
        batch.run_local(paths, batch.Options(), None, 1, CtrlC(len(paths), False, 1), lambda i, r: None)
    end = time.monotonic() + 10
    while time.monotonic() < end and any(t.name.startswith("Thread-") and t.is_alive()
                                          for t in threading.enumerate() if t is not threading.current_thread()):
        time.sleep(0.1)
    assert killed, "the worker was not stopped"
    assert errors == []
