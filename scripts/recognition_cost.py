#!/usr/bin/env python
"""What recognising the exercise costs per frame (coach.engine.recognize).

    python scripts/recognition_cost.py [--labels devset/labels.json] [--repeat 3]

Over every detected frame of the labelled tracks (each file once), best of
``--repeat`` runs, in ms per frame:

* each judged rule's own ``evaluate`` (a Body per rule), for comparison;
* the rules judging one shared Body (``Recognizer``'s way);
* ``classify`` (the choice among the rules in position);
* ``Recognizer.update`` (with the hysteresis);
* each rule alone.

Prints a table; never asserts.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coach.core.pose import PoseFrame  # noqa: E402
from coach.engine.recognize import Recognizer, _Judge  # noqa: E402
from coach.evaluation.evaluate import TrackCache  # noqa: E402
from coach.evaluation.labels import load_labels  # noqa: E402


def best_ms(fn, frames, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for f in frames:
            fn(f)
        best = min(best, time.perf_counter() - t0)
    return 1000.0 * best / len(frames)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", default=str(ROOT / "devset" / "labels.json"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cache = TrackCache(None, None)
    frames, seen = [], set()
    for item in load_labels(args.labels):
        if item.path in seen or item.kind in ("clips", "stills"):
            continue
        seen.add(item.path)
        frames += [f for f in cache.track(item) if f.detected]
    judge = _Judge(None, None)
    # one stream in time order for the recogniser
    stream = [PoseFrame._trusted(f.landmarks, f.world, i / 30.0, f.image_size, True) for i, f in enumerate(frames)]
    rec = Recognizer()

    def recognise(f):
        rec.update(f)

    rows = [
        ("every rule's own evaluate (a Body each)",
         best_ms(lambda f: [r.evaluate(f, th) for r, th in zip(judge.rules, judge.th)], frames, args.repeat)),
        ("the rules on one shared Body", best_ms(judge.verdicts, frames, args.repeat)),
        ("classify (the choice)", best_ms(judge.classify, frames, args.repeat)),
    ]
    rec.reset()
    rows.append(("Recognizer.update (with hysteresis)", best_ms(recognise, stream, 1)))
    print(f"{len(frames)} detected frames, {len(judge.rules)} judged rules; Python {platform.python_version()}, "
          f"{platform.machine()} ({platform.processor() or 'cpu'})")
    for name, ms in rows:
        print(f"  {name:42} {ms:6.3f} ms/frame")
    print("  each rule alone:")
    for r, th in zip(judge.rules, judge.th):
        print(f"    {r.name:20} {best_ms(lambda f: r.evaluate(f, th), frames, args.repeat):6.3f} ms/frame")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
