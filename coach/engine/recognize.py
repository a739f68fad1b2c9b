"""Which known exercise the person is in, from the pose alone.

Every judged rule looks at the frame with its own in-position checks (one
shared :class:`~pose_rules.base.Body` per frame); the rules that see the
person in position are the frame's *in-position set*. Several can be in
position at once (variants of one family, and look-alikes in the picture),
and one of them is chosen:

1. **specificity** (:data:`SPECIFIC_OVER`): a rule naming what another leaves
   open stands for it (a forearm or high plank for the plank that takes
   either support, a sided side plank for either side, both knees for one
   knee), and two look-alikes are told apart by a measure (the hip extension
   over the bird-dog while a leg is lifted with its knee bent; the figure-4
   over knee to chest with the ankle clearly on the knee);
2. **posture** (:data:`POSTURE`): a body held up on its supports (on all
   fours, a side plank, half-kneeling; then a plank; then a bridge) before a
   body lying on the floor: a held-up body can pass a lying rule's checks in
   the picture, and the development set shows no case the other way round;
3. **form**: a rule judging the frame good beats one finding a fault, and
   both beat a rule whose position checks passed but which cannot judge the
   angles from a three-quarter view;
4. the **declared order** of the rules (the app's list): on all fours at rest,
   the bird-dog.

That is :func:`classify` (no state). :class:`Recognizer` adds hysteresis in
frame time: an exercise is recognised after it has been the choice for
``enter_s`` (:data:`ENTER_S`; interruptions up to :data:`GLITCH_S` do not
restart the count), and a recognised one is let go (to nothing, or to
another) only after ``leave_s`` (:data:`LEAVE_S`) without it. While the
recognised exercise stays in position it is kept, unless another candidate
is preferred to it (steps 2-3) for ``enter_s``: on all fours at rest a
recognised hip extension stays a hip extension.

Time comes only from the frames' timestamps, so replaying a track gives the
live result. Measured numbers (overlaps, jitter, cost, the confusion matrices
of ``coach evaluate``): docs/pending/recognition.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from coach.core.pose import PoseFrame
from coach.core.timing import MAX_FRAME_GAP_S
from pose_rules import RULES, get_rule
from pose_rules.base import CANT_SEE, FAULT, GOOD, OBLIQUE_REASON, Body, Rule, Verdict

#: Seconds an exercise must be the choice before it is recognised. The longest
#: run of a wrong choice inside labelled in-position time of the development
#: set's clips (real tracking noise) is 0.27 s (the real bird-dog clip, read
#: as a hip extension while a leg is lowered), and the real seated and
#: standing clips give runs of a frame; 1 s keeps a margin for a live camera's
#: glitches and is short beside a hold or a stretch.
ENTER_S = 1.0
#: Seconds without the recognised exercise before it is let go. Not shorter
#: than ENTER_S, so that nothing shorter than ENTER_S (a glitch of another
#: exercise, a moment out of view) changes what is recognised.
LEAVE_S = 1.5
#: A pending choice survives interruptions this short (a frame or a few of
#: tracking glitch while the person moves into a position).
GLITCH_S = 0.3

#: How a verdict ranks when several rules see the person in position.
_RANK_GOOD, _RANK_FAULT, _RANK_ANGLE = 3, 2, 1


def _always(v: Verdict, th: Mapping[str, float]) -> bool:
    return True


def _bent_knee_lift(v: Verdict, th: Mapping[str, float]) -> bool:
    """Hip extension's verdict: a leg lifted (above ``lifting_deg`` below level)
    with its knee bent (not straighter than ``max_knee_deg``)."""
    lifted = v.rep_value is not None and v.rep_value > -th.get("lifting_deg", 55.0)
    knee = v.measures.get("lifted_knee_deg")
    return lifted and knee is not None and knee <= th.get("max_knee_deg", 130.0)


def _ankle_on_knee(v: Verdict, th: Mapping[str, float]) -> bool:
    """Piriformis's verdict: the crossed ankle clearly on the other knee (within
    half the crossing limit). A knee to chest with the other leg raised can
    bring that ankle just inside the limit (the development set's reads 0.43
    of 0.45 torso lengths)."""
    d = v.measures.get("ankle_dist")
    return d is not None and d <= 0.5 * th.get("max_ankle_dist", 0.45)


#: (specific, general, when): while ``specific`` is in position (and
#: ``when(its verdict, its thresholds)``), ``general`` is no candidate: the
#: variants of a family that name what the general rule leaves open, and two
#: measure-based choices between look-alikes. Names not given are ignored.
SPECIFIC_OVER: tuple[tuple[str, str, Callable[[Verdict, Mapping[str, float]], bool]], ...] = (
    ("forearm_plank", "plank", _always),
    ("high_plank", "plank", _always),
    ("side_plank_left", "side_plank", _always),
    ("side_plank_right", "side_plank", _always),
    ("knee_to_chest_both", "knee_to_chest", _always),
    ("hip_extension", "bird_dog", _bent_knee_lift),
    ("piriformis_stretch", "knee_to_chest", _ankle_on_knee),
)

#: How strict a rule's position is, by posture, higher first: a body held up
#: on hands and knees, on one forearm or half-kneeling (3); held up in a plank
#: (2); on the back with the hips lifted on planted feet (1); anything else
#: lying on the back or front (0, also for rules not listed). A body held up
#: can pass a looser posture's checks in the picture (a plank or a knee plank
#: reads as a prone extension; a side plank with high hips, seen from the
#: front, as a hamstring stretch; a lifted leg on all fours as a knee plank),
#: and the development set shows no case the other way round
#: (docs/pending/recognition.md).
POSTURE: dict[str, int] = {
    "bird_dog": 3, "hip_extension": 3, "side_plank": 3, "side_plank_left": 3, "side_plank_right": 3,
    "hip_flexor_stretch": 3,
    "plank": 2, "forearm_plank": 2, "high_plank": 2, "knee_plank": 2,
    "glute_bridge": 1,
}


def family_of(name: str | None) -> str | None:
    """An exercise's family for people: the rule's ``family`` or, where it has
    none, its title ("Plank", "Side plank", "Bird-dog"). None for None or an
    unknown name."""
    if name is None:
        return None
    rule = RULES.get(name)
    if rule is None:
        return None
    return rule.family or rule.title


@dataclass(frozen=True)
class Recognition:
    """What is recognised after one frame."""

    #: The recognised rule name (after hysteresis); None: none, nothing known.
    exercise: str | None
    #: Its family for people (``rule.family`` or ``rule.title``), e.g. "Side plank".
    family: str | None
    #: This frame's best rule before hysteresis (None: no rule in position).
    candidate: str | None
    #: Every judged rule in position at this frame (status good or fault), in rule order.
    in_position: tuple[str, ...]
    #: Frame time at which ``exercise`` was recognised (None with no exercise).
    since: float | None
    #: Frame time of the first frame of the run of choices that led to it
    #: (about ``since - enter_s``): where a log of the exercise starts.
    started: float | None = None


NOTHING = Recognition(None, None, None, (), None)


class _Judge:
    """The rules with their resolved thresholds, judging one frame together."""

    def __init__(self, rules: Sequence[Rule] | None, thresholds: Mapping[str, Mapping[str, float]] | None):
        if rules is None:
            rules = [r for r in RULES.values() if r.judged and not r.monitor]
        rules = [r for r in rules if r.judged]
        names = [r.name for r in rules]
        if len(set(names)) != len(names):
            raise ValueError("each rule may be given once")
        overrides = thresholds or {}
        self.rules = tuple(rules)
        self.names = tuple(names)
        self.th = tuple(r.resolve(overrides.get(r.name)) for r in rules)
        # rules that judge through Rule.evaluate can share one Body per visibility limit
        self.shared = tuple(type(r).evaluate is Rule.evaluate for r in rules)
        present = set(names)
        self.specific: dict[str, list[tuple[str, Callable]]] = {}
        for spec, gen, when in SPECIFIC_OVER:
            if spec in present and gen in present:
                self.specific.setdefault(spec, []).append((gen, when))
        self.order = {n: i for i, n in enumerate(names)}
        self.families = {r.name: r.family or r.title for r in rules}

    def verdicts(self, frame: PoseFrame) -> list[Verdict] | None:
        if not frame.detected:
            return None
        bodies: dict[float, Body] = {}
        out = []
        for rule, th, shared in zip(self.rules, self.th, self.shared):
            if shared:
                mv = th["min_visibility"]
                body = bodies.get(mv)
                if body is None:
                    body = bodies[mv] = Body(frame, mv)
                out.append(rule.judge(body, th))
            else:
                out.append(rule.evaluate(frame, th))
        return out

    def classify(self, frame: PoseFrame) -> tuple[str | None, tuple[str, ...], dict[str, tuple[int, int]]]:
        """(the choice, the rules in position (good or fault), and the
        candidates that are left after specificity, each with its preference
        (posture, form): the choice has the highest, the earliest rule on a tie)."""
        vs = self.verdicts(frame)
        if vs is None:
            return None, (), {}
        ranks: dict[str, int] = {}
        judged: dict[str, tuple[Verdict, Mapping[str, float]]] = {}
        for name, v, th in zip(self.names, vs, self.th):
            if v.status == GOOD:
                ranks[name] = _RANK_GOOD
            elif v.status == FAULT:
                ranks[name] = _RANK_FAULT
            elif v.status == CANT_SEE and v.reason.startswith(OBLIQUE_REASON):
                ranks[name] = _RANK_ANGLE  # in position; only the camera angle keeps it from being judged
            else:
                continue
            judged[name] = (v, th)
        in_pos = tuple(n for n, r in ranks.items() if r > _RANK_ANGLE)
        if not ranks:
            return None, in_pos, {}
        dropped = {gen for spec in ranks if spec in self.specific
                   for gen, when in self.specific[spec] if gen in ranks and when(*judged[spec])}
        keys = {n: (POSTURE.get(n, 0), r) for n, r in ranks.items() if n not in dropped}
        best = max(keys, key=lambda n: (keys[n], -self.order[n]))
        return best, in_pos, keys


def classify(frame: PoseFrame, rules: Sequence[Rule] | None = None,
             thresholds: Mapping[str, Mapping[str, float]] | None = None) -> tuple[str | None, tuple[str, ...]]:
    """This frame's choice (None: no rule in position, or no body) and every
    judged rule in position (status good or fault), without hysteresis.
    ``rules``: default every registered judged rule; ``thresholds``: per-rule
    overrides ({rule name: {threshold: value}}, a profile)."""
    if rules is None and not thresholds:  # the registered rules with their defaults: judged the same every time
        global _DEFAULT
        if _DEFAULT is None or _DEFAULT.names != tuple(n for n, r in RULES.items() if r.judged and not r.monitor):
            _DEFAULT = _Judge(None, None)
        judge = _DEFAULT
    else:
        judge = _Judge(rules, thresholds)
    best, in_pos, _ = judge.classify(frame)
    return best, in_pos


_DEFAULT: _Judge | None = None


class Recognizer:
    """Recognises the exercise over a stream of frames (see the module docstring).

    ``update(frame)`` once per frame, in time order; a frame not later than the
    previous one is ignored (the engine's time policy) and returns the current
    recognition unchanged."""

    def __init__(self, rules: Sequence[Rule] | None = None,
                 thresholds: Mapping[str, Mapping[str, float]] | None = None,
                 enter_s: float = ENTER_S, leave_s: float = LEAVE_S):
        if not (math.isfinite(enter_s) and enter_s >= 0 and math.isfinite(leave_s) and leave_s >= 0):
            raise ValueError("enter_s and leave_s must be finite and not negative")
        self.enter_s = float(enter_s)
        self.leave_s = float(leave_s)
        self._judge = _Judge(rules, thresholds)
        self.reset()

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self._judge.rules

    def family(self, name: str | None) -> str | None:
        """The family of one of this recogniser's rules (None for None)."""
        return None if name is None else self._judge.families.get(name)

    def reset(self) -> None:
        """Forget everything (a new stream)."""
        self._rec = NOTHING
        self._last_t: float | None = None
        self._kept_t: float | None = None  # the last frame time the recognised exercise was there
        self._pending: str | None = None
        self._pending_since = self._pending_last = 0.0

    @property
    def current(self) -> Recognition:
        return self._rec

    def update(self, frame: PoseFrame) -> Recognition:
        t = float(frame.timestamp)
        if not math.isfinite(t) or (self._last_t is not None and t <= self._last_t):
            return self._rec
        if self._last_t is not None and t - self._last_t > MAX_FRAME_GAP_S:
            self._pending = None  # a choice is not continuous across a gap in the frames
        self._last_t = t
        cand, in_pos, keys = self._judge.classify(frame)
        cur = self._rec.exercise
        fam = self._judge.families
        same_family = cur is not None and cand is not None and fam[cand] == fam.get(cur)
        # the recognised exercise is still there: chosen, or a candidate preferred as much as the choice
        holds = cur is not None and cur in keys and (cand == cur or keys[cur] >= keys[cand])
        if holds or same_family:
            self._kept_t = t
        challenger = None if (cand is None or holds) else cand
        if challenger is not None:
            if challenger == self._pending and t - self._pending_last <= GLITCH_S:
                self._pending_last = t
            elif self._pending is None or t - self._pending_last > GLITCH_S:
                self._pending, self._pending_since, self._pending_last = challenger, t, t
            # else: a different choice interrupting the pending one for a moment
        elif self._pending is not None and t - self._pending_last > GLITCH_S:
            self._pending = None

        gone = cur is not None and t - self._kept_t >= self.leave_s - 1e-9
        ready = (self._pending is not None and self._pending == challenger
                 and t - self._pending_since >= self.enter_s - 1e-9)
        if ready and (cur is None or same_family or gone):
            self._rec = Recognition(self._pending, fam[self._pending], cand, in_pos, t, self._pending_since)
            self._kept_t = t
            self._pending = None
        elif gone:
            self._rec = Recognition(None, None, cand, in_pos, None)
        else:
            r = self._rec
            self._rec = Recognition(r.exercise, r.family, cand, in_pos, r.since, r.started)
        return self._rec


def looks_like(expected: str, rec: Recognition) -> bool:
    """Whether ``rec`` agrees with the exercise ``expected`` (a rule name, as
    typed): the recognised exercise is that rule or one of its family (plank
    and forearm plank are the same; side plank and side plank left too), or
    ``expected`` (or a rule of its family) sees the person in position at this
    frame (on all fours at rest, a bird-dog and a hip extension are the same
    position). False when nothing is recognised and ``expected`` does not see
    the person in position: whether to say "This looks like a side plank" is
    for a recognised exercise that does not look like the expected one."""
    rule = get_rule(expected)
    fam = rule.family or rule.title
    if rec.exercise is not None and (rec.exercise == rule.name or rec.family == fam):
        return True
    return any(n == rule.name or family_of(n) == fam for n in rec.in_position)


__all__ = ["Recognition", "Recognizer", "classify", "looks_like", "family_of", "ENTER_S", "LEAVE_S", "GLITCH_S",
           "SPECIFIC_OVER", "NOTHING"]
