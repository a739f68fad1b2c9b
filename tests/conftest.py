"""Shared test set-up: the helper modules in this folder (synth, browser_support,
webcam) are importable from every test package, and the tests that need the
pose model get it the way the product provisions it."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from collections import Counter  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path_factory, monkeypatch):
    """No test reads or writes the person's own history or routines: each
    test gets empty folders (a test may point them elsewhere)."""
    base = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("COACH_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("COACH_ROUTINE_DIR", str(base / "routines"))


@pytest.fixture(scope="session")
def pose_model() -> Path:
    """The full pose model, provisioned as the product does: ``$COACH_MODEL``,
    the cached install, or installing it once (``coach models install``:
    the official download, else built from the PyPI wheel)."""
    from coach.media.models import ModelError, ensure_model

    try:
        return ensure_model("full", log=lambda m: print(m, file=sys.stderr))
    except ModelError as e:
        pytest.skip(f"the pose model could not be provisioned: {e}")


def _why(reason: str) -> str:
    r = reason.lower()
    if "shared" in r:
        return "the shared clips beside the checkout (../shared)"
    if "chromium" in r or "browser" in r or "playwright" in r:
        return "Chromium (apt-get install chromium)"
    if "model" in r or "pypi" in r:
        return "the pose model (network to install it)"
    return reason.strip().splitlines()[0][:80]


def pytest_terminal_summary(terminalreporter) -> None:
    """One line saying what the skipped tests need."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons: Counter = Counter()
    for rep in skipped:
        lr = rep.longrepr
        reasons[_why(lr[2] if isinstance(lr, tuple) else str(lr))] += 1
    terminalreporter.write_line("skipped: " + "; ".join(f"{n} need {why}" for why, n in reasons.most_common()))
