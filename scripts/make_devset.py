"""Build the development set in devset/: landmark tracks of the shared real
material plus labelled variants derived from them by known geometry, and
devset/labels.json (the format of ../shared/clips/dev_labels.json, read by
``coach evaluate``).

    python scripts/make_devset.py            # needs ../shared (clips + models)

What it makes (see devset/README.md for the full list and the reasoning):

* real stills (free_exercise_db photos) padded to 16:9, 4:3, 1:1 and 9:16
  and read by the pose model at each, with their labels;
* real clips (polybag) as tracks, bird_dog.mp4 also padded to 16:9, 4:3 and 1:1;
* variants of the real correct-form stills and bird-dog frames: hips raised or
  lowered about the body line by a known angle (plank, knee plank, side plank,
  bridge), a leg lifted above / left below hip level, an arm dropped, a knee
  bent or straightened, a body lowered onto the floor, one knee put down;
* clips made from real stills with real landmark noise (from a real clip):
  holds with faults of known start and length, short blips, bridge lifts;
  and the real bird-dog clip played 3 and 4 times faster (brisk reps).

The variants' magnitudes are chosen well away from any limit (faults >= 16
deg, "good" within 4 deg of the person's own reading), so the labels do not
depend on where a default sits; the defaults are set from the readings, not
the other way round. Run it again after changing the pose model; the output
is deterministic for a given model.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coach.evaluation import derive as D  # noqa: E402
from coach.core.geometry import angle_at, dist, elevation, signed_bend  # noqa: E402
from coach.core.landmarks import Landmark as L  # noqa: E402
from coach.core.pose import PoseFrame, PoseTrack  # noqa: E402

OUT = ROOT / "devset"
TRACKS = OUT / "tracks"
ASPECTS = {"16:9": 16 / 9, "4:3": 4 / 3, "1:1": 1.0, "9:16": 9 / 16}
FPS = 15.0  # derived clips
#: Heights MediaPipe reads for real bodies lying on the floor, in torso lengths
#: above the support-to-toe line (Lower_Back_Curl/0+1, Superman/0: hip 0.15-0.23,
#: knee 0.10-0.13) and for side lying (Side_Bridge/0: hip 0.2 above elbow-ankle).
LYING_HIP, LYING_KNEE = 0.18, 0.11

ALL_RULES = ["plank", "forearm_plank", "high_plank", "knee_plank", "side_plank", "side_plank_left",
             "side_plank_right", "glute_bridge", "bird_dog", "hip_extension", "partial_crunch", "prone_extension",
             "knee_to_chest", "knee_to_chest_both", "rotation_stretch", "knee_twist", "hamstring_stretch",
             "hip_flexor_stretch", "piriformis_stretch"]


def others(*keep: str) -> list[str]:
    return [r for r in ALL_RULES if r not in keep]


# ----------------------------------------------------------------------------- pose model

class Reader:
    """Pose readings of the shared media, cached (by file, padding and model)
    so that a rerun after a change to the derivations takes seconds."""

    def __init__(self, model: Path, cache: Path):
        from coach.media.estimator import PoseEstimator
        from coach.media.models import sha256_file

        self._cls = PoseEstimator
        self.model = model
        self.cache = cache
        self.model_id = sha256_file(model)[:12]

    def _cached(self, key: str, make) -> PoseTrack:
        p = self.cache / f"{key}-{self.model_id}.npz"
        if p.is_file():
            return PoseTrack.load(p)
        t = make()
        self.cache.mkdir(parents=True, exist_ok=True)
        t.save(p)
        return t

    def still(self, path: Path, aspect: float) -> PoseFrame:
        from coach.media.video import read_still

        def make():
            with self._cls(self.model) as est:
                return PoseTrack.from_frames([est.process(pad(read_still(path), aspect), 0.0)])
        key = f"{path.parent.name}_{path.stem}_{aspect:.4f}"
        return self._cached(key, make).frame(0)

    def clip(self, path: Path, aspect: float | None, max_side: int = 1280) -> PoseTrack:
        from coach.media.video import iter_frames

        def make():
            frames = []
            with self._cls(self.model) as est:
                for rgb, t in iter_frames(path, max_side=max_side):
                    frames.append(est.process(pad(rgb, aspect) if aspect else rgb, t))
            return PoseTrack.from_frames(frames)
        return self._cached(f"{path.stem}_{aspect or 0:.4f}_{max_side}", make)


def pad(img: np.ndarray, ar: float) -> np.ndarray:
    h, w = img.shape[:2]
    if abs(w / h - ar) < 1e-3:
        return img
    if w / h < ar:
        W, H = int(round(h * ar)), h
    else:
        W, H = w, int(round(w / ar))
    out = np.zeros((H, W, 3), np.uint8)
    y, x = (H - h) // 2, (W - w) // 2
    out[y:y + h, x:x + w] = img
    return out


# ----------------------------------------------------------------------------- output

LABELS: dict[str, dict] = {}


def save(track: PoseTrack, name: str, meta: dict) -> str:
    """Write a compact track (world landmarks dropped: the rules do not use
    them; positions rounded to 1e-5 of the image) and return its labels key."""
    lm = np.array(track.landmarks, dtype=np.float32)
    lm[:, :, :2] = np.round(lm[:, :, :2], 5)
    lm[:, :, 2:] = np.round(lm[:, :, 2:], 3)
    world = np.full(track.world.shape, np.nan, np.float32)
    t = PoseTrack(np.round(track.timestamps, 4), lm, world, track.image_size, dict(meta))
    path = TRACKS / f"{name}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    t.save(path)
    return f"tracks/{name}.npz"


def label(key: str, exercise: str, **fields) -> None:
    k = key if key not in LABELS else f"{key}#{exercise}"
    n = 2
    while k in LABELS:
        k = f"{key}#{exercise}{n}"
        n += 1
    LABELS[k] = {"exercise": exercise, **fields}


#: Photos taken from about 45 deg (three-quarter view): the coach may say it
#: cannot judge them instead of giving a verdict.
THREE_QUARTER = ("Butt_Lift_Bridge", "Glute_Kickback", "Pelvic_Tilt_Into_Bridge")


def still_label(key: str, exercise: str, form: str, aspect: str, source: str, note: str = "",
                negative_for: list[str] | None = None, derived: str | None = None) -> None:
    d = {"position_intervals": None, "form": form, "reps": None, "good_hold_s": None, "aspect": aspect,
         "source": source, "notes": note}
    if any(t in source for t in THREE_QUARTER):
        d["view"] = "three_quarter"
    if derived:
        d["derived"] = derived
    if negative_for:
        d["negative_for"] = negative_for
    label(key, exercise, **d)


# ----------------------------------------------------------------------------- geometry helpers

def facing(frame: PoseFrame, joints=("shoulder", "elbow", "wrist", "hip", "knee", "ankle")) -> str:
    vis = frame.landmarks[:, 3]
    score = {s: np.nanmean([vis[D.side_points(s)[j]] for j in joints]) for s in ("left", "right")}
    return "left" if score["left"] >= score["right"] else "right"


def torso(p: np.ndarray) -> float:
    s = (p[L.LEFT_SHOULDER] + p[L.RIGHT_SHOULDER]) / 2
    h = (p[L.LEFT_HIP] + p[L.RIGHT_HIP]) / 2
    return float(np.linalg.norm(s - h))


def plank_chain(side: str, support: str, end: str = "ankle"):
    sp = D.side_points(side)
    P = sp["elbow"] if support == "forearm" else sp["wrist"]
    chain = (P, sp["shoulder"], sp["hip"], sp[end])
    # hands (and forearms on the floor) stay; a straight arm's elbow turns with the arm
    g0 = [] if support == "forearm" else list(D.ELBOWS)
    trunk = list(D.FACE) + list(D.SHOULDERS) + list(D.HIPS)
    legs = list(D.KNEES) + list(D.FEET) if end == "ankle" else []
    return chain, (g0, trunk, legs)


def bend_of(side: str, end: str = "ankle"):
    sp = D.side_points(side)
    return lambda p: signed_bend(p[sp["shoulder"]], p[sp["hip"]], p[sp[end]])


def bent_plank(frame: PoseFrame, side: str, support: str, delta: float, end: str = "ankle") -> np.ndarray:
    p = D.to_pixels(frame)
    chain, groups = plank_chain(side, support, end)
    m = bend_of(side, end)
    return D.bend_chain(p, chain, groups, m, m(p) + delta)


def side_plank_parts(frame: PoseFrame):
    p = D.to_pixels(frame)
    down = "left" if p[L.LEFT_SHOULDER][1] > p[L.RIGHT_SHOULDER][1] else "right"
    return p, down


def side_bend(p: np.ndarray, down: str) -> float:
    """The side plank's measure: mid shoulder - mid hip - mid ankle."""
    S = (p[L.LEFT_SHOULDER] + p[L.RIGHT_SHOULDER]) / 2
    H = (p[L.LEFT_HIP] + p[L.RIGHT_HIP]) / 2
    A = (p[L.LEFT_ANKLE] + p[L.RIGHT_ANKLE]) / 2
    return signed_bend(S, H, A)


