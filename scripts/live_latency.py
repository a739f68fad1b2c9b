#!/usr/bin/env python
"""Live latency in Chromium: frame to HUD, frame to cue, frame to speech.

    python scripts/live_latency.py [--seconds 40] [--model PATH] [--json FILE]

Needs Chromium (``apt-get install chromium``) and the shared photos beside
the checkout (``../shared/clips``). Prints numbers, asserts nothing.

Chromium's fake camera plays a test pattern: a real plank photo held 8 s,
an empty picture, a kneeling photo (not a plank) 6 s, an empty picture,
looping; every frame carries its number in a band along the top
(:mod:`coach.evaluation.latency`). In the page, a copy of the camera track
notes when each numbered frame was captured; the app runs as it is, except
that its HUD also names the frame it shows (``scripts/latency_probe_app.py``).
Browser and server share one wall clock, so:

* **frame to HUD**: capture of the frame the HUD shows -> the HUD update in
  the page (every update);
* **status change**: capture of the frame whose judgement first gave a new
  status -> the HUD showing it (the pipeline), and capture of the first
  frame of the new picture -> the HUD showing its status (adds the engine's
  smoothing, by design);
* **cue**: capture of the frame whose judgement raised the cue -> the cue on
  the HUD, and -> the cue handed to the browser's speech (``at`` in
  ``window.__coachSpoken``).

The capture time is the camera frame's ``captureTime`` where Chromium gives
one (``requestVideoFrameCallback``), else when the page's copy of the track
showed it (a little later: the latencies are then a little low).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
PHOTOS = ROOT.parent / "shared" / "clips" / "free_exercise_db"
FPS = 15
#: (photo, seconds, the status its frames should give) of one loop of the pattern
PATTERN = [(None, 2.0, None), ("Plank/1.jpg", 8.0, "good"), (None, 1.5, None),
           ("Plank/0.jpg", 6.0, "not_in_position"), (None, 1.5, None)]

# In every frame of the page (the camera component's iframe too): a copy of the
# camera track, read frame by frame; window.__captures gets [number, capture ms, shown ms].
CAPTURE_JS = """(() => {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia || md.__coachProbe) return;
  md.__coachProbe = true;
  const orig = md.getUserMedia.bind(md), readCode = %(read)s;
  window.__captures = [];
  md.getUserMedia = async (constraints) => {
    const stream = await orig(constraints);
    const track = stream.getVideoTracks()[0];
    if (!track) return stream;
    const v = document.createElement('video');
    v.muted = true; v.playsInline = true; v.autoplay = true;
    v.style.cssText = 'position:fixed;left:0;top:0;width:16px;height:16px;opacity:0.01;pointer-events:none';
    v.srcObject = new MediaStream([track.clone()]);
    (document.body || document.documentElement).appendChild(v);
    const cv = document.createElement('canvas'), ctx = cv.getContext('2d', {willReadFrequently: true});
    const onFrame = (now, meta) => {
      const w = v.videoWidth, h = v.videoHeight;
      if (w && h) {
        const band = Math.max(2, Math.floor(w / %(cells)d));
        if (cv.width !== w || cv.height !== band) { cv.width = w; cv.height = band; }
        ctx.drawImage(v, 0, 0, w, band, 0, 0, w, band);
        const code = readCode(ctx, w, h);
        const shown = Date.now();
        const cap = meta.captureTime ? performance.timeOrigin + meta.captureTime : null;
        if (code !== null) window.__captures.push([code, cap, shown]);
      }
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
    v.play().catch(() => {});
    return stream;
  };
})();"""


def make_pattern(dst: Path) -> list[tuple[int, int, str | None]]:
    """The pattern's y4m file; returns each segment's (first frame, end frame, status)."""
    from webcam import photos_to_y4m

    segments, spans, n = [], [], 0
    for photo, seconds, status in PATTERN:
        segments.append((None if photo is None else PHOTOS / photo, seconds, False))
        k = int(round(seconds * FPS))
        spans.append((n, n + k, status))
        n += k
    photos_to_y4m(segments, dst, max_side=640, fps=FPS, numbered=True)
    return spans


def run(seconds: float, model: Path, work: Path) -> dict:
    from playwright.sync_api import sync_playwright

    from browser_support import hud, hud_log, launch_chromium, new_page, open_live, spoken, stop_live, \
        streamlit_server
    from coach.evaluation.latency import CELLS, READ_CODE_JS

    y4m = work / "pattern.y4m"
    spans = make_pattern(y4m)
    with streamlit_server(work, model, script="scripts/latency_probe_app.py") as app, sync_playwright() as pw:
        browser = launch_chromium(pw, y4m)
        try:
            page = new_page(browser)
            page.context.add_init_script(CAPTURE_JS % {"read": READ_CODE_JS, "cells": CELLS})
            open_live(page, app, None)  # the plank, no countdown
            t0, cpu0 = time.monotonic(), _cpu_seconds(app.proc.pid)
            while time.monotonic() - t0 < seconds:
                page.wait_for_timeout(1000)
            server_cpu = (_cpu_seconds(app.proc.pid) - cpu0) / (time.monotonic() - t0)
            last = hud(page)
            captures = []
            for f in page.frames:  # the camera component's iframe asked for the camera
                got = f.evaluate("window.__captures || []")
                if len(got) > len(captures):
                    captures = got
            log, said = hud_log(page), spoken(page)
            stop_live(page)
        finally:
            browser.close()
    return {"captures": captures, "hud": log, "spoken": said, "spans": spans, "last": last,
            "server_cpu": server_cpu}


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process so far, in seconds (Linux)."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def analyse(raw: dict) -> dict:
    from coach.evaluation.latency import Capture, CaptureIndex, frame_latencies, summarise

    caps = raw["captures"]
    with_capture_time = sum(1 for c in caps if c[1] is not None)
    idx = CaptureIndex(Capture(int(c[0]), float(c[1] if c[1] is not None else c[2])) for c in caps)
    log = [e for e in raw["hud"] if e.get("phase") == "coaching"]

    def code(e, key):
        v = e.get(key)
        return int(v) if v not in (None, "") else None

    every = frame_latencies(idx, ((code(e, "probe"), float(e["now"])) for e in log))
    status_pipe, status_onset, cue_pipe, cue_hud_at = [], [], [], {}
    spans = raw["spans"]
    prev_status, prev_cue = None, None
    for e in log:
        now = float(e["now"])
        status, cue = e.get("status") or "", e.get("cue") or ""
        if status != prev_status and prev_status is not None:
            sf = code(e, "statusFrame")
            status_pipe += frame_latencies(idx, [(sf, now)])
            seg = next((s for s in spans if sf is not None and s[0] <= sf < s[1]), None)
            if seg is not None and seg[2] == status:  # the status this picture should give
                status_onset += frame_latencies(idx, [(seg[0], now)])
        if cue and cue != prev_cue:
            cf = code(e, "cueFrame")
            cue_pipe += frame_latencies(idx, [(cf, now)])
            cue_hud_at.setdefault(cue, []).append((cf, now))
        prev_status, prev_cue = status, cue
    spoken_lat = []
    for s in raw["spoken"]:
        if s.get("kind") != "cue" or s.get("at") is None:
            continue
        shown = [(cf, t) for cf, t in cue_hud_at.get(s["text"], []) if abs(t - float(s["at"])) < 2000]
        if shown:
            cf = min(shown, key=lambda p: abs(p[1] - float(s["at"])))[0]
            spoken_lat += frame_latencies(idx, [(cf, float(s["at"]))])
    # where the time goes, for the HUD updates: capture -> the server's frame callback -> judged -> HUD
    arrive, judge, deliver = [], [], []
    for e in log:
        c = code(e, "probe")
        cap = idx.at(c, float(e["now"])) if c is not None else None
        if cap is None or not e.get("arrivedMs") or not e.get("processedMs") or float(e["now"]) - cap > 5000:
            continue
        arrive.append(float(e["arrivedMs"]) - cap)
        judge.append(float(e["processedMs"]) - float(e["arrivedMs"]))
        deliver.append(float(e["now"]) - float(e["processedMs"]))
    frames = [int(e["frames"]) for e in log if e.get("frames")]
    return {
        "captures": len(caps), "captures_with_capture_time": with_capture_time, "hud_updates": len(log),
        "frames_judged": frames[-1] if frames else 0, "dropped": raw["last"].get("dropped"),
        "server_cpu_share": raw.get("server_cpu"),
        "frame_to_hud": summarise(every), "status_change_pipeline": summarise(status_pipe),
        "status_change_from_picture": summarise(status_onset), "cue_on_hud": summarise(cue_pipe),
        "cue_spoken": summarise(spoken_lat),
        "capture_to_server": summarise(arrive), "server_judging": summarise(judge),
        "judged_to_hud": summarise(deliver),
    }


def main() -> int:
    from coach.evaluation.latency import fmt

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=40.0, help="how long to measure (default 40)")
    ap.add_argument("--model", default=str(ROOT.parent / "shared" / "models" / "pose_landmarker_full.task"))
    ap.add_argument("--json", metavar="FILE", help="also write the numbers (and the raw records) to FILE")
    args = ap.parse_args()
    from browser_support import chromium_path

    if chromium_path() is None:
        print("live_latency: Chromium not found (apt-get install chromium)", file=sys.stderr)
        return 2
    missing = [str(PHOTOS / p) for p, _, _ in PATTERN if p is not None and not (PHOTOS / p).exists()]
    missing += [] if Path(args.model).exists() else [f"the model {args.model}"]
    if missing:
        print(f"live_latency: not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="coach-latency-") as tmp:
        raw = run(args.seconds, Path(args.model), Path(tmp))
    res = analyse(raw)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"live latency, Chromium fake camera {FPS} frames/s, {args.seconds:.0f} s, "
          f"{platform.machine()} load {' '.join(load)}")
    print(f"  frames judged {res['frames_judged']}, skipped {res['dropped']}; HUD updates {res['hud_updates']}; "
          f"captures noted {res['captures']} ({res['captures_with_capture_time']} with the camera's capture time)")
    if res.get("server_cpu_share") is not None:
        print(f"  the app's server process used {100 * res['server_cpu_share']:.0f} % of one core")
    rows = [("frame -> HUD (every update)", "frame_to_hud"),
            ("status change, judged frame -> HUD", "status_change_pipeline"),
            ("status change, new picture -> HUD (smoothing incl.)", "status_change_from_picture"),
            ("cue, judged frame -> HUD", "cue_on_hud"),
            ("cue, judged frame -> speech", "cue_spoken"),
            ("  of frame -> HUD: capture -> server", "capture_to_server"),
            ("  of frame -> HUD: judging (pose, engine, drawing)", "server_judging"),
            ("  of frame -> HUD: judged -> HUD in the page", "judged_to_hud")]
    for label, key in rows:
        print(f"  {label:52s} {fmt(res[key])}")
    if args.json:
        Path(args.json).write_text(json.dumps({"result": res, "raw": raw}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
