"""Labelled variants of real landmark frames, made by known geometric changes.

No licensed real footage of faulty planks, bridges or side planks exists here,
so the development set (``devset/``, built by ``scripts/make_devset.py``)
derives them from real MediaPipe readings of correct form: the body is moved
as a body moves (segment lengths kept, supports left on the floor), so the
expected verdict of a variant is known from the change that made it.

* :func:`bend_chain` — hips raised or lowered about the body line by a known
  angle: a four-bar linkage with both ends on the floor (plank: support point,
  shoulder, hip, ankle; bridge: shoulder, hip, knee, ankle). The limbs move
  rigidly with their segment; the reading of the rule's own measure changes
  by exactly the requested angle.
* :func:`rotate_limb` — a thigh or an arm swung about its joint to a target
  elevation (bird-dog leg above / below hip level, arm dropped).
* :func:`set_joint_angle` — a knee bent or straightened to a target angle.
* :func:`lower_onto_floor` — hips and legs lowered onto the floor line, at the
  heights MediaPipe reads for real bodies lying there.
* :func:`jitter_track` — a still made into a clip with real frame-to-frame
  landmark noise taken from a real clip.

Everything works on pixel coordinates of one frame, ``(33, 2)`` arrays, so the
geometry is the same at any aspect ratio; :func:`to_pixels` /
:func:`to_frame` convert.
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence

import numpy as np

from coach.core.landmarks import Landmark as L
from coach.core.pose import PoseFrame, PoseTrack

Pts = np.ndarray  # (33, 2) float64 pixels

#: Landmark groups (both sides) used to say which segment a point moves with.
FACE = tuple(range(0, 11))
SHOULDERS = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
HIPS = (L.LEFT_HIP, L.RIGHT_HIP)
ELBOWS = (L.LEFT_ELBOW, L.RIGHT_ELBOW)
HANDS = (L.LEFT_WRIST, L.RIGHT_WRIST, L.LEFT_PINKY, L.RIGHT_PINKY, L.LEFT_INDEX, L.RIGHT_INDEX,
         L.LEFT_THUMB, L.RIGHT_THUMB)
KNEES = (L.LEFT_KNEE, L.RIGHT_KNEE)
FEET = (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)


def side_points(side: str) -> dict[str, int]:
    s = side.upper()
    return {j: int(L[f"{s}_{j.upper()}"]) for j in
            ("shoulder", "elbow", "wrist", "pinky", "index", "thumb", "hip", "knee", "ankle", "heel", "foot_index",
             "ear", "eye")}


def to_pixels(frame: PoseFrame) -> Pts:
    w, h = frame.image_size
    return np.asarray(frame.landmarks[:, :2], dtype=np.float64) * np.array([w, h])


def to_frame(frame: PoseFrame, pts: Pts, t: float | None = None, z: np.ndarray | None = None) -> PoseFrame:
    """``frame`` with its landmark positions replaced by ``pts`` (pixels); z
    (unless ``z`` gives new depths, in pixels: see :func:`depths`) and
    visibility are kept."""
    w, h = frame.image_size
    lm = np.array(frame.landmarks, dtype=np.float32)
    lm[:, 0] = pts[:, 0] / w
    lm[:, 1] = pts[:, 1] / h
    if z is not None:
        lm[:, 2] = np.asarray(z, dtype=np.float64) / w
    return PoseFrame(lm, None, frame.timestamp if t is None else t, frame.image_size)


def depths(frame: PoseFrame) -> np.ndarray:
    """MediaPipe's relative depth of each landmark, in pixels (on the scale
    of x, as :attr:`pose_rules.base.Body.z` reads it)."""
    return np.asarray(frame.landmarks[:, 2], dtype=np.float64) * frame.image_size[0]


# ----------------------------------------------------------------------------- plane geometry

def _rot(v: np.ndarray, a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def _angle(v) -> float:
    return math.atan2(v[1], v[0])


def rigid(p1, p2, q1, q2) -> Callable[[np.ndarray], np.ndarray]:
    """The rotation + translation taking segment p1-p2 onto q1-q2 (same length)."""
    p1, p2, q1, q2 = (np.asarray(x, float) for x in (p1, p2, q1, q2))
    a = _angle(q2 - q1) - _angle(p2 - p1)
    c, s = math.cos(a), math.sin(a)
    R = np.array([[c, -s], [s, c]])
    return lambda x: (np.asarray(x, float) - p1) @ R.T + q1


def circle_intersections(c0, r0, c1, r1) -> list[np.ndarray]:
    c0, c1 = np.asarray(c0, float), np.asarray(c1, float)
    d = float(np.linalg.norm(c1 - c0))
    if d == 0 or d > r0 + r1 or d < abs(r0 - r1):
        return []
    a = (r0 * r0 - r1 * r1 + d * d) / (2 * d)
    h = math.sqrt(max(r0 * r0 - a * a, 0.0))
    u = (c1 - c0) / d
    m = c0 + a * u
    n = np.array([-u[1], u[0]])
    return [m + h * n, m - h * n]


# ----------------------------------------------------------------------------- four-bar

def bend_chain(pts: Pts, chain: Sequence[int], groups: Sequence[Sequence[int]],
               measure: Callable[[Pts], float], target: float, max_turn_deg: float = 60.0,
               drive: str = "last", prefer: Callable[[Pts], float] | None = None) -> Pts:
    """Move a four-joint chain ``P0 - P1 - P2 - P3`` whose ends stay on the
    floor (P0 and P3 fixed) until ``measure(points)`` equals ``target``.

    The link P2-P3 turns about P3 by an angle found by bisection; P1 follows at
    its distances from P0 and P2 (the solution nearest its old place).
    ``groups`` are the landmarks moving rigidly with each link: ``groups[0]``
    with P0-P1, ``groups[1]`` with P1-P2, ``groups[2]`` with P2-P3. Returns
    the new points; raises ValueError when the target cannot be reached.

    ``drive="first"`` turns P0-P1 about P0 instead (choose the link whose far
    joint is NOT the one bending: the solution is ill-conditioned where the
    two solved links are nearly straight). ``prefer``: where the chain can fold
    either way (nearly straight), take the solution with the larger
    ``prefer(points)`` (e.g. the hip bend, for a pike).
    """
    if drive == "first":
        return bend_chain(pts, tuple(reversed(chain)), tuple(reversed(groups)), measure, target, max_turn_deg,
                          prefer=prefer)
    i0, i1, i2, i3 = chain
    P0, P1, P2, P3 = (pts[i].copy() for i in chain)
    r01, r12 = np.linalg.norm(P1 - P0), np.linalg.norm(P2 - P1)

    def solve(phi: float, branch: int) -> Pts | None:
        P2n = P3 + _rot(P2 - P3, phi)
        cands = circle_intersections(P0, r01, P2n, r12)
        if not cands:
            return None
        def place(P1n):
            out = pts.copy()
            moves = (rigid(P0, P1, P0, P1n), rigid(P1, P2, P1n, P2n), rigid(P2, P3, P2n, P3))
            for group, move in zip(groups, moves):
                idx = list(group)
                out[idx] = move(pts[idx])
            out[i1], out[i2] = P1n, P2n
            return out
        if prefer is not None:
            return max((place(c) for c in cands), key=prefer)
        return place(cands[branch])

    def f(phi: float, branch: int) -> float | None:
        s = solve(phi, branch)
        return None if s is None else measure(s) - target

    here = circle_intersections(P0, r01, P2, r12)
    if not here:
        raise ValueError("the chain cannot be solved at its own pose")
    # the branch the body is on now; near a straight chain the two meet and both are tried
    branches = sorted((0, 1), key=lambda b: np.linalg.norm(here[b] - P1))
    if prefer is not None or np.linalg.norm(here[0] - here[1]) > 0.15 * r01:
        branches = branches[:1]  # clearly bent: the mirror pose is not a move of this body
    if abs(measure(pts) - target) < 1e-6:
        return pts.copy()
    step = math.radians(0.25)
    lim = math.radians(max_turn_deg)
    best = None
    for branch in branches:
        for sign in (1.0, -1.0):
            prev_phi, prev_v = 0.0, f(0.0, branch)
            if prev_v is None:
                continue
            phi = step
            while phi <= lim and (best is None or phi < best[0]):
                v = f(sign * phi, branch)
                if v is None:
                    break
                if (v > 0) != (prev_v > 0):
                    lo, hi, vlo = prev_phi, phi, prev_v
                    for _ in range(60):
                        mid = (lo + hi) / 2
                        vm = f(sign * mid, branch)
                        if vm is None:
                            break
                        if (vm > 0) == (vlo > 0):
                            lo, vlo = mid, vm
                        else:
                            hi = mid
                    best = (phi, solve(sign * (lo + hi) / 2, branch))
                    break
                prev_phi, prev_v = phi, v
                phi += step
        if best is not None and np.linalg.norm(here[branch] - P1) < 1e-3 * max(r01, 1.0):
            break  # found on the body's own branch
    if best is None:
        raise ValueError(f"cannot reach {target:.1f} (at {measure(pts):.1f} now)")
    return best[1]


# ----------------------------------------------------------------------------- limbs

def rotate_limb(pts: Pts, pivot: int, tip: int, moving: Iterable[int], elevation_deg: float) -> Pts:
    """Swing the segment ``pivot -> tip`` (and ``moving`` with it) about
    ``pivot`` so that its elevation above the image horizontal is
    ``elevation_deg``, keeping it on the same side (forward / back)."""
    P, T = pts[pivot], pts[tip]
    v = T - P
    length = float(np.linalg.norm(v))
    direction = 1.0 if v[0] >= 0 else -1.0
    e = math.radians(elevation_deg)
    new = P + length * np.array([direction * math.cos(e), -math.sin(e)])
    move = rigid(P, T, P, new)
    out = pts.copy()
    idx = list(moving)
    out[idx] = move(pts[idx])
    out[tip] = new
    return out


def turn(pts: Pts, pivot, moving: Iterable[int], deg: float) -> Pts:
    """Points ``moving`` turned about the point ``pivot`` by ``deg`` degrees,
    positive = counter-clockwise as seen in the image (towards image up for a
    point to the right of the pivot)."""
    out = pts.copy()
    idx = list(moving)
    P = np.asarray(pivot, dtype=np.float64)
    a = -math.radians(deg)  # image y grows downwards
    out[idx] = np.array([P + _rot(q - P, a) for q in pts[idx]])
    return out


def turn_to(pts: Pts, pivot: int, moving: Iterable[int], measure: Callable[[Pts], float], target: float) -> Pts:
    """Points ``moving`` turned about the point ``pivot`` until ``measure``
    (an angle in degrees that changes one for one with the turn, such as a
    joint angle) reads ``target``; of the two ways round, the one that gets
    there."""
    cur = measure(pts)
    options = [turn(pts, pts[pivot], moving, sign * (cur - target)) for sign in (1.0, -1.0)]
    return min(options, key=lambda q: abs(measure(q) - target))


def roll(pts: Pts, z: np.ndarray, pivot, moving: Iterable[int], deg: float,
         depth_scale: float = 1.0) -> tuple[Pts, np.ndarray]:
    """Points ``moving`` rolled by ``deg`` about the horizontal image axis
    through ``pivot``: a body lying along the image's x axis rolling its
    knees to one side. The height above the pivot shrinks by cos(deg) and the
    depth changes by the height times sin(deg), positive ``deg`` towards the
    camera (depth decreasing); the depth a point already had is kept as an
    offset (MediaPipe's depth is on a larger scale than x and y, so it is not
    mixed into the height; ``depth_scale`` is how much larger). ``z`` in
    pixels (see :func:`depths`); returns the new points and depths."""
    out, zo = pts.copy(), np.array(z, dtype=np.float64)
    a = math.radians(deg)
    py = float(pivot[1])
    for i in moving:
        h = py - pts[i, 1]  # height above the pivot (image up)
        out[i, 1] = py - h * math.cos(a)
        zo[i] = z[i] - h * math.sin(a) * depth_scale
    return out, zo


def set_joint_angle(pts: Pts, a: int, joint: int, c: int, moving: Iterable[int], angle_deg: float) -> Pts:
    """Turn the segment ``joint -> c`` (and ``moving``) about ``joint`` so that
    the interior angle a-joint-c is ``angle_deg``, bending towards the side it
    already bends to."""
    A, J, C = pts[a], pts[joint], pts[c]
    va, vc = A - J, C - J
    cross = va[0] * vc[1] - va[1] * vc[0]
    sign = 1.0 if cross >= 0 else -1.0
    new_dir = _rot(va / np.linalg.norm(va), sign * math.radians(angle_deg))
    newC = J + new_dir * np.linalg.norm(vc)
    move = rigid(J, C, J, newC)
    out = pts.copy()
    idx = list(moving)
    out[idx] = move(pts[idx])
    out[c] = newC
    return out


def lower_onto_floor(pts: Pts, side: str, support: int, toe: int, torso: float,
                     hip_height: float, knee_height: float, pivot: int | None = None) -> Pts:
    """Lower the hips and legs of a floor exercise onto the floor: the floor is
    the line from the ``support`` point (elbow or hand) to the ``toe``; the hip
    and knee end at ``hip_height`` / ``knee_height`` torso lengths above it
    (what MediaPipe reads for people lying there), segment lengths kept. The
    trunk turns about the shoulder (``pivot``, default the ``side`` shoulder),
    the thigh about the hip, the shin about the knee (feet stay on the floor
    line at their old height)."""
    sp = side_points(side)
    S = pts[sp["shoulder"] if pivot is None else pivot]
    F0, F1 = pts[support], pts[toe]
    u = (F1 - F0) / np.linalg.norm(F1 - F0)
    n = np.array([u[1], -u[0]])
    if n[1] > 0:  # "up" in the image
        n = -n

    def height(p):
        return float(np.dot(p - F0, n))

    def place(center, radius, h, old):
        # points at height h above the floor line, at `radius` from `center`, nearest `old`
        c_h = height(center)
        dh = h - c_h
        if abs(dh) > radius:
            raise ValueError("segment too short to reach the floor height")
        along = math.sqrt(radius * radius - dh * dh)
        base = center + dh * n
        cands = [base + along * u, base - along * u]
        return min(cands, key=lambda c: np.linalg.norm(c - old))

    H, K, A = pts[sp["hip"]], pts[sp["knee"]], pts[sp["ankle"]]
    Hn = place(S, np.linalg.norm(H - S), hip_height * torso, H)
    Kn = place(Hn, np.linalg.norm(K - H), knee_height * torso, K)
    An = place(Kn, np.linalg.norm(A - K), height(A), A)
    out = pts.copy()
    trunk = rigid(S, H, S, Hn)
    thigh = rigid(H, K, Hn, Kn)
    shin = rigid(K, A, Kn, An)
    out[list(FACE + SHOULDERS + HIPS)] = trunk(pts[list(FACE + SHOULDERS + HIPS)])
    out[list(KNEES)] = thigh(pts[list(KNEES)])
    out[list(FEET)] = shin(pts[list(FEET)])
    out[sp["hip"]], out[sp["knee"]], out[sp["ankle"]] = Hn, Kn, An
    return out


# ----------------------------------------------------------------------------- time

def residuals(track: PoseTrack, window_s: float = 1.0) -> list[np.ndarray]:
    """Frame-to-frame landmark noise of a real clip: each frame's pixel
    landmarks minus their running median over ``window_s``, divided by the
    frame's torso length (so it can be put on another body). Frames without
    a person are skipped."""
    frames = [f for f in track if f.detected]
    px = np.stack([to_pixels(f) for f in frames])
    ts = np.array([f.timestamp for f in frames])
    out = []
    for i, f in enumerate(frames):
        sel = np.abs(ts - ts[i]) <= window_s / 2
        med = np.nanmedian(px[sel], axis=0)
        torso = _torso(px[i])
        r = (px[i] - med) / torso
        out.append(np.nan_to_num(r))
    return out


def _torso(p: Pts) -> float:
    s = (p[L.LEFT_SHOULDER] + p[L.RIGHT_SHOULDER]) / 2
    h = (p[L.LEFT_HIP] + p[L.RIGHT_HIP]) / 2
    return float(np.linalg.norm(s - h)) or 1.0


def jitter_track(frame: PoseFrame, poses: Callable[[float], Pts], duration_s: float, fps: float,
                 noise: Sequence[np.ndarray], meta: dict | None = None, start: int = 0) -> PoseTrack:
    """A clip of ``duration_s`` at ``fps`` from one real frame: at time t the
    body is ``poses(t)`` (pixel points, e.g. the frame bent by a time-varying
    angle) plus the real noise ``noise[(start + i) % len(noise)]`` scaled to
    this body's torso."""
    n = int(round(duration_s * fps)) + 1
    frames = []
    for i in range(n):
        t = i / fps
        p = poses(t)
        p = p + noise[(start + i) % len(noise)] * _torso(p)
        frames.append(to_frame(frame, p, t))
    return PoseTrack.from_frames(frames, meta=dict(meta or {}))


def time_scaled(track: PoseTrack, factor: float, meta: dict | None = None) -> PoseTrack:
    """The same track played ``factor`` times faster (timestamps divided by it)."""
    return PoseTrack(track.timestamps / factor, track.landmarks, track.world, track.image_size,
                     dict(track.meta, **(meta or {})))


def ramp(t: float, keys: Sequence[tuple[float, float]]) -> float:
    """Piecewise-linear value at ``t`` through (time, value) keys."""
    if t <= keys[0][0]:
        return keys[0][1]
    for (t0, v0), (t1, v1) in zip(keys, keys[1:]):
        if t <= t1:
            return v0 + (v1 - v0) * (t - t0) / (t1 - t0) if t1 > t0 else v1
    return keys[-1][1]


__all__ = ["to_pixels", "to_frame", "rigid", "circle_intersections", "bend_chain", "rotate_limb",
           "set_joint_angle", "lower_onto_floor", "residuals", "jitter_track", "time_scaled", "ramp",
           "side_points", "FACE", "SHOULDERS", "HIPS", "ELBOWS", "HANDS", "KNEES", "FEET"]
