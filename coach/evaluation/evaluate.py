"""``coach evaluate``: how well the coach agrees with labelled material.

Every labelled item (see :mod:`coach.evaluation.labels`) becomes a landmark track (clips
and stills go through the pose model once; their tracks are cached, so a rerun
after a rule change takes seconds) and runs through the same engine as
``coach analyze`` (the session loop, :mod:`coach.session.loop`). Per item and pooled:

* **frame agreement** on labelled in-position time with a scored form label:
  label good -> verdict good, label FAULT -> the verdict has that fault;
* **in position**: labelled in-position frames the coach sees in position,
  and labelled out-of-position frames (and negatives) it wrongly sees in position;
* **good hold**: the report's good-form hold against ``good_hold_s``
  (within max(1 s, 5 %) counts as right);
* **reps exact**: the report's reps against ``reps`` (total, and per side
  where labelled);
* **fault cue on good form**: seconds with a fault cue shown while the label
  says good form, per minute of labelled good form;
* **cue delay**: from a labelled fault's start to its cue (faults lasting at
  least 1 s; a cue must come by 1 s after the fault ends to count);
* **confusion table** per exercise (label class x verdict class, frames);
* **exercise recognition** (:class:`RecognitionTally`): which exercise
  :mod:`coach.engine.recognize` recognises, against the labelled one, per
  frame (with hysteresis, as live) and per item.

AI-generated items (``synthetic``) are listed but left out of the pooled numbers.
Items with a ``calibration`` are judged with the person's calibration from
another labelled file (as ``coach calibrate`` would set it) and pooled
separately ("plank (calibrated)").
"""
from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import pose_rules
from pose_rules.base import CANT_SEE, NOT_IN_POSITION, OBLIQUE_REASON, Rule
from coach.core.timing import MAX_FRAME_GAP_S
from coach.session.loop import CallbackSink, Session, run
from coach.session.sources import track_frames
from coach.evaluation.labels import GOOD_LABEL, NOT_IN_POSITION_LABEL, LabelItem
from coach.core.pose import PoseTrack, TrackError

#: Good-hold tolerance: max(HOLD_TOL_S, HOLD_TOL_FRAC * label).
HOLD_TOL_S = 1.0
HOLD_TOL_FRAC = 0.05
#: A labelled fault's cue counts as given when it comes within this long after the fault ends.
CUE_LATE_S = 1.0
#: Labelled faults shorter than this are not expected to produce a cue (the
#: cue waits for a fault to last; a glitch must not make the coach talk).
CUE_MIN_FAULT_S = 1.0
#: Longest frame gap that counts as continuous time (the time policy's).
MAX_GAP_S = MAX_FRAME_GAP_S
#: Default image size of landmark sequences that do not say (Keraal G3 videos).
DEFAULT_SEQUENCE_SIZE = (960, 544)
CACHE_VERSION = 1
#: Pooled groups of items judged with the person's calibration carry this suffix.
CALIBRATED = " (calibrated)"

Log = Callable[[str], None]


# ----------------------------------------------------------------------------- tracks

