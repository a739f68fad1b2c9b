"""The bundled sample landmark tracks, shipped with the package as
``coach.samples`` (this folder is that package): ``coach analyze`` with no
input and the app's "bundled sample" choices use them.

Each ``NAME.track.npz`` is a landmark track (see the README's track format)
extracted from a public clip; its meta records the source and the exercise.
"""
from __future__ import annotations

from pathlib import Path

#: The sample ``coach analyze`` uses when no input is given.
DEFAULT = "bird_dog"


def folder() -> Path:
    return Path(__file__).resolve().parent


def tracks() -> dict[str, Path]:
    """{name: path} of the bundled sample tracks."""
    return {p.name.removesuffix(".track.npz"): p for p in sorted(folder().glob("*.track.npz"))}


def path(name: str = DEFAULT) -> Path:
    found = tracks()
    if name not in found:
        raise FileNotFoundError(f"no bundled sample named '{name}' (have: {', '.join(found)})")
    return found[name]