def bent_side_plank(frame: PoseFrame, delta: float) -> np.ndarray:
    p, down = side_plank_parts(frame)
    sp = D.side_points(down)
    # chain: supporting elbow, its shoulder, its hip, its ankle; the whole trunk
    # (both shoulders and hips) moves with the shoulder-hip link, both legs with hip-ankle
    chain = (sp["elbow"], sp["shoulder"], sp["hip"], sp["ankle"])
    other = "right" if down == "left" else "left"
    op = D.side_points(other)
    trunk = list(D.FACE) + list(D.SHOULDERS) + list(D.HIPS) + [op["elbow"], op["wrist"], op["pinky"],
                                                                op["index"], op["thumb"]]
    legs = list(D.KNEES) + list(D.FEET)
    return D.bend_chain(p, chain, ([], trunk, legs), lambda q: side_bend(q, down), side_bend(p, down) + delta)


def bridge_parts(frame: PoseFrame):
    p = D.to_pixels(frame)
    side = facing(frame, ("shoulder", "hip", "knee", "ankle"))
    leg = max(("left", "right"), key=lambda s: p[D.side_points(s)["ankle"]][1])  # the planted foot (lower)
    return p, side, leg


def bridge_bend(p, side, leg) -> float:
    s, lg = D.side_points(side), D.side_points(leg)
    return signed_bend(p[s["shoulder"]], p[s["hip"]], p[lg["knee"]])


def bent_bridge(frame: PoseFrame, delta: float) -> np.ndarray:
    """Hips raised / lowered: shoulder (on the floor) - hip - knee - ankle
    (planted foot) as a four-bar. A raised leg (single-leg bridge) moves with
    the pelvis; a second planted leg moves with the thigh."""
    p, side, leg = bridge_parts(frame)
    s, lg = D.side_points(side), D.side_points(leg)
    op = D.side_points("right" if leg == "left" else "left")
    raised = p[op["ankle"]][1] < p[op["knee"]][1]
    chain = (s["shoulder"], s["hip"], lg["knee"], lg["ankle"])
    g_hip = list(D.HIPS) + ([op["knee"], op["ankle"], op["heel"], op["foot_index"]] if raised else [])
    g_thigh = [lg["knee"]] + ([] if raised else [op["knee"]])
    return D.bend_chain(p, chain, (g_hip, g_thigh, []), lambda q: bridge_bend(q, side, leg),
                        bridge_bend(p, side, leg) + delta, drive="first")


def shoulders_back(frame: PoseFrame, side: str, support: str, back_deg: float) -> np.ndarray:
    """A pike as people do it: the upper arm (or the straight arm) turns back
    about the support point by ``back_deg``, the shoulders move back behind the
    elbows, and the hips rise (four-bar with the toes fixed)."""
    p = D.to_pixels(frame)
    chain, groups = plank_chain(side, support)
    P, S = chain[0], chain[1]
    toe = p[D.side_points(side)["foot_index"]]
    u = (toe - p[P]) / np.linalg.norm(toe - p[P])
    n = np.array([u[1], -u[0]])
    if n[1] > 0:
        n = -n

    def tilt(q):
        v = q[S] - q[P]
        return math.degrees(math.atan2(float(np.dot(v, u)), float(np.dot(v, n))))
    return D.bend_chain(p, chain, groups, tilt, tilt(p) + back_deg, max_turn_deg=80.0, drive="first",
                        prefer=bend_of(side))


def knee_plank_from(frame: PoseFrame, side: str, support: str) -> np.ndarray:
    """A knee plank made from a toe plank: the straight shoulder-hip-knee body
    turned about the support until the knee is on the floor (at the height
    MediaPipe reads for a knee on the floor), shins raised 30 degrees behind."""
    p = D.to_pixels(frame)
    sp = D.side_points(side)
    P = p[sp["elbow"] if support == "forearm" else sp["wrist"]]
    T = p[sp["foot_index"]]
    u = (T - P) / np.linalg.norm(T - P)
    n = np.array([u[1], -u[0]])
    if n[1] > 0:
        n = -n
    tl = torso(p)
    K = p[sp["knee"]]
    target_h = LYING_KNEE * tl
    # rotate everything but the hands about P so that the knee's height is target_h
    best = None
    for deg in np.arange(0.0, 30.0, 0.05):
        a = math.radians(deg)
        sgn = 1.0 if (T - P)[0] > 0 else -1.0
        Kn = P + D._rot(K - P, sgn * a)
        h = float(np.dot(Kn - P, n))
        if best is None or abs(h - target_h) < abs(best[1] - target_h):
            best = (sgn * a, h)
    ang = best[0]
    out = p.copy()
    body = list(D.FACE) + list(D.SHOULDERS) + list(D.HIPS) + list(D.KNEES) + list(D.FEET)
    if support != "forearm":
        body += list(D.ELBOWS)
    out[body] = np.array([P + D._rot(q - P, ang) for q in p[body]])
    # shins: up and back at 30 degrees from the floor line
    for s in ("left", "right"):
        q = D.side_points(s)
        Kq = out[q["knee"]]
        shin = np.linalg.norm(p[q["ankle"]] - p[q["knee"]])
        back = u if np.dot(T - P, u) > 0 else -u
        d = back * math.cos(math.radians(30)) + n * math.sin(math.radians(30))
        An = Kq + d * shin
        move = D.rigid(out[q["knee"]], out[q["ankle"]], Kq, An)
        feet = [q["ankle"], q["heel"], q["foot_index"]]
        out[feet] = move(out[feet])
    return out


def lowered(frame_pts: np.ndarray, side: str, support: str, tl: float) -> np.ndarray:
    sp = D.side_points(side)
    P = sp["elbow"] if support == "forearm" else sp["wrist"]
    return D.lower_onto_floor(frame_pts, side, P, sp["foot_index"], tl, LYING_HIP, LYING_KNEE)


def knees_bent(p: np.ndarray, angle: float, sides=("left", "right")) -> np.ndarray:
    """Both knees bent to ``angle`` (hip-knee-ankle): hips stay, the feet slide
    along the hip-ankle direction (law of cosines), the knee drops towards the
    floor; thigh and shin lengths are kept."""
    out = p.copy()
    for s in sides:
        q = D.side_points(s)
        H, A, K = out[q["hip"]], out[q["ankle"]], out[q["knee"]]
        th, sh = np.linalg.norm(K - H), np.linalg.norm(A - K)
        d_new = math.sqrt(th * th + sh * sh - 2 * th * sh * math.cos(math.radians(angle)))
        An = H + (A - H) / np.linalg.norm(A - H) * d_new
        Kn = max(D.circle_intersections(H, th, An, sh), key=lambda c: c[1])  # the lower one
        feet = [q["ankle"], q["heel"], q["foot_index"]]
        out[feet] = out[feet] + (An - A)
        out[q["knee"]] = Kn
    return out


def labels_from_delta(delta, duration: float, good_tol: float, fault_tol: float, low: str, high: str,
                      floor: float | None = None, out_of_position=lambda t: False) -> dict:
    """Labels of a clip whose hip angle differs from the person's correct form
    by the known ``delta(t)``: good within ``good_tol``, ``low`` / ``high``
    beyond ``fault_tol``; in between not scored. Below ``floor`` (hips on the
    floor) and where ``out_of_position(t)``: not in position. The labelled
    good hold is the time with good form."""
    step = 1.0 / FPS / 2
    n = int(round(duration / step)) + 1
    cls = []
    for i in range(n):
        t = i * step
        d = delta(t)
        if out_of_position(t) or (floor is not None and d <= floor):
            c = "out"
        elif abs(d) <= good_tol:
            c = "good"
        elif d <= -fault_tol:
            c = low
        elif d >= fault_tol:
            c = high
        else:
            c = "skip"
        cls.append((t, c))
    runs = []
    for t, c in cls:
        if runs and runs[-1][2] == c:
            runs[-1][1] = t
        else:
            if runs:
                runs[-1][1] = t
            runs.append([t, t, c])
    pos = [[round(a, 3), round(b, 3)] for a, b, c in runs if c != "out"]
    form = [[round(a, 3), round(b, 3), c, ""] for a, b, c in runs if c not in ("out", "skip")]
    skip = [[round(a, 3), round(b, 3)] for a, b, c in runs if c == "skip"]
    good = sum(b - a for a, b, c in runs if c == "good")
    return {"position_intervals": pos, "form": form, "excluded_intervals": skip, "good_hold_s": round(good, 2)}


