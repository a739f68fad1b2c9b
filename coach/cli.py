"""The ``coach`` command line."""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from coach import samples

DEFAULT_SAMPLE = samples.path()


class CliError(Exception):
    pass


def _err(msg: str) -> None:
    print(f"coach: error: {msg}", file=sys.stderr)


def _progress(total: int | None, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total or None, desc=desc, unit="frame", disable=not enabled,
                file=sys.stderr, dynamic_ncols=True, leave=False)


def _load_thresholds(path: str | None, exercise: str) -> dict:
    if not path:
        return {}
    from coach.engine.profiles import load_named

    profile = load_named(path)  # a file path, or the name of a profile saved from the app
    return profile.get(exercise, {})


def _write_json(obj, dest: str) -> None:
    from coach.engine.report import to_json

    text = obj.to_json() if hasattr(obj, "to_json") else to_json(obj)
    if dest == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(dest).write_text(text + "\n", encoding="utf-8")


def _video_source(path: Path, args):
    """Probe a video and get its model; returns (VideoInfo, (image, PoseFrame) iterator, model path)."""
    from coach.media.models import ensure_model
    from coach.media.video import probe
    from coach.session.sources import video_frames

    info = probe(path)
    model = ensure_model(args.variant, args.model, log=lambda m: print(m, file=sys.stderr))
    return info, video_frames(path, model, max_side=args.max_side), str(model)


def _video_frames(path: Path, args, desc: str) -> list:
    """Every PoseFrame of a video, with a progress bar."""
    info, poses, _ = _video_source(path, args)
    frames = []
    with _progress(info.frame_count, desc, not args.quiet) as bar:
        for _, frame in poses:
            frames.append(frame)
            bar.update(1)
    return frames


