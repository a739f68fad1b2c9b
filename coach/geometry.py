"""Plane geometry on pixel coordinates (y grows downwards, as in images).

All angles are in degrees. Points are numpy arrays ``[x, y]`` in pixels, so
angles are correct for non-square images.
"""
from __future__ import annotations

import math

import numpy as np


def angle_at(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Interior angle ABC at ``b`` (0..180); 180 means a, b, c are in a straight line."""
    v1, v2 = a - b, c - b
    n = float(np.linalg.norm(v1) * np.linalg.norm(v2))
    if not n:
        return float("nan")
    cos = float(np.dot(v1, v2)) / n
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def elevation(frm: np.ndarray, to: np.ndarray) -> float:
    """Angle of the vector ``frm -> to`` above the horizontal, -90..90
    (+90: ``to`` straight above ``frm``; -90: straight below)."""
    dx, dy = float(to[0] - frm[0]), float(to[1] - frm[1])
    if dx == 0 and dy == 0:
        return float("nan")
    return math.degrees(math.atan2(-dy, abs(dx)))


def incline(a: np.ndarray, b: np.ndarray) -> float:
    """Angle of the line through a and b from the horizontal, 0..90."""
    return abs(elevation(a, b))


def signed_bend(a: np.ndarray, mid: np.ndarray, b: np.ndarray) -> float:
    """How far ``mid`` is bent out of the straight line a-b, as an angle.

    ``180 - angle(a, mid, b)``, positive when ``mid`` lies above the line a-b
    (towards the top of the image, i.e. hips piked / pushed up) and negative
    when below it (sagging towards the floor). 0 means a straight line.
    """
    bend = 180.0 - angle_at(a, mid, b)
    ab = b - a
    # Height of `mid` above the line a-b, measured against gravity (image up).
    if abs(ab[0]) < 1e-9:
        return bend  # vertical line: "above" is undefined; report unsigned
    t = (mid[0] - a[0]) / ab[0]
    line_y = a[1] + t * ab[1]
    return bend if mid[1] <= line_y else -bend


def height_above_line(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Perpendicular distance of p from the line a-b, positive when p is above
    it (image up), in pixels."""
    ab = b - a
    n = float(np.linalg.norm(ab))
    if not n:
        return float("nan")
    d = abs(float(ab[0] * (p[1] - a[1]) - ab[1] * (p[0] - a[0]))) / n
    if abs(ab[0]) < 1e-9:
        return d
    t = (p[0] - a[0]) / ab[0]
    return d if p[1] <= a[1] + t * ab[1] else -d


def dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))
