"""Landmark track files under bad input (issue 9, items 5 and 6).

A corpus of corrupt and oversized tracks is generated at test time; each one is
refused by ``PoseTrack.load`` with one ``TrackError`` line (and by ``coach
analyze`` with exit 2 and one ``coach: error:`` line, no traceback, no summary,
the input file unchanged). Bounds are checked before anything is allocated: a
2.8 MB file declaring 1,000,000 frames is refused in milliseconds. Property
tests (hypothesis) throw arbitrary meta values, timestamp arrays and damaged
archives at the loader: a valid track or one TrackError line, nothing else.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coach import samples
from coach.cli import main as coach_main
from coach.core.landmarks import NUM_LANDMARKS
from coach.core.pose import (
    MAX_IMAGE_SIDE,
    MAX_TRACK_DURATION_S,
    MAX_TRACK_FRAMES,
    TRACK_FORMAT,
    PoseFrame,
    PoseTrack,
    TrackError,
)

ROOT = Path(__file__).resolve().parents[2]
N = 30


def _base() -> dict:
    t = PoseTrack.load(samples.path("bird_dog"))
    return {
        "timestamps": np.arange(N, dtype=np.float64) / 30.0,
        "landmarks": t.landmarks[:N].copy(),
        "world": t.world[:N].copy(),
        "meta": {"format": TRACK_FORMAT, "version": 1, "image_width": 1080, "image_height": 1920,
                 "source": "bird_dog.mp4", "model": "full", "exercise": "bird_dog"},
    }


BASE = _base()


def track_bytes(*, drop: tuple[str, ...] = (), meta_raw=None, compressed: bool = False, **arrays) -> bytes:
    """An .npz track: the base track with some members replaced. ``meta`` may be
    any JSON value (dumped) or a numpy array (stored as is); ``meta_raw`` is a
    string stored as the meta text without JSON encoding."""
    members = {k: v for k, v in BASE.items()}
    members.update(arrays)
    meta = members["meta"]
    if meta_raw is not None:
        members["meta"] = np.array(meta_raw)
    elif not isinstance(meta, np.ndarray):
        members["meta"] = np.array(json.dumps(meta))
    for k in drop:
        members.pop(k)
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **members)
    return buf.getvalue()


def meta_with(**changes) -> dict:
    m = dict(BASE["meta"])
    for k, v in changes.items():
        if v is _DROP:
            m.pop(k, None)
        else:
            m[k] = v
    return m


_DROP = object()


def _ts(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _with_ts(i: int, v: float) -> np.ndarray:
    ts = BASE["timestamps"].copy()
    ts[i] = v
    return ts


def _lm_with(index, value) -> np.ndarray:
    lm = BASE["landmarks"].copy()
    lm[index] = value
    return lm


# (case id, file bytes, words the one error line must hold)
CORPUS: list[tuple[str, bytes, tuple[str, ...]]] = [
    # meta
    ("meta-null", track_bytes(meta=None), ("meta must be a JSON object", "null")),
    ("meta-list", track_bytes(meta=[1, 2]), ("meta must be a JSON object", "list")),
    ("meta-string", track_bytes(meta="back-coach-track"), ("meta must be a JSON object", "string")),
    ("meta-number", track_bytes(meta=3.5), ("meta must be a JSON object",)),
    ("meta-invalid-json", track_bytes(meta_raw="{not json"), ("meta is not valid JSON",)),
    ("meta-deeply-nested", track_bytes(meta_raw="[" * 30_000 + "]" * 30_000), ("meta is not valid JSON",)),
    ("meta-huge-int", track_bytes(meta_raw='{"version": ' + "9" * 5000 + "}"), ("meta is not valid JSON",)),
    ("meta-2d", track_bytes(meta=np.array([["a"]])), ("meta must be one JSON string",)),
    ("meta-numeric", track_bytes(meta=np.array(1.0)), ("meta must be one JSON string",)),
    ("meta-too-long", track_bytes(meta=meta_with(note="x" * 70_000)), ("meta is", "characters", "limit")),
    ("no-format", track_bytes(meta=meta_with(format=_DROP)), ("not a back-coach-track file",)),
    ("other-format", track_bytes(meta=meta_with(format="other")), ("not a back-coach-track file",)),
    ("version-string", track_bytes(meta=meta_with(version="one")), ("track version",)),
    ("version-null", track_bytes(meta=meta_with(version=None)), ("track version",)),
    ("version-list", track_bytes(meta=meta_with(version=[1])), ("track version",)),
    ("version-newer", track_bytes(meta=meta_with(version=99)), ("track version 99", "newer")),
    ("width-null", track_bytes(meta=meta_with(image_width=None)), ("image_width", "positive", "null")),
    ("width-zero", track_bytes(meta=meta_with(image_width=0)), ("image_width", "positive")),
    ("width-negative", track_bytes(meta=meta_with(image_width=-640)), ("image_width", "positive")),
    ("width-string", track_bytes(meta=meta_with(image_width="640")), ("image_width",)),
    ("width-fraction", track_bytes(meta=meta_with(image_width=640.5)), ("image_width",)),
    ("width-bool", track_bytes(meta=meta_with(image_width=True)), ("image_width",)),
    ("width-nan", track_bytes(meta_raw=json.dumps(meta_with()).replace("1080", "NaN")), ("image_width",)),
    ("height-missing", track_bytes(meta=meta_with(image_height=_DROP)), ("no image_height",)),
    ("exercise-list", track_bytes(meta=meta_with(exercise=["plank"])), ("exercise must be text",)),
    ("source-object", track_bytes(meta=meta_with(source={"a": 1})), ("source must be text",)),
    # image size bounds
    ("image-100000", track_bytes(meta=meta_with(image_width=100_000, image_height=100_000)),
     ("100000 px", f"limit is {MAX_IMAGE_SIDE} px")),
    ("image-area", track_bytes(meta=meta_with(image_width=16_000, image_height=16_000)),
     ("16000 x 16000", "megapixels", "limit")),
    # timestamps
    ("ts-decreasing", track_bytes(timestamps=_with_ts(20, 0.1)), ("timestamps must increase", "frame 20", "goes back")),
    ("ts-reversed", track_bytes(timestamps=BASE["timestamps"][::-1].copy()), ("timestamps must increase",)),
    ("ts-duplicate", track_bytes(timestamps=_with_ts(20, BASE["timestamps"][19])), ("frame 20 repeats",)),
    ("ts-nan", track_bytes(timestamps=_with_ts(7, np.nan)), ("frame 7", "nan", "finite")),
    ("ts-inf", track_bytes(timestamps=_with_ts(N - 1, np.inf)), ("inf", "finite")),
    ("ts-neg-inf", track_bytes(timestamps=_with_ts(0, -np.inf)), ("-inf", "finite")),
    ("ts-too-long", track_bytes(timestamps=_with_ts(N - 1, MAX_TRACK_DURATION_S + 10)), ("track spans", "limit")),
    ("ts-2d", track_bytes(timestamps=BASE["timestamps"].reshape(N, 1)), ("timestamps must be one number per frame",)),
    ("ts-strings", track_bytes(timestamps=np.array([str(t) for t in BASE["timestamps"]])), ("timestamps must be real",)),
    ("ts-complex", track_bytes(timestamps=BASE["timestamps"].astype(complex)), ("timestamps must be real",)),
    ("ts-bool", track_bytes(timestamps=np.ones(N, bool)), ("timestamps must be real",)),
    ("ts-object", track_bytes(timestamps=np.array([0.0] * N, dtype=object)), ("timestamps", "object")),
    ("empty-track", track_bytes(timestamps=np.zeros(0), landmarks=np.zeros((0, 33, 4), np.float32),
                                world=np.zeros((0, 33, 3), np.float32)), ("holds no frames",)),
    # arrays
    ("lm-short", track_bytes(landmarks=BASE["landmarks"][:-1]), ("landmarks has shape", f"({N}, 33, 4)")),
    ("lm-3-columns", track_bytes(landmarks=BASE["landmarks"][:, :, :3].copy()), ("landmarks has shape",)),
    ("lm-flat", track_bytes(landmarks=BASE["landmarks"].reshape(-1)), ("landmarks has shape",)),
    ("lm-int", track_bytes(landmarks=np.zeros((N, 33, 4), np.int32)), ("landmarks must be floating point",)),
    ("lm-structured", track_bytes(landmarks=np.zeros((N, 33, 4), [("a", "f4")])), ("landmarks",)),
    ("world-shape", track_bytes(world=np.zeros((N, 33, 4), np.float32)), ("world has shape",)),
    ("world-missing", track_bytes(drop=("world",)), ("no world array",)),
    ("meta-missing", track_bytes(drop=("meta",)), ("no meta array",)),
    ("lm-inf", track_bytes(landmarks=_lm_with((5, 11, 0), np.inf)), ("frame 5", "inf", "NaN or within")),
    ("lm-huge", track_bytes(landmarks=_lm_with((5, 11, 1), 1e12)), ("frame 5", "NaN or within")),
    ("lm-float64-overflow", track_bytes(landmarks=BASE["landmarks"].astype(np.float64) * 1e300),
     ("NaN or within",)),
    ("lm-visible-nowhere", track_bytes(landmarks=_lm_with((3, 12, 0), np.nan)), ("visibility but no position",)),
    ("world-nan-inf", track_bytes(world=np.full((N, 33, 3), -np.inf, np.float32)), ("world of frame 0",)),
]


def _damaged() -> list[tuple[str, bytes, tuple[str, ...]]]:
    good = track_bytes(compressed=True)
    return [
        ("not-a-zip", b"hello, not a track\n" * 10, ("not an .npz archive",)),
        ("empty-file", b"", ("not an .npz archive",)),
        ("truncated", good[: len(good) // 2], ()),
        ("flipped-bytes", good[:200] + bytes(b ^ 0xFF for b in good[200:400]) + good[400:], ()),
        ("npy-garbage", _zip({"meta.npy": b"garbage", "timestamps.npy": b"x", "landmarks.npy": b"y",
                              "world.npy": b"z"}), ("array is not readable",)),
    ]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in members.items():
            z.writestr(k, v)
    return buf.getvalue()


CORPUS += _damaged()


def assert_one_line(e: TrackError, words=()) -> str:
    msg = str(e)
    assert msg and "\n" not in msg and "\r" not in msg, repr(msg)
    assert "Traceback" not in msg
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"
    return msg


@pytest.mark.parametrize("case, data, words", CORPUS, ids=[c[0] for c in CORPUS])
def test_a_corrupt_track_is_one_track_error_line(tmp_path, case, data, words):
    p = tmp_path / f"{case}.npz"
    p.write_bytes(data)
    with pytest.raises(TrackError) as e:
        PoseTrack.load(p)
    msg = assert_one_line(e.value, words)
    assert str(p) in msg or "no such file" in msg
    # the same from an upload (a file object with a name)
    with pytest.raises(TrackError) as e:
        PoseTrack.load(io.BytesIO(data), name="upload.npz")
    assert "upload.npz" in assert_one_line(e.value, words)


@pytest.mark.parametrize("case, data, words", CORPUS, ids=[c[0] for c in CORPUS])
def test_the_cli_refuses_a_corrupt_track_in_one_line(tmp_path, capsys, case, data, words):
    p = tmp_path / f"{case}.npz"
    p.write_bytes(data)
    before = hashlib.sha256(p.read_bytes()).hexdigest()
    out_video = tmp_path / "out.mp4"
    rc = coach_main(["analyze", str(p), "--exercise", "bird_dog", "-q", "--annotated", str(out_video),
                     "--json", str(tmp_path / "r.json")])
    cap = capsys.readouterr()
    assert rc == 2, cap
    lines = [ln for ln in cap.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("coach: error:"), cap.err
    assert "Traceback" not in cap.err
    assert cap.out == ""  # no summary, so no good-form claim
    assert not out_video.exists() and not (tmp_path / "r.json").exists()
    assert hashlib.sha256(p.read_bytes()).hexdigest() == before


def test_missing_file_and_folder_are_said_plainly(tmp_path):
    with pytest.raises(TrackError, match="no such file"):
        PoseTrack.load(tmp_path / "nothing.npz")
    with pytest.raises(TrackError, match="is a folder"):
        PoseTrack.load(tmp_path)
    with pytest.raises(TrackError, match="too long"):
        PoseTrack.load(tmp_path / ("a" * 5000 + ".npz"))


def test_a_file_name_with_a_newline_still_gives_one_line(tmp_path):
    with pytest.raises(TrackError) as e:
        PoseTrack.load(io.BytesIO(b"junk"), name="evil\nname.npz")
    assert "\n" not in str(e.value) and "evil\\nname.npz" in str(e.value)


def test_the_bundled_samples_still_load_and_round_trip(tmp_path):
    for name, path in samples.tracks().items():
        t = PoseTrack.load(path)
        assert len(t) > 0 and t.image_size[0] > 0
        t.save(tmp_path / f"{name}.npz")
        u = PoseTrack.load(tmp_path / f"{name}.npz")
        assert np.array_equal(u.timestamps, t.timestamps)
        assert np.array_equal(u.landmarks, t.landmarks, equal_nan=True)
        assert np.array_equal(u.world, t.world, equal_nan=True)
        assert u.image_size == t.image_size and u.meta == t.meta


def test_valid_variants_are_accepted():
    """What a hand-made or older file may differ in and still be read."""
    for data in (
        track_bytes(timestamps=np.arange(N, dtype=np.int64)),            # whole seconds
        track_bytes(timestamps=BASE["timestamps"].astype(np.float32)),
        track_bytes(landmarks=BASE["landmarks"].astype(">f8")),           # big-endian float64
        track_bytes(meta=meta_with(version=_DROP, source=None, exercise=_DROP, image_width=1080.0)),
        track_bytes(meta=np.array(json.dumps(BASE["meta"]).encode())),    # bytes meta
        track_bytes(compressed=True),
    ):
        t = PoseTrack.load(io.BytesIO(data))
        assert len(t) == N and t.image_size == (1080, 1920)
        assert t.timestamps.dtype == np.float64 and t.landmarks.dtype == np.float32


# ------------------------------------------------------------------ bounds


def _big_track(path: Path, frames: int) -> None:
    """A complete, valid-looking track of ``frames`` frames with no person in
    any: all-NaN landmarks compress about 1000:1, so the file is small. Written
    from broadcast arrays (nothing of that size is allocated here)."""
    lm = np.broadcast_to(np.float32(np.nan), (frames, NUM_LANDMARKS, 4))
    wd = np.broadcast_to(np.float32(np.nan), (frames, NUM_LANDMARKS, 3))
    meta = {"format": TRACK_FORMAT, "version": 1, "image_width": 640, "image_height": 480, "exercise": "plank"}
    np.savez_compressed(path, timestamps=np.arange(frames) / 60.0, landmarks=lm, world=wd,
                        meta=np.array(json.dumps(meta)))


@pytest.fixture(scope="module")
def million(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("big") / "million.npz"
    _big_track(p, 1_000_000)
    return p


def test_a_small_file_declaring_a_million_frames_is_refused_quickly_with_little_memory(million):
    assert million.stat().st_size < 4_000_000  # about 2.8 MB on disk, ~930 MB of arrays declared
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        with pytest.raises(TrackError) as e:
            PoseTrack.load(million)
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    msg = assert_one_line(e.value, ("track declares 1000000 frames", f"the limit is {MAX_TRACK_FRAMES}"))
    assert elapsed < 0.5, f"{elapsed:.2f} s: {msg}"
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_the_cli_refuses_a_million_frames_and_a_huge_image_at_once(million, tmp_path):
    huge = tmp_path / "huge.npz"
    huge.write_bytes(track_bytes(meta=meta_with(image_width=100_000, image_height=100_000)))
    for src, words in ((million, "1000000 frames"), (huge, "100000 px")):
        out = tmp_path / "out.mp4"
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "coach.cli", "analyze", str(src), "--annotated", str(out), "-q"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
        wall = time.perf_counter() - t0
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip().count("\n") == 0 and proc.stderr.startswith("coach: error:"), proc.stderr
        assert words in proc.stderr and "Traceback" not in proc.stderr
        assert not out.exists()
        assert wall < 20, wall  # the interpreter start; the refusal itself takes milliseconds


def test_bounds_are_checked_on_the_claims_not_after_reading():
    """The frame count comes from the .npy header: a file whose arrays claim a
    million frames but hold almost no data is refused by the claim alone."""
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "<f4", "fortran_order": False,
                                                "shape": (1_000_000, 33, 4)})
    ts_head = io.BytesIO()
    np.lib.format.write_array_header_1_0(ts_head, {"descr": "<f8", "fortran_order": False, "shape": (1_000_000,)})
    meta = io.BytesIO()
    np.lib.format.write_array(meta, np.array(json.dumps(BASE["meta"])))
    data = _zip({"meta.npy": meta.getvalue(), "timestamps.npy": ts_head.getvalue(),
                 "landmarks.npy": head.getvalue(), "world.npy": head.getvalue()})
    with pytest.raises(TrackError, match="track declares 1000000 frames"):
        PoseTrack.load(io.BytesIO(data))


# ------------------------------------------------------------- writing tracks


def _frame(t: float) -> PoseFrame:
    return PoseFrame(BASE["landmarks"][0], BASE["world"][0], t, (1080, 1920))


def test_from_frames_applies_the_engines_time_policy_so_what_is_saved_loads(tmp_path):
    ts = [0.0, 0.1, 0.1, 0.05, 0.2, float("nan"), 0.3, float("inf"), 0.25, 0.4]
    track = PoseTrack.from_frames([_frame(t) for t in ts])
    assert track.timestamps.tolist() == [0.0, 0.1, 0.2, 0.3, 0.4]
    track.save(tmp_path / "t.npz")
    assert PoseTrack.load(tmp_path / "t.npz").timestamps.tolist() == [0.0, 0.1, 0.2, 0.3, 0.4]
    with pytest.raises(TrackError, match="no frames"):
        PoseTrack.from_frames([_frame(float("nan"))])


def test_from_frames_keeps_the_report_of_the_frames_the_engine_judges():
    import pose_rules
    from coach.session.loop import Session, analyze_track

    ts = [i / 30 for i in range(60)] + [1.0, 1.5] + [2.0 + i / 30 for i in range(30)]
    frames = [_frame(t) for t in ts]
    session = Session(pose_rules.get_rule("bird_dog"))
    for f in frames:
        session.feed(f)
    direct = session.close()
    via_track = analyze_track(PoseTrack.from_frames(frames), pose_rules.get_rule("bird_dog"))
    assert via_track.to_json() == direct.to_json()


@pytest.mark.parametrize("change, words", [
    ({"timestamps": _ts([0.0, 0.2, 0.1])}, "timestamps must increase"),
    ({"timestamps": _ts([0.0, np.nan, 0.1])}, "finite"),
    ({"image_size": (100_000, 100_000)}, "limit"),
    ({"image_size": (0, 10)}, "positive"),
])
def test_save_refuses_a_track_load_would_refuse(tmp_path, change, words):
    n = len(change.get("timestamps", BASE["timestamps"]))
    kwargs = {"timestamps": BASE["timestamps"][:n], "landmarks": BASE["landmarks"][:n],
              "world": BASE["world"][:n], "image_size": (1080, 1920), "meta": {}}
    kwargs.update(change)
    track = PoseTrack(**kwargs)
    with pytest.raises(TrackError, match=words):
        track.save(tmp_path / "t.npz")
    assert not (tmp_path / "t.npz").exists()


# ---------------------------------------------------------- property tests

_json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
                          st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20))
_json = st.recursive(_json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                     max_leaves=8)
_size = st.one_of(st.integers(min_value=-5, max_value=200_000), _json)
_meta = st.one_of(
    _json,  # anything at all
    st.fixed_dictionaries({"format": st.one_of(st.just(TRACK_FORMAT), _json_scalars)},
                          optional={"version": st.one_of(st.integers(-2, 3), _json_scalars),
                                    "image_width": _size, "image_height": _size,
                                    "source": _json_scalars, "model": _json_scalars, "exercise": _json_scalars}),
    st.fixed_dictionaries({"format": st.just(TRACK_FORMAT), "version": st.just(1),
                           "image_width": _size, "image_height": _size}),
)
_ts_dtypes = st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.int8, np.uint16])


@st.composite
def _timestamps(draw):
    dtype = draw(_ts_dtypes)
    n = draw(st.integers(0, 12))
    if draw(st.booleans()):  # increasing, as a real track
        steps = draw(hnp.arrays(np.float64, n, elements=st.floats(0.001, 5.0)))
        arr = np.cumsum(steps) - (steps[0] if n else 0)
        with np.errstate(all="ignore"):
            return arr.astype(dtype)
    return draw(hnp.arrays(dtype, n))


def _assert_valid(track: PoseTrack) -> None:
    n = len(track)
    assert 1 <= n <= MAX_TRACK_FRAMES
    assert track.timestamps.dtype == np.float64 and track.timestamps.shape == (n,)
    assert np.isfinite(track.timestamps).all() and (np.diff(track.timestamps) > 0).all()
    assert track.duration <= MAX_TRACK_DURATION_S
    assert track.landmarks.shape == (n, 33, 4) and track.landmarks.dtype == np.float32
    assert track.world.shape == (n, 33, 3) and track.world.dtype == np.float32
    w, h = track.image_size
    assert isinstance(w, int) and isinstance(h, int) and 0 < w <= MAX_IMAGE_SIDE and 0 < h <= MAX_IMAGE_SIDE
    assert isinstance(track.meta, dict)
    for key in ("source", "model", "exercise"):
        assert track.meta.get(key) is None or isinstance(track.meta[key], str)
    list(track)  # every frame builds


def _load_or_error(data: bytes) -> PoseTrack | None:
    try:
        track = PoseTrack.load(io.BytesIO(data), name="prop.npz")
    except TrackError as e:
        assert_one_line(e)
        return None
    _assert_valid(track)
    return track


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meta=_meta, ts=_timestamps(), rows=st.integers(-1, 1))
def test_any_meta_and_timestamps_load_validly_or_give_one_line(meta, ts, rows):
    n = max(len(ts) + rows, 0)  # sometimes the landmark arrays disagree with the timestamps
    lm = np.resize(BASE["landmarks"], (n, 33, 4))
    wd = np.resize(BASE["world"], (n, 33, 3))
    try:
        text = json.dumps(meta)
    except ValueError:
        return
    data = track_bytes(timestamps=ts, landmarks=lm, world=wd, meta_raw=text)
    _load_or_error(data)


@settings(max_examples=200, deadline=None)
@given(meta=_meta, ts=_timestamps())
def test_a_track_that_loads_also_saves_and_loads_the_same(meta, ts):
    n = len(ts)
    data = track_bytes(timestamps=ts, landmarks=np.resize(BASE["landmarks"], (n, 33, 4)),
                       world=np.resize(BASE["world"], (n, 33, 3)), meta_raw=json.dumps(meta))
    track = _load_or_error(data)
    if track is None:
        return
    buf = io.BytesIO()
    track.save(buf)
    again = PoseTrack.load(io.BytesIO(buf.getvalue()))
    assert np.array_equal(again.timestamps, track.timestamps) and again.image_size == track.image_size


_GOOD = track_bytes(compressed=True)


@settings(max_examples=300, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, len(_GOOD) - 1), st.integers(0, 255)), max_size=6),
       cut=st.one_of(st.none(), st.integers(0, len(_GOOD))))
def test_a_damaged_archive_loads_validly_or_gives_one_line(edits, cut):
    data = bytearray(_GOOD)
    for i, b in edits:
        data[i] = b
    if cut is not None:
        data = data[:cut]
    _load_or_error(bytes(data))


@settings(max_examples=60, deadline=None)
@given(ts=_timestamps())
def test_a_loaded_track_is_analysed_without_error(ts):
    import pose_rules
    from coach.session.loop import analyze_track

    n = len(ts)
    data = track_bytes(timestamps=ts, landmarks=np.resize(BASE["landmarks"], (n, 33, 4)),
                       world=np.resize(BASE["world"], (n, 33, 3)))
    track = _load_or_error(data)
    if track is None:
        return
    report = analyze_track(track, pose_rules.get_rule("bird_dog"))
    assert report.summary.frames == n
    assert report.summary.time_in_position_s <= track.duration + 1e-9
    assert math.isfinite(report.summary.duration_s)
