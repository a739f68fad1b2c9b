"""Exercise rules: one small module per exercise.

Single-frame API::

    from pose_rules import evaluate
    verdict = evaluate("plank", landmarks, image_size=(1280, 720))
    verdict.status    # "good" | "fault" | "not_in_position" | "cant_see"
    verdict.faults    # e.g. ("hips_sagging",)
    verdict.measures  # e.g. {"hip_bend_deg": -14.2, ...}
    verdict.cue       # e.g. "Lift your hips"

``landmarks`` is 33 rows of normalized ``(x, y, z, visibility)`` (MediaPipe
order; see :class:`coach.landmarks.Landmark`), an array of shape (33, 4), a list
of dicts with keys x, y, z, visibility, or a :class:`coach.pose.PoseFrame`.
"""
from __future__ import annotations

from typing import Mapping

from .base import CANT_SEE, FAULT, GOOD, NOT_IN_POSITION, Fault, Rule, Threshold, Verdict
from . import bird_dog, glute_bridge, plank, side_plank

RULES: dict[str, Rule] = {r.name: r for mod in (plank, side_plank, glute_bridge, bird_dog) for r in mod.RULES}


class UnknownExercise(KeyError):
    def __str__(self) -> str:
        return f"unknown exercise '{self.args[0]}'; choose one of: {', '.join(RULES)}"


def get_rule(name: str) -> Rule:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in RULES:
        raise UnknownExercise(name)
    return RULES[key]


def evaluate(exercise: str, landmarks, image_size: tuple[int, int] | None = None,
             thresholds: Mapping[str, float] | None = None) -> Verdict:
    """Judge one frame. See the module docstring."""
    from coach.pose import PoseFrame
    from coach.thresholds import resolve

    rule = get_rule(exercise)
    if isinstance(landmarks, PoseFrame):
        frame = landmarks
    else:
        if image_size is None:
            raise ValueError("image_size=(width, height) is needed to measure angles in pixels")
        frame = PoseFrame.from_normalized(landmarks, image_size)
    return rule.evaluate(frame, resolve(rule, thresholds))


__all__ = ["RULES", "get_rule", "evaluate", "Rule", "Threshold", "Fault", "Verdict", "UnknownExercise",
           "GOOD", "FAULT", "NOT_IN_POSITION", "CANT_SEE"]
