"""The ``coach`` command line."""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import warnings
from pathlib import Path

from coach import samples

DEFAULT_SAMPLE = samples.path()

#: the smallest --max-side / --annotated-max-side: below this no pose can be seen or drawn
MIN_SIDE = 16


class CliError(Exception):
    pass


def _err(msg: str) -> None:
    print(f"coach: error: {msg}", file=sys.stderr)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings (e.g. a truncated video) as one line, without the Python source line."""
    text = str(message).strip().splitlines()
    text = text[0] if text else category.__name__
    try:
        from tqdm import tqdm

        tqdm.write(f"coach: warning: {text}", file=sys.stderr)  # clears and redraws a progress bar
    except (ImportError, OSError, ValueError):
        print(f"coach: warning: {text}", file=sys.stderr)


def _terminated(signum, frame):
    raise KeyboardInterrupt  # as Ctrl-C: half-written outputs are removed on the way out


# ----------------------------------------------------------------------------- input and output files


def _input_file(path: str | Path, what: str = "video or track file") -> Path:
    """``path`` as a Path, refused (before any work) when it is missing or a directory."""
    p = Path(path)
    if p.is_dir():
        raise CliError(f"{p} is a directory, not a {what}")
    if not p.exists():
        raise CliError(f"{p}: no such file")
    return p


def _track_path(dest: str | Path) -> Path:
    """Where a track saved as ``dest`` lands: NumPy adds ``.npz`` when it is not there."""
    return Path(dest) if str(dest).endswith(".npz") else Path(f"{dest}.npz")


def _same_file(a: Path, b: Path) -> bool:
    """The same path once symbolic links are resolved, or the same file (hard links, case)."""
    try:
        if a.resolve() == b.resolve():
            return True
    except (OSError, RuntimeError):
        pass
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def _check_outputs(outputs: list[tuple[str, str | Path | None]], inputs: list[str | Path | None]) -> None:
    """Refuse, before any work, output files that would overwrite an input (or
    each other), that are directories, or whose folder does not exist.
    ``outputs``: (option, path) pairs; None and "-" (stdout) are skipped."""
    named = [(opt, Path(v)) for opt, v in outputs if v is not None and str(v) != "-"]
    ins = [Path(i) for i in inputs if i is not None and Path(i).exists()]
    for opt, out in named:
        for inp in ins:
            if _same_file(out, inp):
                same = "" if str(out) == str(inp) else f" ({inp})"
                raise CliError(f"{opt} {out} is an input file{same}; refusing to overwrite it, choose another name")
        if out.is_dir():
            raise CliError(f"{opt} {out} is a directory; give a file name")
        if not out.parent.is_dir():
            raise CliError(f"{opt} {out}: the folder {out.parent} does not exist")
    for i, (o1, p1) in enumerate(named):
        for o2, p2 in named[i + 1:]:
            if o1 != o2 and _same_file(p1, p2):
                raise CliError(f"{o1} and {o2} name the same file ({p1})")


def _thresholds_file(name_or_path: str | None) -> Path | None:
    """The thresholds file that --thresholds reads, if it can be found (an input to protect)."""
    if not name_or_path:
        return None
    try:
        from coach.engine.profiles import find_profile

        return find_profile(name_or_path)
    except (OSError, ValueError):  # ThresholdError is a ValueError: loading it says why
        return None


def _output_file(dest: str | Path):
    from coach.session.loop import OutputFile

    return OutputFile(dest)


def _save_track(track, dest: str | Path) -> Path:
    """Save a track (all or nothing); returns the path written."""
    with _output_file(_track_path(dest)) as tmp:
        with open(tmp, "xb") as f:  # a file object: NumPy keeps the name as it is
            track.save(f)
    return _track_path(dest)


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
        with _output_file(dest) as tmp:
            tmp.write_text(text + "\n", encoding="utf-8")


def _video_source(path: Path, args, max_fps: float | None = None):
    """Probe a video and get its model; returns (VideoInfo, (image, PoseFrame) iterator, model path).
    ``max_fps``: judge at most this many frames a second (a monitor's ``judge_fps``)."""
    from coach.media.models import ensure_model
    from coach.media.video import probe
    from coach.session.sources import video_frames

    info = probe(path)
    model = ensure_model(args.variant, args.model, log=lambda m: print(m, file=sys.stderr))
    return info, video_frames(path, model, max_side=args.max_side, max_fps=max_fps), str(model)


def _video_frames(path: Path, args, desc: str) -> list:
    """Every PoseFrame of a video, with a progress bar."""
    info, poses, _ = _video_source(path, args)
    frames = []
    with _progress(info.frame_count, desc, not args.quiet) as bar:
        for _, frame in poses:
            frames.append(frame)
            bar.update(1)
    return frames


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("expected 0 (one per core) or more")
    return n


class _Given(argparse.Action):
    """Stores the option's value and notes that it was given (a folder's --jobs defaults to one per core)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        setattr(namespace, f"{self.dest}_given", True)


def _parallel(args, rule, path: Path):
    """The clip's VideoInfo when it is analysed in several processes (--jobs:
    0, the default, is one per core), else None: --jobs 1, a monitor's
    judge_fps (it judges few frames), or a clip too short for two segments (no
    processes are started for it)."""
    from coach.media.video import probe
    from coach.session.parallel import plan_segments, resolve_jobs

    jobs = resolve_jobs(getattr(args, "jobs", 0))
    if jobs <= 1:
        return None
    if rule.judge_fps:
        if getattr(args, "jobs_given", False):
            print(f"coach: analysing in one process ({rule.name} judges few frames)", file=sys.stderr)
        return None
    info = probe(path)
    if len(plan_segments(_duration(info), jobs)) < 2:
        return None
    return info


def _duration(info) -> float:
    return info.duration or (info.frame_count / info.fps if info.fps else 0.0)


def _parallel_frames(path: Path, args, info):
    """The poses of every frame of a video, estimated in --jobs processes;
    returns them with the ParallelClip, whose processes stay for the annotated
    video (:func:`_parallel_video` closes it) and the model path."""
    from coach.media.models import ensure_model
    from coach.session.parallel import ParallelClip, plan_clip, resolve_jobs

    model = ensure_model(args.variant, args.model, log=lambda m: print(m, file=sys.stderr))
    segments = plan_clip(path, _duration(info), resolve_jobs(args.jobs))
    clip = ParallelClip(path, model, segments, max_side=args.max_side, frame_count=info.frame_count).__enter__()
    try:
        with _progress(info.frame_count, f"estimating poses ({len(segments)} processes)", not args.quiet) as bar:
            frames = clip.poses(on_frames=bar.update)
    except BaseException:
        clip.close(abandon=True)
        raise
    if not args.annotated:
        clip.close()
    return clip, frames, str(model)


def _parallel_video(clip, states: list, args, annotate, fps: float) -> bool:
    """Pass 3 of a parallel analysis: the annotated video, a segment in each
    process, joined into --annotated (written whole or not at all); closes
    the clip's processes. Whether a video was written."""
    from coach.session.loop import OutputFile

    try:
        if not states:
            clip.close()
            return False
        with _progress(len(states), f"annotated video ({len(clip.segments)} processes)", not args.quiet) as bar, \
                OutputFile(args.annotated) as tmp:
            clip.render(states, annotate, tmp, fps=fps, video_max_side=args.annotated_max_side, on_frames=bar.update)
    except BaseException:
        clip.close(abandon=True)
        raise
    clip.close()
    return True


