"""Annotators: each takes ``(image, state)`` (image is RGB, uint8) and
returns the image with something drawn on it. The image is drawn on in place
and returned, so annotators chain: ``hud(skeleton(img, st), st)``.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from pose_rules.base import CANT_SEE, FAULT, GOOD, NOT_IN_POSITION
from .engine import EngineState
from .landmarks import SKELETON

# RGB colours
GREEN = (40, 200, 80)
RED = (230, 50, 50)
AMBER = (240, 170, 30)
GREY = (160, 160, 160)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)

STATUS_COLOUR = {GOOD: GREEN, FAULT: RED, NOT_IN_POSITION: AMBER, CANT_SEE: GREY}
STATUS_TEXT = {GOOD: "Good form", FAULT: "Fix your form", NOT_IN_POSITION: "Not in position", CANT_SEE: "Can't see you"}


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


class HudAnnotator:
    """Status, key measures, hold timer with progress, rep counts and the cue."""

    def __init__(self, measures: int = 3):
        self.measures = measures

    def __call__(self, image: np.ndarray, state: EngineState) -> np.ndarray:
        h, w = image.shape[:2]
        s = _scale(image)
        fs, th = 0.9 * s, max(1, int(2 * s))
        colour = STATUS_COLOUR.get(state.status, GREY)
        y = int(45 * s)
        _text(image, STATUS_TEXT.get(state.status, state.status), (int(15 * s), y), 1.2 * s, colour, th + 1)
        y += int(45 * s)
        if state.hold_target_s is not None:
            _text(image, f"Hold {state.hold_s:4.1f} / {state.hold_target_s:.0f} s", (int(15 * s), y), fs, WHITE, th)
            y += int(14 * s)
            bar_w = int(w * 0.5)
            frac = max(0.0, min(1.0, state.hold_s / state.hold_target_s))
            cv2.rectangle(image, (int(15 * s), y), (int(15 * s) + bar_w, y + int(14 * s)), WHITE, max(1, th // 2))
            cv2.rectangle(image, (int(15 * s), y), (int(15 * s) + int(bar_w * frac), y + int(14 * s)),
                          GREEN if state.target_reached else colour, -1)
            y += int(45 * s)
        if state.reps:
            _text(image, f"Reps  L {state.reps.get('left', 0)}  R {state.reps.get('right', 0)}",
                  (int(15 * s), y), fs, WHITE, th)
            y += int(40 * s)
        for name, value in list(state.verdict.measures.items())[: self.measures]:
            if isinstance(value, float) and math.isfinite(value):
                _text(image, f"{name} {value:6.1f}", (int(15 * s), y), 0.6 * s, WHITE, max(1, th - 1))
                y += int(28 * s)
        _text(image, f"{state.timestamp:6.2f} s", (w - int(150 * s), int(40 * s)), 0.7 * s, WHITE, th)
        if state.cue:
            size = 1.3 * s
            (tw, tht), _ = cv2.getTextSize(state.cue, cv2.FONT_HERSHEY_SIMPLEX, size, th + 1)
            while tw > w * 0.95 and size > 0.4:
                size *= 0.9
                (tw, tht), _ = cv2.getTextSize(state.cue, cv2.FONT_HERSHEY_SIMPLEX, size, th + 1)
            x0, y0 = (w - tw) // 2, h - int(40 * s)
            cv2.rectangle(image, (x0 - 10, y0 - tht - 14), (x0 + tw + 10, y0 + 14), BLACK, -1)
            _text(image, state.cue, (x0, y0), size, RED if state.status == FAULT else AMBER, th + 1)
        return image


def blank_canvas(size: tuple[int, int]) -> np.ndarray:
    """A dark background for drawing a track that has no source video."""
    w, h = size
    return np.full((h, w, 3), 30, np.uint8)
