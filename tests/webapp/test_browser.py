"""Real-browser end-to-end tests: the Streamlit app in headless Chromium,
driven by Playwright, with the webcam faked from a .y4m file made from real
footage (../shared/clips). They check what a user sees: the live HUD (phase,
status, hold timer, rep counts, spoken cues), the session summary, the review
page (metrics, video, chart, JSON report, errors) and the tuning page
(sliders, re-judged result, saved profile offered on the live page).

Needs the system Chromium (``apt-get install chromium``), Playwright for
Python (``pip install -e '.[test]'``, no browser download), the shared
clips beside the checkout and the pose model (the ``pose_model`` fixture:
provisioned as the product does; the app gets it as ``COACH_MODEL``).
Skipped cleanly when one is missing; with ``COACH_REQUIRE_BROWSER=1`` (CI) a
missing browser or Playwright fails.

The HUD's data attributes (read as ``dataset`` keys): ``phase``, ``status``,
``person``, ``goal`` (the goal counted), ``doneLeft`` / ``doneRight`` (reps a
side), ``doneTotal`` (good-form hold seconds, or reps in all), ``progress``,
``cue``, ``message``, ``frames``, ``dropped``, ``t``, ``processedMs``.

Screenshots go to ``$COACH_SCREENSHOT_DIR`` (if set) or pytest's tmp dir:
live.png, live_summary.png, live_<case>.png, review.png, tune.png.
Run ``pytest tests/webapp/test_browser.py -s`` to see the measured latency and fps.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import pose_rules
from coach.engine.thresholds import defaults

from browser_support import (BIRD_DOG, PHOTOS, attr_float, attr_int, chromium_path, fmt_hud, hud, hud_log, install_hud_recorder,
                             launch_chromium, metric, metric_value, new_page, percentile, poll, screenshot, select,
                             selectbox_options, slider, slider_thumb, slider_value, spoken, streamlit_server,
                             open_live, stop_live, unavailable, wait_idle, webrtc_frame)


if chromium_path() is None:
    unavailable("Chromium not found (apt-get install chromium, or set COACH_CHROMIUM)")
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
for _p in (BIRD_DOG, PHOTOS / "Plank" / "1.jpg", PHOTOS / "Plank" / "0.jpg",
           PHOTOS / "Single_Leg_Glute_Bridge" / "1.jpg"):
    if not _p.exists():
        pytest.skip(f"{_p} not available (the shared clips are needed beside the checkout)",
                    allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.model]

PHOTO_LOOP_S = 4.0  # a still photo: Chromium loops the file, so a short one is as good as a long one
FPS = 15


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def app(workdir, pose_model):
    with streamlit_server(workdir, pose_model) as a:
        yield a


@pytest.fixture(scope="module")
def pw():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def shots(workdir) -> Path:
    d = Path(os.environ["COACH_SCREENSHOT_DIR"]) if os.environ.get("COACH_SCREENSHOT_DIR") else workdir / "shots"
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="module")
def camera(workdir):
    """camera(source) -> a y4m fake-camera file (made once per module)."""
    from webcam import photo_to_y4m, video_to_y4m

    made: dict[str, Path] = {}

    def get(source: Path) -> Path:
        source = Path(source)
        key = str(source)
        if key not in made:
            dst = workdir / ("_".join(source.parts[-2:]).replace(".", "_") + ".y4m")
            if source.suffix.lower() in (".jpg", ".jpeg", ".png"):
                n = photo_to_y4m(source, dst, seconds=PHOTO_LOOP_S, max_side=640, fps=FPS)
            else:
                n = video_to_y4m(source, dst, max_side=640, fps=FPS)
            size_mb = dst.stat().st_size / 2**20
            assert n > 0 and size_mb < 200, f"{dst}: {n} frames, {size_mb:.0f} MB"
            made[key] = dst
        return made[key]
    yield get
    for f in made.values():  # 25-75 MB each: don't leave them in pytest's kept tmp dirs
        f.unlink(missing_ok=True)


@contextlib.contextmanager
def chromium(pw, y4m: Path | None = None):
    browser = launch_chromium(pw, y4m)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="module")
def plain_browser(pw):
    with chromium(pw) as b:
        yield b


# ------------------------------------------------------------------ helpers


def _context(page, app) -> str:
    """Extra lines for an assertion message: HUD, spoken cues, page errors, server log."""
    parts = [f"HUD: {fmt_hud(hud(page))}"]
    with contextlib.suppress(Exception):
        parts.append(f"spoken: {[s.get('text') for s in spoken(page)][-12:]}")
    if getattr(page, "_coach_errors", None):
        parts.append(f"page errors: {page._coach_errors[-5:]}")
    with contextlib.suppress(Exception):
        parts.append("camera component: " + " | ".join(webrtc_frame(page).locator("body").inner_text(timeout=2_000).split()))
        parts.append("camera video: " + str(webrtc_frame(page).locator("video").first.evaluate(
            "v => ({readyState: v.readyState, w: v.videoWidth, paused: v.paused, t: v.currentTime})", timeout=2_000)))
    parts.append("server log tail:\n" + app.log_tail(40))
    return "\n".join(parts)


def wait_hud(page, app, pred, timeout_s: float, what: str) -> dict:
    """Poll the live HUD until ``pred(dataset)`` holds; a readable failure otherwise."""
    return poll(page, hud, pred, timeout_s, what, lambda: _context(page, app), 200)


def wait_video_playing(page, timeout_ms: float = 20_000) -> None:
    """The annotated picture coming back from the server is showing in the page."""
    video = webrtc_frame(page).locator("video").first
    video.wait_for(timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        ok = video.evaluate("v => v.readyState >= 2 && v.videoWidth > 0 && !v.paused")
        if ok:
            return
        page.wait_for_timeout(200)
    raise AssertionError("the coach's video is not playing in the page")


def live_picture_size(page) -> dict:
    """Displayed size of the coach's picture (the annotated video) and the width of its column."""
    video = webrtc_frame(page).locator("video").first
    # object-fit: contain: the picture is the video scaled to fit the element's box
    size = video.evaluate("""v => { const k = Math.min(v.clientWidth / v.videoWidth, v.clientHeight / v.videoHeight);
      return {width: Math.round(v.videoWidth * k), height: Math.round(v.videoHeight * k),
              video: v.videoWidth + 'x' + v.videoHeight}; }""")
    box = page.locator('iframe[title*="webrtc"]').first.bounding_box() or {"width": 0}
    size["column"] = round(box["width"])
    return size