# ----------------------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--cache", default=str(Path.home() / ".cache" / "back-coach" / "devset-readings"),
                    help="where the pose readings of the media are cached")
    args = ap.parse_args()
    shared = Path(args.shared)
    clips = shared / "clips"
    photos = clips / "free_exercise_db"
    model = Path(args.model) if args.model else shared / "models" / "pose_landmarker_full.task"
    reader = Reader(model, Path(args.cache))

    if TRACKS.exists():
        for f in TRACKS.glob("*.npz"):
            f.unlink()

    # ---------------------------------------------------------------- real stills
    still_specs = [
        # photo, [(exercise, form, note)], negative_for
        ("Plank/1.jpg", [("plank", "good", "forearm plank on the toes, body straight"),
                         ("forearm_plank", "good", "")], others("plank", "forearm_plank")),
        ("Push_Up_to_Side_Plank/0.jpg", [("plank", "good", "high plank (push-up top), body straight"),
                                         ("high_plank", "good", "")], others("plank", "high_plank")),
        ("Plank/0.jpg", [("plank", "not_in_position", "kneeling upright")], others("plank")),
        ("Side_Bridge/1.jpg", [("side_plank", "good", "side plank on the forearm, hips lifted, straight")],
         others("side_plank", "side_plank_left", "side_plank_right")),
        ("Side_Bridge/0.jpg", [("side_plank", "not_in_position", "lying on the side, hips on the floor")],
         others("side_plank")),
        ("Butt_Lift_Bridge/1.jpg", [("glute_bridge", "good", "hips up, shoulders-hips-knees straight")],
         others("glute_bridge")),
        ("Single_Leg_Glute_Bridge/1.jpg", [("glute_bridge", "good", "single-leg bridge, hips up")],
         others("glute_bridge")),
        ("Butt_Lift_Bridge/0.jpg", [("glute_bridge", "not_in_position",
                                     "mid-lift, hips only partly off the floor (the coach says 'Push your hips up')")],
         others("glute_bridge")),
        ("Pelvic_Tilt_Into_Bridge/0.jpg", [("glute_bridge", "not_in_position", "lying, hips down")],
         others("glute_bridge")),
        ("Pelvic_Tilt_Into_Bridge/1.jpg", [("glute_bridge", "hips_too_low",
                                            "hips clearly below the line; MediaPipe puts the hip on the line (known miss)")],
         others("glute_bridge")),
        ("Single_Leg_Glute_Bridge/0.jpg", [("glute_bridge", "not_in_position", "hips down, one leg raised")],
         others("glute_bridge", "hamstring_stretch")),  # one leg raised, knee a little bent: a hamstring stretch's shape
        ("Crunches/0.jpg", [("partial_crunch", "not_in_position", "lying, knees bent, hands behind the head")],
         others("partial_crunch")),
        ("Crunches/1.jpg", [("partial_crunch", "good", "shoulders curled off the floor")], others("partial_crunch")),
        ("One_Knee_To_Chest/0.jpg", [("knee_to_chest", "not_in_position", "lying, knees bent (start)")],
         others("knee_to_chest")),
        ("One_Knee_To_Chest/1.jpg", [("knee_to_chest", "good", "one knee pulled to the chest, other leg straight")],
         others("knee_to_chest")),
        ("Hug_Knees_To_Chest/0.jpg", [("knee_to_chest_both", "not_in_position",
                                       "lying, knees bent, head raised looking at the camera (start)")],
         others("knee_to_chest_both")),
        ("Hug_Knees_To_Chest/1.jpg", [("knee_to_chest_both", "good", "both knees pulled to the chest")],
         others("knee_to_chest_both", "knee_to_chest")),  # the one-knee rule may not see the hidden leg
        ("Lower_Back_Curl/0.jpg", [("prone_extension", "not_in_position", "prone, flat")], others("prone_extension")),
        ("Lower_Back_Curl/1.jpg", [("prone_extension", "good", "prone, chest and shoulders raised, neck in line")],
         others("prone_extension")),
        ("Superman/0.jpg", [("prone_extension", "not_in_position", "prone, flat, arms forward")],
         others("prone_extension")),
        ("Superman/1.jpg", [("prone_extension", "legs_lifted", "a superman: arms and legs raised")],
         others("prone_extension")),
        ("Hyperextensions_With_No_Hyperextension_Bench/1.jpg", [("lying_or_other", "other",
                                                                 "back extension on a bench, a partner holding the legs")],
         others("prone_extension")),  # the same movement off the floor: not a negative for the prone extension
        ("Glute_Kickback/0.jpg", [("bird_dog", "good", "all fours, no lift (three-quarter view)"),
                                  ("hip_extension", "good", "")], others("bird_dog", "hip_extension")),
        ("Glute_Kickback/1.jpg", [("hip_extension", "leg_too_high",
                                   "knee above hip level; three-quarter view from above")],
         others("bird_dog", "hip_extension")),
        ("Cat_Stretch/0.jpg", [("bird_dog", "start_position", "all fours, flat back"),
                               ("hip_extension", "start_position", "")], others("bird_dog", "hip_extension")),
        ("Cat_Stretch/1.jpg", [("bird_dog", "start_position", "all fours, rounded back"),
                               ("hip_extension", "start_position", "")], others("bird_dog", "hip_extension")),
    ]
    negatives = ["Childs_Pose/0.jpg", "Childs_Pose/1.jpg",
                 "Bent-Knee_Hip_Raise/0.jpg", "Bent-Knee_Hip_Raise/1.jpg", "Hip_Extension_with_Bands/0.jpg",
                 "Hip_Extension_with_Bands/1.jpg", "Chair_Lower_Back_Stretch/1.jpg",
                 "Hyperextensions_With_No_Hyperextension_Bench/0.jpg"]

    base: dict[tuple[str, str], PoseFrame] = {}  # (photo, aspect) -> frame
    for photo in [s[0] for s in still_specs] + negatives:
        for ak, ar in ASPECTS.items():
            f = reader.still(photos / photo, ar)
            base[(photo, ak)] = f
            name = "still_" + photo.replace("/", "_").replace(".jpg", "").lower() + "_" + ak.replace(":", "x")
            key = save(PoseTrack.from_frames([f]), name, {"source": f"free_exercise_db/{photo}", "aspect": ak})
            spec = next((s for s in still_specs if s[0] == photo), None)
            if spec is None:
                still_label(key, "lying_or_other", "other", ak, f"free_exercise_db/{photo}",
                            "not a position of any rule here", negative_for=ALL_RULES)
                continue
            for ex, form, note in spec[1]:
                still_label(key, ex, form, ak, f"free_exercise_db/{photo}", note,
                            negative_for=spec[2] if ex == spec[1][0][0] else None)
        print("still", photo)

    # ---------------------------------------------------------------- derived stills
    def derived_still(pts: np.ndarray, src: PoseFrame, name: str, exercise: str, form: str, ak: str,
                      source: str, how: str, negative_for=None, extra=(), calibrate_on: str | None = None):
        """A derived still; with ``calibrate_on`` (the labels key of the same
        person's correct form) it is labelled a second time, to be judged with
        that calibration."""
        f = D.to_frame(src, pts, 0.0)
        key = save(PoseTrack.from_frames([f]), name, {"source": source, "aspect": ak, "derived": how})
        still_label(key, exercise, form, ak, source, "", negative_for=negative_for, derived=how)
        for ex2, form2 in extra:
            still_label(key, ex2, form2, ak, source, "", derived=how)
        if calibrate_on and form != "not_in_position":
            still_label(key, exercise, form, ak, source, "judged with the calibration on the correct form",
                        derived=how)
            LABELS[list(LABELS)[-1]]["calibration"] = {"track": calibrate_on.split("#")[0]}
        return key

    def still_key(photo: str, ak: str) -> str:
        return "tracks/still_" + photo.replace("/", "_").replace(".jpg", "").lower() + "_" + ak.replace(":", "x") + ".npz"

    plank_bases = [("Plank/1.jpg", "forearm", "forearm_plank"), ("Push_Up_to_Side_Plank/0.jpg", "hands", "high_plank")]
    plank_deltas = [(-4, "good"), (4, "good"), (-16, "hips_sagging"), (-24, "hips_sagging"), (25, "hips_piked"),
                    (35, "hips_piked"), (50, "hips_piked")]
    for photo, support, strict in plank_bases:
        for ak in ASPECTS:
            f = base[(photo, ak)]
            side = facing(f)
            tag = photo.split("/")[0].lower()[:8] + "_" + ak.replace(":", "x")
            src = f"free_exercise_db/{photo}"
            for delta, form in plank_deltas:
                try:
                    pts = bent_plank(f, side, support, delta)
                except ValueError as e:
                    print("skip", photo, ak, delta, e)
                    continue
                how = f"hips {'raised' if delta > 0 else 'lowered'} {abs(delta)} deg about the shoulder-ankle line (four-bar: {support} and toes fixed)"
                derived_still(pts, f, f"plank_{tag}_bend{delta:+d}", "plank", form, ak, src, how,
                              extra=[(strict, form)], calibrate_on=still_key(photo, ak))
            # correct planks of other bodies and cameras read up to ~15-18 deg above the line (issue 7's
            # labelled footage); the same straight body read that way must still be good form
            chain, groups = plank_chain(side, support)
            read_high = D.bend_chain(D.to_pixels(f), chain, groups, bend_of(side), 16.0)
            derived_still(read_high, f, f"plank_{tag}_reads+16", "plank", "good", ak, src,
                          "correct form as MediaPipe reads it on other bodies: hips raised until the reading is "
                          "+16 deg (correct planks read up to ~15-18 deg above the line)", extra=[(strict, "good")])
            p = D.to_pixels(f)
            tl = torso(p)
            derived_still(lowered(p, side, support, tl), f, f"plank_{tag}_lying", "plank", "not_in_position", ak, src,
                          f"hips and legs lowered onto the floor (hip {LYING_HIP}, knee {LYING_KNEE} torso lengths up), "
                          f"upper body still on the {support}", negative_for=["knee_plank", strict])
            derived_still(knees_bent(p, 156), f, f"plank_{tag}_knees156", "plank", "knees_bent", ak, src,
                          "both knees bent to 156 deg, feet and hips in place")
            derived_still(knees_bent(p, 130), f, f"plank_{tag}_knees130", "plank", "not_in_position", ak, src,
                          "both knees bent to 130 deg, feet and hips in place: the knees reach the floor (kneeling)")
            for back in (40, 60):
                try:
                    pts = shoulders_back(f, side, support, back)
                except ValueError as e:
                    print("skip shoulders back", photo, ak, back, e)
                    continue
                derived_still(pts, f, f"plank_{tag}_shoulders_back{back}", "plank", "hips_piked", ak, src,
                              f"strong pike with the shoulders pushed back: upper arm turned {back} deg back about the "
                              f"{'elbow' if support == 'forearm' else 'wrist'}, hips rising (four-bar, toes fixed); "
                              f"hip bend {bend_of(side)(pts):+.0f} deg", extra=[(strict, "hips_piked")],
                              calibrate_on=still_key(photo, ak))
            kp = knee_plank_from(f, side, support)
            kf = D.to_frame(f, kp, 0.0)
            kp_key = derived_still(kp, f, f"kneeplank_{tag}_good", "knee_plank", "good", ak, src,
                          "toe plank turned about the support until the knees rest on the floor, shins raised",
                          negative_for=["plank", strict])
            # one knee down, the other leg straight (half a toe plank)
            half = p.copy()
            other = "right" if side == "left" else "left"
            for s in (side,):
                q = D.side_points(s)
                idx = [q["knee"], q["ankle"], q["heel"], q["foot_index"]]
                half[idx] = kp[idx] - (kp[D.side_points(s)["hip"]] - p[D.side_points(s)["hip"]])
            derived_still(half, f, f"plank_{tag}_oneknee", "plank", "not_in_position", ak, src,
                          f"the {side} knee put down on the floor, the {other} leg straight on the toes")
            ks = facing(kf)
            for delta, form in [(-4, "good"), (4, "good"), (-18, "hips_sagging"), (25, "hips_piked")]:
                try:
                    chain, groups = plank_chain(ks, support, "knee")
                    m = bend_of(ks, "knee")
                    pts = D.bend_chain(kp, chain, (groups[0], groups[1], list(D.KNEES) + list(D.FEET)), m,
                                       m(kp) + delta)
                except ValueError as e:
                    print("skip knee plank", photo, ak, delta, e)
                    continue
                derived_still(pts, f, f"kneeplank_{tag}_bend{delta:+d}", "knee_plank", form, ak, src,
                              f"knee plank, hips {'raised' if delta > 0 else 'lowered'} {abs(delta)} deg about the "
                              "shoulder-knee line", calibrate_on=kp_key)
        print("plank variants", photo)

    for ak in ASPECTS:
        f = base[("Side_Bridge/1.jpg", ak)]
        tag = "sidebridge_" + ak.replace(":", "x")
        src = "free_exercise_db/Side_Bridge/1.jpg"
        for delta, form in [(-3, "good"), (3, "good"), (-9, "hips_dropping"), (-20, "not_in_position"),
                            (22, "hips_too_high"), (30, "hips_too_high")]:
            try:
                pts = bent_side_plank(f, delta)
            except ValueError as e:
                print("skip side plank", ak, delta, e)
                continue
            what = (f"hips {'raised' if delta > 0 else 'lowered'} {abs(delta)} deg about the mid shoulder-ankle line "
                    f"(elbow and feet fixed)")
            if form == "not_in_position":
                what += ": the lower hip reaches the floor (as in the real Side_Bridge/0.jpg), i.e. lying on the side"
            derived_still(pts, f, f"sideplank_{tag}_bend{delta:+d}", "side_plank", form, ak, src, what,
                          calibrate_on=still_key("Side_Bridge/1.jpg", ak))
    print("side plank variants")

    # (Butt_Lift_Bridge is shot from about 45 deg: variants of it would be "can't judge" throughout)
    for photo in ("Single_Leg_Glute_Bridge/1.jpg",):
        for ak in ASPECTS:
            f = base[(photo, ak)]
            tag = photo.split("/")[0].lower()[:10] + "_" + ak.replace(":", "x")
            src = f"free_exercise_db/{photo}"
            for delta, form in [(-4, "good"), (4, "good"), (-20, "hips_too_low"), (25, "over_arching")]:
                try:
                    pts = bent_bridge(f, delta)
                except ValueError as e:
                    print("skip bridge", photo, ak, delta, e)
                    continue
                derived_still(pts, f, f"bridge_{tag}_bend{delta:+d}", "glute_bridge", form, ak, src,
                              f"hips {'raised' if delta > 0 else 'lowered'} {abs(delta)} deg about the shoulder-knee "
                              "line (shoulders and feet fixed)", calibrate_on=still_key(photo, ak))
    print("bridge variants")

    # ---------------------------------------------------------------- real clips
    poly = clips / "polybag"
    clip_tracks: dict[tuple[str, str], PoseTrack] = {}
    bird_form = [[0.0, 1.8, "good", "all fours, start position"], [1.8, 2.6, "lifting", ""],
                 [2.6, 4.8, "good", "right leg and left arm extended about level"], [4.8, 5.6, "lowering", ""],
                 [5.6, 8.3, "good", "start position"], [8.3, 10.2, "lifting", "slow lift of the left leg"],
                 [10.2, 12.1, "good", "left leg and right arm extended about level"], [12.1, 12.9, "lowering", ""],
                 [12.9, 14.25, "good", "start position"]]
    for ak, ar in [("9:16", None), ("16:9", 16 / 9), ("4:3", 4 / 3), ("1:1", 1.0)]:
        t = reader.clip(poly / "bird_dog.mp4", ar)
        clip_tracks[("bird_dog", ak)] = t
        key = save(t, f"clip_bird_dog_{ak.replace(':', 'x')}", {"source": "polybag/bird_dog.mp4", "aspect": ak})
        label(key, "bird_dog", position_intervals=[[0.0, 14.25]], form=bird_form,
              reps={"total": 2, "left": 1, "right": 1}, good_hold_s=None, aspect=ak, source="polybag/bird_dog.mp4",
              notes="real clip; reps as in the shared README; lift/lower phases not scored",
              negative_for=["plank", "knee_plank", "side_plank", "glute_bridge"])
        print("clip bird_dog", ak)
    for name, ex, fields in [
        ("kocici_hrbet", "bird_dog", dict(position_intervals=[[0.0, 12.9]], form=[[0.0, 12.9, "cat_back", "cat / rounded back on all fours"]],
                                          negative_for=others("bird_dog", "hip_extension"),
                                          reps={"total": 0, "left": 0, "right": 0}, good_hold_s=None,
                                          notes="real clip; start position only, no leg lifted")),
        ("podsazeni_panve", "glute_bridge", dict(position_intervals=[], form=None, reps={"total": 0, "left": None, "right": None},
                                                 good_hold_s=0.0, notes="real clip; small pelvic tilts, hips stay on the floor")),
        ("kocka_krava_na_zidli", "seated_cat_cow", dict(notes="real clip; seated, negative for every floor exercise")),
        ("bocni_uklon_na_zidli", "seated_side_bend", dict(notes="real clip; seated, negative for every floor exercise")),
        ("spravny_postoj", "standing", dict(notes="real clip; standing, negative for every floor exercise")),
    ]:
        t = reader.clip(poly / f"{name}.mp4", None)
        clip_tracks[(name, "native")] = t
        ak = "9:16" if t.image_size[1] > t.image_size[0] else "16:9"
        key = save(t, f"clip_{name}", {"source": f"polybag/{name}.mp4", "aspect": ak})
        fields.setdefault("negative_for", others(ex) if ex in ALL_RULES else ALL_RULES)
        label(key, ex, aspect=ak, source=f"polybag/{name}.mp4", **fields)
        print("clip", name)

    # ---------------------------------------------------------------- derived clips
    noise = D.residuals(clip_tracks[("podsazeni_panve", "native")])

    def clip_from(f: PoseFrame, poses, dur, name, exercise, ak, source, how, calibrate=None, **fields):
        """A clip made from a still; ``calibrate`` = (t0, t1) of its own correct
        form: labelled a second time, judged with that calibration."""
        tr = D.jitter_track(f, poses, dur, FPS, noise, start=len(LABELS) * 37)
        key = save(tr, name, {"source": source, "aspect": ak, "derived": how})
        label(key, exercise, aspect=ak, source=source, derived=how, **fields)
        if calibrate:
            label(key, exercise, aspect=ak, source=source, derived=how, **fields,
                  calibration={"track": key, "from": calibrate[0], "to": calibrate[1]})

    # plank held 30 s between lying on the floor before and after
    f = base[("Plank/1.jpg", "16:9")]
    side = facing(f)
    p0 = D.to_pixels(f)
    lying = lowered(p0, side, "forearm", torso(p0))
    clip_from(f, lambda t: lying if (t < 3 or t > 35) else (
        lying + (p0 - lying) * min(1.0, t - 3) if t < 4 else (p0 + (lying - p0) * min(1.0, t - 34) if t > 34 else p0)),
        38.0, "clipd_plank_hold_16x9", "plank", "16:9", "free_exercise_db/Plank/1.jpg",
        "still + real landmark noise (podsazeni_panve.mp4); lying 0-3 s, up 3-4 s, plank 4-34 s, down 34-35 s, lying 35-38 s",
        position_intervals=[[4.0, 34.0]], form=[[4.0, 34.0, "good", ""]], excluded_intervals=[[3.0, 4.0], [34.0, 35.0]],
        reps=None, good_hold_s=30.0)

    # hands plank: good, piked, good, sagging, good (4:3)
    f = base[("Push_Up_to_Side_Plank/0.jpg", "4:3")]
    side = facing(f)
    keys = [(0, 0), (8, 0), (9, 30), (14, 30), (15, 0), (21, 0), (22, -20), (27, -20), (28, 0), (34, 0)]
    cache: dict[float, np.ndarray] = {}

    def bent_at(frame, side, support, d):
        k = round(d, 1)
        if k not in cache:
            cache[k] = bent_plank(frame, side, support, k) if k else D.to_pixels(frame)
        return cache[k]
    clip_from(f, lambda t: bent_at(f, side, "hands", D.ramp(t, keys)), 34.0, "clipd_plank_faults_4x3", "plank", "4:3",
              "free_exercise_db/Push_Up_to_Side_Plank/0.jpg",
              "still + real noise; hips raised 30 deg 9-14 s, lowered 20 deg 22-27 s, 1 s ramps; labels: good within "
              "10 deg of the person's own line, a fault beyond 14 deg",
              reps=None, calibrate=(0.0, 8.0),
              **labels_from_delta(lambda t: D.ramp(t, keys), 34.0, 10, 14, "hips_sagging", "hips_piked"))

    # forearm plank held 20 s with three 0.3 s blips of +30 deg (never long enough for a cue) (1:1)
    f = base[("Plank/1.jpg", "1:1")]
    side = facing(f)
    cache.clear()
    blips = [5.0, 10.0, 15.0]

    def blip(t):
        return 30.0 if any(b <= t < b + 0.3 for b in blips) else 0.0
    clip_from(f, lambda t: bent_at(f, side, "forearm", blip(t)), 20.0, "clipd_plank_blips_1x1", "plank", "1:1",
              "free_exercise_db/Plank/1.jpg",
              "still + real noise; 0.3 s hip blips of +30 deg at 5, 10, 15 s (MediaPipe glitches)",
              position_intervals=[[0.0, 20.0]], form=[[0.0, 20.0, "good", ""]],
              excluded_intervals=[[b - 0.1, b + 0.7] for b in blips], reps=None, good_hold_s=20.0)

    # knee plank held 20 s (9:16)
    f = base[("Plank/1.jpg", "9:16")]
    side = facing(f)
    kp = knee_plank_from(f, side, "forearm")
    clip_from(f, lambda t: kp, 20.0, "clipd_kneeplank_hold_9x16", "knee_plank", "9:16", "free_exercise_db/Plank/1.jpg",
              "knee plank made from the real plank still (see the still variants) + real noise; held 20 s",
              position_intervals=[[0.0, 20.0]], form=[[0.0, 20.0, "good", ""]], reps=None, good_hold_s=20.0)

    # side plank: good 10 s, hips dropping 9 deg 11-15 s, good, down on the floor at the end (16:9)
    f = base[("Side_Bridge/1.jpg", "16:9")]
    cache.clear()

    def side_at(t):
        d = D.ramp(t, [(0, 0), (10, 0), (11, -9), (15, -9), (16, 0), (23, 0), (24, -20)])  # = side_keys
        k = round(d, 1)
        if k not in cache:
            cache[k] = bent_side_plank(f, k) if k else D.to_pixels(f)
        return cache[k]
    side_keys = [(0, 0), (10, 0), (11, -9), (15, -9), (16, 0), (23, 0), (24, -20)]
    clip_from(f, side_at, 27.0, "clipd_sideplank_16x9", "side_plank", "16:9", "free_exercise_db/Side_Bridge/1.jpg",
              "still + real noise; hips dropped 9 deg 11-15 s; lowered to the floor (20 deg: the lower hip on the "
              "floor) 23-24 s, lying 24-27 s; labels: good within 3 deg, dropping beyond 7 deg, on the floor from 16 deg",
              reps=None, calibrate=(0.0, 10.0),
              **labels_from_delta(lambda t: D.ramp(t, side_keys), 27.0, 3, 7, "hips_dropping",
                                             "hips_too_high", floor=-16))

    # glute bridge: 5 lifts with 2 s at the top, then a 10 s hold (4:3)
    f = base[("Single_Leg_Glute_Bridge/1.jpg", "4:3")]
    cache.clear()
    down = -32.0  # hips back on the floor (lift ~0.1 thigh lengths)
    keys = [(0, down), (2, down)]
    t0 = 2.0
    tops = []
    for i in range(5):
        keys += [(t0 + 1.0, 0.0), (t0 + 3.0, 0.0), (t0 + 4.0, down), (t0 + 5.5, down)]
        tops.append((t0 + 1.0, t0 + 3.0))
        t0 += 5.5
    keys += [(t0 + 1.0, 0.0), (t0 + 11.0, 0.0), (t0 + 12.0, down), (t0 + 14.0, down)]
    tops.append((t0 + 1.0, t0 + 11.0))
    end = t0 + 14.0

    def bridge_at(t):
        k = round(D.ramp(t, keys), 1)
        if k not in cache:
            cache[k] = bent_bridge(f, k) if k else D.to_pixels(f)
        return cache[k]
    clip_from(f, bridge_at, end, "clipd_bridge_reps_4x3", "glute_bridge", "4:3",
              "free_exercise_db/Single_Leg_Glute_Bridge/1.jpg",
              f"still + real noise; hips lowered {abs(down):.0f} deg to the floor and lifted 6 times (1 s up, 2 s top, "
              "1 s down; the last held 10 s); labels: good within 10 deg, hips too low beyond 14 deg, on the floor "
              "(not in position) beyond 26 deg",
              reps={"total": 6, "left": None, "right": None}, calibrate=(tops[-1][0] + 1.0, tops[-1][1] - 1.0),
              **labels_from_delta(lambda t: D.ramp(t, keys), end, 10, 14, "hips_too_low", "over_arching", floor=-26))

    # brisk bird-dog: the real clip 3x and 4x faster
    for factor in (3, 4):
        t = D.time_scaled(clip_tracks[("bird_dog", "9:16")], factor)
        key = save(t, f"clipd_bird_dog_x{factor}", {"source": "polybag/bird_dog.mp4", "aspect": "9:16",
                                                    "derived": f"played {factor}x faster"})
        label(key, "bird_dog", position_intervals=[[0.0, 14.25 / factor]],
              form=[[a / factor, b / factor, lab, n] for a, b, lab, n in bird_form],
              reps={"total": 2, "left": 1, "right": 1}, good_hold_s=None, aspect="9:16",
              source="polybag/bird_dog.mp4", derived=f"the real clip played {factor}x faster (tops of "
                                                      f"{2.2 / factor:.2f} and {1.9 / factor:.2f} s)")

    # bird-dog with the leg kicked too high in rep 1 and left too low in rep 2 (16:9)
    tr = clip_tracks[("bird_dog", "16:9")]
    frames = []
    for fr in tr:
        if not fr.detected:
            frames.append(fr)
            continue
        p = D.to_pixels(fr)
        t = fr.timestamp
        w1 = D.ramp(t, [(2.2, 0.0), (2.8, 1.0), (4.6, 1.0), (5.0, 0.0)])
        w2 = D.ramp(t, [(9.8, 0.0), (10.4, 1.0), (11.9, 1.0), (12.3, 0.0)])
        for w, leg, target in ((w1, "right", 28.0), (w2, "left", -36.0)):
            if w <= 0:
                continue
            q = D.side_points(leg)
            cur = elevation(p[q["hip"]], p[q["knee"]])
            new = cur + w * (target - cur)
            p = D.rotate_limb(p, q["hip"], q["knee"], [q["ankle"], q["heel"], q["foot_index"]], new)
        frames.append(D.to_frame(fr, p))
    t = PoseTrack.from_frames(frames)
    key = save(t, "clipd_bird_dog_leg_16x9", {"source": "polybag/bird_dog.mp4", "aspect": "16:9",
                                               "derived": "lifted thigh turned to +28 deg (rep 1) and -36 deg (rep 2)"})
    label(key, "bird_dog", position_intervals=[[0.0, 14.25]],
          form=[[0.0, 1.8, "good", ""], [2.9, 4.5, "leg_too_high", "thigh at +28 deg"], [5.6, 8.3, "good", ""],
                [10.5, 11.8, "leg_too_low", "thigh at -36 deg"], [12.9, 14.25, "good", ""]],
          reps={"total": 2, "left": 1, "right": 1}, good_hold_s=None, aspect="16:9", source="polybag/bird_dog.mp4",
          derived="the real clip with the lifted thigh turned about the hip to +28 deg (2.8-4.6 s) and -36 deg (10.4-11.9 s)")
    label(key, "bird_dog", position_intervals=[[0.0, 14.25]],
          form=LABELS[key]["form"], reps={"total": 2, "left": 1, "right": 1}, good_hold_s=None, aspect="16:9",
          source="polybag/bird_dog.mp4", derived=LABELS[key]["derived"],
          calibration={"track": "tracks/clip_bird_dog_16x9.npz", "from": 2.6, "to": 3.7})

    # bird-dog / hip extension stills at the top of each rep, all four aspects
    for ak in ("9:16", "16:9", "4:3", "1:1"):
        tr = clip_tracks[("bird_dog", ak)]
        for t_top, leg in ((3.5, "right"), (11.0, "left")):
            i = int(np.argmin(np.abs(tr.timestamps - t_top)))
            fr = tr.frame(i)
            p = D.to_pixels(fr)
            q = D.side_points(leg)
            arm = D.side_points("left" if leg == "right" else "right")
            tag = f"birddog_{leg}_{ak.replace(':', 'x')}"
            src = "polybag/bird_dog.mp4"
            lo = [q["ankle"], q["heel"], q["foot_index"]]
            top = derived_still(p, fr, f"{tag}_top", "bird_dog", "good", ak, src,
                                f"frame {fr.timestamp:.2f} s as recorded: the held top of a rep")
            level = elevation(p[q["hip"]], p[q["knee"]])  # the person's own reading of "about level"
            for dl, form in ((5.0, "good"), (-6.0, "good"), (25.0, "leg_too_high"), (-35.0, "leg_too_low")):
                el = level + dl
                pts = D.rotate_limb(p, q["hip"], q["knee"], lo, el)
                derived_still(pts, fr, f"{tag}_thigh{dl:+.0f}", "bird_dog", form, ak, src,
                              f"frame {fr.timestamp:.2f} s (thigh at {level:+.0f} deg, about level), lifted thigh "
                              f"turned about the hip by {dl:+.0f} deg", calibrate_on=top)
                # hip extension: the same with the knee bent to 90 deg (shin hanging down)
                bent = D.set_joint_angle(pts, q["hip"], q["knee"], q["ankle"], [q["heel"], q["foot_index"]], 90.0)
                if bent[q["ankle"]][1] < bent[q["knee"]][1]:  # bent the wrong way: the other way round
                    bent = D.set_joint_angle(pts, q["hip"], q["knee"], q["ankle"], [q["heel"], q["foot_index"]], -90.0)
                derived_still(bent, fr, f"{tag}_thigh{dl:+.0f}_knee90", "hip_extension", form, ak, src,
                              f"frame {fr.timestamp:.2f} s, lifted thigh turned by {dl:+.0f} deg, knee bent to 90 deg")
            derived_still(p, fr, f"{tag}_straightknee", "hip_extension", "knee_straight", ak, src,
                          f"frame {fr.timestamp:.2f} s as recorded: a bird-dog leg, straight knee")
            if np.isfinite(fr.landmarks[arm["wrist"], :2]).all() and fr.landmarks[arm["wrist"], 3] >= 0.5:
                dropped = D.rotate_limb(p, arm["shoulder"], arm["wrist"],
                                        [arm["elbow"], arm["pinky"], arm["index"], arm["thumb"]], -75.0)
                derived_still(dropped, fr, f"{tag}_armdown", "bird_dog", "arm_too_low", ak, src,
                              f"frame {fr.timestamp:.2f} s, the raised arm turned down to -75 deg")
    print("bird-dog variants")

    # ---------------------------------------------------------------- floor exercises and stretches (issue 10)
    def fstill(pts, src: PoseFrame, name, exercise, form, ak, source, how, z=None, negative_for=None):
        f = D.to_frame(src, pts, 0.0, z=z)
        key = save(PoseTrack.from_frames([f]), name, {"source": source, "aspect": ak, "derived": how})
        still_label(key, exercise, form, ak, source, "", negative_for=negative_for, derived=how)
        return key

    def leg_idx(side):
        q = D.side_points(side)
        return q, [q["knee"], q["ankle"], q["heel"], q["foot_index"]]

    def head_idx():
        return list(range(0, 11))

    def hip_angle_of(p, side, leg):
        qs, ql = D.side_points(side), D.side_points(leg)
        return angle_at(p[qs["shoulder"]], p[ql["hip"]], p[ql["knee"]])

    def set_hip_angle(p, side, leg, target, hands=False):
        """The leg (thigh, shin and foot rigidly) turned about its hip until the
        hip angle (trunk to thigh) is ``target``; with ``hands``, the hands
        holding the knee move with it."""
        ql, moving = leg_idx(leg)
        if hands:
            moving = moving + [D.side_points(s_)[j] for s_ in ("left", "right")
                               for j in ("wrist", "pinky", "index", "thumb")]
        return D.turn_to(p, ql["hip"], moving, lambda q: hip_angle_of(q, side, leg), target)

    def other(s):
        return "right" if s == "left" else "left"

    # knee to chest: the real photo pulled one knee; variants from it
    for ak in ASPECTS:
        f = base[("One_Knee_To_Chest/1.jpg", ak)]
        p = D.to_pixels(f)
        side = facing(f, ("shoulder", "hip", "knee", "ankle"))
        angles = {s: hip_angle_of(p, side, s) for s in ("left", "right")}
        pulled = min(angles, key=angles.get)
        src, tag = "free_exercise_db/One_Knee_To_Chest/1.jpg", f"k2c_{ak.replace(':', 'x')}"
        for target, form in ((angles[pulled] - 8, "good"), (angles[pulled] + 10, "good"), (92.0, "not_pulled_in")):
            fstill(set_hip_angle(p, side, pulled, target, hands=True), f, f"{tag}_hip{target:.0f}", "knee_to_chest", form, ak, src,
                   f"pulled thigh (with shin and foot) turned about the hip to a hip angle of {target:.0f} deg "
                   f"(the photo reads {angles[pulled]:.0f})")
        o = other(pulled)
        qo, mo = leg_idx(o)
        up = D.rotate_limb(p, qo["hip"], qo["ankle"], mo[:1] + mo[2:], 50.0)
        fstill(up, f, f"{tag}_otherleg50", "knee_to_chest", "other_leg_up", ak, src,
               "the straight other leg raised to 50 deg above the horizontal about its hip")
        qs = D.side_points(side)
        head_up = D.turn(p, p[qs["shoulder"]], head_idx(), 70.0 * (1 if p[qs["shoulder"]][0] > p[qs["hip"]][0] else -1))
        fstill(head_up, f, f"{tag}_head70", "knee_to_chest", "head_lifted", ak, src,
               "the head turned up 70 deg about the shoulder (lifted off the floor)")
    print("knee-to-chest variants")

    # partial crunch: sit-up and hips lifted from the real curled-up photo; the curl from the two real photos
    for ak in ASPECTS:
        f = base[("Crunches/1.jpg", ak)]
        p = D.to_pixels(f)
        side = facing(f, ("shoulder", "hip", "knee", "ankle"))
        q = D.side_points(side)
        src, tag = "free_exercise_db/Crunches/1.jpg", f"crunch_{ak.replace(':', 'x')}"
        sgn = 1 if p[q["shoulder"]][0] > p[q["hip"]][0] else -1
        upper = head_idx() + [i for s in ("left", "right") for i in
                              (D.side_points(s)[j] for j in ("shoulder", "elbow", "wrist", "pinky", "index", "thumb"))]
        situp = D.turn(p, p[q["hip"]], upper, 50.0 * sgn)
        fstill(situp, f, f"{tag}_situp50", "partial_crunch", "sit_up", ak, src,
               "the upper body turned up 50 deg about the hip: a sit-up")
        tl = torso(p)
        lifted = p.copy()
        hips = [D.side_points(s)["hip"] for s in ("left", "right")]
        lifted[upper + hips, 1] -= 0.45 * tl
        fstill(lifted, f, f"{tag}_hips045", "partial_crunch", "lower_back_lifted", ak, src,
               "hips and upper body raised 0.45 torso lengths, feet in place: the lower back off the floor")
    print("crunch variants")

    # prone extension: neck cranked, legs lifted, hips lifted from the real lifted photo
    for ak in ASPECTS:
        f = base[("Lower_Back_Curl/1.jpg", ak)]
        p = D.to_pixels(f)
        side = facing(f, ("shoulder", "hip", "knee", "ankle"))
        q = D.side_points(side)
        src, tag = "free_exercise_db/Lower_Back_Curl/1.jpg", f"prone_{ak.replace(':', 'x')}"
        sgn = 1 if p[q["shoulder"]][0] > p[q["hip"]][0] else -1
        fstill(D.turn(p, p[q["shoulder"]], head_idx(), 40.0 * sgn), f, f"{tag}_neck40", "prone_extension",
               "neck_cranked", ak, src, "the head turned back (up) 40 deg about the shoulder")
        fstill(D.turn(p, p[q["shoulder"]], head_idx(), 10.0 * sgn), f, f"{tag}_neck10", "prone_extension",
               "good", ak, src, "the head turned up 10 deg about the shoulder (still in line)")
        legs = [i for s in ("left", "right") for i in leg_idx(s)[1]]
        for deg, form in ((30.0, "legs_lifted"), (5.0, "good")):
            up = D.turn(p, p[q["hip"]], legs, -deg * sgn)
            fstill(up, f, f"{tag}_legs{deg:.0f}", "prone_extension", form, ak, src,
                   f"both legs turned up {deg:.0f} deg about the hip")
    print("prone variants")

    # hamstring stretch: the pulled leg of One_Knee_To_Chest/1 straightened and raised
    for ak in ASPECTS:
        f = base[("One_Knee_To_Chest/1.jpg", ak)]
        p = D.to_pixels(f)
        side = facing(f, ("shoulder", "hip", "knee", "ankle"))
        angles = {s: hip_angle_of(p, side, s) for s in ("left", "right")}
        leg = min(angles, key=angles.get)
        q, moving = leg_idx(leg)
        qs = D.side_points(side)
        src, tag = "free_exercise_db/One_Knee_To_Chest/1.jpg", f"ham_{ak.replace(':', 'x')}"
        straight = D.set_joint_angle(p, q["hip"], q["knee"], q["ankle"], [q["heel"], q["foot_index"]], 175.0)
        if abs(hip_angle_of(straight, side, leg) - angles[leg]) > 1:
            straight = D.set_joint_angle(p, q["hip"], q["knee"], q["ankle"], [q["heel"], q["foot_index"]], -175.0)
        def raised(pts, deg):  # leg raised deg from the trunk line
            return D.turn_to(pts, q["hip"], moving,
                             lambda r: 180.0 - angle_at(r[qs["shoulder"]], r[q["hip"]], r[q["ankle"]]), deg)
        good = raised(straight, 75.0)
        fstill(good, f, f"{tag}_raise75", "hamstring_stretch", "good", ak, src,
               "the pulled leg straightened (knee 175) and raised 75 deg from the trunk line")
        fstill(raised(straight, 45.0), f, f"{tag}_raise45", "hamstring_stretch", "leg_too_low", ak, src,
               "the same leg raised only 45 deg")
        bent = D.set_joint_angle(good, q["hip"], q["knee"], q["ankle"], [q["heel"], q["foot_index"]], 138.0)
        if abs(angle_at(bent[q["hip"]], bent[q["knee"]], bent[q["ankle"]]) - 138.0) > 2:
            bent = D.set_joint_angle(good, q["hip"], q["knee"], q["ankle"], [q["heel"], q["foot_index"]], -138.0)
        fstill(bent, f, f"{tag}_knee138", "hamstring_stretch", "knee_bent", ak, src,
               "raised 75 deg with the knee bent to 138 deg")
        o = other(leg)
        qo, mo = leg_idx(o)
        fstill(D.rotate_limb(good, qo["hip"], qo["ankle"], mo[:1] + mo[2:], 45.0), f, f"{tag}_other45",
               "hamstring_stretch", "other_leg_up", ak, src, "raised 75 deg, the other leg raised to 45 deg")
    print("hamstring variants")

    # piriformis (figure-4) from the real knees-bent lying photos
    for photo in ("One_Knee_To_Chest/0.jpg",):  # (the other knees-bent photos hide the far leg)
        for ak in ASPECTS:
            f = base[(photo, ak)]
            p = D.to_pixels(f)
            side = facing(f, ("shoulder", "hip", "knee", "ankle"))
            crossed = side  # the near leg crosses over the far knee
            sup = other(crossed)
            qc, mc = leg_idx(crossed)
            qsup, msup = leg_idx(sup)
            src, tag = f"free_exercise_db/{photo}", f"piri_{photo[:6].lower()}_{ak.replace(':', 'x')}"
            thigh = dist(p[qc["hip"]], p[qc["knee"]])
            shin = dist(p[qc["knee"]], p[qc["ankle"]])
            for target, form in ((80.0, "good"), (112.0, "not_pulled_in")):
                q2 = set_hip_angle(p, side, sup, target)
                A = q2[qsup["knee"]]
                sols = D.circle_intersections(q2[qc["hip"]], thigh, A, shin)
                if not sols:
                    print("skip piriformis", photo, ak)
                    continue
                K = min(sols, key=lambda k: k[1])  # the knee up, turned out
                q3 = q2.copy()
                foot = A - q2[qc["ankle"]]
                q3[[qc["ankle"], qc["heel"], qc["foot_index"]]] += foot
                q3[qc["knee"]] = K
                fstill(q3, f, f"{tag}_sup{target:.0f}", "piriformis_stretch", form, ak, src,
                       f"the near ankle put on the other knee (thigh and shin lengths kept), the supporting thigh "
                       f"turned to a hip angle of {target:.0f} deg")
    print("piriformis variants")

    # rotation stretch and knee twist: knees rolled to the side (depth from MediaPipe's own scale)
    #: MediaPipe's depth is on a larger scale than x and y: its hip pair reads 0.9-1.6 torso lengths apart
    #: in depth on the lying photos, where hip joints are about 0.6 torso lengths apart
    HIP_WIDTH_TORSO = 0.6
    for photo in ("One_Knee_To_Chest/0.jpg", "Pelvic_Tilt_Into_Bridge/0.jpg"):  # (Crunches/0 hides the far leg)
        for ak in ASPECTS:
            f = base[(photo, ak)]
            p, z = D.to_pixels(f), D.depths(f)
            src, tag = f"free_exercise_db/{photo}", f"rot_{photo[:6].lower()}_{ak.replace(':', 'x')}"
            hips = [D.side_points(s)["hip"] for s in ("left", "right")]
            pivot = p[hips].mean(axis=0)
            k_depth = abs(z[hips[0]] - z[hips[1]]) / (HIP_WIDTH_TORSO * torso(p))
            legs = [i for s in ("left", "right") for i in leg_idx(s)[1]]
            for deg, form in ((70.0, "good"), (-70.0, "good"), (25.0, "not_in_position")):
                q, zq = D.roll(p, z, pivot, legs, deg, k_depth)
                fstill(q, f, f"{tag}_roll{deg:+.0f}", "rotation_stretch", form, ak, src,
                       f"both legs rolled {abs(deg):.0f} deg {'towards' if deg > 0 else 'away from'} the camera "
                       f"about the hip axis (height x cos, depth + height x sin on MediaPipe's depth scale, {k_depth:.1f}x "
                       "the image's here)", z=zq)
            # a shoulder lifted: the far shoulder (with its arm) rolled up 40 deg about the near one
            q, zq = D.roll(p, z, pivot, legs, 70.0, k_depth)
            side = facing(f, ("shoulder", "hip", "knee", "ankle"))
            far = D.side_points(other(side))
            near = D.side_points(side)
            arm = [far[j] for j in ("shoulder", "elbow", "wrist", "pinky", "index", "thumb")]
            w = abs(z[far["shoulder"]] - z[near["shoulder"]])
            q2, zq2 = q.copy(), zq.copy()
            a = math.radians(40.0)
            q2[arm, 1] -= w * math.sin(a)
            zq2[arm] = z[near["shoulder"]] + (zq[arm] - z[near["shoulder"]]) * math.cos(a)
            fstill(q2, f, f"{tag}_roll+70_shoulder40", "rotation_stretch", "shoulder_lifted", ak, src,
                   "knees rolled 70 deg, the far shoulder (and arm) rolled up 40 deg about the near one", z=zq2)
    print("rotation variants")

    for ak in ASPECTS:  # knee twist: the pulled knee of One_Knee_To_Chest/1 crossed over in depth and lowered
        f = base[("One_Knee_To_Chest/1.jpg", ak)]
        p, z = D.to_pixels(f), D.depths(f)
        side = facing(f, ("shoulder", "hip", "knee", "ankle"))
        angles = {s: hip_angle_of(p, side, s) for s in ("left", "right")}
        leg = min(angles, key=angles.get)
        q, moving = leg_idx(leg)
        qo = D.side_points(other(leg))
        src, tag = "free_exercise_db/One_Knee_To_Chest/1.jpg", f"twist_{ak.replace(':', 'x')}"
        bent = set_hip_angle(p, side, leg, 90.0)
        half = (z[qo["hip"]] - z[q["hip"]]) / 2.0
        zmid = (z[qo["hip"]] + z[q["hip"]]) / 2.0
        for cross, form in ((1.4, "good"), (-0.6, "not_in_position")):
            zq = z.copy()
            zq[moving] = zmid + cross * half + (z[moving] - z[q["knee"]])
            lowered_pts = bent.copy()
            hy = bent[q["hip"]][1]
            lowered_pts[moving, 1] = hy - (hy - bent[moving, 1]) * 0.45
            fstill(lowered_pts, f, f"{tag}_cross{cross:+.1f}", "knee_twist", form, ak, src,
                   f"the pulled knee set to a 90 deg hip angle, lowered towards the floor (height x 0.45) and placed "
                   f"at {cross:+.1f} hip widths past the midline in depth", z=zq)
    print("knee twist variants")

    # hip flexor stretch: half-kneeling lunges built from the real kneeling photo (Plank/0)
    for ak in ASPECTS:
        f = base[("Plank/0.jpg", ak)]
        p = D.to_pixels(f)
        side = facing(f, ("shoulder", "hip", "knee", "ankle"))
        back, front = side, other(side)
        qb, qf = D.side_points(back), D.side_points(front)
        tl = torso(p)
        src, tag = "free_exercise_db/Plank/0.jpg", f"lunge_{ak.replace(':', 'x')}"
        # which way the person faces: the toes point backwards, so forward is away from the back foot
        fwd = 1.0 if p[qb["knee"]][0] > p[qb["ankle"]][0] else -1.0
        thigh = dist(p[qb["hip"]], p[qb["knee"]])
        shin = dist(p[qb["knee"]], p[qb["ankle"]])
        floor_y = p[qb["ankle"]][1]
        trunk_pts = head_idx() + [D.side_points(s)[j] for s in ("left", "right")
                                  for j in ("shoulder", "elbow", "wrist", "pinky", "index", "thumb")]

        def lunge(thigh_deg, lean_deg):
            q = p.copy()
            K = p[qb["knee"]]
            a = math.radians(thigh_deg)
            H = K + thigh * np.array([fwd * math.sin(a), -math.cos(a)])
            shift = H - p[qb["hip"]]
            q[trunk_pts] += shift
            q[[qb["hip"], qf["hip"]]] += shift
            # trunk turned about the hip to the lean wanted (from the photo's own lean)
            S = q[qb["shoulder"]]
            cur = math.degrees(math.atan2((S[0] - H[0]) * fwd, H[1] - S[1]))
            q = D.turn(q, H, trunk_pts, (cur - lean_deg) * fwd)
            # front leg: thigh about level forward, shin down to the floor
            Hf = q[qf["hip"]]
            Kf = Hf + np.array([fwd * thigh * 0.97, -0.03 * thigh])
            Af = np.array([Kf[0] + fwd * 0.1 * shin, floor_y])
            Af[1] = min(Af[1], Kf[1] + shin)
            q[qf["knee"]], q[qf["ankle"]] = Kf, Af
            q[qf["heel"]] = Af + np.array([-fwd * 0.15 * shin, 0.05 * shin])
            q[qf["foot_index"]] = Af + np.array([fwd * 0.3 * shin, 0.08 * shin])
            return q
        for th_deg, lean, form in ((20.0, 0.0, "good"), (22.0, 8.0, "good"), (0.0, 0.0, "hips_back"),
                                   (20.0, 38.0, "trunk_leaning"), (20.0, -28.0, "back_arched")):
            fstill(lunge(th_deg, lean), f, f"{tag}_thigh{th_deg:.0f}_lean{lean:+.0f}", "hip_flexor_stretch", form,
                   ak, src, f"half-kneeling lunge from the kneeling photo: the near knee kept on the floor, back "
                   f"thigh {th_deg:.0f} deg past vertical (hips forward), trunk {lean:+.0f} deg from vertical, the "
                   "far leg put forward (thigh level, shin down to the floor)")
    print("hip flexor variants")

    # clips: stretches held with real landmark noise; slow and fast entries, bouncing, repeats per side
    def swap_sides(q):
        out = q.copy()
        for s_ in ("shoulder", "elbow", "wrist", "pinky", "index", "thumb", "hip", "knee", "ankle", "heel",
                   "foot_index", "ear", "eye"):
            a_, b_ = D.side_points("left")[s_], D.side_points("right")[s_]
            out[[a_, b_]] = q[[b_, a_]]
        return out

    f = base[("One_Knee_To_Chest/1.jpg", "16:9")]
    p = D.to_pixels(f)
    side = facing(f, ("shoulder", "hip", "knee", "ankle"))
    angles = {s_: hip_angle_of(p, side, s_) for s_ in ("left", "right")}
    pulled = min(angles, key=angles.get)
    a0 = angles[pulled]
    pose_cache: dict[float, np.ndarray] = {}

    def k2c(angle):
        k = round(angle, 1)
        if k not in pose_cache:
            pose_cache[k] = set_hip_angle(p, side, pulled, k, hands=True)
        return pose_cache[k]
    src = "free_exercise_db/One_Knee_To_Chest/1.jpg"
    # slow in, held 23 s, out; then the other side (left and right landmarks swapped: the other knee)
    keys = [(0, 130), (3, 130), (6, a0), (26, a0), (28, 130), (31, 130), (34, a0), (54, a0), (56, 130), (58, 130)]
    clip_from(f, lambda t: k2c(D.ramp(t, keys)) if t < 29.5 else swap_sides(k2c(D.ramp(t, keys))), 58.0,
              "clipd_k2c_sides_16x9", "knee_to_chest", "16:9", src,
              "still + real noise; the pulled thigh moved slowly (3 s) from 130 deg to the photo's reading, held 20 s, "
              "released; then the same with left and right swapped (the other knee)",
              position_intervals=[[4.5, 27.0], [32.5, 55.0]], reps={"total": 2, pulled: 1, other(pulled): 1},
              form=[[6.0, 26.0, "good", ""], [34.0, 54.0, "good", ""]],
              excluded_intervals=[[3.0, 6.0], [26.0, 34.0], [54.0, 58.0]], good_hold_s=None)
    keys = [(0, 130), (3, 130), (3.3, a0), (28, a0), (29, 130), (31, 130)]
    clip_from(f, lambda t: k2c(D.ramp(t, keys)), 31.0, "clipd_k2c_fast_16x9", "knee_to_chest", "16:9", src,
              "still + real noise; the knee yanked in within 0.3 s (about 250 deg/s), then held 24.7 s: told "
              "'Slowly into the stretch', the 20 s repeat counted from when the cue ends",
              position_intervals=[[3.3, 28.5]], reps={"total": 1, pulled: 1, other(pulled): 0},
              form=[[3.4, 5.6, "too_fast", "entered in 0.3 s"], [6.2, 28.0, "good", ""]],
              excluded_intervals=[[3.0, 3.4], [5.6, 6.2], [28.0, 31.0]], good_hold_s=None)

    def bouncing(t):
        base_a = D.ramp(t, [(0, 130), (3, 130), (6, a0 + 12), (40, a0 + 12), (42, 130), (44, 130)])
        return base_a + (12.0 * math.sin(2 * math.pi * 1.5 * (t - 12.0)) if 12.0 <= t < 16.0 else 0.0)
    clip_from(f, lambda t: k2c(bouncing(t)), 44.0, "clipd_k2c_bounce_16x9", "knee_to_chest", "16:9", src,
              "still + real noise; slow in, held, bouncing +-12 deg at 1.5 Hz from 12 to 16 s, held again to 40 s: "
              "the hold before the bounce (about 8 s) is lost, the repeat is counted 20 s after it",
              position_intervals=[[4.8, 41.0]], reps={"total": 1, pulled: 1, other(pulled): 0},
              form=[[6.0, 12.0, "good", ""], [13.0, 16.0, "bouncing", ""], [18.5, 40.0, "good", ""]],
              excluded_intervals=[[3.0, 6.0], [12.0, 13.0], [16.0, 18.5], [40.0, 44.0]], good_hold_s=None)
    print("knee-to-chest clips")

    # partial crunch: the curl between the two real photos (same person, camera and light)
    c0, c1 = base[("Crunches/0.jpg", "16:9")], base[("Crunches/1.jpg", "16:9")]
    p0, p1 = D.to_pixels(c0), D.to_pixels(c1)

    def curl_pose(w):
        return p0 + (p1 - p0) * w

    def crunch_keys(n, up_s, top_s, down_s=1.2, rest_s=1.1, start=1.0):
        keys, t = [(0.0, 0.0), (start, 0.0)], start
        for _ in range(n):
            keys += [(t + up_s, 1.0), (t + up_s + top_s, 1.0), (t + up_s + top_s + down_s, 0.0),
                     (t + up_s + top_s + down_s + rest_s, 0.0)]
            t += up_s + top_s + down_s + rest_s
        return keys, t
    src = "free_exercise_db/Crunches/0.jpg + 1.jpg"
    keys, dur = crunch_keys(5, 1.2, 1.5)
    clip_from(c1, lambda t: curl_pose(D.ramp(t, keys)), dur, "clipd_crunch_reps_16x9", "partial_crunch", "16:9",
              src, "still + real noise; 5 slow curls (1.2 s up, 1.5 s at the top, 1.2 s down) interpolated between "
              "the lying and the curled-up photo", reps={"total": 5}, position_intervals=None,
              form=[[k0 + 1.3, k0 + 2.6, "good", "top"] for k0 in [1.0 + 5.0 * i for i in range(5)]],
              excluded_intervals=[], good_hold_s=None)
    keys, dur = crunch_keys(4, 0.6, 0.1, down_s=0.6)
    clip_from(c1, lambda t: curl_pose(D.ramp(t, keys)), dur, "clipd_crunch_brief_16x9", "partial_crunch", "16:9",
              src, "still + real noise; 4 quick curls (0.6 s up, 0.1 s at the top, 0.6 s down): above the 'up' reading "
              "for under 0.5 s each, where a crunch is held 1 s at the top",
              reps={"total": 0}, position_intervals=None, form=None, good_hold_s=None)
    keys, dur = crunch_keys(3, 0.15, 1.5)
    clip_from(c1, lambda t: curl_pose(D.ramp(t, keys)), dur, "clipd_crunch_jerk_16x9", "partial_crunch", "16:9",
              src, "still + real noise; 3 curls jerked up in 0.15 s, held 1.5 s at the top",
              reps={"total": 3}, position_intervals=None,
              form=[[k0 + 0.4, k0 + 1.6, "too_fast", "jerked up"] for k0 in [1.0 + 3.95 * i for i in range(3)]],
              excluded_intervals=[], good_hold_s=None)
    print("crunch clips")

    # prone extension: 3 lifts held 8.5 s between the two real photos
    l0, l1 = base[("Lower_Back_Curl/0.jpg", "4:3")], base[("Lower_Back_Curl/1.jpg", "4:3")]
    q0, q1 = D.to_pixels(l0), D.to_pixels(l1)
    keys, t = [(0.0, 0.0), (1.0, 0.0)], 1.0
    for _ in range(3):
        keys += [(t + 1.5, 1.0), (t + 10.0, 1.0), (t + 11.5, 0.0), (t + 14.0, 0.0)]
        t += 14.0
    clip_from(l1, lambda t_: q0 + (q1 - q0) * D.ramp(t_, keys), t, "clipd_prone_reps_4x3", "prone_extension", "4:3",
              "free_exercise_db/Lower_Back_Curl/0.jpg + 1.jpg",
              "still + real noise; 3 lifts (1.5 s up, 8.5 s held, 1.5 s down) between the flat and the lifted photo",
              reps={"total": 3}, position_intervals=None,
              form=[[k0 + 2.0, k0 + 10.0, "good", ""] for k0 in (1.0, 15.0, 29.0)], excluded_intervals=[],
              good_hold_s=None)
    print("prone clips")

    doc = {
        "schema_note": ("Development set of the back coach (format of ../shared/clips/dev_labels.json; read by "
                        "`coach evaluate devset/labels.json`). Every item is a landmark track in tracks/: real "
                        "MediaPipe (full model) readings of the shared material, or variants derived from them "
                        "by known geometry ('derived' says how). Made by scripts/make_devset.py."),
        "tracks": LABELS,
    }
    (OUT / "labels.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in TRACKS.glob("*.npz"))
    print(f"{len(LABELS)} labelled items, {len(list(TRACKS.glob('*.npz')))} tracks, {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