def cmd_analyze(args) -> int:
    import pose_rules
    from coach.core.pose import PoseTrack
    from coach.engine.report import format_summary
    from coach.session.loop import CallbackSink, Session, TrackSink, VideoSink, default_annotator, run
    from coach.session.sources import track_frames

    src = Path(args.input) if args.input else DEFAULT_SAMPLE
    exercise = args.exercise
    if args.input is None:
        print(f"coach: no input given; analysing the bundled sample {src.name}", file=sys.stderr)
    track = None
    if src.suffix.lower() == ".npz":
        track = PoseTrack.load(src)
        exercise = exercise or track.meta.get("exercise")
    elif not src.is_file():  # say so before asking for the exercise
        raise CliError(f"{src}: no such file")
    if not exercise:
        raise CliError("--exercise is required (see `coach exercises`)")
    rule = pose_rules.get_rule(exercise)
    overrides = _load_thresholds(args.thresholds, rule.name)
    th = rule.resolve(overrides)

    if track is not None:
        total, model = len(track), track.meta.get("model")
        frames = track_frames(track, _track_images(track, args.annotated is not None))
        fps = (len(track) - 1) / track.duration if len(track) > 1 and track.duration > 0 else 30.0
    else:
        info, frames, model_path = _video_source(src, args)
        total, model, fps = info.frame_count, f"{args.variant} ({model_path})", info.fps or 30.0
    sinks: list = []
    if args.annotated:
        sinks.append(VideoSink(default_annotator(rule, th), args.annotated, fps=fps,
                               max_side=args.annotated_max_side, name=Path(args.annotated).name))
    saver = TrackSink() if (args.save_track and track is None) else None
    if saver is not None:
        sinks.append(saver)
    with _progress(total, "analysing", not args.quiet) as bar:
        sinks.append(CallbackSink(lambda item: bar.update(1)))
        report = run(frames, Session(rule, overrides, source=str(src), model=model, sinks=sinks))
    if saver is not None:
        saver.track({"source": str(src), "model": args.variant, "exercise": rule.name}).save(args.save_track)
    print(format_summary(report), file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json:
        _write_json(report, args.json)
    if args.annotated and sinks[0].writer is not None:
        print(f"annotated video: {args.annotated}", file=sys.stderr)
    return 0


def _track_images(track, wanted: bool):
    """Images to draw a track on: its source video if it still matches, else a blank canvas."""
    if not wanted:
        return None
    from coach.session.sources import source_matches, track_images

    source = track.meta.get("source")
    if source and Path(source).is_file() and source_matches(track, source):
        return track_images(track, source)
    print("coach: the track's source video is not available; drawing on a blank background", file=sys.stderr)
    return track_images(track)


def cmd_extract(args) -> int:
    from coach.core.pose import PoseTrack

    src = Path(args.video)
    frames = _video_frames(src, args, "extracting")
    meta = {"source": str(src), "model": args.variant}
    if args.exercise:
        import pose_rules

        meta["exercise"] = pose_rules.get_rule(args.exercise).name
    track = PoseTrack.from_frames(frames, meta=meta)
    track.save(args.output)
    seen = sum(f.detected for f in frames)
    print(f"{args.output}: {len(frames)} frames, {track.duration:.2f} s, person found in {seen}")
    return 0


def cmd_exercises(args) -> int:
    import pose_rules
    from coach.engine.thresholds import describe

    if args.json:
        _write_json({name: {"title": r.title, "description": r.description, "view": r.view,
                            "family": r.family or r.title, "variant": r.variant,
                            "goal": {"kind": r.goal.kind, "text": r.goal.describe()},
                            "faults": [{"name": f.name, "cue": f.cue, "meaning": f.meaning} for f in r.faults],
                            "thresholds": describe(r)} for name, r in pose_rules.RULES.items()}, "-")
        return 0
    for name, r in pose_rules.RULES.items():
        if args.exercise and name != pose_rules.get_rule(args.exercise).name:
            continue
        print(f"{name}  —  {r.title} ({r.goal.describe()}; {r.view} view)")
        print(f"    {r.description}")
        print("    faults: " + ", ".join(f"{f.name} (\"{f.cue}\")" for f in r.faults))
        for t in describe(r):
            print(f"    {t['name']:<22} {t['default']:>7g} {t['unit']:<14} [{t['min']:g}..{t['max']:g}]  {t['meaning']}")
        print()
    return 0


def cmd_calibrate(args) -> int:
    import pose_rules
    from coach.session.calibration import MIN_SECONDS, calibratable, calibrate
    from coach.core.pose import PoseTrack
    from coach.media.video import STILL_SUFFIXES

    src = Path(args.input)
    if src.suffix.lower() != ".npz" and not src.is_file():
        raise CliError(f"{src}: no such file")
    track = PoseTrack.load(src) if src.suffix.lower() == ".npz" else None
    exercise = args.exercise or (track.meta.get("exercise") if track is not None else None)
    if not exercise:
        raise CliError("--exercise is required (see `coach exercises`)")
    rule = pose_rules.get_rule(exercise)
    if not calibratable(rule):
        raise CliError(f"{rule.name} has no measure to calibrate")
    if args.start is not None and args.end is not None and args.end <= args.start:
        raise CliError(f"--to ({args.end}) must be after --from ({args.start})")
    base = {}
    if args.save:
        from coach.engine.profiles import profile_path
        from coach.engine.thresholds import load_profile

        if profile_path(args.save).is_file():
            base = load_profile(profile_path(args.save)).get(rule.name, {})
    if track is not None:
        frames, single = list(track), len(track) == 1
    elif src.suffix.lower() in STILL_SUFFIXES:
        from coach.evaluation.evaluate import still_track
        from coach.media.models import ensure_model

        model = ensure_model(args.variant, args.model, log=lambda m: print(m, file=sys.stderr))
        frames, single = list(still_track(src, model)), True
    else:
        frames, single = _video_frames(src, args, "reading poses"), False
    cal = calibrate(frames, rule, base, start=args.start, end=args.end, source=str(src),
                    min_seconds=0.0 if single else MIN_SECONDS)
    print(f"{rule.title}: calibrated on {src.name}"
          + (f" {cal.start:.1f}-{cal.end:.1f} s" if cal.start is not None and not single else ""))
    print(cal.describe(rule))
    if args.json:
        _write_json(cal.to_dict(), args.json)
    if args.save:
        from coach.engine.profiles import save_named

        path = save_named(args.save, rule.name, cal.values, calibration=cal.record(), merge=True)
        print(f"saved in profile '{args.save.strip()}' ({path}); use it with "
              f"`coach analyze CLIP -e {rule.name} --thresholds \"{args.save.strip()}\"` or pick it in the app")
    else:
        print("not saved: add --save NAME to keep it as a threshold profile")
    return 0


def cmd_evaluate(args) -> int:
    from coach.evaluation.evaluate import TrackCache, evaluate_items, format_results
    from coach.evaluation.labels import load_labels
    from coach.media.models import cache_dir, ensure_model

    items = load_labels(args.labels)
    if args.only:
        items = [i for i in items if args.only in i.key]
        if not items:
            raise CliError(f"no labelled item matches '{args.only}'")
    profile = {}
    if args.thresholds:
        from coach.engine.profiles import load_named

        profile = load_named(args.thresholds)
    needs_model = any(i.kind in ("clips", "stills") for i in items)
    model = ensure_model(args.variant, args.model, log=lambda m: print(m, file=sys.stderr)) if needs_model else None
    folder = None if args.no_cache else cache_dir() / "tracks"
    cache = TrackCache(folder, model, args.variant, log=lambda m: print(f"coach: {m}", file=sys.stderr))
    res = evaluate_items(items, cache, profile)
    print(format_results(res), file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json:
        _write_json(res, args.json)
    return 0


def cmd_models(args) -> int:
    from coach.media.models import install_model, read_manifest, resolve_model

    if args.action == "install":
        path = install_model(args.variant, force=args.force, log=lambda m: print(m, file=sys.stderr))
        man = read_manifest(path) or {}
        print(f"{path}  (source: {man.get('source', '?')}, sha256 {man.get('sha256', '?')[:16]}…)")
    else:
        print(resolve_model(args.variant, args.model))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="coach", description="Camera form coach for lower-back exercises.")
    sub = p.add_subparsers(dest="command", required=True)

    def model_opts(sp):
        sp.add_argument("--model", help="pose model bundle (.task); default: $COACH_MODEL or the installed one")
        sp.add_argument("--variant", default="full", choices=("lite", "full", "heavy"), help="pose model variant (default full)")
        sp.add_argument("--max-side", type=int, default=None,
                        help="downscale frames so the longer side is at most this before inference (default: no)")

    a = sub.add_parser("analyze", aliases=["analyse"], help="analyse a video or a landmark track")
    a.add_argument("input", nargs="?", help="video file or landmark track (.npz); default: a bundled sample")
    a.add_argument("-e", "--exercise", help="exercise name (see `coach exercises`)")
    a.add_argument("--json", metavar="FILE", help="write the JSON report to FILE ('-' for stdout)")
    a.add_argument("--annotated", metavar="FILE", help="write an annotated video (.mp4 H.264 or .webm VP9)")
    a.add_argument("--annotated-max-side", type=int, default=1280, help="size limit of the annotated video (default 1280)")
    a.add_argument("--thresholds", metavar="FILE|NAME",
                   help="thresholds file (JSON) to apply, or the name of a profile saved in the app")
    a.add_argument("--save-track", metavar="FILE", help="also save the landmark track (video input)")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    model_opts(a)
    a.set_defaults(func=cmd_analyze)

    x = sub.add_parser("extract", help="save a video's landmark track")
    x.add_argument("video")
    x.add_argument("-o", "--output", required=True, help="track file to write (.npz)")
    x.add_argument("-e", "--exercise", help="record the exercise in the track (optional)")
    x.add_argument("-q", "--quiet", action="store_true")
    model_opts(x)
    x.set_defaults(func=cmd_extract)

    e = sub.add_parser("exercises", help="list exercises and their thresholds")
    e.add_argument("exercise", nargs="?")
    e.add_argument("--json", action="store_true", help="machine-readable listing")
    e.set_defaults(func=cmd_exercises)

    c = sub.add_parser("calibrate", help="measure your best form and centre the limits on it")
    c.add_argument("input", help="video, photo or landmark track (.npz) of you holding your best form")
    c.add_argument("-e", "--exercise", help="exercise name (see `coach exercises`)")
    c.add_argument("--from", dest="start", type=float, metavar="T0", help="start of the good-form segment (s)")
    c.add_argument("--to", dest="end", type=float, metavar="T1", help="end of the good-form segment (s)")
    c.add_argument("--save", metavar="NAME", help="save into the threshold profile NAME (created or updated)")
    c.add_argument("--json", metavar="FILE", help="write the calibration as JSON ('-' for stdout)")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    model_opts(c)
    c.set_defaults(func=cmd_calibrate)

    v = sub.add_parser("evaluate", help="measure the coach against labelled clips, photos and tracks")
    v.add_argument("labels", help="labels file (JSON; the format of ../shared/clips/dev_labels.json)")
    v.add_argument("--json", metavar="FILE", help="write the results as JSON ('-' for stdout)")
    v.add_argument("--thresholds", metavar="FILE|NAME", help="thresholds file or saved profile to judge with")
    v.add_argument("--only", metavar="TEXT", help="only the items whose path contains TEXT")
    v.add_argument("--no-cache", action="store_true", help="extract landmarks again instead of using the cache")
    v.add_argument("--model", help="pose model bundle (.task)")
    v.add_argument("--variant", default="full", choices=("lite", "full", "heavy"))
    v.set_defaults(func=cmd_evaluate)

    m = sub.add_parser("models", help="install or locate the pose model")
    m.add_argument("action", choices=("install", "path"))
    m.add_argument("--variant", default="full", choices=("lite", "full", "heavy"))
    m.add_argument("--model", help="(path) check this bundle instead")
    m.add_argument("--force", action="store_true", help="reinstall even if cached")
    m.set_defaults(func=cmd_models)
    return p


def main(argv: list[str] | None = None) -> int:
    from pose_rules import UnknownExercise

    from coach.media.models import ModelError
    from coach.core.pose import TrackError
    from coach.engine.thresholds import ThresholdError
    from coach.session.calibration import CalibrationError
    from coach.evaluation.labels import LabelError
    from coach.media.video import VideoError

    args = build_parser().parse_args(argv)
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        return args.func(args)
    except (CliError, VideoError, TrackError, ThresholdError, ModelError, UnknownExercise, LabelError,
            CalibrationError) as e:
        _err(str(e).splitlines()[0] if str(e) else type(e).__name__)
        return 2
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except OSError as e:
        _err(f"{getattr(e, 'filename', '') or ''}: {e.strerror or e}".lstrip(": "))
        return 1


if __name__ == "__main__":
    sys.exit(main())