def latency_and_fps(log: list[dict]) -> tuple[list[float], list[float], float, int]:
    """From the HUD log: display latency (ms) at status/cue changes, at every
    new frame shown, the processed frames/s over the coaching time, and the
    frames skipped."""
    coaching = [e for e in log if e.get("phase") == "coaching" and e.get("processedMs")]
    changes, all_lat = [], []
    prev = None
    for e in coaching:
        lat = e["now"] - float(e["processedMs"])
        if prev is None or e["processedMs"] != prev["processedMs"]:
            all_lat.append(lat)
        if prev is not None and (e.get("status"), e.get("cue")) != (prev.get("status"), prev.get("cue")):
            changes.append(lat)
        prev = e
    fps = float("nan")
    dropped = 0
    if len(coaching) >= 2:
        a, b = coaching[0], coaching[-1]
        span = (b["now"] - a["now"]) / 1000
        if span > 0:
            fps = (attr_int(b, "frames") - attr_int(a, "frames")) / span
        dropped = attr_int(b, "dropped") - attr_int(a, "dropped")
    return changes, all_lat, fps, dropped


def _ms(xs: list[float]) -> str:
    if not xs:
        return "no samples"
    return f"median {statistics.median(xs):.0f} ms, p90 {percentile(xs, 0.9):.0f} ms, n={len(xs)}"


# ------------------------------------------------------------------ 1. live coach, bird-dog clip


