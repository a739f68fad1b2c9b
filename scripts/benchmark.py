#!/usr/bin/env python
"""Whole-process speed of `coach analyze` against the typical peer pipeline, in one run.

    .venv/bin/python scripts/benchmark.py [--clips CLIP|long ...] [--rounds 3] [--jobs 0]
                                          [--sequential] [--json FILE] [--skip-setup]

The peer pipeline (``scripts/peer_pipeline.py``): sequential OpenCV decoding
plus MediaPipe's legacy ``mp.solutions.pose`` (video mode, model_complexity 1:
the "full" landmark model), ``mediapipe==0.10.21`` in a virtual environment of
its own, made once in a cache folder (``~/.cache/coach-bench/peer-venv``;
``$COACH_BENCH_CACHE`` or ``--cache-dir`` for another place). Ours:
``coach analyze CLIP -e EXERCISE -q --jobs N --variant full`` with the full
model, through this Python (the project's venv).

For each clip it runs ``--rounds`` rounds; a round runs the peer and ours
(``--sequential``: also ours with ``--jobs 1``) one after the other, the order
reversed every other round so a drift of the machine's load hits both alike,
and times each whole process, start to exit. Prints a table per clip: every
round's seconds, the medians and the ratio peer / this (above 1: faster than
the peer), the median CPU seconds (user + system, workers included), and the
machine's core count and load (/proc/loadavg) before and after.

Clips: ``../shared/clips/polybag/bird_dog.mp4`` and ``long``: that clip looped
5 times (71 s, 2135 frames, 1080x1920), re-encoded once with libx264 (PyAV) at
full size into the cache folder (``--long-max-side 1280``: scaled to 720x1280,
the size of a 720p webcam recording; each size is made once and kept). A long
clip is made again only when its source's content changes (SHA-256), not when
the source is merely copied again.

Prints numbers and asserts nothing. Bad input (a missing clip, no network for
the peer venv, ...): one line on stderr, exit 2.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEFAULT_CLIP = SHARED / "clips" / "polybag" / "bird_dog.mp4"
SHARED_FULL_MODEL = SHARED / "models" / "pose_landmarker_full.task"
PEER_SCRIPT = ROOT / "scripts" / "peer_pipeline.py"
PEER_REQUIREMENT = "mediapipe==0.10.21"
PEER_LABEL = "peer: OpenCV + mp.solutions.pose"
#: in --clips: the long clip (--long-source looped --long-loops times)
LONG = "long"
LONG_LOOPS = 5
READY_MARK = ".coach-bench-ready"

perf = time.perf_counter


class BenchError(Exception):
    """Ends the benchmark with one line on stderr and exit status ``code``."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- arguments


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"benchmark: error: {message} (see `{self.prog} --help`)\n")


def _count(minimum: int):
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if n < minimum:
            raise argparse.ArgumentTypeError(f"expected {minimum} or more, got {n}")
        return n
    return parse


