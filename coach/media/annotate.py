"""Annotators: each takes ``(image, view)`` (image is RGB, uint8) and
returns the image with something drawn on it. The image is drawn on in place
and returned, so annotators chain: ``hud(skeleton(img, st), view)``.

* :class:`SkeletonAnnotator` and :class:`GuideAnnotator` draw a frame's body
  (an :class:`~coach.engine.engine.EngineState`, or anything with ``frame``,
  ``status`` and ``side``);
* :class:`HudAnnotator` draws a :class:`~coach.engine.hud.HudView`, the same
  view model the live page's HTML panel shows.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from coach.core.landmarks import SKELETON
from coach.engine.engine import EngineState
from coach.engine.hud import (FAULT_TONE, GOOD_TONE, IDLE_TONE, POSITION_TONE, READY_TONE,
                              UNSEEN_TONE, HudView)
from pose_rules.base import CANT_SEE, FAULT, GOOD, NOT_IN_POSITION, TIMED

# RGB colours
GREEN = (40, 200, 80)
RED = (230, 50, 50)
AMBER = (240, 170, 30)
GREY = (160, 160, 160)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)

BLUE = (45, 108, 223)

STATUS_COLOUR = {GOOD: GREEN, FAULT: RED, NOT_IN_POSITION: AMBER, CANT_SEE: GREY, TIMED: GREY}
TONE_COLOUR = {GOOD_TONE: GREEN, FAULT_TONE: RED, POSITION_TONE: AMBER, UNSEEN_TONE: GREY, READY_TONE: BLUE,
               IDLE_TONE: GREY}


def _scale(image: np.ndarray) -> float:
    return max(image.shape[0], image.shape[1]) / 1000.0


class SkeletonAnnotator:
    """Draws the (smoothed) skeleton, coloured by the current status."""

    def __init__(self, min_visibility: float = 0.5):
        self.min_visibility = min_visibility

    def __call__(self, image: np.ndarray, state: EngineState) -> np.ndarray:
        frame = state.frame
        if not frame.detected:
            return image
        h, w = image.shape[:2]
        s = _scale(image)
        pts = frame.landmarks[:, :2] * np.array([w, h], np.float32)
        vis = np.nan_to_num(frame.landmarks[:, 3], nan=0.0)
        # a point that cannot be drawn (not finite, or far outside the picture) counts as not seen
        vis = np.where(np.isfinite(pts).all(axis=1) & (np.abs(pts) < 1e6).all(axis=1), vis, 0.0)
        colour = STATUS_COLOUR.get(state.status, GREY)
        thick = max(2, int(4 * s))
        for a, b in SKELETON:
            if vis[a] >= self.min_visibility and vis[b] >= self.min_visibility:
                cv2.line(image, tuple(int(v) for v in pts[a]), tuple(int(v) for v in pts[b]), colour, thick, cv2.LINE_AA)
        for i in range(len(pts)):
            if vis[i] >= self.min_visibility and np.isfinite(pts[i]).all():
                cv2.circle(image, (int(pts[i][0]), int(pts[i][1])), max(2, int(5 * s)), WHITE, -1, cv2.LINE_AA)
        return image


def _text(image, text, org, size, colour, thick):
    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, size, BLACK, thick + max(2, thick), cv2.LINE_AA)
    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, size, colour, thick, cv2.LINE_AA)


def blank_canvas(size: tuple[int, int]) -> np.ndarray:
    """A dark background for drawing a track that has no source video."""
    w, h = size
    return np.full((h, w, 3), 30, np.uint8)


# --- live coach overlays -------------------------------------------------------

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_CAP_PX = 27.0  # text height (ascent) in pixels of FONT_HERSHEY_SIMPLEX at scale 1


def _thick(size: float) -> int:
    return max(1, int(round(2.2 * size)))


def _fit_size(text: str, max_w: float, max_h: float) -> float:
    """The largest font scale at which ``text`` is at most ``max_h`` pixels
    tall and ``max_w`` pixels wide."""
    size = max(0.2, max_h / _CAP_PX)
    for _ in range(3):
        (tw, _th), _ = cv2.getTextSize(text, _FONT, size, _thick(size))
        if tw <= max_w:
            break
        size = max(0.2, size * max_w / tw * 0.98)
    return size


def _wrap(text: str, lines: int) -> list[str]:
    """Split ``text`` at spaces into ``lines`` lines of similar length."""
    words = text.split()
    if lines <= 1 or len(words) <= 1:
        return [text]
    per = len(text) / lines
    out, cur = [], ""
    for w in words:
        if cur and len(out) < lines - 1 and len(cur) + 1 + len(w) / 2 > per:
            out.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    out.append(cur)
    return out


def _block(image, text: str, centre_y: float, max_w: float, max_h: float, colour,
           box: bool = True, max_lines: int = 3) -> None:
    """Draw ``text`` centred at ``centre_y``, as large as fits (up to ``max_h``
    pixels a line), wrapped onto up to ``max_lines`` lines, on a dark box."""
    w = image.shape[1]
    best = None
    for n in range(1, max_lines + 1):
        lines = _wrap(text, n)
        size = min(_fit_size(ln, max_w, max_h) for ln in lines)
        if best is None or size > best[0] * 1.15:  # more lines only if clearly bigger
            best = (size, lines)
        if len(lines) < n:
            break
    size, lines = best
    th = _thick(size)
    metrics = [cv2.getTextSize(ln, _FONT, size, th) for ln in lines]
    line_h = int(max(m[0][1] for m in metrics) * 1.45)
    total = line_h * len(lines)
    top = int(centre_y - total / 2)
    if box:
        bw = max(m[0][0] for m in metrics)
        pad = max(6, int(line_h * 0.25))
        x0, x1 = max(0, (w - bw) // 2 - pad), min(w - 1, (w + bw) // 2 + pad)
        y0, y1 = max(0, top - pad // 2), min(image.shape[0] - 1, top + total + pad // 2)
        roi = image[y0:y1, x0:x1]
        np.right_shift(roi, 2, out=roi)  # darkened to a quarter, the video still shows through
    for i, (ln, ((tw, tht), _)) in enumerate(zip(lines, metrics)):
        y = top + i * line_h + (line_h + tht) // 2
        _text(image, ln, ((w - tw) // 2, y), size, colour, th)


def _dashed(image, a, b, colour, thick: int, dash: int, gap: int) -> None:
    """A dashed line from a to b (points in pixels), outlined in black."""
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    if not length > 0:
        return
    ux, uy = (b[0] - a[0]) / length, (b[1] - a[1]) / length
    segs, d = [], 0.0
    while d < length:
        e = min(d + dash, length)
        segs.append(((int(a[0] + ux * d), int(a[1] + uy * d)), (int(a[0] + ux * e), int(a[1] + uy * e))))
        d = e + gap
    for p, q in segs:
        cv2.line(image, p, q, BLACK, thick + 2, cv2.LINE_AA)
    for p, q in segs:
        cv2.line(image, p, q, colour, thick, cv2.LINE_AA)


class GuideAnnotator:
    """Draws the rule's key-measure guide: the reference line between the two
    joints of ``rule.key_measures[0].line`` on the verdict's side (e.g. the
    shoulder-ankle line of a plank), a ring on the measured joint (the hip),
    and, for ``horizontal`` measures, a dashed level line through that joint
    (hip level for the bird-dog). Coloured by status. Takes an EngineState
    (its smoothed frame, side and status); draws nothing when the side is
    unknown or the points are not visible."""

    def __init__(self, rule, min_visibility: float = 0.5):
        from coach.core.landmarks import SIDE_JOINTS

        self.min_visibility = min_visibility
        km = rule.key_measures[0] if getattr(rule, "key_measures", ()) else None
        self.line = km.line if km is not None else None
        self.joint = km.joint if km is not None else None
        self.horizontal = bool(km.horizontal) if km is not None else False
        self._index = SIDE_JOINTS

    def _point(self, frame, side: str, joint: str, w: int, h: int):
        i = int(self._index[side][joint])
        x, y, _z, v = (float(c) for c in frame.landmarks[i])
        if not (math.isfinite(x) and math.isfinite(y) and v >= self.min_visibility):  # NaN fails too
            return None
        return (x * w, y * h)

    def __call__(self, image: np.ndarray, state) -> np.ndarray:
        side = getattr(state, "side", None)
        frame = getattr(state, "frame", None)
        if self.line is None or side not in self._index or frame is None or not frame.detected:
            return image
        h, w = image.shape[:2]
        s = _scale(image)
        colour = STATUS_COLOUR.get(state.status, GREY)
        thick = max(2, int(4 * s))
        a = self._point(frame, side, self.line[0], w, h)
        b = self._point(frame, side, self.line[1], w, h)
        j = self._point(frame, side, self.joint, w, h) if self.joint else None
        dash, gap = max(6, int(16 * s)), max(4, int(10 * s))
        if a is not None and b is not None:
            _dashed(image, a, b, colour, thick, dash, gap)
        if j is not None:
            pj = (int(j[0]), int(j[1]))
            if self.horizontal:
                length = math.hypot(b[0] - a[0], b[1] - a[1]) if a is not None and b is not None else 0.25 * w
                length = max(length, 0.1 * w)
                ahead = -1.0 if (b is not None and b[0] < j[0]) else 1.0  # towards the far joint
                _dashed(image, (j[0] - 0.3 * length * ahead, j[1]), (j[0] + 1.3 * length * ahead, j[1]),
                        colour, max(1, thick - 1), dash, gap)
            r = max(8, int(16 * s))
            cv2.circle(image, pj, r, BLACK, thick + 2, cv2.LINE_AA)
            cv2.circle(image, pj, r, colour, thick, cv2.LINE_AA)
        return image


class HudAnnotator:
    """Draws a :class:`~coach.engine.hud.HudView`, big enough to read from
    2-3 m: a coloured title bar across the top, the goal's big number (a hold
    timer with a progress bar, rep counts) under it, the set-up instruction,
    calibration instruction or countdown number in the centre, and the cue
    large at the bottom. ``details``: also the view's measures and the frame
    time, small (for reviewing clips)."""

    def __init__(self, details: bool = False):
        self.details = details

    def __call__(self, image: np.ndarray, view: HudView) -> np.ndarray:
        h, w = image.shape[:2]
        margin = max(4, int(0.03 * min(w, h)))

        # title bar
        colour = TONE_COLOUR.get(view.tone, GREY)
        bar_h = max(20, int(0.09 * h))
        bar = image[:bar_h]
        np.right_shift(bar, 2, out=bar)  # a quarter of the video + three quarters of the colour (no overflow)
        bar += np.array([int(c * 0.75) for c in colour], np.uint8)
        label = view.title
        size = _fit_size(label, w * 0.94, bar_h * 0.55)
        (tw, tht), _ = cv2.getTextSize(label, _FONT, size, _thick(size))
        _text(image, label, (margin, (bar_h + tht) // 2), size, WHITE, _thick(size))
        y = bar_h + margin

        # the goal's big number
        hl = view.headline
        if hl is not None:
            size = _fit_size(hl.big, w * 0.6, 0.09 * h)
            th = _thick(size)
            (tw, tht), _ = cv2.getTextSize(hl.big, _FONT, size, th)
            y += tht
            _text(image, hl.big, (margin, y), size, GREEN if hl.reached else WHITE, th)
            if hl.fraction is not None:
                y += max(6, int(0.02 * h))
                bw, bh = int(w * 0.6), max(8, int(0.03 * h))
                cv2.rectangle(image, (margin, y), (margin + bw, y + bh), BLACK, -1)
                cv2.rectangle(image, (margin, y), (margin + int(bw * hl.fraction), y + bh),
                              GREEN if hl.reached else TONE_COLOUR.get(view.tone, AMBER), -1)
                cv2.rectangle(image, (margin, y), (margin + bw, y + bh), WHITE, max(1, bh // 6))
                y += bh
            if hl.sub:  # "of 5 a side", "left side"
                ss = size * 0.4
                (_, sht), _ = cv2.getTextSize(hl.sub, _FONT, ss, _thick(ss))
                y += sht + max(4, int(0.01 * h))
                _text(image, hl.sub, (margin, y), ss, WHITE, _thick(ss))
            for line in hl.extra:  # other counted goals (the bridge's lifts)
                size = _fit_size(line, w * 0.4, 0.05 * h)
                (tw, tht), _ = cv2.getTextSize(line, _FONT, size, _thick(size))
                y += tht + max(6, int(0.02 * h))
                _text(image, line, (margin, y), size, WHITE, _thick(size))

        # details (clip review): measures and the frame time
        if self.details:
            ds = 0.035 * h
            for name, value in view.measures:
                txt = f"{name} {value:6.1f}"
                size = _fit_size(txt, w * 0.4, ds * 0.7)
                y += int(ds)
                _text(image, txt, (margin, y), size, WHITE, _thick(size))
            if view.time_s is not None:
                txt = f"{view.time_s:6.2f} s"
                size = _fit_size(txt, w * 0.2, bar_h * 0.4)
                (tw, tht), _ = cv2.getTextSize(txt, _FONT, size, _thick(size))
                _text(image, txt, (w - tw - margin, (bar_h + tht) // 2), size, WHITE, _thick(size))

        # centre: set-up instruction, calibration instruction or countdown number
        if view.message:
            if view.countdown:
                size = _fit_size(view.message, w * 0.8, 0.3 * h)
                th = _thick(size) + 2
                (tw, tht), _ = cv2.getTextSize(view.message, _FONT, size, th)
                _text(image, view.message, ((w - tw) // 2, (h + tht) // 2), size, WHITE, th)
            else:
                tone = {GOOD_TONE: GREEN, POSITION_TONE: AMBER}.get(view.message_tone, WHITE)
                _block(image, view.message, h * 0.5, w * 0.9, 0.08 * h, tone)

        # the cue, large at the bottom
        if view.cue:
            _block(image, view.cue, h - 0.1 * h, w * 0.94, 0.07 * h,
                   RED if view.cue_tone == FAULT_TONE else AMBER, max_lines=2)
        return image
