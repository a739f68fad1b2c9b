"""Routines as data: the built-ins, reading and checking routine files,
saving them, and the day's plan with progression from the recorded best."""
from __future__ import annotations

import pytest

from coach.engine import routines as R


@pytest.fixture(autouse=True)
def _own_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_ROUTINE_DIR", str(tmp_path / "routines"))


def test_the_builtin_routines_follow_the_exercise_descriptions():
    rs = R.builtin_routines()
    assert set(rs) == {"Daily stretches", "Core strength"}
    stretches = rs["Daily stretches"]
    assert [s.exercise for s in stretches.steps] == [
        "knee_to_chest", "rotation_stretch", "knee_twist", "hamstring_stretch", "hip_flexor_stretch",
        "piriformis_stretch"]
    for s in stretches.steps:  # one side at a time, 2-5 repeats
        assert s.sides == ("left", "right") and 2 <= s.repeats <= 5
    core = {s.exercise: s for s in rs["Core strength"].steps}
    assert core["plank"].full_amount() == 60 and core["plank"].start < 60
    assert core["side_plank"].sides == ("left", "right") and core["side_plank"].full_amount() == 45
    assert core["glute_bridge"].full_amount() == 60
    assert core["bird_dog"].full_amount() == 10 and core["bird_dog"].describe() == "10 reps a side"
    assert "partial_crunch" in core
    assert core["prone_extension"].hold == 7
    assert "every other day" in rs["Core strength"].schedule


def test_a_routine_reads_back_what_it_writes():
    for r in R.builtin_routines().values():
        again = R.loads(r.to_toml(), r.name)
        assert again.steps == r.steps and again.name == r.name and again.rest == r.rest


@pytest.mark.parametrize("text, says", [
    ("name = 'x'\n[[step]]\nexercise = 'plank'\nreps = 10\n", "counts"),
    ("name = 'x'\n[[step]]\nexercise = 'planck'\n", "unknown exercise 'planck'"),
    ("name = 'x'\n[[step]]\nexercise = 'plank'\nhold = 9000\n", "outside"),
    ("name = 'x'\n[[step]]\nexercise = 'plank'\nhold = 60\nspeed = 3\n", "unknown key 'speed'"),
    ("name = 'x'\n[[step]]\nexercise = 'plank'\nsides = 'left'\n", "do not fit"),
    ("name = 'x'\n[[step]]\nexercise = 'knee_to_chest'\nstart = 5\n", "needs an exercise with a hold or reps"),
    ("name = 'x'\n[[step]]\nexercise = 'plank'\nhold = 30\nstart = 40\n", "above the target"),
    ("name = 'x'\n", "at least one [[step]]"),
    ("[[step]]\nexercise = 'plank'\n", "needs a name"),
    ("name = 'x'\n[[step]\n", "not valid TOML"),
    ("name = 'x'\nrest = -3\n[[step]]\nexercise = 'plank'\n", "outside"),
    ("name = 'x'\n[[step]]\nexercise = 'glute_bridge'\ntarget = 'yoga'\n", "unknown target"),
])
def test_a_bad_routine_file_gets_one_line_naming_the_file_and_step(tmp_path, text, says):
    p = tmp_path / "mine.toml"
    p.write_text(text)
    with pytest.raises(R.RoutineError) as e:
        R.load_routine(p)
    msg = str(e.value)
    assert says in msg and "\n" not in msg and msg.startswith("mine.toml")


def test_missing_binary_and_directory_routine_files_are_one_line_errors(tmp_path):
    for p, says in ((tmp_path / "nope.toml", "no such file"), (tmp_path, "directory")):
        with pytest.raises(R.RoutineError, match=says):
            R.load_routine(p)
    b = tmp_path / "b.toml"
    b.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(R.RoutineError, match="not a text file"):
        R.load_routine(b)