def test_live_bird_dog_counts_reps_on_both_sides(app, pw, camera, shots):
    """The bird-dog clip (one rep a side, looping) through the fake webcam:
    the coach sees the person, counts reps left and right, speaks them, and
    the summary after STOP shows them."""
    with chromium(pw, camera(BIRD_DOG)) as browser:
        page = new_page(browser)
        try:
            open_live(page, app, "Bird-dog")
            t0 = time.monotonic()
            wait_hud(page, app, lambda d: d.get("phase") == "coaching", 45, "the coaching phase (countdown: none)")
            t_coach = time.monotonic() - t0
            wait_video_playing(page)
            d = wait_hud(page, app, lambda d: attr_int(d, "doneLeft") >= 1 and attr_int(d, "doneRight") >= 1, 75,
                         "a rep counted on each side (the clip has one a side and loops)")
            assert d.get("goal") == "reps", f"the HUD counts {d.get('goal')!r}, not reps\n{_context(page, app)}"
            assert attr_float(d, "doneTotal") == attr_int(d, "doneLeft") + attr_int(d, "doneRight"), fmt_hud(d)
            t_reps = time.monotonic() - t0
            screenshot(page, shots / "live.png")

            log = hud_log(page)
            coaching = [e for e in log if e.get("phase") == "coaching"]
            assert coaching, f"no coaching HUD recorded\n{_context(page, app)}"
            seen = [e for e in coaching if e.get("person") == "1" and e.get("status") != "cant_see"]
            assert len(seen) >= 0.8 * len(coaching), (
                f"the person was seen in only {len(seen)} of {len(coaching)} HUD updates\n{_context(page, app)}")
            assert any(e.get("status") == "good" for e in coaching), f"never good form\n{_context(page, app)}"
            assert attr_int(d, "doneLeft") <= 4 and attr_int(d, "doneRight") <= 4, f"too many reps\n{_context(page, app)}"

            said = spoken(page)
            reps_said = [s["text"] for s in said if s.get("kind") == "rep"]
            # reps are named by the leg (and the arm, where it is seen raised): "Right leg, left arm, 1"
            assert any(re.match(r"Left leg(, right arm)?, \d+", t) for t in reps_said) and \
                any(re.match(r"Right leg(, left arm)?, \d+", t) for t in reps_said), f"rep events not spoken: {said}"

            changes, all_lat, fps, dropped = latency_and_fps(log)
            print(f"\n[live bird-dog] coaching {t_coach:.1f} s after START, reps L{d['doneLeft']} R{d['doneRight']} "
                  f"after {t_reps:.1f} s; processed {fps:.1f} frames/s, {dropped} skipped "
                  f"(HUD: {d.get('frames')} frames, {d.get('dropped')} skipped in all)")
            print(f"[live bird-dog] display latency at status/cue changes: {_ms(changes)}; "
                  f"at every new frame shown: {_ms(all_lat)}")
            print(f"[live bird-dog] spoken: {[s['text'] for s in said]}")
            assert all_lat and statistics.median(all_lat) < 1500, f"display latency too high: {_ms(all_lat)}"
            if changes:
                assert statistics.median(changes) < 1500, f"display latency too high: {_ms(changes)}"
            # frames/s is printed, not asserted: it is a speed, measured by scripts/live_latency.py

            last = hud(page)
            webrtc_frame(page).get_by_role("button", name="STOP").click()
            expect(page.get_by_role("heading", name="Your session")).to_be_visible(timeout=30_000)
            shown = metric_value(page, "Reps left / right")
            m = re.fullmatch(r"(\d+) / (\d+)", shown)
            assert m, f"summary reps shown as {shown!r}"
            left, right = int(m[1]), int(m[2])
            assert left >= max(1, attr_int(last, "doneLeft")) and right >= max(1, attr_int(last, "doneRight")), (
                f"summary shows {shown}, the HUD last showed L{last.get('doneLeft')} R{last.get('doneRight')}")
            expect(page.get_by_role("button", name="Download session report (JSON)")).to_be_visible()
            expect(page.locator("#coach-hud")).to_have_attribute("data-phase", "stopped")
            screenshot(page, shots / "live_summary.png")
        finally:
            stop_live(page)
            page.context.close()


# ------------------------------------------------------------------ 2. live coach, held positions (photos)


PHOTO_CASES = [
    pytest.param("Plank/1.jpg", None, True, id="plank-good"),  # Plank is the default exercise
    # a side view (Butt_Lift_Bridge/1.jpg is shot from about 45 deg: the coach asks to turn side-on)
    pytest.param("Single_Leg_Glute_Bridge/1.jpg", "Glute bridge", True, id="bridge-good"),
    pytest.param("Plank/0.jpg", None, False, id="plank-kneeling"),
]


