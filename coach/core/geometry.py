"""Plane geometry on pixel coordinates (y grows downwards, as in images).

All angles are in degrees. Points are ``(x, y)`` pairs in pixels (tuples or
arrays), so angles are correct for non-square images. Plain ``math`` on
floats: these run for every frame, many times, and must stay cheap.
"""
from __future__ import annotations

import math

_NAN = float("nan")


def angle_at(a, b, c) -> float:
    """Interior angle ABC at ``b`` (0..180); 180 means a, b, c are in a straight line."""
    x1, y1 = a[0] - b[0], a[1] - b[1]
    x2, y2 = c[0] - b[0], c[1] - b[1]
    n = math.hypot(x1, y1) * math.hypot(x2, y2)
    if not n:
        return _NAN
    cos = (x1 * x2 + y1 * y2) / n
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def elevation(frm, to) -> float:
    """Angle of the vector ``frm -> to`` above the horizontal, -90..90
    (+90: ``to`` straight above ``frm``; -90: straight below)."""
    dx, dy = to[0] - frm[0], to[1] - frm[1]
    if dx == 0 and dy == 0:
        return _NAN
    return math.degrees(math.atan2(-dy, abs(dx)))


def incline(a, b) -> float:
    """Angle of the line through a and b from the horizontal, 0..90."""
    return abs(elevation(a, b))


def _above(p, a, b) -> bool:
    """Is p above (image up) the line through a and b, or on it?"""
    dx = b[0] - a[0]
    t = (p[0] - a[0]) / dx
    return p[1] <= a[1] + t * (b[1] - a[1])


def signed_bend(a, mid, b) -> float:
    """How far ``mid`` is bent out of the straight line a-b, as an angle.

    ``180 - angle(a, mid, b)``, positive when ``mid`` lies above the line a-b
    (towards the top of the image, i.e. hips piked / pushed up) and negative
    when below it (sagging towards the floor). 0 means a straight line.
    """
    bend = 180.0 - angle_at(a, mid, b)
    if abs(b[0] - a[0]) < 1e-9:
        return bend  # vertical line: "above" is undefined; report unsigned
    return bend if _above(mid, a, b) else -bend


def height_above_line(p, a, b) -> float:
    """Perpendicular distance of p from the line a-b, positive when p is above
    it (image up), in pixels."""
    abx, aby = b[0] - a[0], b[1] - a[1]
    n = math.hypot(abx, aby)
    if not n:
        return _NAN
    d = abs(abx * (p[1] - a[1]) - aby * (p[0] - a[0])) / n
    if abs(abx) < 1e-9:
        return d
    return d if _above(p, a, b) else -d


def dist(a, b) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def midpoint(a, b) -> tuple[float, float]:
    return ((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0)
