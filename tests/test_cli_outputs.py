"""The command line's outputs and arguments (issue 9): an output that names an
input is refused before any work and the input stays byte-identical; outputs
are written whole or not at all (a temporary file renamed into place), so a
failed or interrupted run keeps what was there; bad frame-size limits and
directories given as input are one-line errors; ``extract`` prints the path it
wrote; a warning is one clean line.

Only ``test_extract_prints_the_path_written`` needs the pose model.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from test_cli import SAMPLE, assert_user_error, coach

import synth


def _video(path: Path, frames: int = 30, size=(160, 120)) -> Path:
    from coach.media.video import VideoWriter

    rng = np.random.default_rng(0)
    with VideoWriter(path, fps=30, size=size) as w:
        for i in range(frames):
            w.write(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8), i / 30)
    return path


def _track(path: Path, source: Path | None, frames: int = 30, size=(160, 120)) -> Path:
    from coach.core.pose import PoseTrack

    meta = {"exercise": "plank", **({"source": str(source)} if source else {})}
    PoseTrack.from_frames([synth.plank(0.0, t=i / 30, size=size) for i in range(frames)], meta=meta).save(path)
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.is_symlink()}


def _no_temp_files(folder: Path) -> None:
    left = [p.name for p in folder.iterdir() if ".part" in p.name]
    assert not left, f"temporary files left behind: {left}"


@pytest.fixture()
def work(tmp_path):
    """A folder with a video, a track of it (its source), a copy of the bundled
    sample and a thresholds file."""
    _video(tmp_path / "clip.mp4")
    _track(tmp_path / "clip.track.npz", tmp_path / "clip.mp4")
    shutil.copy(SAMPLE, tmp_path / "bird_dog.track.npz")
    (tmp_path / "mine.json").write_text('{"bird_dog": {"rep_up_deg": -5}}\n', encoding="utf-8")
    return tmp_path


# ---------------------------------------------------------------- 1. outputs onto inputs are refused

REFUSED = {
    "json onto the track": (["analyze", "bird_dog.track.npz", "--json", "bird_dog.track.npz"], "--json"),
    "annotated onto the track": (["analyze", "bird_dog.track.npz", "--annotated", "bird_dog.track.npz"],
                                 "--annotated"),
    "json onto a symlink to the track": (["analyze", "bird_dog.track.npz", "--json", "link.json"], "--json"),
    "json onto a hard link to the track": (["analyze", "bird_dog.track.npz", "--json", "hard.json"], "--json"),
    "json onto the track, spelt another way": (["analyze", "bird_dog.track.npz", "--json", "./x/../bird_dog.track.npz"],
                                               "--json"),
    "annotated onto the track's source video": (["analyze", "clip.track.npz", "--annotated", "clip.mp4"],
                                                "--annotated"),
    "json onto the thresholds file": (["analyze", "bird_dog.track.npz", "--thresholds", "mine.json",
                                       "--json", "mine.json"], "--json"),
    "annotated onto the input video": (["analyze", "clip.mp4", "-e", "plank", "--annotated", "clip.mp4"],
                                       "--annotated"),
    "json onto the input video": (["analyze", "clip.mp4", "-e", "plank", "--json", "clip.mp4"], "--json"),
    "save-track onto the input video": (["analyze", "clip.mp4", "-e", "plank", "--save-track", "clip.mp4"],
                                        "--save-track"),
    "extract onto the input video": (["extract", "clip.mp4", "-o", "clip.mp4"], "-o"),
    "extract onto a symlink to the input video": (["extract", "clip.mp4", "-o", "video-link.mp4"], "-o"),
    "calibrate json onto the input": (["calibrate", "bird_dog.track.npz", "--json", "bird_dog.track.npz"], "--json"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_output_that_is_an_input_is_refused(work, case):
    (work / "link.json").symlink_to(work / "bird_dog.track.npz")
    (work / "video-link.mp4").symlink_to(work / "clip.mp4")
    os.link(work / "bird_dog.track.npz", work / "hard.json")
    (work / "x").mkdir()
    before = _snapshot(work)
    argv, option = REFUSED[case]
    line = assert_user_error(coach(*argv, "-q", cwd=work), option, "input")
    assert "refusing" in line
    assert _snapshot(work) == before  # every input byte-identical, nothing written
    assert sorted(p.name for p in work.iterdir()) == sorted(
        ["clip.mp4", "clip.track.npz", "bird_dog.track.npz", "mine.json", "link.json", "video-link.mp4",
         "hard.json", "x"])


def test_two_outputs_naming_one_file_are_refused(work):
    assert_user_error(coach("analyze", "bird_dog.track.npz", "--json", "out.mp4", "--annotated", "out.mp4", "-q",
                            cwd=work), "--json", "--annotated", "same file")
    assert not (work / "out.mp4").exists()


def test_output_in_a_missing_folder_is_refused_before_the_work(work):
    assert_user_error(coach("analyze", "bird_dog.track.npz", "--json", "nowhere/r.json", "-q", cwd=work),
                      "nowhere", "does not exist")


def test_outputs_beside_the_input_are_written(work):
    proc = coach("analyze", "clip.track.npz", "--json", "clip.json", "--annotated", "clip.annotated.mp4", "-q",
                 cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert (work / "clip.json").read_text().startswith("{")
    from coach.media.video import probe

    assert probe(work / "clip.annotated.mp4").frame_count == 30
    _no_temp_files(work)


# ---------------------------------------------------------------- 1. written whole or not at all


class _Boom(Exception):
    pass


def _session(sink):
    import pose_rules
    from coach.session.loop import Session

    return Session(pose_rules.get_rule("plank"), sinks=[sink])


def _feed(session, n: int, size=(160, 120)):
    for i in range(n):
        session.feed(synth.plank(0.0, t=i / 30, size=size), np.zeros((size[1], size[0], 3), np.uint8))


def test_video_sink_writes_a_temporary_file_and_renames_it_on_close(tmp_path):
    from coach.media.video import probe
    from coach.session.loop import VideoSink

    dest = tmp_path / "out.mp4"
    dest.write_bytes(b"the user's earlier video")
    sink = VideoSink(lambda image, st: image, dest, fps=30, max_side=160)
    s = _session(sink)
    _feed(s, 20)
    # while writing, the destination still holds what was there
    assert dest.read_bytes() == b"the user's earlier video"
    assert [p.name for p in tmp_path.iterdir() if p.name != "out.mp4"], "no temporary file beside the destination"
    s.close()
    assert probe(dest).frame_count == 20
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


@pytest.mark.parametrize("existing", [True, False])
def test_video_sink_abort_leaves_nothing_half_written(tmp_path, existing):
    from coach.session.loop import VideoSink, run

    dest = tmp_path / "out.webm"
    if existing:
        dest.write_bytes(b"the user's earlier video")
    sink = VideoSink(lambda image, st: image, dest, fps=30, max_side=160)

    def frames():
        for i in range(20):
            yield np.zeros((120, 160, 3), np.uint8), synth.plank(0.0, t=i / 30, size=(160, 120))
        raise _Boom("disk on fire")

    with pytest.raises(_Boom):
        run(frames(), _session(sink))
    if existing:
        assert [p.name for p in tmp_path.iterdir()] == ["out.webm"]
        assert dest.read_bytes() == b"the user's earlier video"
    else:
        assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error,rc", [(KeyboardInterrupt, 130), ("video", 2)])
def test_a_failed_or_interrupted_analysis_keeps_the_earlier_outputs(work, monkeypatch, capsys, error, rc):
    """Ctrl-C (or a decoding error) half-way: the annotated video, the JSON
    report and the saved files from an earlier run are still there, whole."""
    from coach import cli
    from coach.media.video import VideoError
    from coach.session import sources

    real = sources.track_frames

    def failing(track, images=None):
        for i, item in enumerate(real(track, images)):
            if i == 10:
                raise KeyboardInterrupt if error is KeyboardInterrupt else VideoError("clip.mp4: decoding failed")
            yield item

    monkeypatch.setattr(sources, "track_frames", failing)
    (work / "out.mp4").write_bytes(b"earlier annotated video")
    (work / "out.json").write_text('{"earlier": "report"}\n')
    before = _snapshot(work)
    assert cli.main(["analyze", str(work / "clip.track.npz"), "--annotated", str(work / "out.mp4"),
                     "--json", str(work / "out.json"), "-q"]) == rc
    assert _snapshot(work) == before
    _no_temp_files(work)
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_json_report_replaces_the_file_whole(work, monkeypatch):
    """The JSON report is written to a temporary file and renamed: a write that
    fails half-way leaves the earlier report."""
    from coach import cli

    (work / "out.json").write_text('{"earlier": "report"}\n')
    real_write = Path.write_text

    def failing_write(self, text, *a, **k):
        real_write(self, text[:100], *a, **k)
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", failing_write)
    assert cli.main(["analyze", str(work / "bird_dog.track.npz"), "--json", str(work / "out.json"), "-q"]) == 1
    monkeypatch.undo()
    assert (work / "out.json").read_text() == '{"earlier": "report"}\n'
    _no_temp_files(work)


# ---------------------------------------------------------------- 2. frame-size limits


@pytest.mark.parametrize("argv,option", [
    (["analyze", "clip.mp4", "-e", "plank", "--max-side", "0"], "--max-side"),
    (["analyze", "clip.mp4", "-e", "plank", "--max-side", "-5"], "--max-side"),
    (["analyze", "clip.mp4", "-e", "plank", "--max-side=-1"], "--max-side"),
    (["analyze", "clip.mp4", "-e", "plank", "--max-side", "big"], "--max-side"),
    (["analyze", "clip.track.npz", "--annotated", "out.mp4", "--annotated-max-side", "1"], "--annotated-max-side"),
    (["analyze", "clip.track.npz", "--annotated", "out.mp4", "--annotated-max-side", "0"], "--annotated-max-side"),
    (["analyze", "clip.track.npz", "--annotated", "out.mp4", "--annotated-max-side", "15"], "--annotated-max-side"),
    (["extract", "clip.mp4", "-o", "out.npz", "--max-side", "0"], "--max-side"),
    (["calibrate", "clip.mp4", "-e", "plank", "--max-side", "-3"], "--max-side"),
])
def test_bad_frame_size_limit_is_a_one_line_error(work, argv, option):
    before = _snapshot(work)
    assert_user_error(coach(*argv, "-q", cwd=work), option)
    assert _snapshot(work) == before


def test_smallest_annotated_size_works(work):
    proc = coach("analyze", "clip.track.npz", "--annotated", "small.mp4", "--annotated-max-side", "16", "-q",
                 cwd=work)
    assert proc.returncode == 0, proc.stderr
    from coach.media.video import probe

    assert max(probe(work / "small.mp4").width, probe(work / "small.mp4").height) <= 16


# ---------------------------------------------------------------- 3. a directory as input


@pytest.mark.parametrize("argv", [
    ["extract", "{d}", "-o", "out.npz"],
    ["calibrate", "{d}", "-e", "plank"],
])
def test_a_directory_as_input(tmp_path, argv):
    (tmp_path / "clips").mkdir()
    (tmp_path / "dir.npz").mkdir()
    argv = [a.format(d=tmp_path / "clips", n=tmp_path / "dir.npz") for a in argv]
    line = assert_user_error(coach(*argv, "-q"), "is a directory, not a")
    assert "no such file" not in line
    assert not (tmp_path / "out.npz").exists()


@pytest.mark.parametrize("argv", [
    ["analyze", "{d}", "-e", "plank"],
    ["analyze", "{d}"],
    ["analyze", "{n}", "-e", "plank"],
])
def test_a_folder_without_clips_to_analyse(tmp_path, argv):
    """coach analyze takes a folder of clips (tests/session/test_batch.py); one without any says so."""
    (tmp_path / "clips").mkdir()
    (tmp_path / "dir.npz").mkdir()
    argv = [a.format(d=tmp_path / "clips", n=tmp_path / "dir.npz") for a in argv]
    assert_user_error(coach(*argv, "-q"), "no video files", "in this folder")


# ---------------------------------------------------------------- 4. extract says what it wrote


def test_extract_prints_the_path_written(tmp_path, pose_model):
    video = _video(tmp_path / "clip.mp4", frames=6)
    env = dict(os.environ, COACH_MODEL=str(pose_model))
    for asked, written in (("out.mp4", "out.mp4.npz"), ("plain", "plain.npz"), ("t.npz", "t.npz")):
        proc = subprocess.run([sys.executable, "-m", "coach.cli", "extract", str(video), "-o", asked, "-q"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(f"{written}: 6 frames"), proc.stdout
        assert (tmp_path / written).is_file()
        if asked != written:
            assert not (tmp_path / asked).exists()
        from coach.core.pose import PoseTrack

        assert len(PoseTrack.load(tmp_path / written)) == 6
    # and analyze --save-track says where the track went
    proc = subprocess.run([sys.executable, "-m", "coach.cli", "analyze", str(video), "-e", "plank",
                           "--save-track", "saved", "-q"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "landmark track: saved.npz" in proc.stderr
    assert (tmp_path / "saved.npz").is_file() and not (tmp_path / "saved").exists()
    _no_temp_files(tmp_path)


# ---------------------------------------------------------------- 5. warnings are one clean line


def test_truncation_warning_is_one_clean_line(tmp_path):
    full = _video(tmp_path / "full.mp4", frames=90).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full[: len(full) * 6 // 10])
    _track(tmp_path / "cut.track.npz", cut, frames=90)
    proc = coach("analyze", tmp_path / "cut.track.npz", "--annotated", tmp_path / "out.mp4", "-q")
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    warning = [ln for ln in lines if "truncated" in ln]
    assert len(warning) == 1 and warning[0].startswith("coach: warning: cut.mp4: only "), proc.stderr
    assert not [ln for ln in lines if "Warning" in ln or ".py" in ln or ln.startswith(" ")], proc.stderr
