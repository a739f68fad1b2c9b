"""Abdominal drawing-in ("zip up"): lying, sitting or standing, draw the
belly button in towards the spine without holding the breath, hold 10 s,
relax; 5 times. The deep abdominal muscles cannot be seen by a camera, so
this step is NOT judged: the coach keeps time and says when to hold and when
to relax, and says plainly that it does not judge the form.
"""
from __future__ import annotations

from typing import Mapping

from coach.core.pose import PoseFrame
from .base import TIMED, Body, Rule, Verdict, common_thresholds
from .goals import Timed


class DrawingIn(Rule):
    name = "drawing_in"
    title = "Abdominal drawing-in"
    description = ("Draw your belly button in towards your spine, keep breathing, hold 10 s, relax; 5 times. "
                   "The camera cannot see these muscles: the coach only keeps time.")
    thresholds = common_thresholds(oblique=False)
    faults = ()
    goal = Timed(10.0, 5, rest_s=5.0, say_hold="Draw your belly button in, keep breathing, and hold")
    judged = False
    view = "side"
    REASON = "not judged: a camera cannot see the deep abdominal muscles"

    def evaluate(self, frame: PoseFrame, th: Mapping[str, float]) -> Verdict:
        return Verdict(self.name, TIMED, None, {}, (), None, self.REASON)

    def judge(self, body: Body, th: Mapping[str, float]) -> Verdict:  # pragma: no cover - evaluate decides
        return Verdict(self.name, TIMED, None, {}, (), None, self.REASON)


RULES = (DrawingIn(),)
