"""Routines as data: a named list of steps (exercise, sides, target, rest),
kept as TOML files, and the day's plan made from them with progression.

A routine file::

    name = "Core strength"
    description = "Every other day: ..."
    schedule = "every other day"
    rest = 30                      # default rest after each step (s)

    [[step]]
    exercise = "plank"
    hold = 60                      # the target from the exercise descriptions (s)
    start = 20                     # the first time (nothing recorded yet)
    grow = 5                       # each time: your recorded best + this, up to `hold`

    [[step]]
    exercise = "side_plank"
    sides = ["left", "right"]      # one side at a time, in this order
    hold = 45
    start = 15

    [[step]]
    exercise = "bird_dog"
    reps = 10                      # per side for a per-side exercise
    start = 6
    grow = 2

    [[step]]
    exercise = "knee_to_chest"
    repeats = 3                    # a stretch: repeats per side ...
    hold = 20                      # ... of this hold each
    rest = 15

Step keys: ``exercise`` (required, see ``coach exercises``); ``sides``
("both", "left", "right" or a list; default: every side the exercise
counts); ``hold`` (s: a hold's target, or each repeat's / timed hold's
hold); ``reps``; ``repeats``; ``start`` and ``grow`` (progression of the
counted amount: hold seconds or reps; see :func:`plan`); ``rest`` (s after
the step); ``target`` (a named target choice of the exercise, e.g. "breaths"
for the bridge); ``note`` (a line shown with the step). Unknown keys, unknown
exercises, keys that do not fit the exercise's goal (``reps`` for a plank)
and values outside the exercise's ranges are errors (:class:`RoutineError`,
one line naming the file and the step).

Built-in routines ship with the package (``builtin_routines/*.toml``); the
person's own are kept in the routines folder (:func:`routines_dir`). Saving
never overwrites a built-in file; a routine saved under a built-in's name
is the person's own version and is used instead of it.
"""
from __future__ import annotations

import math
import os
import secrets
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

import pose_rules
from coach.core.paths import user_dir
from coach.engine.profiles import slug
from pose_rules.base import Rule, ThresholdError, name_key

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin_routines"
#: Largest routine file read (bytes) and most steps in one routine.
MAX_FILE_BYTES = 256_000
MAX_STEPS = 50
#: Default growth of the counted amount per session (hold seconds, reps).
GROW_DEFAULT = {"s": 5.0, "reps": 1.0}
SIDES = ("both", "left", "right")
_STEP_KEYS = ("exercise", "sides", "hold", "reps", "repeats", "start", "grow", "rest", "target", "note")
_TOP_KEYS = ("name", "description", "schedule", "rest", "step")


class RoutineError(ValueError):
    """A routine that cannot be used (one line)."""


def routines_dir() -> Path:
    """The person's routines: ``$COACH_ROUTINE_DIR``; else
    ``%APPDATA%\\back-coach\\routines`` on Windows; else
    ``$XDG_CONFIG_HOME`` / ``~/.config`` ``/back-coach/routines``."""
    return user_dir("COACH_ROUTINE_DIR", "routines", config=True)