@pytest.mark.parametrize("photo, family, good", PHOTO_CASES)
def test_live_hold_timer(app, pw, camera, shots, photo, family, good, request):
    """A still photo is a person holding still. Good form: the hold timer
    runs with the clock and the status is "good". Kneeling upright for a
    plank: the timer stays at 0 and the coach never says good form."""
    case = request.node.callspec.id
    with chromium(pw, camera(PHOTOS / photo)) as browser:
        page = new_page(browser)
        try:
            open_live(page, app, family)
            t0 = time.monotonic()
            if good:
                wait_hud(page, app, lambda d: d.get("phase") == "coaching", 30, "the coaching phase")
                d0 = wait_hud(page, app, lambda d: d.get("status") == "good", 10, "good form")
                assert d0.get("goal") == "hold", f"the HUD counts {d0.get('goal')!r}, not a hold: {fmt_hud(d0)}"
                h0, w0 = attr_float(d0, "doneTotal"), time.monotonic()
                d = wait_hud(page, app, lambda d: attr_float(d, "doneTotal") >= h0 + 5.0, 12,
                             f"the hold timer to rise 5 s from {h0:.1f} s")
                wait_video_playing(page)
                _LIVE_PICTURE[case] = live_picture_size(page)
                page.wait_for_timeout(max(0.0, 10.0 - (time.monotonic() - w0)) * 1000)  # ~10 s of holding
                d = hud(page)
                rise, span = attr_float(d, "doneTotal") - h0, time.monotonic() - w0
                log = [e for e in hud_log(page) if e.get("phase") == "coaching"]
                bad = [e for e in log if e.get("status") != "good"]
                print(f"\n[live {case}] coaching {len(log)} HUD updates, hold +{rise:.1f} s in {span:.1f} s, "
                      f"{len(bad)} updates not good; last {fmt_hud(d)}")
                assert d.get("status") == "good" and d.get("person") == "1", \
                    f"not good form at the end\n{_context(page, app)}"
                assert rise >= 0.5 * span, f"hold rose {rise:.1f} s in {span:.1f} s\n{_context(page, app)}"
                assert len(bad) <= 0.2 * len(log), f"{len(bad)} of {len(log)} updates not good\n{_context(page, app)}"
                assert not d.get("cue"), f"a cue for a good hold\n{_context(page, app)}"
            else:
                wait_hud(page, app, lambda d: d.get("person") == "1", 30, "the person to be seen")
                page.wait_for_timeout(12_000)
                d = hud(page)
                log = hud_log(page)
                good_claims = [fmt_hud(e) for e in log if e.get("status") == "good" or attr_float(e, "doneTotal") > 0]
                print(f"\n[live {case}] {len(log)} HUD updates in {time.monotonic() - t0:.1f} s; phases "
                      f"{sorted({e.get('phase') for e in log})}, statuses {sorted({e.get('status') for e in log})}; "
                      f"last {fmt_hud(d)}")
                assert not good_claims, f"claimed good form / hold for kneeling: {good_claims[:3]}"
                assert d.get("status") == "not_in_position", f"expected 'Get into position': {fmt_hud(d)}"
                # judged for ~12 s (2 cores shared with Chromium: a few frames/s at worst)
                assert attr_int(d, "frames") >= 20, f"too few frames judged\n{_context(page, app)}"
            screenshot(page, shots / f"live_{case}.png")
        finally:
            stop_live(page)
            page.context.close()


