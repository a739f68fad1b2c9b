"""How well the desk posture rule (``desk_posture``) judges labelled material.

No real webcam footage of people at a desk exists here, so the rule is
measured on three kinds of material:

* **real photos**: the shared ``sittingposture_nvv`` (one man, side view:
  upright, slouched forward, reclined, legs tucked under the chair) and
  ``openposture`` (one woman: hunched with the head forward; reclined)
  photos, labelled in ``../shared/clips/dev_labels.json``;
* **real clip frames**: the polybag seated cat-cow (side view; rounded phases
  against upright / extended ones), seated side bends (front view; upright
  against leaning) and standing posture clip (never "sitting"), labelled
  here by time from their contact sheets (:data:`CLIP_LABELS`);
* **derived variants**: upright real frames changed by known geometry
  (trunk turned forward / back about the hip, head turned forward about the
  shoulder, head brought towards the camera, head pitched down, shoulders
  raised, upper body leaning, cropped to head and shoulders, nobody in view),
  each labelled by its change against the limit in force
  (:func:`label_for`): good within a third of the limit, the fault beyond
  1.5 times it, not scored in between.

Each item is judged as one frame by ``pose_rules.evaluate`` with the default
thresholds, and again with a calibration (:func:`coach.session.calibration.calibrate`)
from an upright frame of the same person. Agreement is counted on the
posture state (good / fault / not in position / can't see) and on the faults
(every required fault reported, nothing reported beyond the required and the
allowed ones).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

import pose_rules
from coach.core.pose import PoseFrame, PoseTrack
from coach.evaluation import derive as D

RULE = "desk_posture"
FAULT = "fault"
GOOD = "good"
NOT_IN_POSITION = "not_in_position"
CANT_SEE = "cant_see"

GOOD_SHARE = 1.0 / 3.0  # a change within this share of the limit: good
FAULT_SHARE = 1.5  # a change beyond this multiple of the limit: the fault

HEAD = tuple(range(0, 11))  # nose, eyes, ears, mouth
FACE_FRONT = (0, 1, 2, 3, 4, 5, 6, 9, 10)  # nose, eyes, mouth: what pitches down most
EARS = (7, 8)
UPPER = tuple(range(0, 23))  # head, shoulders, arms, hands
LOWER = tuple(range(23, 33))  # hips and legs


# ----------------------------------------------------------------------------- items and scoring

@dataclass
class Item:
    """One frame to judge with what it should be judged as."""
    name: str
    group: str
    frame: PoseFrame
    state: str  # expected: good / fault / not_in_position / cant_see
    required: frozenset = frozenset()  # faults that must be reported
    allowed: frozenset = frozenset()  # faults that may also be reported
    thresholds: Mapping[str, float] | None = None  # a calibration's values, or None (defaults)
    change: float | None = None  # the derived change, in the measure's units


@dataclass
class Outcome:
    item: Item
    state: str
    faults: tuple[str, ...]

    @property
    def state_ok(self) -> bool:
        return self.state == self.item.state

    @property
    def faults_ok(self) -> bool:
        got = set(self.faults)
        return self.state_ok and self.item.required <= got and got <= (self.item.required | self.item.allowed)


def state_of(verdict) -> str:
    return FAULT if verdict.faults else verdict.status


def judge(item: Item) -> Outcome:
    v = pose_rules.evaluate(RULE, item.frame, thresholds=item.thresholds)
    return Outcome(item, state_of(v), tuple(v.faults))


@dataclass
class Row:
    group: str
    n: int = 0
    state_ok: int = 0
    faults_ok: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        self.n += 1
        self.state_ok += o.state_ok
        self.faults_ok += o.faults_ok
        if not o.faults_ok:
            got = "+".join(o.faults) or o.state
            self.misses.append(f"{o.item.name}: {got}")


def score(outcomes: Iterable[Outcome], key: Callable[[Outcome], str] = lambda o: o.item.group) -> list[Row]:
    rows: dict[str, Row] = {}
    total = Row("all")
    for o in outcomes:
        rows.setdefault(key(o), Row(key(o))).add(o)
        total.add(o)
    return list(rows.values()) + ([total] if len(rows) > 1 else [])


def expected_words(item: Item) -> str:
    if item.state != FAULT:
        return item.state
    return "+".join(sorted(item.required)) or ("/".join(sorted(item.allowed)) if item.allowed else FAULT)


def confusion(outcomes: Iterable[Outcome]) -> dict[str, dict[str, int]]:
    """Expected (state or required faults) -> what was reported (each fault,
    or the state when no fault) -> count."""
    out: dict[str, dict[str, int]] = {}
    for o in outcomes:
        row = out.setdefault(expected_words(o.item), {})
        for got in (o.faults or (o.state,)):
            row[got] = row.get(got, 0) + 1
    return out


def label_for(change: float, limit: float, fault: str) -> tuple[str, frozenset] | None:
    """The label of a derived variant: good when the change is within a third
    of the limit in force, the fault when it is beyond 1.5 times the limit,
    None (not scored) in between."""
    if abs(change) <= GOOD_SHARE * limit:
        return GOOD, frozenset()
    if abs(change) >= FAULT_SHARE * limit:
        return FAULT, frozenset({fault})
    return None


# ----------------------------------------------------------------------------- reading the shared photos

STILL_GROUPS = {  # dev_labels "posture" -> (group, expected state, required faults, allowed faults)
    "upright": ("upright", GOOD, (), ()),
    "legs_tucked_under_chair": ("legs tucked (upright-ish)", GOOD, (), ()),
    "slouched_forward": ("slouched forward", FAULT, ("slouched",), ("head_forward",)),
    "reclined": ("reclined", FAULT, ("reclined",), ()),
    "hunched_forward_head": ("hunched, head forward", FAULT, ("slouched", "head_forward"), ()),
    "reclined_slumped": ("reclined", FAULT, ("reclined",), ()),
}


def shared_dir(root: Path | None = None) -> Path:
    return (root or Path(__file__).resolve().parents[2]).parent / "shared"


def photo_paths(shared: Path) -> list[Path]:
    clips = shared / "clips"
    return sorted(clips.glob("sittingposture_nvv/*.jpg")) + sorted(clips.glob("openposture/*.jpeg"))


def read_photos(paths: Sequence[Path], cache: Path, model: Path | None = None) -> dict[str, PoseFrame]:
    """MediaPipe readings (full model) of the photos, keyed ``folder/name``;
    each cached in ``cache`` by file, size and model so that a rerun takes no
    reading."""
    from coach.media.models import ensure_model, sha256_file

    model = model or ensure_model("full", None)
    mid = sha256_file(model)[:12]
    out: dict[str, PoseFrame] = {}
    for p in paths:
        key = f"{p.parent.name}/{p.name}"
        c = cache / f"desk_{p.parent.name}_{p.stem}_{p.stat().st_size}-{mid}.npz"
        if c.is_file():
            out[key] = PoseTrack.load(c).frame(0)
            continue
        from coach.media.estimator import PoseEstimator
        from coach.media.video import read_still
        # a fresh estimator per photo: one estimator tracks the person from
        # frame to frame, which would carry one photo's pose into the next
        with PoseEstimator(model) as est:
            f = est.process(read_still(p), 0.0)
        cache.mkdir(parents=True, exist_ok=True)
        PoseTrack.from_frames([f], {"source": key}).save(c)
        out[key] = f
    return out


def still_labels(shared: Path) -> dict[str, dict]:
    return json.loads((shared / "clips" / "dev_labels.json").read_text())["stills"]


def person_of(key: str) -> str:
    return "woman" if key.startswith("openposture/") else "man"


def calibration_values(frames: Sequence[PoseFrame], *, start: float | None = None, end: float | None = None,
                       min_seconds: float = 1.0) -> dict[str, float]:
    """The thresholds a calibration on ``frames`` (upright) sets."""
    from coach.session.calibration import calibrate

    return dict(calibrate(frames, pose_rules.get_rule(RULE), start=start, end=end, min_seconds=min_seconds).values)


def photo_items(frames: Mapping[str, PoseFrame], labels: Mapping[str, dict], calibrated: bool) -> list[Item]:
    """One item per labelled photo; calibrated: one per (photo, another upright
    photo of the same person) pair, the calibration made on that other photo
    (leave-one-out; the woman has no upright photo, so none of hers)."""
    items = []
    uprights = [k for k in frames if labels.get(k, {}).get("posture") == "upright"]
    cal_cache: dict[str, dict] = {}
    for key, f in frames.items():
        lab = labels.get(key)
        if not lab or lab.get("posture") not in STILL_GROUPS:
            continue
        group, state, req, allow = STILL_GROUPS[lab["posture"]]
        base = dict(name=key, group=group, frame=f, state=state, required=frozenset(req), allowed=frozenset(allow))
        if not calibrated:
            items.append(Item(**base))
            continue
        for u in uprights:
            if u == key or person_of(u) != person_of(key):
                continue
            if u not in cal_cache:
                cal_cache[u] = calibration_values([frames[u]])
            items.append(Item(**dict(base, name=f"{key} (cal. {Path(u).stem})"), thresholds=cal_cache[u]))
    return items


# ----------------------------------------------------------------------------- real clips

#: Seconds, labelled from contact sheets (0.5 s steps, frames checked around
#: each edge): (start, end, expected state, required faults, allowed faults).
CLIP_LABELS: dict[str, tuple] = {
    # seated cat-cow, side view, facing left: upright at the start; the back
    # rounded with the head dropped forward 1.5-4.3 s and 9.5-13.2 s; the back
    # upright / extended, chest up, 5.8-8.0 s and 14.7-16.1 s; moving between
    "clip_kocka_krava_na_zidli": (
        (0.0, 0.5, GOOD, (), ()),
        (1.5, 4.3, FAULT, ("slouched",), ("head_forward",)),
        (5.8, 8.0, GOOD, (), ()),
        (9.5, 13.2, FAULT, ("slouched",), ("head_forward",)),
        (14.7, 16.2, GOOD, (), ()),
    ),
    # seated side bends, front view: upright 0-0.6 s and 7.8-8.9 s; bent to
    # one side 1.3-7.0 s and to the other 9.6-15.3 s
    "clip_bocni_uklon_na_zidli": (
        (0.0, 0.6, GOOD, (), ()),
        (1.3, 7.0, FAULT, ("leaning",), ()),
        (7.8, 8.9, GOOD, (), ()),
        (9.6, 15.3, FAULT, ("leaning",), ()),
    ),
    # standing, turning front / side / back: never sitting
    "clip_spravny_postoj": (
        (0.0, 17.0, NOT_IN_POSITION, (), ()),
    ),
}
#: The upright stretch each clip's calibration is made on (None: not calibrated).
CLIP_CALIBRATION = {"clip_kocka_krava_na_zidli": (5.8, 8.0), "clip_bocni_uklon_na_zidli": (7.8, 8.9),
                    "clip_spravny_postoj": None}
CLIP_GROUPS = {"clip_kocka_krava_na_zidli": "cat-cow (side)", "clip_bocni_uklon_na_zidli": "side bends (front)",
               "clip_spravny_postoj": "standing"}


def devset_tracks(root: Path | None = None) -> Path:
    return (root or Path(__file__).resolve().parents[2]) / "devset" / "tracks"


def clip_items(tracks: Path, calibrated: bool) -> list[Item]:
    items = []
    for name, spans in CLIP_LABELS.items():
        p = tracks / f"{name}.npz"
        if not p.is_file():
            continue
        frames = list(PoseTrack.load(p))
        th = None
        if calibrated:
            span = CLIP_CALIBRATION[name]
            if span is None:
                continue
            th = calibration_values(frames, start=span[0], end=span[1])
        for f in frames:
            for a, b, state, req, allow in spans:
                if a <= f.timestamp <= b:
                    label = "rounded" if name.startswith("clip_kocka") and state == FAULT else state
                    items.append(Item(f"{name}@{f.timestamp:.2f}", f"{CLIP_GROUPS[name]}: {label}", f, state,
                                      frozenset(req), frozenset(allow), th))
    return items


# ----------------------------------------------------------------------------- geometry

def _turn(p: np.ndarray, pivot, idx: Iterable[int], deg: float) -> np.ndarray:
    """Points ``idx`` turned about ``pivot`` by ``deg`` in the image (y down):
    + turns a point above the pivot towards +x."""
    q = p.copy()
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    idx = list(idx)
    d = q[idx] - np.asarray(pivot, dtype=np.float64)
    q[idx] = np.asarray(pivot) + np.stack([d[:, 0] * c - d[:, 1] * s, d[:, 0] * s + d[:, 1] * c], axis=1)
    return q


def _side_index(side: str, joint: str) -> int:
    return D.side_points(side)[joint]


def side_geometry(frame: PoseFrame) -> tuple[str, float]:
    """The near side and the facing direction (+1 facing +x) the rule reads."""
    v = pose_rules.evaluate(RULE, frame)
    return v.side or "left", float(v.measures.get("facing", 1.0))


def trunk_turned(frame: PoseFrame, deg: float, head_upright: bool = False) -> PoseFrame:
    """Side view: the upper body (head, shoulders, arms) turned about the near
    hip by ``deg`` (+ forward, towards the way the person faces);
    ``head_upright``: the head carried along with the near shoulder but not
    turned (the neck straightened back to the base's head angle)."""
    side, facing = side_geometry(frame)
    p = D.to_pixels(frame)
    sh = _side_index(side, "shoulder")
    q = _turn(p, p[_side_index(side, "hip")], UPPER, deg * facing)
    if head_upright:
        q[list(HEAD)] = p[list(HEAD)] + (q[sh] - p[sh])
    return D.to_frame(frame, q)


def in_picture(base: PoseFrame, changed: PoseFrame) -> bool:
    """Every landmark the rule reads (head, shoulders, hips, knees) that is seen
    inside the picture in ``base`` still inside it after the change."""
    idx = list(range(0, 13)) + [23, 24, 25, 26]

    def inside(f: PoseFrame) -> np.ndarray:
        xy = np.asarray(f.landmarks[idx, :2])
        return np.all((xy >= 0.0) & (xy <= 1.0), axis=1)
    seen = (np.asarray(base.landmarks[idx, 3]) >= 0.5) & inside(base)
    return bool(np.all(inside(changed)[seen]))


def head_turned(frame: PoseFrame, deg: float) -> PoseFrame:
    """Side view: the head turned forward about the near shoulder by ``deg``."""
    side, facing = side_geometry(frame)
    p = D.to_pixels(frame)
    return D.to_frame(frame, _turn(p, p[_side_index(side, "shoulder")], HEAD, deg * facing))


def _shoulder_width(p: np.ndarray) -> float:
    return float(np.linalg.norm(p[11] - p[12]))


def head_closer(frame: PoseFrame, scale: float) -> PoseFrame:
    """Front view: the head landmarks scaled about the head's centre (the head
    come towards the camera, the shoulders not)."""
    p = D.to_pixels(frame)
    c = p[list(HEAD)].mean(axis=0)
    q = p.copy()
    q[list(HEAD)] = c + (p[list(HEAD)] - c) * scale
    return D.to_frame(frame, q)


def head_pitched(frame: PoseFrame, drop: float, ear_share: float = 0.25) -> PoseFrame:
    """Front view: nose, eyes and mouth moved down by ``drop`` shoulder widths,
    the ears by ``ear_share`` of that (the head tilted down)."""
    p = D.to_pixels(frame)
    sw = _shoulder_width(p)
    q = p.copy()
    q[list(FACE_FRONT), 1] += drop * sw
    q[list(EARS), 1] += ear_share * drop * sw
    return D.to_frame(frame, q)


def shoulders_raised(frame: PoseFrame, rise: float) -> PoseFrame:
    """Front view: both shoulders moved up by ``rise`` shoulder widths."""
    p = D.to_pixels(frame)
    q = p.copy()
    q[[11, 12], 1] -= rise * _shoulder_width(p)
    return D.to_frame(frame, q)


def leaned(frame: PoseFrame, deg: float) -> PoseFrame:
    """Front view: the upper body turned about the hips' midpoint by ``deg``."""
    p = D.to_pixels(frame)
    return D.to_frame(frame, _turn(p, (p[23] + p[24]) / 2.0, UPPER, deg))


def head_and_shoulders(frame: PoseFrame) -> PoseFrame:
    """The picture cropped to head and shoulders: hips and legs unseen."""
    lm = np.array(frame.landmarks, dtype=np.float32)
    lm[list(LOWER), 3] = 0.0
    return PoseFrame(lm, None, frame.timestamp, frame.image_size)


def nobody(frame: PoseFrame) -> PoseFrame:
    return PoseFrame.empty(frame.timestamp, frame.image_size)


# ----------------------------------------------------------------------------- derived variants

SIDE_TRUNK = (0.0, 3.0, -3.0, 8.0, 15.0, 20.0, 25.0, 35.0, -8.0, -15.0, -20.0, -25.0, -35.0)
SIDE_HEAD = (3.0, 8.0, 15.0, 20.0, 30.0)
FRONT_CLOSER = (1.05, 1.1, 1.2, 1.3, 1.4, 1.5)
FRONT_PITCH = (0.03, 0.1, 0.2, 0.3, 0.4)
FRONT_SHRUG = (0.03, 0.15, 0.25, 0.35)
FRONT_LEAN = (2.0, -2.0, 5.0, 15.0, -15.0, 25.0, -25.0)


def side_bases(frames: Mapping[str, PoseFrame], labels: Mapping[str, dict], tracks: Path) -> list[tuple[str, PoseFrame]]:
    """Upright side-view frames: the man's upright photos and the cat-cow
    clip's upright frames (every 0.5 s of its upright stretches)."""
    out = [(k, f) for k, f in frames.items() if labels.get(k, {}).get("posture") == "upright"]
    p = tracks / "clip_kocka_krava_na_zidli.npz"
    if p.is_file():
        out += _every(PoseTrack.load(p), ((0.0, 0.5), (5.8, 8.0), (14.7, 16.2)), "kocka_krava")
    return out


def front_bases(tracks: Path) -> list[tuple[str, PoseFrame]]:
    """Upright front-view frames of the seated side-bend clip (every 0.5 s of
    0-0.6 s and 7.8-8.9 s)."""
    p = tracks / "clip_bocni_uklon_na_zidli.npz"
    return _every(PoseTrack.load(p), ((0.0, 0.6), (7.8, 8.9)), "bocni_uklon") if p.is_file() else []


def _every(track: PoseTrack, spans, name: str, step: float = 0.5) -> list[tuple[str, PoseFrame]]:
    out, last = [], -1e9
    for f in track:
        if any(a <= f.timestamp <= b for a, b in spans) and f.timestamp - last >= step - 1e-6:
            out.append((f"{name}@{f.timestamp:.1f}", f))
            last = f.timestamp
    return out


def _th(calibration: Mapping[str, float] | None) -> dict[str, float]:
    return dict(pose_rules.get_rule(RULE).resolve(calibration))


def derived_items(side: Sequence[tuple[str, PoseFrame]], front: Sequence[tuple[str, PoseFrame]],
                  standing: Sequence[tuple[str, PoseFrame]] = (), calibrated: bool = False,
                  refused: list[str] | None = None) -> list[Item]:
    """The labelled variants of the upright bases; calibrated: each judged
    with a calibration made on its own base frame (a base the calibration
    refuses is left out and named in ``refused``)."""
    from coach.session.calibration import CalibrationError

    items: list[Item] = []

    def cal(f: PoseFrame):
        return calibration_values([f]) if calibrated else None

    def usable(name: str, f: PoseFrame) -> bool:
        if not calibrated:
            return True
        try:
            calibration_values([f])
            return True
        except CalibrationError as e:
            if refused is not None:
                refused.append(f"{name}: {e}")
            return False

    side = [(n, f) for n, f in side if usable(n, f)]
    front = [(n, f) for n, f in front if usable(n, f) and usable(n + " (head+shoulders)", head_and_shoulders(f))]

    def add(name, group, frame, change, limit, fault, th, allowed=(), base=None):
        lab = label_for(change, limit, fault)
        if lab is None:
            return
        if base is not None and not in_picture(base, frame):
            if refused is not None:
                refused.append(f"{name}: the change takes the body out of the picture")
            return
        items.append(Item(name, group, frame, lab[0], lab[1], frozenset(allowed) if lab[0] == FAULT else frozenset(),
                          th, change))

    for bname, f in side:
        c = cal(f)
        th = _th(c)
        src = "side, clip" if bname.startswith("kocka") else "side, photos"
        for d in SIDE_TRUNK:
            g = f"{src}: trunk forward" if d > 0 else f"{src}: trunk back" if d < 0 else f"{src}: upright base"
            # the head turned with the trunk comes ahead of the shoulder too: head_forward allowed
            add(f"{bname} trunk {d:+g}", g, trunk_turned(f, d) if d else f, d,
                th["slouch_deg"] if d >= 0 else th["recline_deg"], "slouched" if d >= 0 else "reclined", c,
                allowed=("head_forward",) if d > 0 else (), base=f)
            if d > 0:
                add(f"{bname} trunk {d:+g} head upright", f"{src}: trunk forward, head upright",
                    trunk_turned(f, d, head_upright=True), d, th["slouch_deg"], "slouched", c, base=f)
        for d in SIDE_HEAD:
            add(f"{bname} head {d:+g}", f"{src}: head forward", head_turned(f, d), d, th["head_fwd_deg"],
                "head_forward", c, base=f)
    for bname, f0 in front:
        for crop in (False, True):
            f = head_and_shoulders(f0) if crop else f0
            where = "front (head+shoulders)" if crop else "front"
            c = cal(f)
            th = _th(c)
            p = D.to_pixels(f)
            face = float(np.linalg.norm(p[7] - p[8]) / _shoulder_width(p))
            add(f"{bname} {where} base", f"{where}: upright base", f, 0.0, 1.0, "", c)
            for s in FRONT_CLOSER:
                add(f"{bname} {where} head x{s:g}", f"{where}: head closer", head_closer(f, s), (s - 1.0) * face,
                    th["head_forward_ratio"], "head_forward", c)
            for d in FRONT_PITCH:
                add(f"{bname} {where} pitch {d:g}", f"{where}: head pitched down", head_pitched(f, d), d,
                    th["head_drop"], "head_dropped", c)
            for d in FRONT_SHRUG:
                add(f"{bname} {where} shrug {d:g}", f"{where}: shoulders raised", shoulders_raised(f, d), d,
                    th["shrug"], "shoulders_raised", c)
            if not crop:
                for d in FRONT_LEAN:
                    add(f"{bname} {where} lean {d:+g}", f"{where}: leaning", leaned(f, d), d, th["lean_deg"],
                        "leaning", c)
            else:  # no hips: the shoulder line tilted about its midpoint
                for d in FRONT_LEAN:
                    sm = (p[11] + p[12]) / 2.0
                    add(f"{bname} {where} lean {d:+g}", f"{where}: leaning",
                        D.to_frame(f, _turn(p, sm, (11, 12, 13, 14, 15, 16), d)), d, th["lean_deg"], "leaning", c)
            items.append(Item(f"{bname} {where} nobody", "nobody in view", nobody(f), CANT_SEE, thresholds=c))
    for bname, f in standing:
        items.append(Item(f"{bname} standing", "standing", f, NOT_IN_POSITION))
    return items


# ----------------------------------------------------------------------------- the whole evaluation

@dataclass
class Material:
    photos: dict[str, PoseFrame]
    labels: dict[str, dict]
    tracks: Path

    def standing_frames(self, step: float = 1.0) -> list[tuple[str, PoseFrame]]:
        p = self.tracks / "clip_spravny_postoj.npz"
        return _every(PoseTrack.load(p), ((0.0, 17.0),), "spravny", step) if p.is_file() else []


def load_material(shared: Path, tracks: Path, cache: Path, model: Path | None = None) -> Material:
    paths = photo_paths(shared)
    return Material(read_photos(paths, cache, model), still_labels(shared), tracks)


def evaluate_all(m: Material, refused: list[str] | None = None) -> dict[str, dict[str, list[Outcome]]]:
    """{"photos" | "clips" | "derived": {"default" | "calibrated": outcomes}};
    the bases a calibration refuses are named in ``refused``."""
    side = side_bases(m.photos, m.labels, m.tracks)
    front = front_bases(m.tracks)
    out: dict[str, dict[str, list[Outcome]]] = {}
    for mode, cal in (("default", False), ("calibrated", True)):
        out.setdefault("photos", {})[mode] = [judge(i) for i in photo_items(m.photos, m.labels, cal)]
        out.setdefault("clips", {})[mode] = [judge(i) for i in clip_items(m.tracks, cal)]
        out.setdefault("derived", {})[mode] = [judge(i) for i in derived_items(
            side, front, m.standing_frames() if not cal else (), calibrated=cal, refused=refused)]
    return out


SWEEPS = (  # (fault, view, what is changed, unit, step, top, change)
    ("slouched", "side", "trunk forward, head upright", "deg", 1.0, 50.0,
     lambda f, d: trunk_turned(f, d, head_upright=True)),
    ("reclined", "side", "trunk back", "deg", 1.0, 40.0, lambda f, d: trunk_turned(f, -d)),
    ("head_forward", "side", "head turned forward", "deg", 1.0, 60.0, head_turned),
    ("head_forward", "front", "head scaled (x 1+d)", "", 0.01, 0.8, lambda f, d: head_closer(f, 1.0 + d)),
    ("head_dropped", "front", "nose down (shoulder widths)", "sw", 0.01, 0.6, head_pitched),
    ("shoulders_raised", "front", "shoulders up (shoulder widths)", "sw", 0.01, 0.6, shoulders_raised),
    ("leaning", "front", "upper body leaned", "deg", 0.5, 40.0, leaned),
)


def flip_points(side: Sequence[tuple[str, PoseFrame]], front: Sequence[tuple[str, PoseFrame]],
                calibrated: bool) -> list[tuple[str, str, str, list[float]]]:
    """For each kind of change, per base: the smallest change (swept in
    steps) at which the rule reports the fault; None when it never does."""
    from coach.session.calibration import CalibrationError

    rows = []
    for fault, view, what, unit, step, top, change in SWEEPS:
        found: list[float] = []
        for name, f in (side if view == "side" else front):
            try:
                th = calibration_values([f]) if calibrated else None
            except CalibrationError:
                continue
            n = int(round(top / step))
            hit = math.nan
            for i in range(n + 1):
                d = i * step
                if fault in pose_rules.evaluate(RULE, change(f, d), thresholds=th).faults:
                    hit = d
                    break
            found.append(hit)
        rows.append((fault, f"{view}: {what}", unit, found))
    return rows


def flip_lines(rows) -> list[str]:
    lines = [f"{'fault':<17} {'change':<42} {'n':>3} {'min':>6} {'median':>6} {'max':>6}  never"]
    for fault, what, unit, xs in rows:
        ok = sorted(x for x in xs if math.isfinite(x))
        never = len(xs) - len(ok)
        if ok:
            med = ok[len(ok) // 2] if len(ok) % 2 else 0.5 * (ok[len(ok) // 2 - 1] + ok[len(ok) // 2])
            lines.append(f"{fault:<17} {what:<42} {len(xs):>3} {ok[0]:>6.2f} {med:>6.2f} {ok[-1]:>6.2f}  {never}")
        else:
            lines.append(f"{fault:<17} {what:<42} {len(xs):>3} {'-':>6} {'-':>6} {'-':>6}  {never}")
    return lines


def pct(a: int, n: int) -> str:
    return f"{100.0 * a / n:5.1f}%" if n else "   n/a"


def table(rows: Sequence[Row], title: str) -> list[str]:
    w = max([len(r.group) for r in rows] + [len(title)])
    lines = [f"{title:<{w}}  {'n':>5}  {'state':>6}  {'faults':>6}", "-" * (w + 25)]
    for r in rows:
        lines.append(f"{r.group:<{w}}  {r.n:>5}  {pct(r.state_ok, r.n)}  {pct(r.faults_ok, r.n)}")
    return lines


def confusion_lines(outcomes: Sequence[Outcome]) -> list[str]:
    conf = confusion(outcomes)
    cols = sorted({c for row in conf.values() for c in row})
    w = max(len(k) for k in conf)
    head = "expected \\ reported"
    w = max(w, len(head))
    lines = [f"{head:<{w}}  " + "  ".join(f"{c:>{max(5, len(c))}}" for c in cols)]
    for k in sorted(conf):
        lines.append(f"{k:<{w}}  " + "  ".join(f"{conf[k].get(c, 0) or '.':>{max(5, len(c))}}" for c in cols))
    return lines


__all__ = ["Item", "Outcome", "Row", "judge", "score", "confusion", "label_for", "read_photos", "photo_items",
           "clip_items", "derived_items", "side_bases", "front_bases", "load_material", "evaluate_all",
           "trunk_turned", "head_turned", "head_closer", "head_pitched", "shoulders_raised", "leaned",
           "head_and_shoulders", "nobody", "CLIP_LABELS", "STILL_GROUPS", "table", "confusion_lines"]