def cmd_analyze(args) -> int:
    import pose_rules
    from coach.core.pose import PoseTrack
    from coach.engine.report import format_summary
    from coach.session.loop import CallbackSink, Session, TrackSink, VideoSink, default_annotator, run
    from coach.session import batch
    from coach.session.sources import track_frames

    specs = [args.input, *getattr(args, "more", [])] if args.input else []
    if len(specs) > 1 or batch.is_many(args.input):  # a folder, a pattern, several files
        return _analyze_many(args, specs)
    src = _input_file(args.input) if args.input else DEFAULT_SAMPLE  # before asking for the exercise
    exercise = args.exercise
    outputs = [("--json", args.json), ("--annotated", args.annotated)]
    if args.save_track:
        outputs += [("--save-track", args.save_track), ("--save-track", _track_path(args.save_track))]
    inputs = [src, _thresholds_file(args.thresholds), args.model]
    _check_outputs(outputs, inputs)
    if args.input is None:
        print(f"coach: no input given; analysing the bundled sample {src.name}", file=sys.stderr)
    track = clip = None  # clip: the processes of a parallel analysis
    if src.suffix.lower() == ".npz":
        track = PoseTrack.load(src)
        exercise = exercise or track.meta.get("exercise")
        source = track.meta.get("source")
        if isinstance(source, str) and source:  # the track's video: read for --annotated, the user's anyway
            _check_outputs(outputs, [source])
    if not exercise:
        raise CliError("--exercise is required (see `coach exercises`)")
    rule = pose_rules.get_rule(exercise)
    overrides = {**_load_thresholds(args.thresholds, rule.name), **rule.target(args.target)}
    th = rule.resolve(overrides)

    if track is not None:
        total, model = len(track), track.meta.get("model")
        frames = track_frames(track, _track_images(track, args.annotated is not None, args.annotated_max_side))
        fps = (len(track) - 1) / track.duration if len(track) > 1 and track.duration > 0 else 30.0
    elif (info := _parallel(args, rule, src)) is not None:
        clip, frames, model_path = _parallel_frames(src, args, info)
        total, model, fps = len(frames), f"{args.variant} ({model_path})", info.fps or 30.0
        frames = ((None, f) for f in frames)
    else:
        info, frames, model_path = _video_source(src, args, rule.judge_fps)
        total, model, fps = info.frame_count, f"{args.variant} ({model_path})", info.fps or 30.0
        if rule.judge_fps and info.fps and info.frame_count:  # the frames judged, for the progress bar
            fps = min(fps, rule.judge_fps)
            total = max(1, math.ceil(info.frame_count * fps / info.fps))
    sinks: list = []
    states: list = []  # the engine's states, for a video drawn by the processes
    if args.annotated and clip is None:
        sinks.append(VideoSink(default_annotator(rule, th), args.annotated, fps=fps,
                               max_side=args.annotated_max_side, name=Path(args.annotated).name))
    elif args.annotated:
        sinks.append(CallbackSink(lambda item: states.append(item.state)))
    saver = TrackSink() if (args.save_track and track is None) else None
    if saver is not None:
        sinks.append(saver)
    with _progress(total, "analysing", not args.quiet) as bar:
        sinks.append(CallbackSink(lambda item: bar.update(1)))
        report = run(frames, Session(rule, overrides, source=str(src), model=model, sinks=sinks))
    annotated = bool(args.annotated and clip is None and sinks[0].writer is not None)
    if args.annotated and clip is not None:
        annotated = _parallel_video(clip, states, args, default_annotator(rule, th), fps)
    saved = None
    if saver is not None:
        saved = _save_track(saver.track({"source": str(src), "model": args.variant, "exercise": rule.name}),
                            args.save_track)
    print(format_summary(report), file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json:
        _write_json(report, args.json)
    if annotated:
        print(f"annotated video: {args.annotated}", file=sys.stderr)
    if saved is not None:
        print(f"landmark track: {saved}", file=sys.stderr)
    if args.save:
        _save_to_history(report, src)
    return 0


def _analyze_many(args, specs: list[str]) -> int:
    """``coach analyze`` on a folder, a glob pattern or several files
    (coach/session/batch.py): 0 every clip analysed, 1 some failed, 2 none."""
    import pose_rules
    from coach.session import batch
    from coach.session.parallel import resolve_jobs

    for opt, given in (("--json", args.json), ("--annotated", args.annotated), ("--save-track", args.save_track),
                       ("--save", args.save)):
        if given:
            raise CliError(f"{opt} is for one clip; for several use --summary FILE.csv|FILE.json, --json-dir DIR")
    try:
        paths = batch.expand(specs)
        for dest in args.summary or []:
            batch.check_summary_name(dest)
        if args.ray:
            batch.import_ray()
    except batch.BatchError as e:
        raise CliError(str(e)) from None
    if args.json_dir and not Path(args.json_dir).is_dir():
        if not Path(args.json_dir).parent.is_dir() or Path(args.json_dir).exists():
            raise CliError(f"--json-dir {args.json_dir}: not a folder (nor can it be made)")
    reports = batch.report_names(paths, args.json_dir) if args.json_dir and Path(args.json_dir).is_dir() else []
    _check_outputs([("--summary", d) for d in args.summary or []] + [("--json-dir", r) for r in reports],
                   [*paths, _thresholds_file(args.thresholds), args.model])
    videos = [p for p in paths if p.suffix.lower() != batch.TRACK_SUFFIX]
    if videos and not args.exercise:
        raise CliError(f"--exercise is required for the videos (see `coach exercises`), e.g. {videos[0]}")
    profile = {}
    if args.thresholds:
        from coach.engine.profiles import load_named

        profile = load_named(args.thresholds)
    if args.exercise:  # a bad target or threshold: one line before any work
        rule = pose_rules.get_rule(args.exercise)
        rule.resolve({**profile.get(rule.name, {}), **rule.target(args.target)})
    model = None
    if videos:
        from coach.media.models import ensure_model

        model = str(ensure_model(args.variant, args.model, log=lambda m: print(m, file=sys.stderr)))
    opts = batch.Options(exercise=args.exercise, target=args.target, profile=profile, max_side=args.max_side,
                         model_label=f"{args.variant} ({model})" if model else None, full_report=bool(args.json_dir))
    if args.json_dir:
        Path(args.json_dir).mkdir(exist_ok=True)

    try:
        outcome = batch.run_batch(paths, opts, model, jobs=resolve_jobs(args.jobs if args.jobs_given else 0),
                                  ray_address=args.ray, show_progress=not args.quiet, json_dir=args.json_dir,
                                  on_report=lambda dest, report: _write_json(report, str(dest)))
    except batch.BatchError as e:
        raise CliError(str(e)) from None
    print(batch.format_table(outcome))
    for dest in args.summary or []:
        with _output_file(dest) as tmp:
            tmp.write_text(batch.summary_text(outcome, dest, opts), encoding="utf-8")
        print(f"summary: {dest}", file=sys.stderr)
    if args.json_dir:
        print(f"reports: {args.json_dir}", file=sys.stderr)
    return outcome.exit_status


def _save_to_history(report, source, kind: str = "clip") -> None:
    """Keep a reviewed clip's (or a desk session's) result in the history (never
    fails: a session the database cannot take is kept aside and added later)."""
    from coach.history import record_from_reports, save_record

    res = save_record(record_from_reports([report], kind, source=str(source)),
                      notify=lambda line: print(f"coach: {line}", file=sys.stderr))
    if res.saved:
        print(f"history: saved as session {res.session_id} in {res.where}", file=sys.stderr)
    else:
        print(f"coach: warning: {res.message}", file=sys.stderr)


def cmd_desk(args) -> int:
    """The desk posture monitor on a local camera (or a video file playing it)."""
    import pose_rules
    from coach.engine.report import format_summary
    from coach.media.estimator import PoseEstimator
    from coach.media.models import ensure_model
    from coach.session.desk import DeskRun, stretch_suggestions
    from coach.session.desk_cli import (Speaker, Terminal, camera_frames, file_frames, monitor,
                                        open_camera, speech_command)
    from coach.session.speech import Announcer

    rule = pose_rules.get_rule("desk_posture")
    if args.source is not None and args.camera is not None:
        raise CliError("--camera and --source: choose one")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CliError(f"--duration must be a number of seconds > 0, got {args.duration:g}")
    src = _input_file(args.source, "video file") if args.source is not None else None
    _check_outputs([("--json", args.json)], [src, _thresholds_file(args.thresholds), args.model])
    overrides = dict(_load_thresholds(args.thresholds, rule.name))
    if args.minutes is not None:
        overrides["sit_limit_min"] = args.minutes
    if args.break_s is not None:
        overrides["break_s"] = args.break_s
    rule.resolve(overrides)  # a limit out of range: one line (ThresholdError)
    if src is not None:
        from coach.media.video import probe

        probe(src)  # a corrupt file is refused before the model loads (VideoError)
    camera = 0 if args.camera is None else args.camera
    cap = open_camera(camera) if src is None else None  # SourceError before the model loads
    try:
        model = ensure_model(args.variant, args.model, log=lambda m: print(m, file=sys.stderr))
        estimator = PoseEstimator(model)
    except BaseException:
        if cap is not None:
            cap.release()
        raise
    speaker = None if args.no_speech else Speaker(speech_command())
    terminal = Terminal(quiet=args.quiet, speaker=speaker)
    if src is None:
        frames = camera_frames(cap, camera, rule.judge_fps, max_side=args.max_side,
                               warn=lambda m: terminal.line(f"coach: warning: {m}", err=True))
        label, opened = f"camera {camera}", "Camera on"
    else:
        frames = file_frames(src, rule.judge_fps, realtime=not args.fast, max_side=args.max_side)
        label, opened = str(src), f"Playing {src.name} as the camera"
    run = DeskRun(Announcer(), overrides, suggestions=stretch_suggestions(), source=label)
    if args.calibrate:
        run.request("calibrate")
    print(f"{opened} (nothing is recorded or sent; Ctrl-C to stop)", flush=True)
    try:
        outcome = monitor(frames, estimator, run, terminal, duration_s=args.duration)
    finally:
        estimator.close()
        if speaker is not None:
            speaker.close()
    report = outcome.report
    print(format_summary(report), file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json:
        _write_json(report, args.json)
    if not args.no_save:
        if outcome.frames:
            _save_to_history(report, label, kind="desk")
        else:
            print("history: nothing to save (no picture was judged)", file=sys.stderr)
    return 0


def _track_images(track, wanted: bool, max_side: int | None = None):
    """Images to draw a track on (scaled to ``max_side``): its source video if
    it still matches, else a blank canvas."""
    if not wanted:
        return None
    from coach.session.sources import source_matches, track_images

    source = track.meta.get("source")
    if source and Path(source).is_file() and source_matches(track, source):
        return track_images(track, source, max_side=max_side)
    print("coach: the track's source video is not available; drawing on a blank background", file=sys.stderr)
    return track_images(track, max_side=max_side)


def cmd_extract(args) -> int:
    from coach.core.pose import PoseTrack

    src = _input_file(args.video, "video file")
    out = _track_path(args.output)
    _check_outputs([("-o", args.output), ("-o", out)], [src, args.model])
    frames = _video_frames(src, args, "extracting")
    meta = {"source": str(src), "model": args.variant}
    if args.exercise:
        import pose_rules

        meta["exercise"] = pose_rules.get_rule(args.exercise).name
    track = PoseTrack.from_frames(frames, meta=meta)
    out = _save_track(track, args.output)
    seen = sum(f.detected for f in frames)
    print(f"{out}: {len(frames)} frames, {track.duration:.2f} s, person found in {seen}")
    return 0


def cmd_exercises(args) -> int:
    import pose_rules
    from coach.engine.thresholds import describe

    if args.json:
        _write_json({name: {"title": r.title, "description": r.description, "view": r.view,
                            "camera": r.camera_placement(), "lying": r.lying, "judged": r.judged,
                            "targets": {k: {"label": lab, "thresholds": dict(o)} for k, (lab, o) in r.targets.items()},
                            "family": r.family or r.title, "variant": r.variant,
                            "goal": {"kind": r.goal.kind, "text": r.goal.describe()},
                            "faults": [{"name": f.name, "cue": f.cue, "meaning": f.meaning} for f in r.faults],
                            "thresholds": describe(r)} for name, r in pose_rules.RULES.items()}, "-")
        return 0
    for name, r in pose_rules.RULES.items():
        if args.exercise and name != pose_rules.get_rule(args.exercise).name:
            continue
        print(f"{name}  —  {r.title} ({r.goal.describe()}" + (f"; {r.view} view)" if r.judged else ")"))
        print(f"    {r.description}")
        print(f"    camera: {r.camera_placement()}")
        for key, (label, _) in r.targets.items():
            print(f"    target choice: --target {key}  ({label})")
        if r.faults:
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

    src = _input_file(args.input, "video, photo or track file")
    _check_outputs([("--json", args.json)], [src, args.model])
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

    if Path(args.labels).is_dir():
        raise CliError(f"{args.labels} is a directory, not a labels file")
    _check_outputs([("--json", args.json)], [args.labels, _thresholds_file(args.thresholds), args.model])
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


def cmd_routine(args) -> int:
    from coach.engine.routines import find_routine, list_routines, plan, routines_dir

    if args.action == "list":
        errors: list[str] = []
        for name, r in list_routines(errors).items():
            where = "built-in" if r.builtin else str(r.path)
            print(f"{name}  ({len(r.steps)} steps; {r.schedule or 'any time'}; {where})")
            if r.description:
                print(f"    {r.description}")
        for e in errors:
            print(f"coach: warning: not listed: {e}", file=sys.stderr)
        print(f"Your routines folder: {routines_dir()}")
        return 0
    if not args.name:
        raise CliError("which routine? `coach routine show NAME` (see `coach routine list`)")
    r = find_routine(args.name)
    if args.toml:
        print(r.to_toml(), end="")
        return 0
    if args.no_history:
        steps = plan(r, None)
    else:
        from coach.history import plan_from_history

        steps = plan_from_history(r, lambda line: print(f"coach: {line}", file=sys.stderr))
    print(f"{r.name}" + (f" — {r.schedule}" if r.schedule else ""))
    if r.description:
        print(f"  {r.description}")
    for p in steps:
        sides = "" if p.sides == ("both",) else f" [{', '.join(p.sides)}]"
        why = f"  ({p.why()})" if p.why() else ""
        rest = f", then rest {p.rest:.0f} s" if p.rest > 0 and p.index < len(steps) else ""
        print(f"  {p.index}. {p.title}{sides}: {p.describe()}{rest}{why}")
        if p.step.note:
            print(f"       {p.step.note}")
    return 0


def _history_lines(sessions: list[dict]) -> list[str]:
    """Sessions as readable lines: a heading per session, a line per result."""
    from datetime import datetime

    from coach.history import describe_result
    from coach.history.records import POSTURE_COUNTS, describe_results
    from pose_rules.goals import clock

    lines = []
    for s in sessions:
        when = datetime.fromisoformat(s["started_at"]).astimezone().strftime("%Y-%m-%d %H:%M")
        dur = s["duration_s"]
        dur_txt = f"{dur:.0f} s" if dur < 90 else f"{dur / 60:.0f} min"
        head = f"{when}  {s['kind']}" + (f" \"{s['routine']}\"" if s["routine"] else "") + f", {dur_txt}"
        if s["kind"] in ("clip", "desk") and s["source"]:
            head += f"  ({Path(s['source']).name})"
        lines.append(head)
        desk = [r for r in s["results"] if r["goal"] == "sitting" or r["goal"] in POSTURE_COUNTS]
        for text in describe_results(desk):  # a desk session: one line, and its posture time
            lines.append(f"    {text}")
        for r in desk:
            if r["faults"]:
                lines.append("    posture faults (time sitting so): " + ", ".join(
                    f"{k.replace('_', ' ')} {clock(v)}" for k, v in sorted(r["faults"].items(), key=lambda kv: -kv[1])))
        for r in s["results"]:
            if r in desk:
                continue
            text = describe_result(r) + ("  (target reached)" if r["reached"] else "")
            if r["faults"]:
                text += "  faults: " + ", ".join(f"{k} {v:.1f} s" for k, v in
                                                 sorted(r["faults"].items(), key=lambda kv: -kv[1]))
            lines.append(f"    {text}")
        if s["note"]:
            lines.append(f"    note: {s['note']}")
    return lines


def cmd_history(args) -> int:
    from coach.history import History

    exercise = None
    if args.exercise:
        import pose_rules

        exercise = pose_rules.get_rule(args.exercise).name
    if args.delete_all and not args.yes:
        raise CliError("--delete-all removes every saved session for good; add --yes to confirm")
    if args.csv:
        _check_outputs([("--csv", args.csv)], [])
    with History() as h:
        if h.notice:
            print(f"coach: {h.notice}", file=sys.stderr)
        if args.delete_all:
            n = h.delete_all()
            print(f"deleted {n} session{'' if n == 1 else 's'} from {h.path}")
            return 0
        if args.csv:
            text = h.to_csv(exercise)
            if args.csv == "-":
                sys.stdout.write(text)
            else:
                with _output_file(args.csv) as tmp:
                    tmp.write_text(text, encoding="utf-8")
                print(f"{max(0, text.count(chr(10)) - 1)} result rows written to {args.csv}", file=sys.stderr)
            return 0
        sessions = h.sessions(exercise, limit=args.limit)
        if args.json:
            _write_json(sessions, "-")
            return 0
        if not sessions:
            what = f"{exercise} sessions" if exercise else "sessions"
            print(f"No {what} saved yet. Live sessions and routines are saved as you finish them; "
                  "`coach analyze CLIP --save` adds a reviewed clip.")
            return 0
        total = h.count()
        print(f"History in {h.path}: {total} session{'' if total == 1 else 's'}"
              + (f", showing {len(sessions)}" + (f" with {exercise}" if exercise else "")
                 if len(sessions) != total else ""))
        for line in _history_lines(sessions):
            print(line)
        current, longest = h.streak()
        print(f"streak: {current} day{'' if current == 1 else 's'} in a row now, longest {longest}")
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


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, as the other errors: ``coach: error: ...``, exit 2."""

    def error(self, message: str):
        self.exit(2, f"coach: error: {message} (see `{self.prog} --help`)\n")


def _pixels(text: str) -> int:
    """A frame-size limit in pixels (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of pixels, got {text!r}") from None
    if value < MIN_SIDE:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_SIDE} pixels, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="coach", description="Camera form coach for lower-back exercises.")
    sub = p.add_subparsers(dest="command", required=True)

    def model_opts(sp):
        sp.add_argument("--model", help="pose model bundle (.task); default: $COACH_MODEL or the installed one")
        sp.add_argument("--variant", default="full", choices=("lite", "full", "heavy"), help="pose model variant (default full)")
        sp.add_argument("--max-side", type=_pixels, default=None, metavar="PIXELS",
                        help="downscale frames so the longer side is at most this before inference (default: no)")

    a = sub.add_parser("analyze", aliases=["analyse"], help="analyse a video or a landmark track")
    a.add_argument("input", nargs="?", help="video file or landmark track (.npz), or a folder or a quoted glob "
                                            "pattern ('clips/*.mp4') of them; default: a bundled sample")
    a.add_argument("more", nargs="*", help=argparse.SUPPRESS)  # more files (an unquoted pattern): as a folder
    a.add_argument("-e", "--exercise", help="exercise name (see `coach exercises`)")
    a.add_argument("--json", metavar="FILE", help="write the JSON report to FILE ('-' for stdout)")
    a.add_argument("--annotated", metavar="FILE", help="write an annotated video (.mp4 H.264 or .webm VP9)")
    a.add_argument("--annotated-max-side", type=_pixels, default=1280, metavar="PIXELS",
                   help=f"size limit of the annotated video (default 1280, at least {MIN_SIDE})")
    a.add_argument("--target", metavar="NAME",
                   help="a target choice of the exercise (see `coach exercises`), e.g. 'breaths' for the bridge")
    a.add_argument("--thresholds", metavar="FILE|NAME",
                   help="thresholds file (JSON) to apply, or the name of a profile saved in the app")
    a.add_argument("--save-track", metavar="FILE", help="also save the landmark track (video input)")
    a.add_argument("--save", action="store_true",
                   help="keep the result in your session history (numbers only; see `coach history`)")
    a.add_argument("--jobs", type=_jobs, default=0, metavar="N", action=_Given,
                   help="analyse a video in N processes, each on a time segment of the clip, which also draw "
                        "--annotated (0, the default: one per core; 1: one process; a clip shorter than 8 s "
                        "is one segment). A folder: N clips at a time (default one per core)")
    a.add_argument("--summary", metavar="FILE", action="append",
                   help="(folder) write the summary table to FILE.csv or FILE.json (may be given twice)")
    a.add_argument("--json-dir", metavar="DIR", help="(folder) write each clip's JSON report into DIR")
    a.add_argument("--ray", metavar="ADDRESS",
                   help="(folder) analyse the clips as Ray tasks: 'local' starts Ray on this machine, 'auto' or "
                        "ray://HOST:PORT joins a cluster (the clips' paths must be readable on its workers; "
                        "pip install 'back-coach[ray]')")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    model_opts(a)
    a.set_defaults(func=cmd_analyze, jobs_given=False)

    d = sub.add_parser("desk", help="watch your sitting posture through the camera (desk mode)",
                       description="Watch your sitting posture through a local camera: posture cues, and a "
                                   "reminder to get up after --minutes of sitting. Nothing is recorded.")
    d.add_argument("--camera", type=int, metavar="N", help="camera number (default 0)")
    d.add_argument("--source", metavar="FILE", help="play a video file as the camera (no camera needed)")
    d.add_argument("--fast", action="store_true", help="(--source) as fast as it decodes, not in real time")
    d.add_argument("--minutes", type=float, metavar="M", help="remind to get up after M minutes of sitting (default 30)")
    d.add_argument("--break-s", type=float, metavar="S",
                   help="standing or away this long is a break: the sitting time starts again (default 60)")
    d.add_argument("--thresholds", metavar="FILE|NAME",
                   help="thresholds file (JSON) to apply, or the name of a profile saved in the app")
    d.add_argument("--calibrate", action="store_true", help="sit upright for 5 s at the start: limits follow you")
    d.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    d.add_argument("--no-speech", action="store_true", help="do not speak reminders and cues")
    d.add_argument("--no-save", action="store_true", help="do not keep the session in your history")
    d.add_argument("--json", metavar="FILE", help="write the JSON report to FILE ('-' for stdout)")
    d.add_argument("-q", "--quiet", action="store_true", help="no status lines")
    model_opts(d)
    d.set_defaults(func=cmd_desk)

    x = sub.add_parser("extract", help="save a video's landmark track")
    x.add_argument("video")
    x.add_argument("-o", "--output", required=True, help="track file to write (.npz is added when missing)")
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

    r = sub.add_parser("routine", help="list routines, or show one with today's targets")
    r.add_argument("action", choices=("list", "show"))
    r.add_argument("name", nargs="?", help="routine name (see `coach routine list`) or a .toml file")
    r.add_argument("--toml", action="store_true", help="(show) print the routine file itself")
    r.add_argument("--no-history", action="store_true",
                   help="(show) the first-time targets, not grown from your recorded best")
    r.set_defaults(func=cmd_routine)

    h = sub.add_parser("history", help="your saved sessions, streak, export or delete")
    h.add_argument("--json", action="store_true", help="the sessions with their results as JSON (stdout)")
    h.add_argument("-e", "--exercise", metavar="NAME", help="only the sessions with this exercise")
    h.add_argument("-n", "--limit", type=int, metavar="N", help="only the N most recent sessions")
    h.add_argument("--csv", metavar="FILE", help="export every result as CSV ('-' for stdout)")
    h.add_argument("--delete-all", action="store_true", help="delete every saved session (needs --yes)")
    h.add_argument("--yes", action="store_true", help="confirm --delete-all")
    h.set_defaults(func=cmd_history)

    m = sub.add_parser("models", help="install or locate the pose model")
    m.add_argument("action", choices=("install", "path"))
    m.add_argument("--variant", default="full", choices=("lite", "full", "heavy"))
    m.add_argument("--model", help="(path) check this bundle instead")
    m.add_argument("--force", action="store_true", help="reinstall even if cached")
    m.set_defaults(func=cmd_models)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.showwarning = _show_warning
        try:
            previous = signal.signal(signal.SIGTERM, _terminated)
        except (ValueError, OSError):  # not the main thread
            previous = None
        try:
            return _run(args)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


def _run(args) -> int:
    from pose_rules import UnknownExercise

    from coach.media.models import ModelError
    from coach.core.pose import TrackError
    from coach.engine.thresholds import ThresholdError
    from coach.session.calibration import CalibrationError
    from coach.evaluation.labels import LabelError
    from coach.media.video import VideoError
    from coach.engine.routines import RoutineError
    from coach.history import HistoryError
    from coach.session.desk_cli import SourceError

    try:
        return args.func(args)
    except (CliError, VideoError, TrackError, ThresholdError, ModelError, UnknownExercise, LabelError,
            CalibrationError, RoutineError, HistoryError, SourceError) as e:
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