class TrackCache:
    """Landmark tracks of labelled media, cached by file content and model."""

    def __init__(self, folder: Path | None, model: Path | None, variant: str = "full", log: Log | None = None):
        self.folder = folder
        self.model = model
        self.variant = variant
        self.log = log or (lambda m: None)
        self._model_id: str | None = None

    def _model_key(self) -> str:
        if self._model_id is None:
            from coach.media.models import resolve_model, sha256_file

            if self.model is None:
                self.model = resolve_model(self.variant)
            self._model_id = sha256_file(self.model)[:16]
        return self._model_id

    def _cached(self, item: LabelItem, make: Callable[[], PoseTrack]) -> PoseTrack:
        h = hashlib.sha256()
        with open(item.path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        key = f"{h.hexdigest()[:24]}-{self._model_key()}-v{CACHE_VERSION}.npz"
        if self.folder is not None:
            p = self.folder / key
            if p.is_file():
                try:
                    return PoseTrack.load(p)
                except TrackError:
                    pass  # a damaged cache entry is made again
        self.log(f"extracting landmarks: {item.key}")
        track = make()
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / (key + ".part.npz")
            track.save(tmp)
            tmp.replace(self.folder / key)
        return track

    def track_of(self, path: Path) -> PoseTrack:
        """The track of any labelled file, by its suffix (calibration sources)."""
        from coach.media.video import STILL_SUFFIXES

        suffix = path.suffix.lower()
        kind = ("tracks" if suffix == ".npz" else "landmark_sequences" if suffix == ".json"
                else "stills" if suffix in STILL_SUFFIXES else "clips")
        from coach.evaluation.labels import parse_item

        return self.track(parse_item(path.name, kind, {"exercise": "-"}, path.parent))

    def track(self, item: LabelItem) -> PoseTrack:
        if item.kind == "tracks":
            return PoseTrack.load(item.path)
        if item.kind == "landmark_sequences":
            size = item.raw.get("image_size") or DEFAULT_SEQUENCE_SIZE
            return PoseTrack.from_blazepose_json(item.path, (int(size[0]), int(size[1])),
                                                 fps=float(item.raw.get("fps") or 30.0))
        if not item.path.is_file():
            raise TrackError(f"no such file: {item.path}")
        if item.kind == "stills":
            return self._cached(item, lambda: still_track(item.path, self.model))
        return self._cached(item, lambda: clip_track(item.path, self.model))


def still_track(path: Path, model) -> PoseTrack:
    """A one-frame track from a photo (EXIF orientation applied)."""
    from coach.media.estimator import PoseEstimator
    from coach.media.video import read_still

    rgb = read_still(path)
    with PoseEstimator(model) as est:
        frame = est.process(rgb, 0.0)
    return PoseTrack.from_frames([frame], meta={"source": str(path), "model": Path(model).stem})


def clip_track(path: Path, model) -> PoseTrack:
    from coach.session.sources import video_frames

    frames = [f for _, f in video_frames(path, model)]
    return PoseTrack.from_frames(frames, meta={"source": str(path), "model": Path(model).stem})


# ----------------------------------------------------------------------------- scoring

def label_class(rule: Rule, label: str | None) -> str | None:
    """A form label as a class of this rule: "good", a fault name,
    "not_in_position", or None (not scored)."""
    if label is None:
        return None
    key = label.strip().lower()
    if key == GOOD_LABEL:
        return GOOD_LABEL
    if key == NOT_IN_POSITION_LABEL:
        return NOT_IN_POSITION_LABEL
    for f in rule.faults:
        if key == f.name or key in f.aliases:
            return f.name
    return None


#: Verdict class of "can't judge the angles from this camera angle".
CANT_JUDGE = "cant_judge_angle"


def verdict_class(status: str, faults: tuple[str, ...], want: str | None = None, oblique: bool = False) -> str:
    if status == CANT_SEE:
        return CANT_JUDGE if oblique else CANT_SEE
    if status == NOT_IN_POSITION:
        return NOT_IN_POSITION
    if not faults:
        return GOOD_LABEL
    return want if want in faults else faults[0]


@dataclass
class _Frame:
    t: float
    dt: float
    status: str
    faults: tuple[str, ...]  # the rule's verdict
    shown: tuple[str, ...]  # debounced: what the user is told
    oblique: bool  # "can't judge from this camera angle"


def _run(track: PoseTrack, rule: Rule, thresholds: Mapping[str, float] | None):
    frames: list[_Frame] = []

    def on_frame(item) -> None:
        st = item.state
        v = st.verdict
        frames.append(_Frame(st.timestamp, st.dt, v.status, tuple(v.faults), tuple(st.faults),
                             v.status == CANT_SEE and v.reason.startswith(OBLIQUE_REASON)))

    session = Session(rule, thresholds, timeline=False, sinks=[CallbackSink(on_frame)])
    return run(track_frames(track), session), frames


def _frame_weights(frames: list[_Frame]) -> list[float]:
    """Seconds each frame stands for (1 for a lone still)."""
    if len(frames) == 1:
        return [1.0]
    out = []
    for i, f in enumerate(frames):
        nxt = frames[i + 1].t - f.t if i + 1 < len(frames) else (f.dt or 0.0)
        out.append(min(max(nxt, 0.0), MAX_GAP_S))
    return out


def score_positive(item: LabelItem, rule: Rule, track: PoseTrack,
                   thresholds: Mapping[str, float] | None) -> dict:
    report, frames = _run(track, rule, thresholds)
    conf: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    scored = agree = 0
    in_lab = in_got = out_lab = out_got = 0
    good_s = cue_on_good_s = 0.0
    weights = _frame_weights(frames)
    for f, w in zip(frames, weights):
        if item.is_excluded(f.t):
            continue
        pos = item.in_position(f.t)
        if pos is None:
            continue
        judged_in = f.status not in (CANT_SEE, NOT_IN_POSITION)
        if pos:
            in_lab += 1
            in_got += judged_in or (item.three_quarter and f.oblique)
            lab = label_class(rule, item.form_at(f.t))
            if lab == NOT_IN_POSITION_LABEL:
                lab = None
            if lab is None:
                continue
            scored += 1
            ok = (f.status not in (CANT_SEE, NOT_IN_POSITION)) and (
                (lab == GOOD_LABEL and not f.faults) or (lab != GOOD_LABEL and lab in f.faults))
            if item.three_quarter and f.oblique:
                ok = True  # "turn side-on, I can't judge this angle" is a right answer for a three-quarter view
            agree += ok
            conf[lab][verdict_class(f.status, f.faults, lab, f.oblique)] += 1
            if lab == GOOD_LABEL:
                good_s += w
                if f.shown:
                    cue_on_good_s += w
        else:
            out_lab += 1
            out_got += judged_in
            conf[NOT_IN_POSITION_LABEL][verdict_class(f.status, f.faults, oblique=f.oblique)] += 1

    delays, missed = _cue_delays(item, rule, frames)
    res = {
        "item": item.key, "kind": item.kind, "exercise": rule.name, "synthetic": item.synthetic,
        "aspect": item.aspect, "frames": len(frames), "duration_s": round(track.duration, 2),
        "scored_frames": scored, "agree_frames": agree,
        "agreement": (agree / scored) if scored else None,
        "in_position_frames": in_lab, "judged_in_position": in_got,
        "out_of_position_frames": out_lab, "false_in_position": out_got,
        "good_form_s": round(good_s, 2), "fault_cue_on_good_s": round(cue_on_good_s, 2),
        "fault_cue_on_good_per_min": (cue_on_good_s / (good_s / 60.0)) if good_s >= 1.0 else None,
        "cue_delays": delays, "missed_fault_cues": missed,
        "confusion": {k: dict(v) for k, v in conf.items()},
        "good_hold": None, "reps": None,
    }
    if item.good_hold_s is not None and len(frames) > 1:
        hold = report.progress.part("hold")
        got = hold.total if hold is not None else 0.0
        tol = max(HOLD_TOL_S, HOLD_TOL_FRAC * item.good_hold_s)
        res["good_hold"] = {"label": item.good_hold_s, "measured": round(got, 2),
                            "error": round(got - item.good_hold_s, 2),
                            "ok": abs(got - item.good_hold_s) <= tol}
    if item.reps is not None and len(frames) > 1:
        reps = report.progress.part("reps") or report.progress.part("repeats")  # stretches: repeats per side
        counts = {k: int(v) for k, v in reps.done.items()} if reps is not None else {}
        total = sum(counts.values())
        exact = item.reps["total"] is None or total == item.reps["total"]
        for side in ("left", "right"):
            if item.reps.get(side) is not None:
                exact = exact and counts.get(side, 0) == item.reps[side]
        res["reps"] = {"label": item.reps, "measured": dict(counts), "total": total, "exact": bool(exact)}
    return res


def _cue_delays(item: LabelItem, rule: Rule, frames: list[_Frame]) -> tuple[list[dict], int]:
    out, missed = [], 0
    for span in item.form:
        lab = label_class(rule, span.label)
        if lab in (None, GOOD_LABEL, NOT_IN_POSITION_LABEL) or span.end - span.start < CUE_MIN_FAULT_S:
            continue
        cue_at = next((f.t for f in frames if span.start - 1e-9 <= f.t <= span.end + CUE_LATE_S and lab in f.shown),
                      None)
        out.append({"fault": lab, "start": span.start, "end": span.end, "cue_at": cue_at,
                    "delay_s": None if cue_at is None else round(cue_at - span.start, 3)})
        missed += cue_at is None
    return out, missed


def score_negative(item: LabelItem, rules: list[Rule], track: PoseTrack,
                   profile: Mapping[str, Mapping[str, float]]) -> list[dict]:
    out = []
    for rule in rules:
        _, frames = _run(track, rule, profile.get(rule.name))
        got = [f for f in frames if not item.is_excluded(f.t)]
        conf: dict[str, int] = defaultdict(int)
        for f in got:
            conf[verdict_class(f.status, f.faults, oblique=f.oblique)] += 1
        wrong = sum(1 for f in got if f.status not in (CANT_SEE, NOT_IN_POSITION))
        out.append({"item": item.key, "kind": item.kind, "exercise": rule.name, "negative": True,
                    "label_exercise": item.exercise, "synthetic": item.synthetic, "aspect": item.aspect,
                    "frames": len(got), "out_of_position_frames": len(got), "false_in_position": wrong,
                    "false_good": sum(1 for f in got if f.status == "good"),
                    "confusion": {NOT_IN_POSITION_LABEL: dict(conf)}})
    return out


# ----------------------------------------------------------------------------- exercise recognition

#: Rows of frames (and items) whose label is no exercise: negatives, and
#: labelled out-of-position time of an exercise.
NONE_ROW = "none (not exercising)"
#: The column of "nothing recognised".
NONE_COL = "none"
#: A still is replayed as a pose held this long past the recogniser's enter
#: time, at this frame rate; what is recognised at its end is its answer.
STILL_EXTRA_S = 0.5
STILL_FPS = 15.0


def _label_family(item: LabelItem) -> str | None:
    """The family an item is labelled with (None: no judged exercise)."""
    rule = pose_rules.RULES.get(item.exercise)
    if rule is None or not rule.judged:
        return None
    return rule.family or rule.title


def recognise_track(track: PoseTrack, recognizer) -> list[tuple[float, str | None, str | None]]:
    """(frame time, recognised family, the frame's own choice's family; None:
    none) per frame, the recogniser (:class:`coach.engine.recognize.Recognizer`)
    started afresh. A one-frame track (a still) is replayed as a held pose
    (``enter_s + STILL_EXTRA_S``) and answers with what is recognised at the end."""
    from coach.core.pose import PoseFrame

    recognizer.reset()
    fam = recognizer.family
    if len(track) == 1:
        f = track.frame(0)
        n = int(math.ceil((recognizer.enter_s + STILL_EXTRA_S) * STILL_FPS)) + 1
        rec = None
        for i in range(n):
            rec = recognizer.update(PoseFrame._trusted(f.landmarks, f.world, f.timestamp + i / STILL_FPS,
                                                       f.image_size, f.detected))
        return [(f.timestamp, rec.family, fam(rec.candidate))]
    out = []
    for f in track:
        rec = recognizer.update(f)
        out.append((f.timestamp, rec.family, fam(rec.candidate)))
    return out


class RecognitionTally:
    """The confusion matrices of exercise recognition over labelled items
    (``coach evaluate``): each file once (a file labelled again, e.g. for a
    second exercise, adds that exercise's family as a right answer: on all
    fours at rest a bird-dog and a hip extension are the same position).

    Frames: rows = the labelled family on labelled in-position frames (a
    still's frame), ``NONE_ROW`` on labelled out-of-position frames and on
    every frame of a negative item; columns = the family recognised with
    hysteresis (what the live coach uses). Items: a still's answer, a clip's
    majority over its labelled in-position time; an item with no in-position
    time answers with what was recognised longest (``none`` only if nothing
    ever was). AI-generated (synthetic) items are tallied separately."""

    def __init__(self, profile: Mapping[str, Mapping[str, float]] | None = None):
        from coach.engine.recognize import Recognizer

        self.recognizer = Recognizer(thresholds=profile or {})
        self._files: dict[Path, dict] = {}

    def add(self, item: LabelItem, track: PoseTrack) -> None:
        entry = self._files.get(item.path)
        if entry is not None:
            fam = _label_family(item)
            if fam is not None:
                entry["also"].add(fam)
            return
        self._files[item.path] = {"item": item, "also": set(), "got": recognise_track(track, self.recognizer)}

    def _score(self, entry: dict) -> dict:
        item: LabelItem = entry["item"]
        fam = _label_family(item)
        frames: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        choices: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        in_cols: list[str] = []
        out_cols: list[str] = []
        for t, got, choice in entry["got"]:
            if item.is_excluded(t):
                continue
            col, ccol = got or NONE_COL, choice or NONE_COL
            if fam is None:
                row = NONE_ROW
            else:
                pos = item.in_position(t)
                if pos is None:
                    continue
                row = fam if pos else NONE_ROW
                if pos:  # the file's other label: right too
                    col, ccol = (fam if c in entry["also"] else c for c in (col, ccol))
            frames[row][col] += 1
            choices[row][ccol] += 1
            (in_cols if row != NONE_ROW else out_cols).append(col)
        if in_cols:
            row, col = fam, _majority(in_cols)
        else:
            seen = [c for c in out_cols if c != NONE_COL]
            row, col = NONE_ROW, (_majority(seen) if seen else NONE_COL)
        allowed = sorted({c for c in frames.get(NONE_ROW, {}) if c != NONE_COL and self._allowed(item, c)})
        return {"item": item.key, "synthetic": item.synthetic, "label": row, "recognised": col,
                "negative": fam is None,
                "frames": sum(sum(r.values()) for r in frames.values()),
                "confusion": {k: dict(v) for k, v in frames.items()},
                "confusion_no_hysteresis": {k: dict(v) for k, v in choices.items()},
                "label_allows": allowed}

    def _allowed(self, item: LabelItem, family: str) -> bool:
        """Whether ``family``, recognised where ``item`` is labelled not in
        position, is an exercise the label does not rule out: not the item's
        own, and none of its rules in the item's ``negative_for`` (a negative
        item without one rules out every rule). A plank with the knees put
        down is labelled "not in position" for the plank; a knee plank is
        what it is."""
        if family == _label_family(item):
            return False
        if item.negative_for is None:
            return _label_family(item) is not None
        names = {n for n, r in pose_rules.RULES.items() if (r.family or r.title) == family}
        return not names & set(item.negative_for)

    def result(self) -> dict:
        from coach.engine.recognize import GLITCH_S

        per_item = [self._score(e) for e in self._files.values()]
        out = {"enter_s": self.recognizer.enter_s, "leave_s": self.recognizer.leave_s, "glitch_s": GLITCH_S,
               "pooled": _recognition_pool([r for r in per_item if not r["synthetic"]])}
        synth = [r for r in per_item if r["synthetic"]]
        if synth:
            out["synthetic"] = _recognition_pool(synth)
        out["items"] = per_item
        return out


def _majority(cols: list[str]) -> str:
    counts: dict[str, int] = defaultdict(int)
    for c in cols:
        counts[c] += 1
    return max(counts, key=lambda c: (counts[c], -cols.index(c)))


def _recognition_pool(rs: list[dict]) -> dict:
    frames: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    choices: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    items: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    neg_frames = neg_false = allowed_frames = allowed_items = 0
    for r in rs:
        for conf, out in ((r["confusion"], frames), (r["confusion_no_hysteresis"], choices)):
            for row, cols in conf.items():
                for col, n in cols.items():
                    out[row][col] += n
        items[r["label"]][r["recognised"]] += 1
        allowed_frames += sum(n for c, n in r["confusion"].get(NONE_ROW, {}).items() if c in r["label_allows"])
        allowed_items += r["label"] == NONE_ROW and r["recognised"] in r["label_allows"]
        if r["negative"]:
            neg_frames += sum(r["confusion"][NONE_ROW].values())
            neg_false += sum(n for c, n in r["confusion"][NONE_ROW].items() if c != NONE_COL)
    fm, im = _matrix(frames), _matrix(items)
    for m, extra in ((fm, allowed_frames), (im, allowed_items)):
        m["label_allows"] = extra
        m["accuracy_label_allows"] = ((m["accuracy"] * m["total"] + extra) / m["total"]) if m["total"] else None
    return {"files": len(rs), "frames": fm, "items": im, "frames_no_hysteresis": _matrix(choices),
            "negative_frames": neg_frames, "negative_recognised": neg_false}


def _matrix(conf: dict) -> dict:
    def right(row: str, cols: dict) -> int:
        return cols.get(NONE_COL if row == NONE_ROW else row, 0)

    total = sum(sum(c.values()) for c in conf.values())
    ok = sum(right(r, c) for r, c in conf.items())
    return {"confusion": {r: dict(c) for r, c in conf.items()},
            "recall": {r: (right(r, c) / sum(c.values())) if sum(c.values()) else None for r, c in conf.items()},
            "total": total, "accuracy": (ok / total) if total else None}


def _family_order() -> list[str]:
    out: list[str] = []
    for r in pose_rules.RULES.values():
        fam = r.family or r.title
        if r.judged and fam not in out:
            out.append(fam)
    return out


def format_recognition(rec: dict) -> list[str]:
    """The recognition matrices as text lines (see :class:`RecognitionTally`)."""
    lines: list[str] = []
    parts = [("pooled", "")]
    if rec.get("synthetic"):
        parts.append(("synthetic", ", AI-generated items only (not pooled)"))
    for key, what in parts:
        pooled = rec[key]
        for unit, title in (("frames", "frames"), ("items", "items: a still's answer, a clip's majority")):
            m = pooled[unit]
            if not m["total"]:
                continue
            lines.append("")
            lines.append(f"Exercise recognition ({title}{what}; rows = label, columns = recognised, "
                         f"{rec['enter_s']:g} s to recognise, {rec['leave_s']:g} s to let go):")
            lines += _recognition_table(m)
            lines.append(f"  accuracy {_pct(m['accuracy'])} of {m['total']} {unit}"
                         + (f"; {_pct(m['accuracy_label_allows'])} counting as right the {m['label_allows']} "
                            f"{unit} labelled not in position and recognised as an exercise the label does not "
                            "rule out (its negative_for)" if m["label_allows"] else ""))
            if unit == "frames":
                lines.append(f"  each frame's own choice, no hysteresis: accuracy "
                             f"{_pct(pooled['frames_no_hysteresis']['accuracy'])}")
        if pooled["negative_frames"]:
            lines.append(f"  negative items (no exercise labelled): {pooled['negative_recognised']} of "
                         f"{pooled['negative_frames']} frames recognised as an exercise")
    wrong = [r for r in rec["items"] if r["recognised"] != (NONE_COL if r["label"] == NONE_ROW else r["label"])]
    wrong.sort(key=lambda r: (r["recognised"] in r["label_allows"], r["synthetic"]))  # the real mistakes first
    if wrong:
        lines.append(f"  items recognised wrongly ({len(wrong)}"
                     + (", first 30" if len(wrong) > 30 else "") + "):")
        for r in wrong[:30]:
            lines.append(f"    {r['item'][-60:]:60} {r['label']} -> {r['recognised']}"
                         + (" (the label allows it)" if r["recognised"] in r["label_allows"] else "")
                         + (" [synthetic]" if r["synthetic"] else ""))
    return lines


def _recognition_table(m: dict) -> list[str]:
    conf = m["confusion"]
    order = _family_order()
    fams = {r for r in conf if r != NONE_ROW} | {c for row in conf.values() for c in row if c != NONE_COL}
    fams_sorted = sorted(fams, key=lambda f: (order.index(f) if f in order else len(order), f))
    rows = [f for f in fams_sorted if f in conf] + ([NONE_ROW] if NONE_ROW in conf else [])
    cols = fams_sorted + [NONE_COL]
    num = {f: str(i + 1) for i, f in enumerate(fams_sorted)}
    num[NONE_COL] = NONE_COL
    w = max(6, len(str(max((n for row in conf.values() for n in row.values()), default=0))) + 1)
    out = [" " * 41 + "".join(f"{num[c]:>{w}}" for c in cols) + f"{'recall':>8}"]
    for r in rows:
        label = f"{num[r]:>3} {r}" if r in num else f"    {r}"
        out.append(f"  {label[:38]:38} " + "".join(f"{conf[r].get(c, 0):>{w}d}" for c in cols)
                   + f"{_pct(m['recall'][r]):>8}")
    return out


# ----------------------------------------------------------------------------- the run

def evaluate_items(items: list[LabelItem], cache: TrackCache,
                   profile: Mapping[str, Mapping[str, float]] | None = None,
                   progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Score every item; returns {"items": [...], "errors": [...], "pooled": {...}}."""
    profile = profile or {}
    results, errors = [], []
    recognition = RecognitionTally(profile)
    for i, item in enumerate(items):
        if progress:
            progress(i, len(items), item.key)
        try:
            track = cache.track(item)
        except Exception as e:  # one unreadable item must not stop the rest
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            errors.append({"item": item.key, "error": msg})
            continue
        recognition.add(item, track)
        if item.exercise in pose_rules.RULES:
            rule = pose_rules.RULES[item.exercise]
            overrides = dict(profile.get(rule.name) or {})
            if item.calibration is not None:
                from coach.session.calibration import MIN_SECONDS, CalibrationError, calibrate

                try:
                    source = cache.track_of(item.calibration["path"])
                    cal = calibrate(source, rule, overrides, start=item.calibration["from"],
                                    end=item.calibration["to"], min_seconds=0.0 if len(source) == 1 else MIN_SECONDS)
                except (CalibrationError, TrackError, OSError, ValueError) as e:
                    errors.append({"item": item.key, "error": f"calibration refused: {str(e).splitlines()[0]}"})
                    continue
                overrides.update(cal.values)
            res = score_positive(item, rule, track, overrides)
            res["calibrated"] = item.calibration is not None
            results.append(res)
            for name in item.negative_for or ():
                if name in pose_rules.RULES and name != rule.name:
                    results += score_negative(item, [pose_rules.RULES[name]], track, profile)
        else:
            names = item.negative_for if item.negative_for is not None else list(pose_rules.exercises())
            # a step the camera does not judge has no position to be wrong about
            rules = [pose_rules.RULES[n] for n in names if n in pose_rules.RULES and pose_rules.RULES[n].judged]
            results += score_negative(item, rules, track, profile)
    if progress:
        progress(len(items), len(items), "")
    return {"items": results, "errors": errors, "pooled": pool(results), "recognition": recognition.result()}


def pool(results: list[dict]) -> dict:
    """Pooled numbers over the non-synthetic results, overall and per exercise."""
    real = [r for r in results if not r.get("synthetic")]
    by_ex: dict[str, list[dict]] = defaultdict(list)
    for r in real:
        by_ex[r["exercise"] + (CALIBRATED if r.get("calibrated") else "")].append(r)
    out = {"all": _pool([r for r in real if not r.get("calibrated")])}
    cal = [r for r in real if r.get("calibrated")]
    if cal:
        out["all" + CALIBRATED] = _pool(cal)
    for ex in sorted(by_ex):
        out[ex] = _pool(by_ex[ex])
    return out


def _pool(rs: list[dict]) -> dict:
    pos = [r for r in rs if not r.get("negative")]
    scored = sum(r["scored_frames"] for r in pos)
    agree = sum(r["agree_frames"] for r in pos)
    in_lab = sum(r["in_position_frames"] for r in pos)
    in_got = sum(r["judged_in_position"] for r in pos)
    out_lab = sum(r["out_of_position_frames"] for r in rs)
    out_got = sum(r["false_in_position"] for r in rs)
    good_s = sum(r["good_form_s"] for r in pos if r["frames"] > 1)
    cue_s = sum(r["fault_cue_on_good_s"] for r in pos if r["frames"] > 1)
    holds = [r["good_hold"] for r in pos if r.get("good_hold")]
    reps = [r["reps"] for r in pos if r.get("reps")]
    delays = sorted(d["delay_s"] for r in pos for d in r["cue_delays"] if d["delay_s"] is not None)
    missed = sum(r["missed_fault_cues"] for r in pos)
    conf: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rs:
        for lab, row in r["confusion"].items():
            for v, n in row.items():
                conf[lab][v] += n
    return {
        "items": len({r["item"] for r in rs}),
        "scored_frames": scored, "agreement": (agree / scored) if scored else None,
        "in_position_recall": (in_got / in_lab) if in_lab else None,
        "false_in_position_rate": (out_got / out_lab) if out_lab else None,
        "out_of_position_frames": out_lab,
        "good_hold_ok": f"{sum(h['ok'] for h in holds)}/{len(holds)}" if holds else None,
        "good_hold_mean_abs_error_s": (sum(abs(h["error"]) for h in holds) / len(holds)) if holds else None,
        "reps_exact": f"{sum(r['exact'] for r in reps)}/{len(reps)}" if reps else None,
        "fault_cue_on_good_per_min": (cue_s / (good_s / 60.0)) if good_s >= 1.0 else None,
        "good_form_minutes": round(good_s / 60.0, 2),
        "cue_delay_median_s": delays[len(delays) // 2] if delays else None,
        "cue_delay_max_s": delays[-1] if delays else None,
        "fault_cues_given": f"{len(delays)}/{len(delays) + missed}" if (delays or missed) else None,
        "confusion": {k: dict(v) for k, v in conf.items()},
    }


# ----------------------------------------------------------------------------- text

def _pct(x) -> str:
    return "   –  " if x is None else f"{100 * x:5.1f}%"


def format_results(res: dict) -> str:
    lines = []
    head = f"{'item':52} {'exercise':15} {'frames':>6} {'agree':>7} {'in-pos':>7} {'false-in':>8}  {'hold label/got':>15}  {'reps label/got':>14} {'cue/min':>7}"
    lines.append(head)
    lines.append("-" * len(head))
    negatives: dict[str, list[dict]] = {}
    for r in res["items"]:
        if r.get("negative"):
            negatives.setdefault(r["item"], []).append(r)
    shown: set[str] = set()
    for r in res["items"]:
        name = r["item"] if len(r["item"]) <= 52 else "…" + r["item"][-51:]
        if r.get("synthetic"):
            name = (name[:40] + " [synthetic]") if len(name) > 40 else name + " [synthetic]"
        if r.get("calibrated"):
            name = (name[:39] + " [calibrated]") if len(name) > 39 else name + " [calibrated]"
        if r.get("negative"):
            if r["item"] in shown:
                continue
            shown.add(r["item"])
            group = negatives[r["item"]]
            wrong = [g["exercise"] for g in group if g["false_in_position"]]
            fi = f"{sum(g['false_in_position'] for g in group)}/{sum(g['out_of_position_frames'] for g in group)}"
            what = f"negative for {len(group)} rule{'s' if len(group) != 1 else ''}"
            lines.append(f"{name:52} {what:31} {fi:>8}" + (f"  in position for: {', '.join(wrong)}" if wrong else ""))
            continue
        inp = (r["judged_in_position"] / r["in_position_frames"]) if r["in_position_frames"] else None
        fi = f"{r['false_in_position']}/{r['out_of_position_frames']}" if r["out_of_position_frames"] else ""
        hold = ""
        if r.get("good_hold"):
            g = r["good_hold"]
            hold = f"{g['label']:.1f}/{g['measured']:.1f}{'' if g['ok'] else ' ✗'}"
        reps = ""
        if r.get("reps"):
            lab = r["reps"]["label"]
            reps = f"{lab['total']}/{r['reps']['total']}{'' if r['reps']['exact'] else ' ✗'}"
        cpm = r.get("fault_cue_on_good_per_min")
        lines.append(f"{name:52} {r['exercise']:15} {r['frames']:6d} {_pct(r['agreement']):>7} {_pct(inp):>7} "
                     f"{fi:>8}  {hold:>15}  {reps:>14} {'' if cpm is None else f'{cpm:5.1f} s':>7}")
    for e in res["errors"]:
        lines.append(f"{e['item']:52} error: {e['error']}")
    lines.append("")
    lines.append("Pooled (real material only; synthetic items left out):")
    for ex, p in res["pooled"].items():
        lines.append(f"  {ex:29} items {p['items']:3d}  agreement {_pct(p['agreement'])} of {p['scored_frames']} frames"
                     f"  in-position recall {_pct(p['in_position_recall'])}"
                     f"  false in-position {_pct(p['false_in_position_rate'])} of {p['out_of_position_frames']}"
                     + (f"  good hold ok {p['good_hold_ok']} (mean |err| {p['good_hold_mean_abs_error_s']:.2f} s)"
                        if p["good_hold_ok"] else "")
                     + (f"  reps exact {p['reps_exact']}" if p["reps_exact"] else "")
                     + (f"  fault cue on good form {p['fault_cue_on_good_per_min']:.2f} s/min over {p['good_form_minutes']:.1f} min"
                        if p["fault_cue_on_good_per_min"] is not None else "")
                     + (f"  cue delay median {p['cue_delay_median_s']:.2f} s, max {p['cue_delay_max_s']:.2f} s"
                        f" ({p['fault_cues_given']} fault cues given)" if p["cue_delay_median_s"] is not None else ""))
    for ex, p in res["pooled"].items():
        if ex.startswith("all") or not p["confusion"]:
            continue
        lines.append("")
        lines.append(f"Confusion, {ex} (frames; rows = label, columns = coach):")
        lines += _confusion_table(p["confusion"])
    if res.get("recognition"):
        lines += format_recognition(res["recognition"])
    return "\n".join(lines)


def _confusion_table(conf: dict) -> list[str]:
    cols = sorted({c for row in conf.values() for c in row} | set(conf), key=lambda c: (
        c != GOOD_LABEL, c in (NOT_IN_POSITION_LABEL, CANT_SEE, CANT_JUDGE), c in (CANT_SEE, CANT_JUDGE), c))
    rows = sorted(conf, key=lambda c: (c != GOOD_LABEL, c == NOT_IN_POSITION_LABEL, c))
    w = max(14, *(len(c) for c in cols)) + 1
    out = [" " * 18 + "".join(f"{c:>{w}}" for c in cols)]
    for r in rows:
        out.append(f"  {r:16}" + "".join(f"{conf[r].get(c, 0):>{w}d}" for c in cols))
    return out


__all__ = ["TrackCache", "evaluate_items", "format_results", "pool", "label_class", "score_positive",
           "score_negative", "still_track", "clip_track", "RecognitionTally", "recognise_track", "format_recognition"]