def _num(v, what: str, lo: float, hi: float, whole: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise RoutineError(f"{what} must be a number, got {v!r}")
    if whole and float(v) != int(v):
        raise RoutineError(f"{what} must be a whole number, got {v!r}")
    if not lo <= v <= hi:
        raise RoutineError(f"{what} = {v:g} is outside {lo:g}..{hi:g}")
    return float(v)


@dataclass(frozen=True)
class RoutineStep:
    """One step of a routine (see the module docstring for the keys)."""

    exercise: str
    sides: tuple[str, ...] = ()
    hold: float | None = None
    reps: int | None = None
    repeats: int | None = None
    start: float | None = None
    grow: float | None = None
    rest: float | None = None
    target: str | None = None
    note: str = ""

    @property
    def rule(self) -> Rule:
        return pose_rules.get_rule(self.exercise)

    @property
    def kind(self) -> str:
        """What the step counts: the exercise's main goal ("hold", "reps", "repeats", "timed")."""
        return self.rule.goal.parts()[0].kind

    @property
    def unit(self) -> str:
        return "s" if self.kind == "hold" else ("reps" if self.kind == "reps" else "repeats")

    @property
    def grows(self) -> str | None:
        """The threshold the progression changes: hold seconds or reps (None: fixed)."""
        return {"hold": "hold_target_s", "reps": "rep_target"}.get(self.kind)

    def full_amount(self) -> float:
        """The target the step works towards (the routine's, else the exercise's default)."""
        th = self.overrides()
        return th[self.grows] if self.grows else th.get("repeat_target", 0.0)

    def overrides(self, amount: float | None = None) -> dict[str, float]:
        """The exercise's threshold overrides for this step; ``amount``
        replaces the counted amount (the day's target)."""
        rule = self.rule
        out = dict(rule.target(self.target))
        if self.hold is not None:
            out["hold_target_s"] = float(self.hold)
        if self.reps is not None:
            out["rep_target"] = float(self.reps)
        if self.repeats is not None:
            out["repeat_target"] = float(self.repeats)
        if amount is not None and self.grows:
            out[self.grows] = float(amount)
        return out

    def describe(self, amount: float | None = None) -> str:
        """The target in words: "hold 45 s per side", "10 reps a side", "3 x 20 s per side"."""
        rule = self.rule
        th = rule.resolve(self.overrides(amount))
        text = rule.goal.parts()[0].describe(th)
        if self.kind == "reps":
            n = int(th["rep_target"])
            text = f"{n} reps" + (" a side" if rule.goal.per_side else "")
        if rule.goal.per_side and self.sides and set(self.sides) != set(rule.goal.sides):
            text += f" ({', '.join(self.sides)} only)"
        return text

    def to_dict(self) -> dict:
        d: dict = {"exercise": self.exercise}
        if self.sides and self.sides != tuple(self.rule.goal.sides):
            d["sides"] = list(self.sides)
        for k in ("hold", "reps", "repeats", "start", "grow", "rest", "target"):
            v = getattr(self, k)
            if v is not None:
                d[k] = int(v) if isinstance(v, float) and v.is_integer() else v
        if self.note:
            d["note"] = self.note
        return d


def parse_step(d, where: str, default_rest: float) -> RoutineStep:
    """A step from its TOML table, checked against the exercise's declarations."""
    if not isinstance(d, dict):
        raise RoutineError(f"{where}: a step must be a table ([[step]])")
    unknown = [k for k in d if k not in _STEP_KEYS]
    if unknown:
        raise RoutineError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(_STEP_KEYS)})")
    if "exercise" not in d:
        raise RoutineError(f"{where}: 'exercise' is missing")
    ex = d["exercise"]
    if not isinstance(ex, str):
        raise RoutineError(f"{where}: exercise must be a name, got {ex!r}")
    try:
        rule = pose_rules.get_rule(ex)
    except pose_rules.UnknownExercise as e:
        raise RoutineError(f"{where}: {e}") from None
    if rule.monitor:
        raise RoutineError(f"{where}: {rule.name} is an all-day monitor (`coach desk`, the Desk page), "
                           "not a routine step")
    goal = rule.goal.parts()[0]
    kind = goal.kind
    sides_in = d.get("sides", list(rule.goal.sides))
    if isinstance(sides_in, str):
        sides_in = [s.strip() for s in sides_in.split(",")]
    if not isinstance(sides_in, list) or not sides_in or not all(isinstance(s, str) for s in sides_in):
        raise RoutineError(f"{where}: sides must be \"both\", \"left\", \"right\" or a list of them")
    sides = tuple(s.strip().lower() for s in sides_in)
    if sides == ("both",) and rule.goal.per_side:
        sides = tuple(rule.goal.sides)
    bad = [s for s in sides if s not in rule.goal.sides]
    if bad or len(set(sides)) != len(sides):
        counted = " and ".join(rule.goal.sides)
        raise RoutineError(f"{where}: {rule.name} counts {counted}; sides {list(sides)} do not fit")
    step = RoutineStep(exercise=rule.name, sides=sides)
    if "hold" in d:
        if kind == "reps":
            raise RoutineError(f"{where}: {rule.name} counts reps, not a hold: use reps = N")
        step = replace(step, hold=_num(d["hold"], f"{where}: hold", 1, 3600))
    if "reps" in d:
        if kind != "reps":
            raise RoutineError(f"{where}: {rule.name} counts {goal.describe()}, not reps")
        step = replace(step, reps=int(_num(d["reps"], f"{where}: reps", 1, 1000, whole=True)))
    if "repeats" in d:
        if kind not in ("repeats", "timed"):
            raise RoutineError(f"{where}: {rule.name} counts {goal.describe()}, not repeats")
        step = replace(step, repeats=int(_num(d["repeats"], f"{where}: repeats", 1, 1000, whole=True)))
    for k in ("start", "grow"):
        if k in d:
            if step.grows is None:
                raise RoutineError(f"{where}: '{k}' needs an exercise with a hold or reps target "
                                   f"({rule.name} counts {goal.describe()})")
            step = replace(step, **{k: _num(d[k], f"{where}: {k}", 0 if k == "grow" else 1, 3600)})
    rest = d.get("rest", default_rest)
    step = replace(step, rest=_num(rest, f"{where}: rest", 0, 600))
    if "target" in d:
        if not isinstance(d["target"], str):
            raise RoutineError(f"{where}: target must be a name")
        step = replace(step, target=name_key(d["target"]))
    if "note" in d:
        if not isinstance(d["note"], str) or len(d["note"]) > 300:
            raise RoutineError(f"{where}: note must be a line of text")
        step = replace(step, note=" ".join(d["note"].split()))
    try:  # the values must be the exercise's own ranges
        rule.resolve(step.overrides())
        if step.start is not None:
            if step.start > step.full_amount() + 1e-9:
                raise RoutineError(f"{where}: start {step.start:g} is above the target {step.full_amount():g}")
            rule.resolve(step.overrides(step.start))
    except ThresholdError as e:
        raise RoutineError(f"{where}: {e}") from None
    return step


