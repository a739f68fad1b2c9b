#!/usr/bin/env python
"""How fast the live coach handles camera frames, without a browser.

    python scripts/benchmark_live.py [--clip PATH] [--model PATH] [--exercise bird_dog]
                                     [--max-side 640] [--camera-fps 30]

Feeds a clip's frames, at camera size, through :class:`coach.session.live.LiveSession`
(pose inference + setup check / engine + overlay drawing: everything the
streamlit-webrtc callback does except the WebRTC transport) and prints:

* ms per frame (mean, median, p90) and the frames per second that sustains;
* what share of a ``--camera-fps`` camera's frames the coach judges when the
  newest frame always wins (the rest are skipped, never queued);
* the cue latency in frame time: how long after a fault begins its cue is on
  the overlay (the engine's cue_delay_s by design, plus smoothing).

Prints numbers, asserts nothing. The browser test (tests/test_browser.py)
measures the end-to-end display latency through a real WebRTC connection.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default=str(SHARED / "clips" / "polybag" / "bird_dog.mp4"))
    ap.add_argument("--model", default=None, help="pose model bundle (default: ../shared full, else installed)")
    ap.add_argument("--exercise", default="bird_dog")
    ap.add_argument("--max-side", type=int, default=640, help="camera frame size (longer side)")
    ap.add_argument("--camera-fps", type=float, default=30.0)
    args = ap.parse_args()

    from coach.media.estimator import PoseEstimator
    from coach.session.live import LiveSession
    from coach.media.models import ensure_model
    from coach.media.video import iter_frames

    model = args.model or (SHARED / "models" / "pose_landmarker_full.task")
    if not Path(model).is_file():
        model = ensure_model()
    frames = list(iter_frames(args.clip, max_side=args.max_side))
    h, w = frames[0][0].shape[:2]
    session = LiveSession(lambda: PoseEstimator(model), args.exercise, countdown_s=0.0, setup_hold_s=0.5)
    session.process(frames[0][0], frames[0][1])  # model start-up, not counted
    times, lags = [], []
    run_start, prev_cue = None, None
    for img, t in frames[1:]:
        t0 = time.perf_counter()
        session.process(img, t)
        times.append(time.perf_counter() - t0)
        s = session.snapshot()
        run_start = (run_start if run_start is not None else t) if s.status == "fault" else None
        if s.cue and s.cue != prev_cue and run_start is not None:
            lags.append(t - run_start)  # fault began (as judged) -> its cue on the overlay
        prev_cue = s.cue
    ms = [1000 * x for x in times]
    mean = statistics.mean(ms)
    p90 = sorted(ms)[int(0.9 * (len(ms) - 1))]
    sustain = 1000.0 / mean
    share = min(1.0, sustain / args.camera_fps)
    summary = session.stop()
    print(f"clip {Path(args.clip).name}: {len(frames)} frames at {w}x{h}, exercise {args.exercise}, model {Path(model).name}")
    print(f"per frame (inference + coach + overlay): mean {mean:.1f} ms, median {statistics.median(ms):.1f} ms, p90 {p90:.1f} ms")
    print(f"sustained: {sustain:.1f} frames/s -> judges {100 * share:.0f}% of a {args.camera_fps:.0f} fps camera's frames "
          f"(newest frame wins; the picture lags by one frame's processing, ~{mean:.0f} ms)")
    if lags:
        print(f"fault -> cue on the overlay: {', '.join(f'{1000 * x:.0f}' for x in lags)} ms of frame time "
              f"(cue_delay_s = 500 ms by design; a fault must persist that long)")
    print(f"summary: {summary.progress.text()}")
    session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
