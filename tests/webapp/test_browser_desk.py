"""The Desk page in a real browser: the Streamlit app in headless Chromium,
driven by Playwright, its webcam faked from seated photos (../shared/clips/
sittingposture_nvv: upright, then hunched, looping). What a person at the
desk checks: the reminder setting taken from the page, the privacy
indicator saying the camera is on, the posture read as sitting, the "get up"
reminder after the (shortest, 30 s) sitting time spoken with its chime and
shown as a browser notification (``window.Notification`` is a recording stub
here, permission granted), Pause stopping the sitting time and the indicator
saying so, Resume counting again, and STOP putting the session into the
history.

Needs what tests/webapp/test_browser.py needs (Chromium, Playwright, the
shared clips, the pose model); skipped cleanly without them, failed with
``COACH_REQUIRE_BROWSER=1``. The screenshot (desk.png) goes to
``$COACH_SCREENSHOT_DIR`` if set (docs/screenshots for the README), else
pytest's tmp dir.
"""
from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path

import pytest

from browser_support import (CLIPS, chromium_path, element_recorder, launch_chromium, new_page, poll, screenshot, spoken,
                             streamlit_server, unavailable, wait_idle, webrtc_frame)


if chromium_path() is None:
    unavailable("Chromium not found (apt-get install chromium, or set COACH_CHROMIUM)")
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    unavailable("Playwright for Python is not installed (pip install -e '.[test]')")