def test_live_stretch_holds_a_repeat_on_a_lying_photo(app, pw, camera, shots):
    """A real photo of a knee-to-chest stretch as the camera: the page says how
    to film a lying exercise, the coach sees the stretch held still (good
    form, no "slowly" or "bounce" cue), and the current repeat's seconds rise
    with the clock."""
    with chromium(pw, camera(PHOTOS / "One_Knee_To_Chest/1.jpg")) as browser:
        page = new_page(browser)
        try:
            page.goto(app.url + "/")
            expect(page.get_by_role("heading", name="Live coach")).to_be_visible(timeout=60_000)
            select(page, "Exercise", "Knee to chest")
            expect(page.get_by_text("can mix up front and back")).to_be_visible(timeout=15_000)
            open_live(page, app, "Knee to chest")
            wait_hud(page, app, lambda d: d.get("phase") == "coaching", 30, "the coaching phase")
            d0 = wait_hud(page, app, lambda d: d.get("status") == "good", 15, "good form")
            assert d0.get("goal") == "repeats", f"the HUD counts {d0.get('goal')!r}: {fmt_hud(d0)}"
            c0, w0 = attr_float(d0, "currentS"), time.monotonic()
            d = wait_hud(page, app, lambda d: attr_float(d, "currentS") >= c0 + 5.0, 15,
                         f"the repeat's hold to rise 5 s from {c0:.1f} s")
            rise, span = attr_float(d, "currentS") - c0, time.monotonic() - w0
            log = [e for e in hud_log(page) if e.get("phase") == "coaching"]
            cues = sorted({e.get("cue") for e in log if e.get("cue")})
            print(f"\n[live knee-to-chest] repeat hold +{rise:.1f} s in {span:.1f} s; cues {cues}; last {fmt_hud(d)}")
            assert not cues, f"cues on a still, good stretch: {cues}"
            screenshot(page, shots / "live_knee_to_chest.png")
        finally:
            stop_live(page)
            page.context.close()


_LIVE_PICTURE: dict[str, dict] = {}  # case -> size of the live picture on the page (for the next test)


def test_live_picture_is_shown_large():
    m = _LIVE_PICTURE.get("plank-good") or _LIVE_PICTURE.get("bridge-good")
    if not m:
        pytest.skip("no live picture was measured (the hold-timer tests did not run)")
    print(f"\n[live] picture {m}")
    assert m["height"] >= 300 or m["width"] >= 0.9 * m["column"], f"the live picture is only {m}"


# ------------------------------------------------------------------ 2b. a routine, hands-free

ROUTINE_TOML = """name = "Browser routine"
rest = 3
[[step]]
exercise = "plank"
hold = 5
[[step]]
exercise = "side_plank"
sides = ["left", "right"]
hold = 5
rest = 0
"""


def _phases(log: list[dict]) -> list[str]:
    out: list[str] = []
    for e in log:
        p = e.get("phase")
        if p and (not out or out[-1] != p):
            out.append(p)
    return out


