"""Per-user folders, by platform convention."""
from __future__ import annotations

import os
from pathlib import Path


def user_dir(env: str, leaf: str, *, config: bool) -> Path:
    """``$env`` if set; else, on Windows, ``%APPDATA%`` (config) or
    ``%LOCALAPPDATA%`` (cache) ``\\back-coach\\leaf``; else
    ``$XDG_CONFIG_HOME`` / ``~/.config`` (config) or ``$XDG_CACHE_HOME`` /
    ``~/.cache`` (cache) ``/back-coach/leaf``."""
    value = os.environ.get(env)
    if value:
        return Path(value).expanduser()
    if os.name == "nt":
        var, default = ("APPDATA", "Roaming") if config else ("LOCALAPPDATA", "Local")
        base = os.environ.get(var) or str(Path.home() / "AppData" / default)
        return Path(base) / "back-coach" / leaf
    var, default = ("XDG_CONFIG_HOME", ".config") if config else ("XDG_CACHE_HOME", ".cache")
    xdg = os.environ.get(var)
    base = Path(xdg).expanduser() if xdg else Path.home() / default
    return base / "back-coach" / leaf
