"""The live latency measurement in a real browser (``scripts/live_latency.py``):
Chromium's fake camera plays the numbered test pattern (a plank photo, an
empty picture, a kneeling photo); the page reads the number of every camera
frame and the HUD names the frame it shows. What this checks is that the
measurement works end to end and that the HUD follows the camera within a
second, not the speed target (the script prints the numbers).

Needs what tests/webapp/test_browser.py needs; skipped cleanly without it,
failed with ``COACH_REQUIRE_BROWSER=1``.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from browser_support import PHOTOS, ROOT, chromium_path, unavailable

if chromium_path() is None:
    unavailable("Chromium not found (apt-get install chromium, or set COACH_CHROMIUM)")
try:
    import playwright.sync_api  # noqa: F401
except ImportError:
    unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
for _p in (PHOTOS / "Plank" / "1.jpg", PHOTOS / "Plank" / "0.jpg"):
    if not _p.exists():
        pytest.skip(f"{_p} not available (the shared clips are needed beside the checkout)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.model]


def _script():
    spec = importlib.util.spec_from_file_location("live_latency", ROOT / "scripts" / "live_latency.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_hud_names_the_camera_frame_it_shows(pose_model, tmp_path: Path):
    ll = _script()
    raw = ll.run(16.0, pose_model, tmp_path)
    res = ll.analyse(raw)
    print(f"\n[latency] {res['frames_judged']} frames judged, {res['captures']} captures; "
          f"frame -> HUD median {res['frame_to_hud'].get('median', float('nan')):.0f} ms "
          f"(n={res['frame_to_hud']['n']}), capture -> server "
          f"{res['capture_to_server'].get('median', float('nan')):.0f} ms")
    assert res["captures"] >= 100, f"the page read only {res['captures']} numbered camera frames"
    hud = res["frame_to_hud"]
    assert hud["n"] >= 20, f"only {hud['n']} HUD updates could be paired with a camera frame"
    assert 0 < hud["median"] < 1000, f"the HUD is {hud['median']:.0f} ms behind the camera"
    statuses = {e.get("status") for e in raw["hud"] if e.get("phase") == "coaching"}
    assert "good" in statuses and "not_in_position" in statuses, \
        f"the pattern's plank and kneeling photos were not both judged: {statuses}"
    assert res["status_change_pipeline"]["n"] >= 1