SEATED = CLIPS / "sittingposture_nvv"
UPRIGHT, HUNCHED = SEATED / "straight_hf.jpg", SEATED / "hunchback.jpg"
for _p in (UPRIGHT, HUNCHED):
    if not _p.exists():
        pytest.skip(f"{_p} not available (the shared clips are needed beside the checkout)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.model]

# window.Notification replaced by a stub that records what the page shows (permission granted)
NOTIFICATION_STUB = """
(() => {
  window.__notes = [];
  window.__permissionAsked = 0;
  class FakeNotification {
    constructor(title, options) { window.__notes.push({title: title, body: (options || {}).body || ''}); }
    static get permission() { return 'granted'; }
    static requestPermission(cb) { window.__permissionAsked += 1; if (cb) cb('granted'); return Promise.resolve('granted'); }
  }
  window.Notification = FakeNotification;
})();
"""

# every change of the desk indicator, with the browser's clock
DESK_RECORDER = element_recorder("coach-desk", "__deskLog", text=True)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser_desk")


@pytest.fixture(scope="module")
def app(workdir, pose_model):
    with streamlit_server(workdir, pose_model) as a:
        yield a


@pytest.fixture(scope="module")
def shots(workdir) -> Path:
    d = Path(os.environ["COACH_SCREENSHOT_DIR"]) if os.environ.get("COACH_SCREENSHOT_DIR") else workdir / "shots"
    d.mkdir(parents=True, exist_ok=True)
    return d


def desk(page) -> dict:
    """The desk indicator's data attributes and text now ({} when not shown)."""
    el = page.locator("#coach-desk")
    try:
        if not el.count():
            return {}
        return el.first.evaluate("e => Object.assign({text: e.textContent.trim()}, e.dataset)")
    except Exception:  # re-rendered in between
        return {}


def _f(d: dict, k: str) -> float:
    try:
        return float(d.get(k) or 0.0)
    except ValueError:
        return 0.0


def _context(page, app) -> str:
    parts = [f"desk: {desk(page)}"]
    with contextlib.suppress(Exception):
        parts.append(f"buttons: {page.locator('[data-testid=stButton]').all_inner_texts()}")
    with contextlib.suppress(Exception):
        parts.append(f"spoken: {[s.get('text') for s in spoken(page)][-8:]}")
    with contextlib.suppress(Exception):
        parts.append(f"sounds: {page.evaluate('window.__coachSounds || []')}, "
                     f"notifications: {page.evaluate('window.__notes || []')}")
    if getattr(page, "_coach_errors", None):
        parts.append(f"page errors: {page._coach_errors[-5:]}")
    parts.append("server log tail:\n" + app.log_tail(30))
    return "\n".join(parts)


def wait_desk(page, app, pred, timeout_s: float, what: str) -> dict:
    return poll(page, desk, pred, timeout_s, what, lambda: _context(page, app))


def button(page, label: str):
    """A Streamlit button by its label (its material icon's ligature text is lower case)."""
    return page.get_by_role("button", name=re.compile(rf"(^|\s){re.escape(label)}$")).first


def test_desk_reminds_pauses_and_saves(app, workdir, shots):
    from webcam import photos_to_y4m

    y4m = workdir / "desk.y4m"
    # upright, then hunched (a moment with nobody in view between: MediaPipe looks for the body again)
    photos_to_y4m([(UPRIGHT, 6, False), (None, 0.5, False), (HUNCHED, 6, False), (None, 0.5, False)], y4m,
                  max_side=640, fps=10)
    t_begin = time.monotonic()
    try:
        with sync_playwright() as pw:
            browser = launch_chromium(pw, y4m)
            page = new_page(browser)
            page.context.add_init_script(NOTIFICATION_STUB)
            try:
                page.goto(app.url + "/desk")
                expect(page.get_by_role("heading", name="Desk")).to_be_visible(timeout=60_000)
                start = webrtc_frame(page).get_by_role("button", name="START")
                expect(start).to_be_visible(timeout=60_000)
                wait_idle(page)
                # the shortest reminder time, typed in as a user would
                limit = page.get_by_role("spinbutton", name="Reminder every (min)")
                limit.fill("0.5")
                limit.press("Enter")
                wait_idle(page)
                expect(limit).to_have_value("0.5")
                expect(page.get_by_text("After 0.5 minutes the coach tells you to get up")).to_have_count(1)
                expect(page.locator("#coach-desk")).to_have_attribute("data-camera", "off")
                # notifications: the page's button asks the browser
                page.get_by_role("button", name="Allow notifications").click()
                expect(page.locator("#coach-notify-state")).to_contain_text("notifications on")
                assert page.evaluate("window.__permissionAsked") == 1

                page.evaluate(DESK_RECORDER)
                start.click()
                stop = webrtc_frame(page).get_by_role("button", name="STOP")
                try:
                    expect(stop).to_be_visible(timeout=15_000)
                except AssertionError:  # the click landed during a rerun: press it again, as a user would
                    start.click()
                    expect(stop).to_be_visible(timeout=15_000)
                t_start = time.monotonic()
                # while the camera runs the settings are locked (they apply from the next START)
                expect(limit).to_be_disabled(timeout=15_000)
                d = wait_desk(page, app, lambda d: d.get("camera") == "on", 30, "the indicator to say camera on")
                assert d["text"] == "Camera on — watching posture, nothing is recorded or sent", d
                d = wait_desk(page, app, lambda d: d.get("posture", "").startswith("sitting") and _f(d, "sittingS") > 2,
                              45, "the posture read as sitting and the sitting time counting")
                t_sitting = time.monotonic() - t_start

                d = wait_desk(page, app, lambda d: int(d.get("reminders") or 0) >= 1, 60,
                              "the reminder after 30 s of sitting")
                t_reminder = time.monotonic() - t_start
                page.wait_for_timeout(2500)  # the next refresh speaks it
                said = spoken(page)
                reminder = [s for s in said if s.get("kind") == "reminder"]
                assert reminder and reminder[0]["text"].startswith("You have been sitting"), _context(page, app)
                assert any(s.get("kind") == "suggestion" for s in said), _context(page, app)
                assert "chime" in page.evaluate("window.__coachSounds || []"), _context(page, app)
                notes = page.evaluate("window.__notes")
                assert notes and notes[0]["title"] == "Time to get up" and \
                    notes[0]["body"].startswith("You have been sitting"), _context(page, app)
                log = page.evaluate("window.__deskLog")
                postures = sorted({e.get("posture") for e in log if e.get("camera") == "on"} - {None, ""})
                screenshot(page, shots / "desk.png")

                # Pause: the indicator says so and the sitting time stops
                try:
                    button(page, "Pause").click(timeout=10_000)
                except Exception as e:
                    raise AssertionError(f"no Pause button: {e}\n{_context(page, app)}") from None
                d = wait_desk(page, app, lambda d: d.get("camera") == "paused", 10, "the indicator to say paused")
                assert d["text"] == "⏸ Paused — the camera is not being watched", d
                expect(button(page, "Resume")).to_be_visible()
                held = _f(d, "sittingS")
                page.wait_for_timeout(4000)
                d = desk(page)
                assert d.get("camera") == "paused" and _f(d, "sittingS") <= held + 0.6, (held, d)
                # Resume: counting again from where it was
                button(page, "Resume").click()
                wait_desk(page, app, lambda d: d.get("camera") == "on", 10, "the indicator to say camera on again")
                d = wait_desk(page, app, lambda d: _f(d, "sittingS") > held + 2, 20, "the sitting time counting again")
                assert _f(d, "sittingS") < held + 15, (held, d)  # not reset, not jumped

                stop.click()
                expect(page.get_by_role("heading", name="Your desk session")).to_be_visible(timeout=30_000)
                expect(page.get_by_text("Saved in your history")).to_be_visible(timeout=30_000)
                expect(page.locator("#coach-desk")).to_have_attribute("data-camera", "off")
                expect(limit).to_be_enabled()
                print(f"\n[desk] sitting seen {t_sitting:.1f} s after START, reminder {t_reminder:.1f} s after START; "
                      f"postures shown {postures}; paused at {held:.1f} s of sitting; "
                      f"spoken {[s['text'] for s in said]}; whole test {time.monotonic() - t_begin:.0f} s")
                assert "sitting upright" in postures and any(p.startswith("sitting: slouched") for p in postures), \
                    f"the upright and the hunched photo should both be read: {postures}"
            finally:
                with contextlib.suppress(Exception):
                    webrtc_frame(page).get_by_role("button", name="STOP").click(timeout=3_000)
                page.context.close()
                browser.close()
    finally:
        y4m.unlink(missing_ok=True)
