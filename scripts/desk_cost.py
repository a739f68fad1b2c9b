#!/usr/bin/env python
"""What the desk monitor costs: CPU and memory over a simulated working day,
and on the live path with the real pose model.

    python scripts/desk_cost.py [--hours 8] [--live-minutes 10] [--all-frames-minutes 1]
                                [--no-live-path] [--clip PATH]

(a) A simulated day (``--hours``, default 8) at the 2 frames/s the Desk page
    judges: real landmark readings from devset/tracks (upright and slouched,
    side view in the morning and front view in the afternoon, standing, nobody
    in view) with a little jitter, in a day's pattern of sitting, slouching,
    short stands, breaks, coffee and lunch away. Replayed through
    :class:`coach.session.desk.DeskRun` (the engine and the sitting goal), then
    through :class:`coach.session.live.LiveSession` with a stand-in estimator
    that hands back those readings (everything the camera callback does except
    pose estimation: clock, judging, skeleton and HUD drawn on a 640x480
    picture). Prints CPU seconds, the CPU share of the simulated time, µs per
    frame, and the resident memory (VmRSS) and traced Python allocations after
    each simulated hour.
(b) ``--live-minutes N`` (default 10; 0 = skip): the real live path in real
    time: LiveSession with the real PoseEstimator (full model) fed 640x480
    frames at 30 fps (a seated clip decoded once, letterboxed, looped),
    judging 2 frames/s like the Desk page. Prints, each minute, the process
    CPU share (CPU time of all its threads over wall time, % of one core),
    the frames judged and the resident memory.
(c) ``--all-frames-minutes M`` (default 1; 0 = skip): the same live path
    judging every frame (``judge_fps`` None), to show what judging only 2
    frames a second saves.

Prints numbers, asserts nothing. Not counted: the browser (its decoding and
encoding of the WebRTC stream), the WebRTC transport and the Streamlit page.
"""
from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
TRACKS = ROOT / "devset" / "tracks"
FPS = 2.0
CAMERA = (640, 480)  # width, height


def rss_mb() -> float:
    """Resident memory now (VmRSS), MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # peak, on systems without /proc


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ----------------------------------------------------------------------------- the simulated day

def _pool(track: str, *spans: tuple[float, float]):
    from coach.core.pose import PoseTrack

    tr = PoseTrack.load(TRACKS / f"{track}.npz")
    ts = tr.timestamps
    idx = [i for i in range(len(tr)) if any(a <= ts[i] <= b for a, b in spans)]
    return [tr.frame(i) for i in idx]


def pools() -> dict:
    """Real readings for each posture (checked against the rule when --check)."""
    return {
        "sit_side": _pool("clip_kocka_krava_na_zidli", (5.4, 7.9), (14.2, 16.2)),
        "slouch_side": _pool("clip_kocka_krava_na_zidli", (1.8, 4.3), (9.8, 13.1)),
        "sit_front": _pool("clip_bocni_uklon_na_zidli", (0.0, 0.9), (7.8, 9.1)),
        "slouch_front": _pool("clip_bocni_uklon_na_zidli", (1.4, 7.0), (9.8, 15.0)),  # leaning to a side
        "stand": _pool("clip_spravny_postoj", (0.0, 17.0)),
    }


def day_schedule(hours: float, seed: int = 7) -> list[tuple[str, float]]:
    """(posture, seconds) spells for a working day: side camera in the morning,
    the laptop's front camera after lunch."""
    rng = np.random.default_rng(seed)
    total = 3600.0 * hours
    out: list[tuple[str, float]] = []
    t = 0.0
    lunch_at = total / 2
    lunched = False

    def add(kind, s):
        nonlocal t
        s = min(s, total - t)
        if s > 0:
            out.append((kind, s))
            t += s

    while t < total:
        view = "side" if t < lunch_at else "front"
        if not lunched and t >= lunch_at - 1:
            add("away", 45 * 60)
            lunched = True
            continue
        add(f"sit_{view}", float(rng.uniform(4, 12) * 60))
        add(f"slouch_{view}", float(rng.uniform(1, 8) * 60))  # slouching spells
        add(f"sit_{view}", float(rng.uniform(3, 10) * 60))
        r = rng.random()
        if r < 0.35:
            add("stand", float(rng.uniform(10, 50)))  # a short stand: no break
        elif r < 0.7:
            add("stand", float(rng.uniform(90, 300)))  # a break standing (stretch)
        elif r < 0.85:
            add("away", float(rng.uniform(4, 12) * 60))  # coffee
    return out