def test_named_targets_and_sides_become_the_exercises_thresholds():
    r = R.loads("name = 'x'\n[[step]]\nexercise = 'glute_bridge'\ntarget = 'breaths'\n"
                "[[step]]\nexercise = 'side_plank'\nsides = 'right'\nhold = 30\n")
    bridge, side = r.steps
    assert bridge.overrides()["hold_target_s"] == 15.0
    assert side.sides == ("right",) and side.overrides() == {"hold_target_s": 30.0}
    assert "right only" in side.describe()


def test_the_plan_grows_from_the_recorded_best_towards_the_target():
    core = R.builtin_routines()["Core strength"]
    first = {p.exercise: p for p in R.plan(core)}
    assert first["plank"].amount == 20 and "first time" in first["plank"].why()
    assert first["bird_dog"].amount == 6 and first["bird_dog"].overrides["rep_target"] == 6

    bests = {("plank", None): 31.4, ("side_plank", "left"): 40.0, ("side_plank", "right"): 22.0,
             ("bird_dog", "left"): 9, ("bird_dog", "right"): 12, ("glute_bridge", None): 75.0}
    asked = []

    def best(names, side, goal):
        asked.append((names, side, goal))
        return next((v for (ex, s), v in bests.items() if ex in names and s == side), None)

    today = {p.exercise: p for p in R.plan(core, best)}
    assert today["plank"].amount == 36 and today["plank"].best == pytest.approx(31.4)
    assert today["plank"].overrides["hold_target_s"] == 36
    assert today["side_plank"].amount == 27  # the weaker side's best + 5
    assert today["bird_dog"].amount == 10  # 9 + 2, capped at the target
    assert today["glute_bridge"].amount == 60 and "full target" in today["glute_bridge"].why()
    assert today["partial_crunch"].amount == 5  # nothing recorded: start
    assert today["prone_extension"].amount is None  # repeats do not grow
    # a forearm plank counts for the plank; the goal and side are asked for
    assert any("forearm_plank" in names and goal == "hold" for names, side, goal in asked)


def test_saving_a_routine_never_touches_a_builtin_or_another_routine(tmp_path):
    core = R.builtin_routines()["Core strength"]
    before = (R.BUILTIN_DIR / "core_strength.toml").read_bytes()
    mine = R.Routine("Core strength", core.steps[:2], "my shorter one")
    path = R.save_routine(mine)
    assert path.parent == tmp_path / "routines"
    assert (R.BUILTIN_DIR / "core_strength.toml").read_bytes() == before
    assert R.list_routines()["Core strength"].steps == core.steps[:2]  # the person's own replaces the built-in
    other = tmp_path / "routines" / "core-strength-x.toml"
    other.write_text("name = 'Something else'\n[[step]]\nexercise = 'plank'\n")
    again = R.save_routine(R.Routine("Core strength", core.steps[:3]))
    assert again == path and len(R.find_routine("core strength").steps) == 3
    assert "Something else" in other.read_text()
    assert R.delete_routine("Core strength") == path and not path.exists()
    assert len(R.list_routines()["Core strength"].steps) == 6  # the built-in is back
    with pytest.raises(R.RoutineError, match="not one of your saved routines"):
        R.delete_routine("Daily stretches")


def test_an_unreadable_routine_in_the_folder_is_reported_not_fatal(tmp_path):
    d = tmp_path / "routines"
    d.mkdir()
    (d / "broken.toml").write_text("name = 'b'\n[[step]]\nexercise = 'nope'\n")
    errors: list[str] = []
    assert set(R.list_routines(errors)) == {"Daily stretches", "Core strength"}
    assert len(errors) == 1 and "unknown exercise 'nope'" in errors[0]


def test_find_routine_by_name_or_file(tmp_path):
    assert R.find_routine("daily STRETCHES").name == "Daily stretches"
    with pytest.raises(R.RoutineError, match="no routine named 'yoga'"):
        R.find_routine("yoga")
    p = tmp_path / "short.toml"
    p.write_text("name = 'Short'\n[[step]]\nexercise = 'plank'\nhold = 20\n")
    assert R.find_routine(str(p)).steps[0].hold == 20
