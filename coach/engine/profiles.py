"""Named threshold profiles: thresholds files kept in one folder, so the
tuning page can save one and the live page and ``coach analyze --thresholds
NAME`` can use it.

Folder: ``$COACH_PROFILE_DIR`` if set; else ``%APPDATA%\\back-coach\\profiles``
on Windows; else ``$XDG_CONFIG_HOME/back-coach/profiles`` or
``~/.config/back-coach/profiles``. Each profile is a thresholds file
(:mod:`coach.engine.thresholds` format) named ``<slug>.json``; the file keeps
the name exactly as the user typed it (``"profile"``), in any script.

Two names are two profiles: "After physio" and "AFTER PHYSIO!!" share a slug,
so the second gets ``after-physio-2.json``; saving never merges into a profile
of another name, and a profile file that cannot be read is kept aside
(``*.json.unreadable``), not overwritten.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

from coach.core.paths import user_dir
from coach.engine.thresholds import ThresholdError, load_profile, read_calibrations, save_profile


def profiles_dir() -> Path:
    return user_dir("COACH_PROFILE_DIR", "profiles", config=True)


#: Longest profile name accepted (characters).
MAX_NAME = 80
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def clean_name(name: str) -> str:
    """The profile name as it will be kept: surrounding space removed; one
    line, printable, at most MAX_NAME characters, with a letter or digit."""
    if not isinstance(name, str):
        raise ThresholdError("a profile name must be text")
    n = " ".join(name.split())
    if not n or not any(ch.isalnum() for ch in n):
        raise ThresholdError("a profile needs a name with at least one letter or digit")
    if len(n) > MAX_NAME:
        raise ThresholdError(f"a profile name can have at most {MAX_NAME} characters")
    if not n.isprintable():
        raise ThresholdError("a profile name cannot contain control characters")
    return n


def slug(name: str) -> str:
    """The file stem for a profile name: letters and digits of any script,
    lower case, other characters as "-" ("After physio, May" ->
    "after-physio-may", "Физио" -> "физио"). Never a path."""
    s = re.sub(r"[\W_]+", "-", clean_name(name).casefold()).strip("-")[:60].strip("-")
    if not s:
        raise ThresholdError("a profile needs a name with at least one letter or digit")
    if s in _WINDOWS_RESERVED:
        s = f"{s}-profile"
    return s


def _stored_name(path: Path) -> str | None:
    """The name a profile file records, or None when it cannot be read."""
    import json

    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return None
    name = doc.get("profile") if isinstance(doc, dict) else None
    return name if isinstance(name, str) else ""


def profile_path(name: str) -> Path:
    """The file of the profile ``name``: the one that records exactly this
    name, else the first free ``<slug>.json`` / ``<slug>-2.json`` / ..."""
    name = clean_name(name)
    base = slug(name)
    d = profiles_dir()
    for i in range(1, 1000):
        p = d / (f"{base}.json" if i == 1 else f"{base}-{i}.json")
        if not p.exists():
            return p
        if _stored_name(p) == name:
            return p
    raise ThresholdError(f"too many profiles named like '{name}'")


def list_profiles() -> dict[str, Path]:
    """Saved profiles: {display name: path}, sorted by name. Unreadable files are left out."""
    d = profiles_dir()
    out: dict[str, Path] = {}
    if not d.is_dir():
        return out
    import json

    for p in sorted(d.glob("*.json")):
        try:
            doc = json.loads(p.read_text(encoding="utf-8-sig"))
            name = doc.get("profile") if isinstance(doc, dict) else None
        except (OSError, ValueError, RecursionError):
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
        saved = list_profiles()
        if s in saved:  # the exact name first, then a file stem
            return saved[s]
        for path in saved.values():
            if path.stem == s:
                return path
        try:
            cand = profile_path(s)
            if _stored_name(cand) != clean_name(s):
                cand = None
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
    name = clean_name(name)
    path = profile_path(name)
    profile: dict[str, Mapping[str, float]] = {}
    records: dict[str, dict] = {}
    if path.is_file():
        try:
            profile = load_profile(path)
            records = read_calibrations(path)
        except ThresholdError:  # unreadable: kept aside, never overwritten
            aside = path.with_name(path.name + ".unreadable")
            n = 2
            while aside.exists():
                aside = path.with_name(f"{path.name}.unreadable-{n}")
                n += 1
            path.replace(aside)
            profile, records = {}, {}
    profile[exercise] = {**(profile.get(exercise, {}) if merge else {}), **dict(values)}
    if calibration is not None:
        records[exercise] = calibration
    path.parent.mkdir(parents=True, exist_ok=True)
    save_profile(path, profile, name=name, calibration=records)
    return path


__all__ = ["profiles_dir", "profile_path", "list_profiles", "find_profile", "load_named", "save_named", "slug",
           "clean_name", "MAX_NAME"]