class DayFrames:
    """The schedule's frames at 2 frames/s, made one at a time (not kept)."""

    def __init__(self, hours: float, seed: int = 7):
        self.pools = pools()
        self.schedule = day_schedule(hours, seed)
        self.rng = np.random.default_rng(seed + 1)
        self.size = self.pools["sit_side"][0].image_size

    def __iter__(self):
        from coach.core.pose import PoseFrame

        n = 0
        rng = self.rng
        end = 0.0
        for kind, seconds in self.schedule:
            end += seconds
            while n < int(round(end * FPS)):  # cumulative: the day has exactly hours * 3600 * FPS frames
                t = n / FPS
                n += 1
                if kind == "away":
                    yield kind, PoseFrame.empty(t, self.size)
                    continue
                pool = self.pools[kind]
                base = pool[int(rng.integers(len(pool)))]
                lm = base.landmarks.copy()
                lm[:, :2] += rng.normal(0.0, 0.002, (lm.shape[0], 2)).astype(np.float32)
                yield kind, PoseFrame(lm, base.world, t, base.image_size)


def _hour_line(h, frames, cpu, rss, traced, st) -> str:
    us = 1e6 * cpu / frames if frames else 0.0
    tr = f"  traced {traced / 1024:7.1f} KiB" if traced is not None else ""
    return (f"  hour {h:2d}: frames {frames:6d}  cpu {cpu:7.2f} s ({us:6.1f} µs/frame)  RSS {rss:7.1f} MB{tr}  | "
            f"sitting {st['total_sitting_s'] / 60:5.1f} min, slouched {st['slouched_s'] / 60:5.1f} min, "
            f"breaks {st['breaks']}, reminders {st['reminders']}")


def simulate_day(hours: float, *, live_path: bool, trace: bool) -> dict:
    """One pass over the day. live_path: through LiveSession (stand-in
    estimator, 640x480 picture drawn); else DeskRun.step alone."""
    from coach.session.desk import DeskRun, stretch_suggestions
    from coach.session.speech import Announcer

    day = DayFrames(hours)
    tips = stretch_suggestions("Daily stretches")
    per_hour = int(3600 * FPS)
    if live_path:
        from coach.session.live import LiveSession

        class Replay:  # stands in for the pose estimator: the day's next reading
            frame = None

            def process(self, image, t):
                return self.frame

            def close(self):
                pass

        est = Replay()
        live = LiveSession(lambda: est, "desk_posture", countdown_s=0.0,
                           run_factory=lambda a: DeskRun(a, suggestions=tips))
        image = np.full((CAMERA[1], CAMERA[0], 3), 96, np.uint8)

        def step(frame):
            est.frame = frame
            live.process(image, frame.timestamp)

        def status():
            return live.snapshot().routine
    else:
        ann = Announcer()
        run = DeskRun(ann, suggestions=tips)

        def step(frame):
            run.step(frame)

        status = run.status

    gc.collect()
    if trace:
        tracemalloc.start()
    rss0 = rss_mb()
    traced0 = tracemalloc.get_traced_memory()[0] if trace else None
    print(f"  start:   RSS {rss0:7.1f} MB" + (f"  traced {traced0 / 1024:7.1f} KiB" if trace else ""))
    cpu_step = 0.0
    cpu_hour = 0.0
    frames = 0
    wall0, cpu_all0 = time.perf_counter(), time.process_time()
    rows = []
    pt = time.process_time
    for kind, frame in day:
        c0 = pt()
        step(frame)
        d = pt() - c0
        cpu_step += d
        cpu_hour += d
        frames += 1
        if frames % per_hour == 0:
            h = frames // per_hour
            if trace:
                gc.collect()  # what is still referenced, not garbage awaiting the cycle collector
            traced = tracemalloc.get_traced_memory()[0] if trace else None
            rss = rss_mb()
            rows.append((h, rss, traced))
            print(_hour_line(h, per_hour, cpu_hour, rss, traced, status()), flush=True)
            cpu_hour = 0.0
    wall = time.perf_counter() - wall0
    cpu_all = time.process_time() - cpu_all0
    st = status()
    if trace:
        gc.collect()
    traced_end, traced_peak = tracemalloc.get_traced_memory() if trace else (None, None)
    if trace:
        tracemalloc.stop()
    sim_s = frames / FPS
    print(f"  frames {frames} ({sim_s / 3600:.2f} h simulated) in {wall:.1f} s wall; CPU in the "
          f"{'LiveSession.process' if live_path else 'DeskRun.step'} calls {cpu_step:.2f} s = "
          f"{1e6 * cpu_step / frames:.1f} µs/frame = {100 * cpu_step / sim_s:.4f} % of one core over the day "
          f"(with making the frames: {cpu_all:.2f} s)")
    print(f"  RSS start {rss0:.1f} MB, end {rss_mb():.1f} MB (peak {peak_rss_mb():.1f} MB)"
          + (f"; traced Python memory start {traced0 / 1024:.1f} KiB, end {traced_end / 1024:.1f} KiB, "
             f"peak {traced_peak / 1024:.1f} KiB" if trace else ""))
    print(f"  the day: sitting {st['total_sitting_s'] / 3600:.2f} h, slouched {st['slouched_s'] / 60:.0f} min, "
          f"breaks {st['breaks']}, reminders {st['reminders']}")
    return {"frames": frames, "cpu": cpu_step, "rows": rows}


