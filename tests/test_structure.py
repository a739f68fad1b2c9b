"""The structure a newcomer relies on: layers without cycles (read from the
source, every import statement, including those inside functions), one module
importing mediapipe, a new exercise found everywhere from its own module, and
the package data a non-editable install needs."""
from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Layers, bottom to top: a module may import only from its own layer or below.
LAYERS = [
    {"coach", "coach.core", "coach.samples"},
    {"pose_rules"},
    {"coach.engine", "coach.history"},
    {"coach.media"},
    {"coach.session"},
    {"coach.evaluation"},
    {"coach.cli", "coach.webapp", "streamlit_app"},
]


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] == "samples":
        parts[0:1] = ["coach", "samples"]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    files = [*ROOT.joinpath("coach").rglob("*.py"), *ROOT.joinpath("pose_rules").rglob("*.py"),
             *ROOT.joinpath("samples").glob("*.py"), ROOT / "streamlit_app.py"]
    return {_module_name(p): p for p in files}


def _imports(name: str, path: Path) -> set[str]:
    """Every module this one imports, resolved to absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)  # "from pkg import module"
    return out


def _graph() -> dict[str, set[str]]:
    mods = _sources()
    return {m: {i for i in _imports(m, p) if i in mods} - {m} for m, p in mods.items()}


def _unit(module: str) -> str:
    """The package a module belongs to (the longest matching name), for the layer check."""
    units = [u for layer in LAYERS for u in layer if module == u or module.startswith(u + ".")]
    assert units, f"{module} is in no layer"
    return max(units, key=len)


def _layer(module: str) -> int:
    unit = _unit(module)
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


def test_no_import_cycles_between_modules():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in graph[m]:
            if state.get(n) == 1:
                pytest.fail("import cycle: " + " -> ".join(stack[stack.index(n):] + [n]))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_layers_import_only_downwards():
    bad = []
    for m, deps in _graph().items():
        if m == "coach":  # the package's own __init__ imports nothing
            assert not deps
            continue
        for d in deps:
            if d == "coach":
                continue
            if _layer(d) > _layer(m):
                bad.append(f"{m} (layer {_layer(m)}) imports {d} (layer {_layer(d)})")
    assert not bad, "\n".join(bad)


def test_pose_rules_depend_only_on_pose_data_and_geometry():
    deps = {d for m, ds in _graph().items() if m.startswith("pose_rules") for d in ds if not d.startswith("pose_rules")}
    assert deps and all(d.startswith("coach.core") for d in deps), deps


def test_only_one_module_imports_mediapipe():
    users = sorted(m for m, p in _sources().items() if any(i.split(".")[0] == "mediapipe" for i in _imports(m, p)))
    assert users == ["coach.media.mediapipe_api"]


def test_the_layer_check_sees_upward_imports(tmp_path):
    """The checks above are not vacuous: an import from pose_rules into the
    engine is an upward import."""
    assert _layer("pose_rules.plank") < _layer("coach.engine.engine")
    src = tmp_path / "x.py"
    src.write_text("def f():\n    from coach.engine.engine import Engine\n    from .base import Rule\n")
    assert _imports("pose_rules.x", src) >= {"coach.engine.engine", "pose_rules.base"}


# ----------------------------------------------------------------------------- a new exercise

TOY = '''
from pose_rules.base import GOOD, NOT_IN_POSITION, Fault, KeyMeasure, Limit, Rule, Threshold, common_thresholds
from pose_rules.goals import Repeats


class ToyStretch(Rule):
    name = "toy_stretch"
    title = "Toy stretch"
    description = "Lie down and raise an arm."
    family, variant, variant_label = "Toy stretch", "Arm up", "Arm"
    thresholds = common_thresholds(oblique=False) + (
        Threshold("arm_up_deg", "deg", 30.0, 0.0, 90.0, "wrist this far above the shoulder = arm raised"),)
    faults = (Fault("arm_low", "Raise your arm", 1, "arm not raised"),)
    goal = Repeats(2.0, count=2)
    key_measures = (KeyMeasure("arm_deg", "Arm elevation", "deg", (Limit("arm_up_deg", 1.0, "up"),)),)

    def judge(self, body, th):
        s, w = body.j("left", "shoulder"), body.j("left", "wrist")
        up = s[1] - w[1]
        m = {"arm_deg": up}
        if up < 0:
            return self.verdict(NOT_IN_POSITION, side="left", measures=m, cue="Raise your arm", reason="arm down")
        return self.verdict(GOOD, side="left", measures=m, faults=["arm_low"] if up < th["arm_up_deg"] else [])


RULES = (ToyStretch(),)
'''

RUNNER = '''
import sys, importlib.util
spec = importlib.util.spec_from_file_location("toy_stretch", sys.argv[1])
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
import pose_rules
for r in mod.RULES:
    pose_rules.register(r)
from coach.cli import main
sys.exit(main(sys.argv[2:]))
'''


@pytest.fixture()
def toy_module(tmp_path) -> Path:
    p = tmp_path / "toy_stretch.py"
    p.write_text(TOY)
    return p


def _run_cli(toy: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUNNER, str(toy), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_a_new_exercise_module_appears_in_the_cli_the_report_and_the_app(toy_module, tmp_path):
    import numpy as np

    from coach.core.pose import PoseFrame, PoseTrack

    r = _run_cli(toy_module, "exercises")
    assert r.returncode == 0, r.stderr
    assert "toy_stretch  —  Toy stretch (2 x 2 s hold per side; side view)" in r.stdout
    assert "arm_up_deg" in r.stdout and "repeat_target" in r.stdout

    # a track: arm raised high for 3 s, lowered, raised again (two repeats on the left)
    frames = []
    for i in range(120):
        t = i / 15
        up = 0.2 if (t < 3.0 or 4.0 <= t < 7.0) else -0.1
        lm = np.full((33, 4), np.nan, np.float32)
        lm[:, 3] = 0.0
        lm[11] = (0.5, 0.5, 0.0, 0.99)  # left shoulder
        lm[15] = (0.5, 0.5 - up, 0.0, 0.99)  # left wrist
        frames.append(PoseFrame(lm, None, t, (640, 480)))
    track = tmp_path / "toy.npz"
    PoseTrack.from_frames(frames, meta={"exercise": "toy_stretch"}).save(track)
    out = tmp_path / "toy.json"
    r = _run_cli(toy_module, "analyze", track, "--json", out, "-q")
    assert r.returncode == 0, r.stderr
    assert "repeats             left 2, right 0 of 2 a side" in r.stdout
    import json

    rep = json.loads(out.read_text())
    assert rep["exercise"] == "toy_stretch" and rep["summary"]["goal"]["done"] == {"left": 2, "right": 0}
    assert [u["side"] for u in rep["reps"]] == ["left", "left"]

    # the app's picker is built from the rules: the new family and its variant are offered
    import importlib.util

    import pose_rules
    from coach.webapp import common

    spec = importlib.util.spec_from_file_location("toy_stretch_mod", toy_module)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    try:
        pose_rules.register(mod.RULES[0])
        assert common.families()["Toy stretch"] == {"Arm up": "toy_stretch"}
        from coach.webapp.charts import chart_data
        from coach.session.loop import analyze_track

        data = chart_data(analyze_track(PoseTrack.load(track), mod.RULES[0]))
        left = [p["value"] for p in data["progress"] if p["side"] == "left"]
        assert data["goal"]["label"] == "repeats" and left[-1] == 2 and left[0] == 0
    finally:
        pose_rules.RULES.pop("toy_stretch", None)


def test_register_refuses_a_duplicate_name():
    import pose_rules

    with pytest.raises(ValueError, match="already registered"):
        pose_rules.register(pose_rules.RULES["plank"])


# ----------------------------------------------------------------------------- packaging

def test_the_wheel_ships_the_samples_and_py_typed(tmp_path):
    """What `pip install .` installs: the bundled samples as package data (so
    `coach analyze` with no input works outside the checkout) and py.typed."""
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                        "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    if r.returncode != 0 and "No module named" in r.stderr:
        pytest.skip(f"cannot build a wheel here: {r.stderr.strip().splitlines()[-1]}")
    assert r.returncode == 0, r.stderr
    wheel = next(tmp_path.glob("back_coach-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for sample in ("bird_dog", "kocici_hrbet", "podsazeni_panve"):
        assert f"coach/samples/{sample}.track.npz" in names
    assert "coach/samples/__init__.py" in names and "coach/py.typed" in names
    for pkg in ("coach/core", "coach/engine", "coach/history", "coach/media", "coach/session", "coach/evaluation",
                "coach/webapp",
                "pose_rules"):
        assert f"{pkg}/__init__.py" in names
    for routine in ("core_strength", "daily_stretches"):  # the built-in routines
        assert f"coach/engine/builtin_routines/{routine}.toml" in names
    assert not any(n.startswith(("tests/", "devset/", "scripts/")) for n in names)