@dataclass(frozen=True)
class Routine:
    """A named routine: its steps, a description, when to do it."""

    name: str
    steps: tuple[RoutineStep, ...]
    description: str = ""
    schedule: str = ""
    rest: float = 30.0
    builtin: bool = False
    path: Path | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        d: dict = {"name": self.name}
        if self.description:
            d["description"] = self.description
        if self.schedule:
            d["schedule"] = self.schedule
        d["rest"] = int(self.rest) if float(self.rest).is_integer() else self.rest
        d["step"] = [s.to_dict() for s in self.steps]
        for s in d["step"]:  # the routine's rest is the default: written only where it differs
            if s.get("rest") == d["rest"]:
                del s["rest"]
        return d

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())


def parse_routine(doc, source: str = "routine", builtin: bool = False, path: Path | None = None) -> Routine:
    """A routine from a parsed TOML document (or a dict of the same shape)."""
    if not isinstance(doc, dict):
        raise RoutineError(f"{source}: a routine must be a table")
    unknown = [k for k in doc if k not in _TOP_KEYS]
    if unknown:
        raise RoutineError(f"{source}: unknown key {unknown[0]!r} (known: {', '.join(_TOP_KEYS)})")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 80 or not name.isprintable():
        raise RoutineError(f"{source}: a routine needs a name (one line of text, at most 80 characters)")
    for k in ("description", "schedule"):
        if not isinstance(doc.get(k, ""), str):
            raise RoutineError(f"{source}: {k} must be text")
    rest = _num(doc.get("rest", 30), f"{source}: rest", 0, 600)
    steps_in = doc.get("step", [])
    if not isinstance(steps_in, list) or not steps_in:
        raise RoutineError(f"{source}: a routine needs at least one [[step]]")
    if len(steps_in) > MAX_STEPS:
        raise RoutineError(f"{source}: at most {MAX_STEPS} steps")
    steps = tuple(parse_step(s, f"{source}, step {i}", rest) for i, s in enumerate(steps_in, 1))
    return Routine(" ".join(name.split()), steps, " ".join(doc.get("description", "").split()),
                   " ".join(doc.get("schedule", "").split()), rest, builtin, path)


