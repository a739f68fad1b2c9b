"""Named threshold profiles: thresholds files kept in one folder, so the
tuning page can save one and the live page and ``coach analyze --thresholds
NAME`` can use it.

Folder: ``$COACH_PROFILE_DIR`` if set; else ``%APPDATA%\\back-coach\\profiles``
on Windows; else ``$XDG_CONFIG_HOME/back-coach/profiles`` or
``~/.config/back-coach/profiles``. Each profile is a thresholds file
(:mod:`coach.engine.thresholds` format) named ``<slug>.json``.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Mapping

from coach.engine.thresholds import ThresholdError, load_profile, read_calibrations, save_profile


def profiles_dir() -> Path:
    env = os.environ.get("COACH_PROFILE_DIR")
    if env:
        return Path(env).expanduser()
    if os.name == "nt":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "back-coach" / "profiles"
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "back-coach" / "profiles"


def slug(name: str) -> str:
    """The file stem for a profile name ("After physio, May" -> "after-physio-may")."""
    s = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    if not s:
        raise ThresholdError("a profile needs a name with at least one letter or digit")
    return s[:60]


def profile_path(name: str) -> Path:
    return profiles_dir() / f"{slug(name)}.json"


def list_profiles() -> dict[str, Path]:
    """Saved profiles: {display name: path}, sorted by name. Unreadable files are left out."""
    d = profiles_dir()
    out: dict[str, Path] = {}
    if not d.is_dir():
        return out
    import json

    for p in sorted(d.glob("*.json")):
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
            name = doc.get("profile") if isinstance(doc, dict) else None
        except (OSError, ValueError):
            continue
        out[name if isinstance(name, str) and name.strip() else p.stem] = p
    return dict(sorted(out.items(), key=lambda kv: kv[0].lower()))


def find_profile(name_or_path: str | Path) -> Path:
    """A thresholds file given as a path, or the saved profile of that name."""
    p = Path(name_or_path).expanduser()
    if p.is_file():
        return p
    s = str(name_or_path)
    if "/" not in s and "\\" not in s and not s.endswith(".json"):
        for name, path in list_profiles().items():
            if name == s or path.stem == s:
                return path
        try:
            cand = profile_path(s)
        except ThresholdError:
            cand = None
        if cand is not None and cand.is_file():
            return cand
    raise ThresholdError(f"thresholds file or saved profile not found: {s}"
                         f" (saved profiles are in {profiles_dir()})")


def load_named(name_or_path: str | Path) -> dict[str, dict[str, float]]:
    return load_profile(find_profile(name_or_path))


def save_named(name: str, exercise: str, values: Mapping[str, float], calibration: dict | None = None,
               merge: bool = False) -> Path:
    """Save ``values`` for ``exercise`` under the profile ``name``. Other
    exercises already in that profile are kept; with ``merge`` the
    exercise's other saved values are kept too (calibration adds its values
    to what a physio tuned). ``calibration``: a record of how the values were
    measured (kept in the file's "calibration" object). Returns the path."""
    path = profile_path(name)
    profile: dict[str, Mapping[str, float]] = {}
    records: dict[str, dict] = {}
    if path.is_file():
        try:
            profile = load_profile(path)
            records = read_calibrations(path)
        except ThresholdError:
            profile, records = {}, {}  # a broken file is replaced by the new one
    profile[exercise] = {**(profile.get(exercise, {}) if merge else {}), **dict(values)}
    if calibration is not None:
        records[exercise] = calibration
    path.parent.mkdir(parents=True, exist_ok=True)
    save_profile(path, profile, name=name.strip(), calibration=records)
    return path


__all__ = ["profiles_dir", "profile_path", "list_profiles", "find_profile", "load_named", "save_named", "slug"]
