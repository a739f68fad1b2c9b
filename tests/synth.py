"""Synthetic landmark poses for rule and engine tests.

Poses are laid out in PIXELS of a (width, height) image and converted to
normalized landmarks, so tests state angles the way a person would measure
them on the screen.
"""
from __future__ import annotations

import math

import numpy as np

from coach.core.landmarks import Landmark as L
from coach.core.pose import PoseFrame

JOINTS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index", "ear")
SIZE = (1280, 720)


def frame(left: dict, right: dict, size=SIZE, t: float = 0.0, vis_left: float = 0.99,
          vis_right: float = 0.8, head=None) -> PoseFrame:
    """Build a frame from pixel joint positions for each side.

    ``left``/``right`` map joint names (shoulder, elbow, wrist, hip, knee, ankle,
    optional heel, foot_index) to (x, y) pixels. Missing feet/hands points are
    derived; the face points are put around ``head`` (default: next to the shoulder)."""
    w, h = size
    lm = np.full((33, 4), np.nan, np.float32)
    for side, pts, vis in (("LEFT", left, vis_left), ("RIGHT", right, vis_right)):
        pts = dict(pts)
        pts.setdefault("heel", (pts["ankle"][0] + 10, pts["ankle"][1] + 5))
        pts.setdefault("foot_index", (pts["ankle"][0] + 25, pts["ankle"][1] + 10))
        for j, (x, y) in pts.items():
            lm[int(L[f"{side}_{j.upper()}"])] = (x / w, y / h, 0.0, vis)
        for extra, base in (("PINKY", "wrist"), ("INDEX", "wrist"), ("THUMB", "wrist")):
            x, y = pts["wrist"]
            lm[int(L[f"{side}_{extra}"])] = ((x + 8) / w, (y + 4) / h, 0.0, vis)
    hx, hy = head if head is not None else (left["shoulder"][0] - 60, left["shoulder"][1] - 20)
    for i in range(11):
        lm[i] = ((hx + (i % 3) * 5) / w, (hy + (i // 3) * 4) / h, 0.0, 0.99)
    return PoseFrame(lm, None, t, size)


def _bent_point(a, b, bend_deg: float, frac: float = 0.45):
    """A point between a and b (at ``frac`` along) pushed off the a-b line so that
    the signed bend there is ``bend_deg`` (positive = above the line, image up)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    length = float(np.linalg.norm(d))
    u = d / length
    n = np.array([u[1], -u[0]])  # perpendicular; pick the one pointing up (negative y)
    if n[1] > 0:
        n = -n
    p, q = frac * length, (1 - frac) * length
    target = math.radians(abs(bend_deg))
    lo, hi = 0.0, length
    for _ in range(60):
        mid = (lo + hi) / 2
        if math.atan(mid / p) + math.atan(mid / q) < target:
            lo = mid
        else:
            hi = mid
    off = lo if bend_deg >= 0 else -lo
    return tuple(a + u * p + n * off)


def _lerp(a, b, f):
    return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)


FLOOR_Y = 560.0


def plank(bend_deg: float = 0.0, support: str = "forearm", knees: bool = False, facing: str = "left",
          size=SIZE, t: float = 0.0, **kw) -> PoseFrame:
    """Side-view plank, head to the left, on a floor at y = 560 px, with the
    proportions MediaPipe reads on real planks (shoulder about half a torso
    length above the floor, ankle a quarter on the toes). ``bend_deg`` < 0
    sags, > 0 pikes."""
    S = (380.0, 410.0) if support == "forearm" else (380.0, 330.0)
    end = (900.0, FLOOR_Y - 15.0) if knees else (1050.0, 490.0)
    H = _bent_point(S, end, bend_deg, frac=0.45 if not knees else 0.6)
    if knees:
        K = end
        A = (1080.0, 440.0)  # shins up off the floor behind the knees
    else:
        K = _lerp(H, end, 0.5)
        A = end
    if support == "forearm":
        E, W = (390.0, FLOOR_Y - 5.0), (520.0, FLOOR_Y - 2.0)
    else:
        E, W = (385.0, 445.0), (390.0, FLOOR_Y - 2.0)
    pts = dict(shoulder=S, elbow=E, wrist=W, hip=H, knee=K, ankle=A,
               heel=(A[0] + 10, A[1] + 15), foot_index=(A[0] + 25, FLOOR_Y) if not knees else (A[0] + 25, A[1] - 10))
    far = {k: (x + 6, y - 4) for k, (x, y) in pts.items()}
    vl, vr = (0.99, 0.8) if facing == "left" else (0.8, 0.99)
    return frame(pts, far, size, t, vis_left=vl, vis_right=vr, **kw)


def bridge(bend_deg: float = 0.0, lifted: bool = True, t: float = 0.0, size=SIZE) -> PoseFrame:
    """Side-view glute bridge, head to the left (on the floor at y=600)."""
    S, K, A = (300.0, 590.0), (820.0, 420.0), (840.0, 600.0)
    if lifted:
        H = _bent_point(S, K, bend_deg, frac=0.55)
    else:
        H = (580.0, 585.0)  # hips on the floor
    pts = dict(shoulder=S, elbow=(380.0, 600.0), wrist=(470.0, 605.0), hip=H, knee=K, ankle=A)
    far = {k: (x + 5, y - 3) for k, (x, y) in pts.items()}
    return frame(pts, far, size, t, head=(240.0, 580.0))


def quadruped(thigh_deg: float = -90.0, lifted_leg: str = "right", arm_deg: float | None = None,
              knee_bent: bool = False, t: float = 0.0, size=SIZE, vis_far: float = 0.8) -> PoseFrame:
    """Side-view all-fours, head to the left; one leg lifted to ``thigh_deg``
    (elevation of hip->knee, 0 = hip level) and the opposite arm to ``arm_deg``."""
    S, H = (400.0, 400.0), (800.0, 420.0)
    support = dict(shoulder=S, elbow=(400.0, 510.0), wrist=(400.0, 620.0), hip=H,
                   knee=(800.0, 620.0), ankle=(1000.0, 630.0))
    th = math.radians(thigh_deg)
    K = (H[0] + 200 * math.cos(th), H[1] - 200 * math.sin(th))
    if knee_bent:
        A = (K[0] + 200 * math.cos(th - math.pi / 2), K[1] - 200 * math.sin(th - math.pi / 2))
    else:
        A = (K[0] + 200 * math.cos(th), K[1] - 200 * math.sin(th))
    lifted = dict(support, hip=(H[0] + 4, H[1] - 3), knee=K, ankle=A)
    if thigh_deg <= -85:
        lifted = dict(support, hip=(H[0] + 4, H[1] - 3), knee=(804.0, 617.0), ankle=(1004.0, 627.0))
    arm = dict(support)
    if arm_deg is not None:
        ph = math.radians(arm_deg)
        arm = dict(support, elbow=(S[0] - 120 * math.cos(ph), S[1] - 120 * math.sin(ph)),
                   wrist=(S[0] - 250 * math.cos(ph), S[1] - 250 * math.sin(ph)))
    other = "left" if lifted_leg == "right" else "right"
    sides = {lifted_leg: lifted, other: dict(support)}
    # the arm opposite the lifted leg is the one raised
    sides[other] = dict(sides[other], elbow=arm["elbow"], wrist=arm["wrist"])
    return frame(sides["left"], sides["right"], size, t, vis_left=0.99, vis_right=vis_far)


def side_plank(bend_deg: float = 0.0, down: str = "left", t: float = 0.0, size=SIZE) -> PoseFrame:
    """Front-view side plank, head to the left, resting on the ``down`` forearm."""
    Sm, Am = (300.0, 400.0), (1000.0, 560.0)
    Hm = _bent_point(Sm, Am, bend_deg, frac=0.42)
    gap = 60.0  # half the vertical shoulder/hip stacking
    lower = dict(shoulder=(Sm[0], Sm[1] + gap), elbow=(300.0, 600.0), wrist=(420.0, 605.0),
                 hip=(Hm[0], Hm[1] + gap * 0.8), knee=_lerp((Hm[0], Hm[1] + gap * 0.8), (Am[0], Am[1] + 10), 0.5),
                 ankle=(Am[0], Am[1] + 10))
    upper = dict(shoulder=(Sm[0], Sm[1] - gap), elbow=(360.0, 300.0), wrist=(420.0, 320.0),
                 hip=(Hm[0], Hm[1] - gap * 0.8), knee=_lerp((Hm[0], Hm[1] - gap * 0.8), (Am[0], Am[1] - 10), 0.5),
                 ankle=(Am[0], Am[1] - 10))
    left, right = (lower, upper) if down == "left" else (upper, lower)
    return frame(left, right, size, t, vis_left=0.95, vis_right=0.95, head=(230.0, 380.0))


def hide(f: PoseFrame, *landmarks, how: str = "nan") -> PoseFrame:
    """Copy of a frame with some landmarks unseen (NaN, zero visibility, or out of frame)."""
    lm = np.array(f.landmarks)
    for i in landmarks:
        if how == "nan":
            lm[int(i)] = np.nan
        elif how == "vis0":
            lm[int(i), 3] = 0.0
        elif how == "out":
            lm[int(i), 1] = 1.15
    return PoseFrame(lm, None, f.timestamp, f.image_size)


def at(f: PoseFrame, t: float) -> PoseFrame:
    return PoseFrame(f.landmarks, f.world, t, f.image_size)