def loads(text: str, source: str = "routine", builtin: bool = False, path: Path | None = None) -> Routine:
    """A routine from TOML text (``source`` names it in messages)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RoutineError(f"{source}: not valid TOML ({e})") from None
    return parse_routine(doc, source, builtin, path)


def load_routine(path: str | Path, builtin: bool = False) -> Routine:
    """A routine file; any problem is a one-line :class:`RoutineError`."""
    p = Path(path)
    try:
        if p.is_dir():
            raise RoutineError(f"{p} is a directory, not a routine file")
        if p.stat().st_size > MAX_FILE_BYTES:
            raise RoutineError(f"{p}: too large for a routine file")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise RoutineError(f"{p}: no such file") from None
    except OSError as e:
        raise RoutineError(f"{p}: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RoutineError(f"{p}: not a text file (a routine is TOML)") from None
    return loads(text, p.name, builtin, p)


def builtin_routines() -> dict[str, Routine]:
    out = {}
    for p in sorted(BUILTIN_DIR.glob("*.toml")):
        r = load_routine(p, builtin=True)
        out[r.name] = r
    return out


def user_routines(errors: list[str] | None = None) -> dict[str, Routine]:
    """The person's routine files; unreadable ones are left out (their
    one-line message is appended to ``errors``)."""
    d = routines_dir()
    out: dict[str, Routine] = {}
    if not d.is_dir():
        return out
    for p in sorted(d.glob("*.toml")):
        try:
            r = load_routine(p)
        except RoutineError as e:
            if errors is not None:
                errors.append(str(e))
            continue
        out[r.name] = r
    return out


def list_routines(errors: list[str] | None = None) -> dict[str, Routine]:
    """Built-ins, then the person's (a saved routine with a built-in's name replaces it)."""
    out = builtin_routines()
    out.update(user_routines(errors))
    return out


def find_routine(name_or_path: str | Path) -> Routine:
    """A routine by name (case-insensitive) or a path to a TOML file."""
    s = str(name_or_path)
    p = Path(s).expanduser()
    if s.endswith(".toml") or "/" in s or os.sep in s:
        return load_routine(p)
    known = list_routines()
    want = " ".join(s.split()).casefold()
    for name, r in known.items():
        if name.casefold() == want:
            return r
    starts = [r for name, r in known.items() if want and name.casefold().startswith(want)]
    if len(starts) == 1:  # "core" for "Core strength"
        return starts[0]
    raise RoutineError(f"no routine named '{s}' (known: {', '.join(known)}; or give a .toml file)")


def save_routine(routine: Routine) -> Path:
    """Write the person's routine to the routines folder (atomically: a
    temporary file renamed into place). The file of a routine of the same
    name is replaced (that is editing it); another routine's file is never
    touched; built-in files are never written."""
    text = routine.to_toml()
    loads(text, routine.name)  # what is written must read back
    d = routines_dir()
    d.mkdir(parents=True, exist_ok=True)
    mine = user_routines()
    if routine.name in mine and mine[routine.name].path is not None:
        dest = mine[routine.name].path
    else:
        try:
            base = slug(routine.name)  # the profiles' file naming (any script, no reserved names)
        except ThresholdError:
            base = "routine"
        n = 1
        dest = d / f"{base}.toml"
        while dest.exists():
            n += 1
            dest = d / f"{base}-{n}.toml"
    tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest


def delete_routine(name: str) -> Path:
    """Remove the person's routine file of that name (built-ins cannot be deleted)."""
    mine = user_routines()
    if name not in mine or mine[name].path is None:
        raise RoutineError(f"'{name}' is not one of your saved routines")
    path = mine[name].path
    path.unlink()
    return path