def test_a_routine_runs_hands_free_with_a_camera_that_switches_exercises(app, pw, workdir, shots):
    """The Routine page with a fake camera that shows real photos one after
    the other: a side plank first (the routine expects a plank: the coach says
    so and waits), then a plank, a side plank on the left forearm and the same
    photo mirrored (the right forearm). Nobody touches anything after START:
    each step starts when the person is in position, the rest is counted down,
    the sides are switched, the routine completes and goes into the history,
    which the History page and `coach history --json` show."""
    import subprocess
    import sys

    from webcam import photos_to_y4m

    side, plank = PHOTOS / "Side_Bridge" / "1.jpg", PHOTOS / "Plank" / "1.jpg"
    routines = workdir / "routines"
    routines.mkdir(parents=True, exist_ok=True)
    (routines / "browser.toml").write_text(ROUTINE_TOML)
    y4m = workdir / "routine.y4m"
    # (a moment with nobody in view between the photos: see photos_to_y4m; and 2 s at the start, while
    # the WebRTC stream ramps its bitrate up: in one CI run of many the side plank shown from the very
    # first frame was never recognised in its 10 s, and was each time it came later)
    photos_to_y4m([(None, 2, False), (side, 10, False), (None, 1, False), (plank, 10, False), (None, 1, False), (side, 9, False),
                   (None, 1, False), (side, 9, True), (None, 1, False)], y4m, max_side=480, fps=10)
    try:
        with chromium(pw, y4m) as browser:
            page = new_page(browser)
            try:
                page.goto(app.url + "/routine")
                expect(page.get_by_role("heading", name="Routine")).to_be_visible(timeout=60_000)
                start = webrtc_frame(page).get_by_role("button", name="START")
                expect(start).to_be_visible(timeout=60_000)
                select(page, "Routine", "Browser routine")
                wait_idle(page)
                install_hud_recorder(page)
                start.click()
                expect(webrtc_frame(page).get_by_role("button", name="STOP")).to_be_visible(timeout=15_000)
                wait_hud(page, app, lambda d: d.get("phase") == "coaching", 60, "the first step to start by itself")
                screenshot(page, shots / "routine.png")
                wait_hud(page, app, lambda d: d.get("phase") == "finished", 150, "the routine to finish")
                said = [x.get("text") for x in spoken(page)]
                phases = _phases(hud_log(page))
                print(f"\n[routine] phases {phases}\n[routine] said {said}")
                assert said[0] == "Next: plank. Get into position", said
                # shown on the HUD and spoken (the page's speech script may miss an utterance when a
                # rerun comes late, so what was shown counts too)
                looks = "This looks like a side plank; the routine expects a plank"
                shown = [e.get("message") for e in hud_log(page) if (e.get("message") or "").startswith("This looks")]
                assert looks in said or looks in shown, (said, shown, [(e.get("t"), e.get("phase"), e.get("message"))
                                                                       for e in hud_log(page)][:80])
                assert said.count("Go") >= 2, said
                assert any(x.startswith("Well done. Rest 3 seconds. Next: side plank") for x in said), said
                assert "Now the right side" in said or "Now the left side" in said, said
                assert said[-1] == "Routine complete. Well done", said
                for p in ("get_ready", "coaching", "rest", "finished"):
                    assert p in phases, phases
                assert phases.index("rest") > phases.index("coaching")
                panel = page.locator("#coach-routine").first
                outcomes = panel.evaluate("e => [...e.querySelectorAll('[data-outcome]')].map(x => x.dataset.outcome)")
                assert outcomes == ["done", "done"], outcomes
                webrtc_frame(page).get_by_role("button", name="STOP").click()
                expect(page.get_by_text("2 of 2")).to_be_visible(timeout=30_000)
                expect(page.get_by_text("Saved in your history")).to_be_visible(timeout=30_000)
                screenshot(page, shots / "routine_summary.png")
                # the History page shows it (a second tab, as a user might keep open)
                tab = page.context.new_page()
                tab.goto(app.url + "/history")
                expect(tab.get_by_role("heading", name="History")).to_be_visible(timeout=60_000)
                expect(metric(tab, "Sessions")).to_be_visible(timeout=30_000)
                wait_idle(tab)
                # the live sessions of the tests before this one are in the same history
                assert int(metric_value(tab, "Sessions")) >= 1 and metric_value(tab, "Current streak") == "1 day"
                screenshot(tab, shots / "history.png")
            finally:
                stop_live(page)
                page.context.close()
        out = subprocess.run([sys.executable, "-m", "coach.cli", "history", "--json"], capture_output=True,
                             text=True, env=dict(os.environ, COACH_DATA_DIR=str(workdir / "data")), timeout=120)
        assert out.returncode == 0, out.stderr
        sessions = json.loads(out.stdout)
        sessions = sessions["sessions"] if isinstance(sessions, dict) else sessions
        mine = [x for x in sessions if x.get("routine") == "Browser routine"]
        assert len(mine) == 1 and mine[0]["kind"] == "routine", sessions
        done = {(r["exercise"], r["side"]): r["done"] for r in mine[0]["results"]}
        assert done[("plank", "both")] >= 5 and done[("side_plank", "left")] >= 5 and \
            done[("side_plank", "right")] >= 5, done
    finally:
        y4m.unlink(missing_ok=True)


# ------------------------------------------------------------------ 3. review a clip


@dataclass
class Reviewed:
    page: object
    download: dict  # the "Download report (JSON)" file: name, text
    video_after: dict  # the annotated video after that download: same element? time, paused


