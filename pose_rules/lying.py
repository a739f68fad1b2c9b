"""Shared measures of the floor exercises lying on the back or front, seen
from the side (the camera at floor height, side-on).

Everything is in pixels of one frame. "Up" is image up: with the camera
side-on and level, the floor is horizontal in the picture. MediaPipe reads
lying bodies less reliably than standing ones and can swap the body's front
and back (and so left and right) when the face is hidden, so the rules
measure angles in the picture, which a front-back swap leaves unchanged, and
name a side only where it matters (the stretched side).
"""
from __future__ import annotations

import math

from coach.core.geometry import angle_at, dist, elevation
from .base import _JOINT_INDEX, Body, Threshold

LYING_FLAT = Threshold("max_trunk_deg", "deg", 30.0, 10.0, 60.0,
                       "hip-shoulder line steeper than this from the floor = not lying down")
HEAD_UP = Threshold("head_up_deg", "deg", 55.0, 30.0, 90.0,
                    "head raised this far above the trunk line = head off the floor (lying reads -5 to 46)")
OTHER_LEG_LIFT = Threshold("other_leg_lift", "torso lengths", 0.35, 0.1, 1.0,
                           "the other ankle higher than this above the hip = the other leg is not down")

LEGS = ("left", "right")


def signed_turn(a, b, c) -> float:
    """The angle by which the line b->c turns away from the line a->b,
    positive when it turns towards image up (degrees, -180..180)."""
    d1 = math.atan2(-(b[1] - a[1]), b[0] - a[0])
    d2 = math.atan2(-(c[1] - b[1]), c[0] - b[0])
    d = math.degrees(d2 - d1)
    d = (d + 180.0) % 360.0 - 180.0
    # turning towards image up depends on which way the body points
    return d if b[0] >= a[0] else -d


def head_deg(body: Body, side: str) -> float:
    """How far the head is raised: the angle of the shoulder->ear line above
    the hip->shoulder (trunk) line, towards image up. Lying on the back with
    the head down MediaPipe reads about -5 to 45 (its ear and shoulder points
    depend on the person and the camera); a curled-up crunch 75-80."""
    return signed_turn(body.j(side, "hip"), body.j(side, "shoulder"), body.j(side, "ear"))


def trunk_deg(body: Body, side: str) -> float:
    """Elevation of the hip->shoulder line above the horizontal (shoulders up: +)."""
    return elevation(body.j(side, "hip"), body.j(side, "shoulder"))


def hip_angle(body: Body, leg: str, side: str | None = None) -> float:
    """The angle at the hip between the trunk and ``leg``'s thigh: about 180
    with the leg out straight along the body, ~120-135 knees bent with the
    feet on the floor, ~35-60 with the knee pulled to the chest. ``side``:
    whose shoulder and hip (default: the leg's own)."""
    s = side or leg
    return angle_at(body.j(s, "shoulder"), body.j(leg, "hip"), body.j(leg, "knee"))


def knee_angle(body: Body, leg: str) -> float:
    return angle_at(body.j(leg, "hip"), body.j(leg, "knee"), body.j(leg, "ankle"))


def leg_elevation(body: Body, leg: str) -> float:
    """Elevation of the hip->ankle line above the horizontal (leg raised: +)."""
    return elevation(body.j(leg, "hip"), body.j(leg, "ankle"))


def thigh_elevation(body: Body, leg: str) -> float:
    return elevation(body.j(leg, "hip"), body.j(leg, "knee"))


def toes_up(body: Body, leg: str) -> float | None:
    """How far the toes point up: (heel height - toe height) over the foot
    length; about +1 lying on the back with the leg straight (heel on the
    floor), -0.4 to -1 lying face down (toes on the floor). None when the foot
    is not seen."""
    if not body.side_visible(leg, "heel", "foot_index"):
        return None
    he, fi = body.j(leg, "heel"), body.j(leg, "foot_index")
    n = dist(he, fi)
    return (he[1] - fi[1]) / n if n else None


def torso_len(body: Body) -> float:
    return dist(body.mid("shoulder"), body.mid("hip")) or 1.0


def hands_near(body: Body, point) -> float | None:
    """The distance of the nearer seen wrist from ``point``, in torso lengths;
    None when no wrist is seen."""
    best = None
    for s in LEGS:
        if body.side_visible(s, "wrist"):
            d = dist(body.j(s, "wrist"), point) / torso_len(body)
            best = d if best is None else min(best, d)
    return best


def seen_legs(body: Body, *joints: str) -> list[str]:
    return [s for s in LEGS if body.side_visible(s, "hip", *joints)]


def depth(body: Body, lm: str, side: str) -> float:
    """MediaPipe's depth of a joint, in pixels (smaller = nearer the camera)."""
    return body.z[_JOINT_INDEX[side][lm]]


def mid_depth(body: Body, lm: str) -> float:
    return (depth(body, lm, "left") + depth(body, lm, "right")) / 2.0


def shoulder_roll_deg(body: Body) -> float:
    """How far the line between the two shoulders is turned up from the floor,
    from the picture and MediaPipe's depth: 0 with both shoulder blades on the
    floor, growing as one shoulder lifts (the trunk rolls). Lying on the back
    seen side-on, the shoulders are one behind the other in depth; a lifted
    shoulder rises in the picture."""
    ls, rs = body.j("left", "shoulder"), body.j("right", "shoulder")
    dz = abs(depth(body, "shoulder", "left") - depth(body, "shoulder", "right"))
    dy = abs(ls[1] - rs[1])
    if not (math.isfinite(dz) and math.isfinite(dy)) or (dz == 0 and dy == 0):
        return 0.0
    return math.degrees(math.atan2(dy, dz))



def other_ankle_lift(body: Body, leg: str) -> float | None:
    """How high the other leg's ankle is above its hip, in torso lengths
    (None when not seen): about 0 with the leg down."""
    o = "right" if leg == "left" else "left"
    if not body.side_visible(o, "ankle", "hip"):
        return None
    return (body.j(o, "hip")[1] - body.j(o, "ankle")[1]) / torso_len(body)


def missing_legs(body: Body, joints=("knee", "ankle")) -> list[str]:
    """The joints of either leg not seen (both legs are needed)."""
    return body.missing("left", joints) + body.missing("right", joints)