# ----------------------------------------------------------------------------- the day's plan

#: ``best(exercises, side, goal)``: the person's best recorded session value
#: of the counted amount (hold seconds, reps), or None.
Best = Callable[[Sequence[str], "str | None", "str | None"], "float | None"]


@dataclass(frozen=True)
class PlannedStep:
    """A step as it will be done today."""

    index: int  # 1-based
    step: RoutineStep
    amount: float | None  # today's counted amount (hold s / reps); None when fixed
    best: float | None  # the recorded best it grew from (None: nothing recorded)
    overrides: Mapping[str, float]

    @property
    def rule(self) -> Rule:
        return self.step.rule

    @property
    def exercise(self) -> str:
        return self.step.exercise

    @property
    def title(self) -> str:
        return self.rule.title

    @property
    def sides(self) -> tuple[str, ...]:
        return self.step.sides or tuple(self.rule.goal.sides)

    @property
    def rest(self) -> float:
        return self.step.rest if self.step.rest is not None else 30.0

    def describe(self) -> str:
        return self.step.describe(self.amount)

    def why(self) -> str:
        """How today's target was set, in words."""
        if self.amount is None:
            return ""
        full, unit = self.step.full_amount(), self.step.unit
        if self.best is None:
            return f"first time: {self.amount:g} {unit}, working up to {full:g} {unit}"
        if self.amount >= full - 1e-9:
            return f"your best {self.best:g} {unit}: the full target"
        return f"your best {self.best:.0f} {unit} + {self.amount - self.best:.0f}, working up to {full:g} {unit}"


def family_names(exercise: str) -> tuple[str, ...]:
    """The exercise and the other variants of its family (a forearm plank
    counts for the plank's best)."""
    rule = pose_rules.get_rule(exercise)
    fam = rule.family or rule.title
    return tuple(n for n, r in pose_rules.RULES.items() if (r.family or r.title) == fam)


def plan(routine: Routine, best: Best | None = None) -> tuple[PlannedStep, ...]:
    """Today's steps. The counted amount of a step with ``start`` (hold
    seconds, reps) starts from the person's recorded best and grows towards
    the step's target: ``min(target, best + grow)`` (``grow`` default 5 s
    or 1 rep; never below the exercise's smallest allowed value); with
    nothing recorded it is ``start``. For a one-side-at-a-time step the weaker
    side's best counts. Steps without ``start`` use their target as it is."""
    out = []
    for i, step in enumerate(routine.steps, 1):
        amount, rec = None, None
        if step.grows is not None and step.start is not None:
            full = step.full_amount()
            sides = step.sides or tuple(step.rule.goal.sides)
            if best is not None:
                names = family_names(step.exercise)
                goal = step.rule.goal.parts()[0].name
                vals = [best(names, None if s == "both" else s, goal) for s in sides]
                rec = None if any(v is None for v in vals) else min(vals)
            if rec is None:
                amount = step.start
            else:
                table = {t.name: t for t in step.rule.all_thresholds()}
                lo = table[step.grows].min
                grow = step.grow if step.grow is not None else GROW_DEFAULT.get(step.unit, 1.0)
                amount = max(lo, min(full, rec + grow))
            if step.unit == "reps":
                amount = float(int(round(amount)))
            else:
                amount = float(round(amount))
        out.append(PlannedStep(i, step, amount, rec, step.overrides(amount)))
    return tuple(out)


__all__ = ["Routine", "RoutineStep", "RoutineError", "PlannedStep", "plan", "parse_routine", "loads",
           "load_routine", "builtin_routines", "user_routines", "list_routines", "find_routine", "save_routine",
           "delete_routine", "routines_dir", "family_names", "BUILTIN_DIR"]