@pytest.fixture(scope="module")
def reviewed(app, plain_browser):
    """A page on "Review a clip" after uploading bird_dog.mp4 and analysing
    it as a bird-dog (shared with the tuning test: same Streamlit session)."""
    page = new_page(plain_browser)
    page.goto(app.url + "/review")
    expect(page.get_by_role("heading", name="Review a clip")).to_be_visible(timeout=60_000)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(BIRD_DOG))
    expect(page.locator('[data-testid="stFileUploader"]')).to_contain_text("bird_dog.mp4", timeout=30_000)
    analyse = page.get_by_role("button", name="Analyse")
    expect(analyse).to_be_enabled(timeout=30_000)  # the rerun with the upload is done (new exercise picker)
    wait_idle(page)
    select(page, "Exercise", "Bird-dog")
    wait_idle(page)
    expect(page.locator('[data-testid="stSelectbox"]').filter(has_text="Exercise").get_by_role("combobox")
           ).to_have_value("Bird-dog")
    t0 = time.monotonic()
    analyse.click()
    expect(page.get_by_role("button", name="Download report (JSON)")).to_be_visible(timeout=180_000)
    expect(page.get_by_role("heading", name=re.compile(r"Bird-dog — bird_dog\.mp4"))).to_be_visible()
    print(f"\n[review] bird_dog.mp4 analysed in {time.monotonic() - t0:.1f} s (upload to results on the page)")

    # The first thing a user does after the analysis: play the video, download the report.
    video_after = {}
    try:
        page.locator('[data-testid="stVideo"]').first.evaluate(
            "v => { v.muted = true; v.currentTime = 5; window.__reviewVideo = v; return v.play(); }")
        page.wait_for_function("() => window.__reviewVideo.currentTime > 5.3", timeout=15_000)
    except Exception as e:  # noqa: BLE001 - only the video check depends on it
        video_after["error"] = f"the annotated video does not play: {e}"
    with page.expect_download() as info:
        page.get_by_role("button", name="Download report (JSON)").click()
    dl = info.value
    download = {"name": dl.suggested_filename, "text": Path(dl.path()).read_text()}
    page.wait_for_timeout(1000)
    wait_idle(page)
    if not video_after:
        video_after = page.locator('[data-testid="stVideo"]').first.evaluate(
            "v => ({same: v === window.__reviewVideo, t: v.currentTime, paused: v.paused})")
    page.evaluate("() => document.querySelectorAll('video').forEach(v => v.pause())")
    yield Reviewed(page, download, video_after)
    page.context.close()


def test_review_upload_shows_reps_video_chart_and_report(reviewed, app, shots):
    page = reviewed.page
    assert page.get_by_text("Traceback").count() == 0
    assert metric_value(page, "Reps left / right") == "1 / 1"
    expect(page.get_by_role("heading", name=re.compile(r"Bird-dog — bird_dog\.mp4"))).to_be_visible()

    video = page.locator('[data-testid="stVideo"] video, video[data-testid="stVideo"]').first
    expect(video).to_have_attribute("src", re.compile(r".+"))
    page.wait_for_function("v => v.readyState >= 1 && v.duration > 0", arg=video.element_handle(), timeout=30_000)
    duration = video.evaluate("v => v.duration")
    assert 13.0 < duration < 15.5, f"annotated video lasts {duration} s"

    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    expect(chart.locator("canvas, svg").first).to_be_visible(timeout=30_000)
    box = chart.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100, f"chart box {box}"

    expect(page.get_by_text("Knee up to hip level").first).to_be_visible()  # the fault table

    assert reviewed.download["name"] == "bird_dog.bird_dog.report.json"
    report = json.loads(reviewed.download["text"])
    assert report["report_version"] == 2
    assert report["exercise"] == "bird_dog"
    assert report["summary"]["goal"]["kind"] == "reps"
    assert report["summary"]["goal"]["done"] == {"left": 1, "right": 1}
    assert {r["side"] for r in report["reps"]} == {"left", "right"}

    # a frame from the first rep (leg and arm extended) for the picture
    with contextlib.suppress(Exception):
        video.evaluate("v => new Promise(ok => { v.addEventListener('seeked', ok, {once: true}); v.currentTime = 3.5; "
                       "setTimeout(ok, 3000); })")
    screenshot(page, shots / "review.png")