# ----------------------------------------------------------------------------- the live path

def camera_frames(clip: Path) -> list[np.ndarray]:
    """The clip decoded once at camera size: letterboxed into 640x480 (a
    portrait clip gets black bars, as a webcam picture of a seated person
    would have a room around them). Kept at the clip's own scaled size; the
    canvas is filled per frame."""
    from coach.media.video import iter_frames

    return [img for img, _t in iter_frames(clip, max_side=CAMERA[1])]


class Camera:
    """Frames at 30 fps, looping the clip; each frame a fresh 640x480 array (a camera's)."""

    def __init__(self, frames: list[np.ndarray]):
        self.frames = frames
        self.i = 0

    def next(self) -> np.ndarray:
        src = self.frames[self.i % len(self.frames)]
        self.i += 1
        h, w = src.shape[:2]
        out = np.zeros((CAMERA[1], CAMERA[0], 3), np.uint8)
        y, x = (CAMERA[1] - h) // 2, (CAMERA[0] - w) // 2
        out[y:y + h, x:x + w] = src[:CAMERA[1], :CAMERA[0]]
        return out


def live_run(model: Path, frames: list[np.ndarray], minutes: float, *, every_frame: bool, fps: float = 30.0):
    """Real time: a frame every 1/fps s (skipped, not queued, when the coach is
    behind: the newest frame wins, as in the WebRTC callback)."""
    from coach.media.estimator import PoseEstimator
    from coach.session.desk import DeskRun, stretch_suggestions
    from coach.session.live import LiveSession
    from pose_rules import get_rule

    rule = get_rule("desk_posture")
    calls = [0, 0.0]  # estimator calls, seconds in them

    class Counted:
        def __init__(self):
            self.est = PoseEstimator(model)

        def process(self, image, t):
            t0 = time.perf_counter()
            f = self.est.process(image, t)
            calls[0] += 1
            calls[1] += time.perf_counter() - t0
            return f

        def close(self):
            self.est.close()

    tips = stretch_suggestions("Daily stretches")
    if every_frame:
        rule.judge_fps = None  # this run only (restored below)
    try:
        live = LiveSession(Counted, "desk_posture", countdown_s=0.0,
                           run_factory=lambda a: DeskRun(a, suggestions=tips))
        cam = Camera(frames)
        live.process(cam.next(), 0.0)  # the model's start-up, not counted
        period = 1.0 / fps
        calls[0], calls[1] = 0, 0.0
        start = time.perf_counter()
        cpu0 = time.process_time()
        minute_wall, minute_cpu, minute_calls, minute_frames, minute_skipped = start, cpu0, 0, 0, 0
        shown, skipped, k = 0, 0, 1
        proc_time = 0.0
        end = start + 60.0 * minutes
        m = 0
        while True:
            now = time.perf_counter()
            if now >= end:
                break
            due = start + k * period
            if now < due:
                time.sleep(due - now)
                now = time.perf_counter()
            late = int((now - due) / period)  # frames that came while the coach was busy: skipped
            if late:
                skipped += late
                k += late
                cam.i += late
            img = cam.next()
            t = 1.0 + k * period  # frame time (after the start-up frame at 0)
            k += 1
            p0 = time.perf_counter()
            live.process(img, t)
            proc_time += time.perf_counter() - p0
            shown += 1
            if now - minute_wall >= 60.0 - 1e-6:
                m += 1
                cpu, wall = time.process_time(), time.perf_counter()
                snap = live.snapshot()
                share = 100.0 * (cpu - minute_cpu) / (wall - minute_wall)
                print(f"  minute {m:2d}: CPU {share:5.1f} % of one core  frames {shown - minute_frames:5d} "
                      f"(skipped {skipped - minute_skipped})  judged {calls[0] - minute_calls:4d}  "
                      f"RSS {rss_mb():7.1f} MB  load {os.getloadavg()[0]:4.2f}  | sitting {snap.routine['sitting_s']:6.1f} s, "
                      f"posture {snap.routine['posture']}", flush=True)
                minute_wall, minute_cpu, minute_calls = wall, cpu, calls[0]
                minute_frames, minute_skipped = shown, skipped
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu0
        snap = live.snapshot()
        live.stop()
        live.close()  # closes the estimator
    finally:
        if every_frame:
            del rule.judge_fps
    judged = calls[0]
    print(f"  {'every frame' if every_frame else '2 frames/s'}: {wall:.0f} s wall, process CPU {cpu:.1f} s = "
          f"{100 * cpu / wall:.1f} % of one core ({100 * cpu / wall / (os.cpu_count() or 1):.1f} % of the "
          f"{os.cpu_count()} cores); frames {shown} shown ({shown / wall:.1f}/s), {skipped} skipped; judged {judged} "
          f"({judged / wall:.2f}/s), pose estimation {1000 * calls[1] / max(judged, 1):.1f} ms each; "
          f"LiveSession.process {1000 * proc_time / max(shown, 1):.2f} ms per frame on average; "
          f"RSS {rss_mb():.1f} MB (peak {peak_rss_mb():.1f} MB); frames judged by the engine {snap.frames}")
    return {"wall": wall, "cpu": cpu, "judged": judged, "shown": shown, "skipped": skipped}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=8.0, help="simulated day length (default 8)")
    ap.add_argument("--live-minutes", type=float, default=10.0, help="real-time live run with the pose model (0: skip)")
    ap.add_argument("--all-frames-minutes", type=float, default=1.0,
                    help="the live run judging every frame, for comparison (0: skip)")
    ap.add_argument("--no-live-path", action="store_true", help="(a) without the LiveSession pass")
    ap.add_argument("--no-day", action="store_true", help="skip (a), the simulated day")
    ap.add_argument("--clip", default=str(SHARED / "clips" / "polybag" / "kocka_krava_na_zidli.mp4"))
    ap.add_argument("--model", default=None, help="pose model bundle (default: the installed full model)")
    args = ap.parse_args()
    if args.hours <= 0 or args.live_minutes < 0 or args.all_frames_minutes < 0:
        print("desk_cost: --hours must be > 0, the minutes >= 0", file=sys.stderr)
        return 2

    print(f"machine: {os.cpu_count()} CPU cores; python {sys.version.split()[0]}; pid {os.getpid()}")
    if not args.no_day:
        print(f"(a) a simulated {args.hours:g}-hour day at {FPS:g} frames/s ({int(args.hours * 3600 * FPS)} frames)")
        print(" DeskRun.step (engine + sitting goal), timed:")
        simulate_day(args.hours, live_path=False, trace=False)
        print(" DeskRun.step again, with tracemalloc (slower; for the memory):")
        simulate_day(args.hours, live_path=False, trace=True)
    if not args.no_day and not args.no_live_path:
        print(" LiveSession.process with a stand-in estimator (640x480 picture drawn), timed:")
        simulate_day(args.hours, live_path=True, trace=False)

    if args.live_minutes or args.all_frames_minutes:
        from coach.media.models import ModelError, ensure_model

        clip = Path(args.clip)
        if not clip.is_file():
            print(f"desk_cost: no clip at {clip}: the live runs are skipped", file=sys.stderr)
            return 0
        try:
            model = Path(args.model) if args.model else ensure_model("full", None, log=lambda m: None)
        except ModelError as e:
            print(f"desk_cost: no pose model ({e}): the live runs are skipped", file=sys.stderr)
            return 0
        frames = camera_frames(clip)
        mb = sum(f.nbytes for f in frames) / 2**20
        print(f"camera: {len(frames)} frames of {clip.name} at {frames[0].shape[1]}x{frames[0].shape[0]} "
              f"letterboxed into {CAMERA[0]}x{CAMERA[1]}, looped at 30 fps; the decoded clip holds {mb:.0f} MB "
              f"of the RSS below; model {model}")
        if args.live_minutes:
            print(f"(b) live, judging 2 frames/s (the Desk page), {args.live_minutes:g} min in real time:")
            live_run(model, frames, args.live_minutes, every_frame=False)
        if args.all_frames_minutes:
            print(f"(c) live, judging every frame, {args.all_frames_minutes:g} min in real time:")
            live_run(model, frames, args.all_frames_minutes, every_frame=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
