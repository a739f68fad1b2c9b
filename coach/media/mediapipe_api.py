"""The project's one door to MediaPipe: every ``import mediapipe`` is here.

* :func:`landmarker` makes a PoseLandmarker (Tasks API, VIDEO mode) from a
  model bundle's bytes, :func:`image` wraps an RGB array for it
  (:class:`coach.media.estimator.PoseEstimator` uses both);
* :func:`add_metadata` writes TFLite metadata with MediaPipe's metadata writer
  (building the model bundle from the PyPI wheel, :mod:`coach.media.models`).

MediaPipe's vision package imports its drawing helpers, and they import
matplotlib.pyplot: 0.45 s of the package's 0.6 s import (measured here), paid
by every process that analyses a clip. This project draws with its own
annotators, so when this module is imported (before mediapipe, which only
this module imports) those two modules are made lazy
(:class:`_LazyDrawingHelpers`): they are loaded on first use, not at import.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import types

import numpy as np

#: MediaPipe modules that import matplotlib.pyplot and that this project does not use.
_DRAWING_HELPERS = ("mediapipe.tasks.python.vision.drawing_utils", "mediapipe.tasks.python.vision.drawing_styles")


class _LazyDrawingHelpers(importlib.abc.MetaPathFinder):
    """Finds :data:`_DRAWING_HELPERS` as the other finders do, with a lazy
    loader: the module object is made (and bound in its package) at import,
    its code runs on first attribute access."""

    def find_spec(self, name, path, target=None):
        if name not in _DRAWING_HELPERS:
            return None
        for finder in sys.meta_path:
            if isinstance(finder, _LazyDrawingHelpers) or not hasattr(finder, "find_spec"):
                continue  # (another instance, e.g. from a reloaded module)
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


def _defer_drawing_helpers() -> None:
    """Install :class:`_LazyDrawingHelpers` once, before mediapipe is first imported."""
    if "mediapipe" in sys.modules or any(isinstance(f, _LazyDrawingHelpers) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _LazyDrawingHelpers())


_defer_drawing_helpers()  # once, here: not on every call (image() runs once a frame)


def landmarker(data: bytes, num_poses: int, min_detection_confidence: float, min_presence_confidence: float,
               min_tracking_confidence: float):
    """A PoseLandmarker in VIDEO mode for the bundle ``data``. Raises
    ImportError when mediapipe is not usable, other errors for a bad model."""
    from mediapipe.tasks.python.core.base_options import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

    options = PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=data),
        running_mode=RunningMode.VIDEO,
        num_poses=int(num_poses),
        min_pose_detection_confidence=float(min_detection_confidence),
        min_pose_presence_confidence=float(min_presence_confidence),
        min_tracking_confidence=float(min_tracking_confidence),
        output_segmentation_masks=False,
    )
    return PoseLandmarker.create_from_options(options)


def image(rgb: np.ndarray):
    """An ``mp.Image`` (SRGB) of an (H, W, 3) uint8 array."""
    import mediapipe as mp

    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))


def _metadata_writer(min_parser_version: str):
    """Import MediaPipe's MetadataWriter, standing in for the compiled
    ``_pywrap_metadata_version`` module that mediapipe >= 0.10.30 wheels lack."""
    try:
        from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer  # noqa: F401
        return metadata_writer
    except ImportError as e:
        if "_pywrap_metadata_version" not in str(e) and "mediapipe.tasks.cc" not in str(e):
            raise
    names = ["mediapipe.tasks.cc", "mediapipe.tasks.cc.metadata", "mediapipe.tasks.cc.metadata.python"]
    for name in names:
        if name not in sys.modules:
            mod = types.ModuleType(name)
            mod.__path__ = []  # a package
            sys.modules[name] = mod
    stub = types.ModuleType("mediapipe.tasks.cc.metadata.python._pywrap_metadata_version")
    stub.GetMinimumMetadataParserVersion = lambda buf: min_parser_version
    sys.modules[stub.__name__] = stub
    setattr(sys.modules[names[-1]], "_pywrap_metadata_version", stub)
    for parent, child in zip(names, names[1:]):
        setattr(sys.modules[parent], child.rsplit(".", 1)[1], sys.modules[child])
    for name in [n for n in sys.modules if n.startswith("mediapipe.tasks.python.metadata")]:
        del sys.modules[name]  # drop a half-imported module from the failed attempt
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer
    return metadata_writer


def add_metadata(model: bytes, name: str, description: str, norm_mean: float, norm_std: float,
                 n_outputs: int, min_parser_version: str = "1.5.0") -> bytes:
    """Return ``model`` (a TFLite flatbuffer without metadata) with TFLite
    metadata: one RGB image input normalised by (mean, std), ``n_outputs``
    feature outputs."""
    mw = _metadata_writer(min_parser_version)
    writer = mw.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name, description)
    writer.add_image_input(norm_mean=[norm_mean], norm_std=[norm_std],
                           color_space_type=mw.metadata_fb.ColorSpaceType.RGB)
    for _ in range(n_outputs):
        writer.add_feature_output()
    try:
        content, _json = writer.populate()
    finally:
        writer._temp_folder.cleanup()
        del writer
    return bytes(content)