def test_review_rejects_a_file_that_is_not_a_video(app, plain_browser, workdir):
    fake = workdir / "not_a_video.mp4"
    fake.write_text("this is a text file, not a video\n" * 20)
    page = new_page(plain_browser)
    try:
        page.goto(app.url + "/review")
        expect(page.get_by_role("heading", name="Review a clip")).to_be_visible(timeout=60_000)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(fake))
        expect(page.locator('[data-testid="stFileUploader"]')).to_contain_text("not_a_video.mp4", timeout=30_000)
        analyse = page.get_by_role("button", name="Analyse")
        expect(analyse).to_be_enabled(timeout=30_000)
        wait_idle(page)
        analyse.click()
        err = page.locator('[data-testid="stAlertContentError"]').first
        expect(err).to_be_visible(timeout=60_000)
        text = err.inner_text().strip()
        print(f"\n[review] error shown for a non-video upload: {text!r}")
        assert "not_a_video.mp4" in text or "video" in text.lower(), text
        assert "\n" not in text and len(text) < 300, f"not a one-line message: {text!r}"
        assert page.get_by_text("Traceback").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_role("button", name="Download report (JSON)").count() == 0
    finally:
        page.context.close()


def test_review_chart_fits_its_column(reviewed):
    chart = reviewed.page.locator('[data-testid="stVegaLiteChart"]').first
    over = chart.evaluate("""e => {
      const g = e.querySelector('canvas, svg');
      return Math.round(g.getBoundingClientRect().right - e.getBoundingClientRect().right); }""")
    print(f"\n[review] the chart reaches {over} px past its column")
    assert over <= 2, f"the chart is {over} px wider than its column (clipped on the right)"


def test_review_video_keeps_playing_while_downloading(reviewed):
    state = reviewed.video_after
    print(f"\n[review] the annotated video after the first download: {state}")
    assert "error" not in state, state["error"]
    assert state["same"] and not state["paused"] and state["t"] > 5, f"after the download: {state}"


# ------------------------------------------------------------------ 4. tune thresholds


def test_tune_changes_result_and_saves_a_profile(reviewed, app, shots):
    page = reviewed.page
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Tune thresholds").click()
    expect(page.get_by_role("heading", name="Tune thresholds")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"Clip:\s*bird_dog\.mp4"))).to_be_visible()
    expect(slider(page, "rep_up_deg (deg)")).to_be_visible()
    assert slider_value(page, "rep_up_deg (deg)") == defaults(pose_rules.RULES["bird_dog"])["rep_up_deg"]
    assert metric_value(page, "Reps left / right") == "1 / 1"
    expect(page.locator('[data-testid="stVegaLiteChart"]').first.locator("canvas, svg").first).to_be_visible()

    # rep_min_top_s (timing expander) to its maximum, 10 s: no rep in this clip is held that long
    page.get_by_text("Timing: hold grace, cue delay, smoothing, targets").click()
    thumb = slider_thumb(page, "rep_min_top_s (s)")
    thumb.focus()
    thumb.press("End")
    expect(thumb).to_have_value("10")
    wait_idle(page)
    expect(metric(page, "Reps left / right").locator('[data-testid="stMetricValue"]')
           ).to_have_text("0 / 0", timeout=30_000)
    expect(page.get_by_text("defaults 1 / 1").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Changed from the defaults: rep_min_top_s = 10"))).to_be_visible()

    name = "Browser test strict"
    box = page.get_by_label("Profile name")
    box.fill(name)
    box.press("Enter")
    wait_idle(page)
    save = page.get_by_role("button", name="Save profile")
    expect(save).to_be_enabled()
    save.click()
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(f"Saved '{name}'", timeout=30_000)
    path = app.profile_dir / "browser-test-strict.json"
    assert path.is_file(), f"no profile file in {app.profile_dir}: {list(app.profile_dir.iterdir())}"
    doc = json.loads(path.read_text())
    assert doc.get("profile") == name and doc.get("bird_dog") == {"rep_min_top_s": 10.0}, doc

    page.get_by_text("Timing: hold grace, cue delay, smoothing, targets").click()  # fold it back for the picture
    page.wait_for_timeout(800)
    screenshot(page, shots / "tune.png")

    page.get_by_role("button", name="Reset to defaults").click()
    expect(metric(page, "Reps left / right").locator('[data-testid="stMetricValue"]')
           ).to_have_text("1 / 1", timeout=30_000)
    expect(page.get_by_text("All thresholds at their defaults.")).to_be_visible()

    # the live page offers the saved profile
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Live coach").click()
    expect(page.get_by_role("heading", name="Live coach")).to_be_visible(timeout=30_000)
    options = selectbox_options(page, "Thresholds")
    assert name in options, f"Thresholds offers {options}"
