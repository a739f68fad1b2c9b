"""Exercise rules: one small module per exercise.

Single-frame API::

    from pose_rules import evaluate
    verdict = evaluate("plank", landmarks, image_size=(1280, 720))
    verdict.status    # "good" | "fault" | "not_in_position" | "cant_see"
    verdict.faults    # e.g. ("hips_sagging",)
    verdict.measures  # e.g. {"hip_bend_deg": -14.2, ...}
    verdict.cue       # e.g. "Lift your hips"

``landmarks`` is 33 rows of normalized ``(x, y, z, visibility)`` (MediaPipe
order; see :class:`coach.core.landmarks.Landmark`), an array of shape (33, 4), a
list of dicts with keys x, y, z, visibility, or a :class:`coach.core.pose.PoseFrame`.

A new exercise is one module here declaring its :class:`Rule` subclasses in a
module-level ``RULES`` tuple, plus its name in ``_MODULES`` below; the CLI, the
app's picker, the reports and the charts find it from there.

This package depends only on :mod:`coach.core` (pose data, landmarks, geometry,
counting tools); the engine and everything above it import from here.
"""
from __future__ import annotations

from typing import Mapping

from coach.core.pose import PoseFrame

from . import (bird_dog, desk_posture, drawing_in, glute_bridge, hamstring_stretch, hip_flexor_stretch, knee_to_chest, knee_twist,
               partial_crunch, piriformis_stretch, plank, prone_extension, rotation_stretch, side_plank)
from .base import CANT_SEE, FAULT, GOOD, NOT_IN_POSITION, TIMED, Fault, name_key, Rule, Threshold, ThresholdError, Verdict
from .goals import Goal, GoalSet, Hold, Progress, Repeats, Reps, Sitting, Timed

#: The exercise modules, in the order the app and the CLI list them.
_MODULES = (plank, side_plank, glute_bridge, bird_dog, partial_crunch, prone_extension, knee_to_chest,
            rotation_stretch, knee_twist, hamstring_stretch, hip_flexor_stretch, piriformis_stretch, drawing_in,
            desk_posture)

RULES: dict[str, Rule] = {r.name: r for mod in _MODULES for r in mod.RULES}


def exercises() -> dict[str, Rule]:
    """The exercise rules: all but the all-day monitors (the desk posture),
    which have their own page and command."""
    return {n: r for n, r in RULES.items() if not r.monitor}


class UnknownExercise(KeyError):
    def __str__(self) -> str:
        return f"unknown exercise '{self.args[0]}'; choose one of: {', '.join(RULES)}"


def register(rule: Rule) -> Rule:
    """Add a rule (an exercise module outside this package, or a test's toy
    rule). Its name must be new."""
    if not isinstance(rule, Rule) or not rule.name:
        raise TypeError("register() takes a Rule instance with a name")
    if rule.name in RULES:
        raise ValueError(f"an exercise named '{rule.name}' is already registered")
    rule.resolve()  # its declarations must be consistent
    RULES[rule.name] = rule
    return rule


def get_rule(name: str) -> Rule:
    key = name_key(name)
    if key not in RULES:
        raise UnknownExercise(name)
    return RULES[key]


def evaluate(exercise: str, landmarks, image_size: tuple[int, int] | None = None,
             thresholds: Mapping[str, float] | None = None) -> Verdict:
    """Judge one frame. See the module docstring."""
    rule = get_rule(exercise)
    if isinstance(landmarks, PoseFrame):
        frame = landmarks
    else:
        if image_size is None:
            raise ValueError("image_size=(width, height) is needed to measure angles in pixels")
        frame = PoseFrame.from_normalized(landmarks, image_size)
    return rule.evaluate(frame, rule.resolve(thresholds))


__all__ = ["RULES", "exercises", "get_rule", "register", "evaluate", "Rule", "Threshold", "ThresholdError", "Fault", "Verdict",
           "UnknownExercise", "Goal", "GoalSet", "Hold", "Reps", "Repeats", "Timed", "Sitting",
           "Progress", "GOOD", "FAULT", "NOT_IN_POSITION", "CANT_SEE", "TIMED"]
