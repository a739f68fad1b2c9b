"""Time the app's review of one clip (coach.session.review.review_video, as
the Review page calls it: the upload's bytes, the model's bytes, the
annotated 720-pixel video) in one process and on all cores, alternating,
with the machine's load before each run.

    python scripts/review_speed.py ../shared/clips/polybag/bird_dog.mp4 -e bird_dog --runs 2

Prints one line per run and the median ratio. Numbers depend on what else
the machine is doing: read them with the load shown.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip")
    ap.add_argument("-e", "--exercise", required=True)
    ap.add_argument("--runs", type=int, default=2, help="runs of each (default 2)")
    ap.add_argument("--jobs", type=int, default=0, help="processes of the parallel run (default 0: one per core)")
    ap.add_argument("--variant", default="full", choices=("lite", "full", "heavy"))
    args = ap.parse_args()

    import pose_rules
    from coach.media.models import ensure_model
    from coach.session.loop import default_annotator
    from coach.session.parallel import resolve_jobs
    from coach.session.review import review_video

    data = Path(args.clip).read_bytes()
    model = ensure_model(args.variant).read_bytes()
    rule = pose_rules.get_rule(args.exercise)
    annotate = default_annotator(rule, rule.resolve(None))
    jobs = resolve_jobs(args.jobs)
    times: dict[int, list[float]] = {1: [], jobs: []}
    for run in range(args.runs):
        for j in (1, jobs):
            load = _load()
            t0 = time.perf_counter()
            res = review_video(data, rule, model=model, name=Path(args.clip).name, annotate=annotate, jobs=j)
            dt = time.perf_counter() - t0
            times[j].append(dt)
            print(f"run {run + 1}  jobs {j}:  {dt:6.1f} s  ({res.report.summary.frames} frames, "
                  f"video {len(res.video or b'') / 1e6:.1f} MB)  load before: {load}", flush=True)
    one, many = statistics.median(times[1]), statistics.median(times[jobs])
    print(f"median: one process {one:.1f} s, {jobs} processes {many:.1f} s, {one / many:.2f}x  (load now: {_load()})")


if __name__ == "__main__":
    main()