def default_cache_dir() -> Path:
    if os.environ.get("COACH_BENCH_CACHE"):
        return Path(os.environ["COACH_BENCH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "coach-bench"


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="benchmark.py", description=__doc__.splitlines()[0])
    p.add_argument("--clips", nargs="+", metavar="CLIP", default=[str(DEFAULT_CLIP), LONG],
                   help=f"video files; '{LONG}': the long clip (default: {DEFAULT_CLIP.name} and {LONG})")
    p.add_argument("--rounds", type=_count(1), default=3, metavar="N", help="rounds per clip (default 3)")
    p.add_argument("--jobs", type=_count(0), default=0, metavar="N",
                   help="ours: coach analyze --jobs N (default 0: one process per core)")
    p.add_argument("--sequential", action="store_true", help="also time ours with --jobs 1")
    p.add_argument("--ours-only", action="store_true", help="no peer runs (and no peer venv)")
    p.add_argument("-e", "--exercise", default="bird_dog", help="ours: the exercise (default bird_dog)")
    p.add_argument("--model", metavar="PATH",
                   help="ours: the pose model bundle (default: ../shared full model, else the installed one)")
    p.add_argument("--json", metavar="FILE", help="save the results as JSON (a new file)")
    p.add_argument("--cache-dir", metavar="DIR", type=Path, default=None,
                   help="where the peer venv and the long clip are kept (default ~/.cache/coach-bench)")
    p.add_argument("--peer-python", metavar="PY", default=sys.executable,
                   help="the Python that makes the peer venv (3.9-3.12; default: this one)")
    p.add_argument("--skip-setup", action="store_true",
                   help="never create the peer venv or the long clip: use them as they are, or stop")
    p.add_argument("--setup-only", action="store_true", help="create the peer venv and the long clip, then stop")
    p.add_argument("--long-source", metavar="CLIP", default=str(DEFAULT_CLIP),
                   help=f"the clip the long clip loops (default {DEFAULT_CLIP.name})")
    p.add_argument("--long-loops", type=_count(1), default=LONG_LOOPS, metavar="N",
                   help=f"how many times (default {LONG_LOOPS})")
    p.add_argument("--long-max-side", type=_count(16), default=None, metavar="PIXELS",
                   help="scale the long clip so that its longer side is at most PIXELS "
                        "(e.g. 1280 for a 720p recording; default: the source's size)")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    if args.cache_dir is None:
        args.cache_dir = default_cache_dir()
    return args


# ----------------------------------------------------------------------------- clips


def probe(path: Path) -> dict:
    """Frames, duration and size of a video (PyAV); BenchError when it is not one."""
    import av

    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                raise BenchError(f"{path}: no video stream")
            s = c.streams.video[0]
            frames = s.frames or 0
            if s.duration is not None and s.time_base is not None:
                duration = float(s.duration * s.time_base)
            elif c.duration:
                duration = c.duration / 1_000_000
            else:
                duration = 0.0
            if frames == 0:  # not in the header: count the packets
                frames = sum(1 for pk in c.demux(s) if pk.size)
            return {"frames": frames, "duration_s": round(duration, 3), "size": [s.width, s.height],
                    "fps": float(s.average_rate) if s.average_rate else None}
    except BenchError:
        raise
    except Exception as e:  # noqa: BLE001 - any decoder error is the file's
        why = getattr(e, "strerror", None) or _last_line(str(e)) if str(e) else type(e).__name__
        raise BenchError(f"{path}: not a readable video ({why})") from None


def _even_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(w, h) scaled so the longer side is at most ``max_side`` (None: as is),
    both even (H.264 4:2:0 needs even sides)."""
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


def make_long_clip(src: Path, dest: Path, loops: int, max_side: int | None = None) -> Path:
    """``src`` played ``loops`` times in a row, re-encoded with libx264 (PyAV's
    defaults: CRF 23, preset medium, keyframe at most every 250 frames) at full
    size (or scaled to ``max_side``, area interpolation), constant frame rate
    at the source's average rate, no audio. Written to a temporary name and
    renamed, so a half-written clip is never used."""
    import av

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    try:
        with av.open(str(src)) as first:
            s = first.streams.video[0]
            rate = Fraction(s.average_rate) if s.average_rate else Fraction(30)
            width, height = _even_size(s.width, s.height, max_side)
        tb = Fraction(rate.denominator, rate.numerator)
        out = av.open(str(tmp), mode="w", format="mp4")
        try:
            stream = out.add_stream("libx264", rate=rate)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.time_base = tb
            stream.codec_context.time_base = tb
            i = 0
            for _ in range(loops):
                with av.open(str(src)) as c:
                    vs = c.streams.video[0]
                    vs.thread_type = "AUTO"
                    for frame in c.decode(vs):
                        if frame.format.name != "yuv420p" or (frame.width, frame.height) != (width, height):
                            frame = frame.reformat(width=width, height=height, format="yuv420p",
                                                   interpolation="AREA")
                        frame.pts, frame.time_base = i, tb
                        frame.pict_type = av.video.frame.PictureType.NONE  # the encoder picks keyframes
                        i += 1
                        for packet in stream.encode(frame):
                            out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        finally:
            out.close()
        if i == 0:
            raise BenchError(f"{src}: no frames could be decoded")
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest


def long_clip_name(src: Path, loops: int, max_side: int | None = None) -> str:
    return f"{src.stem}_x{loops}" + (f"_max{max_side}" if max_side else "") + ".mp4"


def ensure_long_clip(cache: Path, src: Path, loops: int, skip_setup: bool, max_side: int | None = None) -> Path:
    """The long clip in ``cache/clips``, made when missing or when its source's
    content changed (a copy of the same file with a new date is the same source)."""
    from coach.media.models import sha256_file

    src = src.resolve()
    if not src.is_file():
        raise BenchError(f"{src}: no such file (the source of the long clip; see --long-source)")
    dest = cache / "clips" / long_clip_name(src, loops, max_side)
    stamp = {"source": str(src), "size": src.stat().st_size, "sha256": sha256_file(src), "loops": loops,
             "max_side": max_side}
    sidecar = dest.with_suffix(".json")
    try:
        if dest.is_file() and json.loads(sidecar.read_text()) == stamp:
            return dest
    except (OSError, ValueError):
        pass
    if skip_setup:
        raise BenchError(f"no long clip at {dest} (run once without --skip-setup to make it)")
    size = f"with its longer side at most {max_side} px" if max_side else "at full size"
    log(f"making the long clip {dest}: {src.name} looped {loops}x, re-encoded with libx264 "
        f"{size} (once; a few minutes) ...")
    t0 = perf()
    try:
        make_long_clip(src, dest, loops, max_side)
        sidecar.write_text(json.dumps(stamp))
    except BenchError:
        raise
    except OSError as e:
        raise BenchError(f"could not write the long clip {dest}: {e.strerror or e}") from None
    except Exception as e:  # noqa: BLE001 - a decoder or encoder error, in one line
        raise BenchError(f"could not make the long clip from {src}: {_last_line(str(e)) if str(e) else type(e).__name__}") from None
    log(f"  done in {perf() - t0:.0f} s")
    return dest


# ----------------------------------------------------------------------------- the peer venv


def _last_line(text: str) -> str:
    """The line that says why a command failed: pip's last ERROR line, else the last line."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR")]
    return (errors or lines or ["(no output)"])[-1]


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_peer_venv(cache: Path, python: str, skip_setup: bool) -> Path:
    """The peer venv's Python; creates the venv (``python -m venv`` + pip install
    ``mediapipe==0.10.21``) when it is missing or half-made."""
    venv = cache / "peer-venv"
    vpy = _venv_python(venv)
    mark = venv / READY_MARK
    if vpy.exists() and mark.is_file() and mark.read_text().strip() == PEER_REQUIREMENT:
        return vpy
    if skip_setup:
        raise BenchError(f"no peer venv at {venv} (run once without --skip-setup to create it)")
    log(f"creating the peer venv {venv}: {Path(python).name} -m venv, pip install {PEER_REQUIREMENT} "
        "(once; a minute or two, needs the package index) ...")
    t0 = perf()
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    steps = [
        ([python, "-m", "venv", str(venv)], f"could not create the peer venv ({python} -m venv)"),
        ([str(vpy), "-m", "pip", "install", "--disable-pip-version-check", "-q", PEER_REQUIREMENT],
         f"could not install {PEER_REQUIREMENT} into the peer venv (no network? no wheel for its Python?)"),
        ([str(vpy), "-I", "-c", "import cv2, mediapipe as mp; mp.solutions.pose.Pose"],
         f"{PEER_REQUIREMENT} does not import in the peer venv"),
    ]
    for cmd, why in steps:
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            failed = r.returncode != 0
            detail = _last_line(r.stderr + "\n" + r.stdout) if failed else ""
        except OSError as e:
            failed, detail = True, e.strerror or str(e)
        if failed:
            shutil.rmtree(venv, ignore_errors=True)  # a half-made venv is made again next time
            raise BenchError(f"{why}: {detail}")
    mark.write_text(PEER_REQUIREMENT + "\n")
    log(f"  done in {perf() - t0:.0f} s")
    return vpy


# ----------------------------------------------------------------------------- runs


def peer_command(vpy: Path, clip: Path) -> list[str]:
    # -I: isolated (no PYTHONPATH, no user site, not the scripts folder): nothing of this project
    return [str(vpy), "-I", str(PEER_SCRIPT), str(clip), "--model-complexity", "1"]


def ours_command(clip: Path, exercise: str, jobs: int, model: Path | None) -> list[str]:
    cmd = [sys.executable, "-m", "coach.cli", "analyze", str(clip), "-e", exercise, "-q",
           "--jobs", str(jobs), "--variant", "full"]
    return cmd + (["--model", str(model)] if model is not None else [])


def _children_cpu() -> float:
    try:
        import resource
    except ImportError:  # not on POSIX
        return 0.0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed_run(cmd: list[str], what: str) -> tuple[float, float, str]:
    """Wall seconds from start to exit of ``cmd``, the CPU seconds (user + system)
    it and its own child processes used, and its stdout; BenchError when it fails."""
    c0 = _children_cpu()
    t0 = perf()
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    dt = perf() - t0
    cpu = _children_cpu() - c0
    if r.returncode != 0:
        raise BenchError(f"{what} failed (exit {r.returncode}): {_last_line(r.stderr or r.stdout)}", code=1)
    return dt, cpu, r.stdout


def loadavg() -> str | None:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return None


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def jobs_label(jobs: int, cores: int) -> str:
    return f"ours --jobs {jobs}" + (f" ({cores} cores)" if jobs == 0 else "")


def round_order(n_rows: int, round_index: int) -> list[int]:
    """Rows in order in even rounds, reversed in odd ones (ABBA...)."""
    order = list(range(n_rows))
    return order if round_index % 2 == 0 else order[::-1]


def bench_clip(name: str, clip: Path, rows: list[tuple[str, list[str]]], rounds: int) -> dict:
    info = probe(clip)
    result = {"clip": name, "path": str(clip), **info, "cores": cpu_count(), "loadavg_before": loadavg(),
              "rows": [{"name": label, "command": cmd, "times_s": [], "cpu_s": []} for label, cmd in rows]}
    for r in range(rounds):
        for k in round_order(len(rows), r):
            row = result["rows"][k]
            dt, cpu, out = timed_run(row["command"], f"{row['name']} on {clip}")
            row["times_s"].append(round(dt, 3))
            row["cpu_s"].append(round(cpu, 3))
            if row["name"] == PEER_LABEL:
                row["stdout"] = out.strip().splitlines()[-1] if out.strip() else ""
            log(f"  {name}  round {r + 1}/{rounds}  {row['name']:<36} {dt:6.1f} s  (CPU {cpu:.1f} s)")
    result["loadavg_after"] = loadavg()
    summarize(result)
    return result


# ----------------------------------------------------------------------------- results


def summarize(result: dict) -> dict:
    """Adds each row's median and ratio (the peer's median / the row's median;
    None without a peer row) to ``result``; returns it."""
    peer = next((r for r in result["rows"] if r["name"] == PEER_LABEL), None)
    peer_median = statistics.median(peer["times_s"]) if peer and peer["times_s"] else None
    for row in result["rows"]:
        row["median_s"] = statistics.median(row["times_s"]) if row["times_s"] else None
        row["median_cpu_s"] = statistics.median(row["cpu_s"]) if row.get("cpu_s") else None
        row["ratio"] = (round(peer_median / row["median_s"], 3)
                        if peer_median is not None and row["median_s"] else None)
    return result


def format_table(result: dict) -> str:
    """The table of one clip (``result`` as :func:`summarize` leaves it)."""
    w, h = result.get("size") or (0, 0)
    head = (f"{result['clip']}: {result.get('frames', '?')} frames, {result.get('duration_s', 0):.1f} s, "
            f"{w}x{h}; {result['cores']} cores; load (/proc/loadavg 1/5/15 min) "
            f"before {result.get('loadavg_before') or '?'}, after {result.get('loadavg_after') or '?'}")
    n = max(len(r["times_s"]) for r in result["rows"])
    label_w = max(len(r["name"]) for r in result["rows"]) + 2
    cols = [f"round {i + 1}" for i in range(n)] + ["median", "peer/this", "CPU"]
    lines = [head, " " * label_w + "".join(f"{c:>11}" for c in cols)]
    foot = "CPU: median user + system seconds of the process and its workers (less sensitive to the load)"
    for row in result["rows"]:
        cells = [f"{t:.1f} s" for t in row["times_s"]] + [""] * (n - len(row["times_s"]))
        cells.append(f"{row['median_s']:.1f} s" if row.get("median_s") is not None else "-")
        cells.append(f"{row['ratio']:.2f}x" if row.get("ratio") is not None else "-")
        cells.append(f"{row['median_cpu_s']:.1f} s" if row.get("median_cpu_s") is not None else "-")
        lines.append(f"{row['name']:<{label_w}}" + "".join(f"{c:>11}" for c in cells))
    return "\n".join(lines + [foot])


# ----------------------------------------------------------------------------- main


def _check_json_target(path: str | None) -> None:
    if path is None:
        return
    p = Path(path)
    if p.exists():
        raise BenchError(f"{p} exists; not overwritten (remove it or choose another --json file)")
    if not p.parent.is_dir():
        raise BenchError(f"{p.parent}: no such folder (for --json)")


def resolve_clips(args) -> list[tuple[str, Path | None]]:
    """(name, path) per --clips entry, checked before any work; the long clip's
    path is None until it is made."""
    clips = []
    for c in args.clips:
        if c == LONG:
            src = Path(args.long_source)
            if not src.is_file():
                raise BenchError(f"{src}: no such file (the source of the long clip; see --long-source)")
            size = f", at most {args.long_max_side} px" if args.long_max_side else ""
            clips.append((f"{LONG} ({src.name} x{args.long_loops}{size})", None))
            continue
        p = Path(c)
        if p.is_dir():
            raise BenchError(f"{p} is a directory, not a video file")
        if not p.is_file():
            raise BenchError(f"{p}: no such file")
        probe(p)  # a file that is no video is refused before any work
        clips.append((p.name, p.resolve()))
    return clips


def resolve_model(arg: str | None) -> Path | None:
    if arg is not None:
        p = Path(arg)
        if not p.is_file():
            raise BenchError(f"{p}: no such file (--model)")
        return p.resolve()
    return SHARED_FULL_MODEL if SHARED_FULL_MODEL.is_file() else None  # None: coach's installed model


def run(args) -> int:
    if importlib.util.find_spec("coach") is None or importlib.util.find_spec("av") is None:
        raise BenchError("this Python does not have the project installed: run it with the project's venv, "
                         ".venv/bin/python scripts/benchmark.py")
    clips = resolve_clips(args)
    model = resolve_model(args.model)
    _check_json_target(args.json)
    cache = Path(args.cache_dir)
    vpy = None if args.ours_only else ensure_peer_venv(cache, args.peer_python, args.skip_setup)
    clips = [(name, path if path is not None else
              ensure_long_clip(cache, Path(args.long_source), args.long_loops, args.skip_setup,
                               args.long_max_side))
             for name, path in clips]
    if args.setup_only:
        print(f"peer venv: {vpy.parent.parent if vpy else '(not needed)'}")
        for name, path in clips:
            print(f"{name}: {path}")
        return 0

    cores = cpu_count()
    print(f"{platform.node()}: {cores} cores, {platform.processor() or platform.machine()}; "
          f"load {loadavg() or '?'}; ours: {Path(sys.executable)} -m coach.cli, model "
          f"{model or 'installed full'}; peer: {PEER_REQUIREMENT}", flush=True)
    results = []
    for name, path in clips:
        rows = [] if vpy is None else [(PEER_LABEL, peer_command(vpy, path))]
        if args.sequential and args.jobs != 1:
            rows.append((jobs_label(1, cores), ours_command(path, args.exercise, 1, model)))
        rows.append((jobs_label(args.jobs, cores), ours_command(path, args.exercise, args.jobs, model)))
        log(f"{name}: {len(rows)} programs x {args.rounds} rounds ...")
        res = bench_clip(name, path, rows, args.rounds)
        results.append(res)
        print("\n" + format_table(res), flush=True)
    if args.json:
        doc = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "host": platform.node(),
               "cores": cores, "python": platform.python_version(), "peer": PEER_REQUIREMENT,
               "rounds": args.rounds, "clips": results}
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"\nsaved {args.json}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except BenchError as e:
        print(f"benchmark: error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("benchmark: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
