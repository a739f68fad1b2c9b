"""The timeline chart: its data (chart_data) and the Altair spec (timeline_chart)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import pose_rules
from coach.engine.thresholds import defaults
from coach.engine.report import Report
from coach.session.loop import analyze_track
from coach.webapp.charts import MAX_POINTS, chart_data, timeline_chart
from coach.core.pose import PoseFrame, PoseTrack
from synth import SIZE, plank, side_plank

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
FPS = 30.0


def _seq(pose_at, seconds, start=0.0):
    n = int(round(seconds * FPS))
    return [pose_at(start + i / FPS) for i in range(n)]


def analyze_frames(frames, rule, thresholds=None, timeline=True) -> Report:
    """The report of a list of frames, as ``coach analyze`` makes it for a track."""
    return analyze_track(PoseTrack.from_frames(frames), rule, thresholds, timeline=timeline)


def _last_by_side(rows) -> dict:
    last = {}
    for r in rows:
        last[r["side"]] = r["value"]
    return last


def _standing(t):
    """The plank pose turned upright: visible, but not in the plank position."""
    lm = np.array(plank(0).landmarks)
    x, y = lm[:, 0] * SIZE[0], lm[:, 1] * SIZE[1]
    lm[:, 0], lm[:, 1] = (640 + (y - 400)) / SIZE[0], (100 + (x - 380) * 0.6) / SIZE[1]
    return PoseFrame(lm, None, t, SIZE)


@pytest.fixture(scope="module")
def plank_frames():
    """Good, sagging, gone, standing (not in position), good again: 9 s."""
    return (_seq(lambda t: plank(0, t=t), 2.0)
            + _seq(lambda t: plank(-22, t=t), 2.0, 2.0)
            + _seq(lambda t: PoseFrame.empty(t, SIZE), 1.0, 4.0)
            + _seq(_standing, 2.0, 5.0)
            + _seq(lambda t: plank(0, t=t), 2.0, 7.0))


@pytest.fixture(scope="module")
def plank_report(plank_frames):
    return analyze_frames(plank_frames, pose_rules.get_rule("plank"), {"sag_deg": 8})


@pytest.fixture(scope="module")
def bird_dog():
    return PoseTrack.load(SAMPLES / "bird_dog.track.npz")


def _strict_json(chart) -> dict:
    spec = chart.to_dict()
    json.loads(json.dumps(spec, allow_nan=False))
    return spec


def _all_values(spec) -> list:
    """Every inline data row in a spec (datasets and inline values)."""
    rows = []
    for values in (spec.get("datasets") or {}).values():
        rows += values

    def walk(node):
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and isinstance(data.get("values"), list):
                rows.extend(data["values"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return rows


# ---------------------------------------------------------------- chart_data


def test_limits_come_from_the_report_thresholds(plank_report):
    d = chart_data(plank_report, pose_rules.get_rule("plank"))
    limits = {(r["measure"], r["threshold"]): r["value"] for r in d["limits"]}
    th = plank_report.thresholds  # sag 8 around the neutral reading; the pike limit at its default
    assert limits[("hip_bend_deg", "sag_deg")] == th["hip_neutral_deg"] - 8
    assert limits[("hip_bend_deg", "pike_deg")] == th["hip_neutral_deg"] + th["pike_deg"]
    assert {r["label"] for r in d["limits"]} == {"sag", "pike"}


def test_measures_skip_missing_values_and_break_lines(plank_report):
    d = chart_data(plank_report, "plank")
    rows = d["measures"]
    assert rows and {r["measure"] for r in rows} == {"hip_bend_deg"}
    assert all(isinstance(r["value"], float) and math.isfinite(r["value"]) for r in rows)
    # no measure while nobody is seen (4-5 s): the line is split there
    assert not any(4.05 < r["t"] < 4.95 for r in rows)
    assert len({r["segment"] for r in rows}) >= 2
    sag = [r["value"] for r in rows if 2.5 < r["t"] < 3.9]
    assert min(sag) < -15  # about -22


def test_fault_intervals_match_the_report(plank_report):
    d = chart_data(plank_report, "plank")
    assert plank_report.faults, "the synthetic plank should sag"
    assert [(f["fault"], f["start"], f["end"]) for f in d["faults"]] == \
        [(f.fault, round(f.start, 2), round(f.end, 2)) for f in plank_report.faults]
    assert d["faults"][0]["cue"] == "Lift your hips"


def test_status_intervals_are_merged(plank_report):
    d = chart_data(plank_report, "plank")
    kinds = [r["status"] for r in d["status"]]
    assert "cant_see" in kinds and "not_in_position" in kinds
    gone = [r for r in d["status"] if r["status"] == "cant_see"]
    assert len(gone) == 1
    assert gone[0]["t0"] == pytest.approx(4.0, abs=0.05)
    assert gone[0]["t1"] == pytest.approx(5.0, abs=0.05)
    standing = [r for r in d["status"] if r["status"] == "not_in_position"]
    assert sum(r["t1"] - r["t0"] for r in standing) == pytest.approx(2.0, abs=0.2)
    for r in d["status"]:
        assert r["t0"] < r["t1"]


def test_hold_curve_ends_at_the_summary(plank_report):
    d = chart_data(plank_report, "plank")
    assert d["goal"] == {"name": "hold", "label": "good-form hold (s)", "unit": "s", "target": 60.0,
                         "steps": False, "sides": ["both"]}
    assert d["progress"] and {r["side"] for r in d["progress"]} == {"both"}  # one curve: the hold time
    assert d["progress"][-1]["value"] == pytest.approx(plank_report.progress.done["both"], abs=0.01)
    assert d["progress"][-1]["t"] == pytest.approx(plank_report.timeline[-1]["t"], abs=1e-3)
    holds = [r["value"] for r in d["progress"]]
    # the hold only grows, except that a fault's first moments are taken back when its cue shows
    th = plank_report.thresholds
    assert all(b >= a - th["cue_delay_s"] - 0.05 for a, b in zip(holds, holds[1:]))


def test_side_plank_hold_per_side():
    frames = _seq(lambda t: side_plank(0, "left", t=t), 3.0) + _seq(lambda t: side_plank(0, "right", t=t), 2.0, 3.0)
    rep = analyze_frames(frames, pose_rules.get_rule("side_plank"))
    d = chart_data(rep, "side_plank")
    assert d["goal"]["sides"] == ["left", "right"] and d["goal"]["unit"] == "s"
    last = _last_by_side(d["progress"])
    by_side = rep.progress.done
    assert set(last) == {"left", "right"} and by_side["left"] > 2.0 and by_side["right"] > 1.0
    for side in ("left", "right"):
        assert last[side] == pytest.approx(by_side[side], abs=0.01)
    spec = _strict_json(timeline_chart(rep, "side_plank"))
    assert "per side" in json.dumps(spec)


def test_reps_for_rep_exercises(bird_dog):
    rep = analyze_track(bird_dog, pose_rules.get_rule("bird_dog"))
    d = chart_data(rep, "bird_dog")
    assert d["goal"] == {"name": "reps", "label": "reps", "unit": "reps", "target": 5.0, "steps": True,
                         "sides": ["left", "right"]}
    assert _last_by_side(d["progress"]) == rep.progress.done == {"left": 1, "right": 1}
    for side in ("left", "right"):
        rows = [r for r in d["progress"] if r["side"] == side]
        counts = [r["value"] for r in rows]
        assert counts == sorted(counts) and counts[0] == 0
        # the count steps when that side's rep ends
        steps = [r["t"] for a, r in zip(rows, rows[1:]) if r["value"] > a["value"]]
        assert steps == pytest.approx([r["end"] for r in rep.reps if r["side"] == side], abs=1e-3)


def test_long_reports_are_thinned_but_keep_peaks_and_faults():
    rule = pose_rules.get_rule("plank")
    bends = [-4 + 3 * math.sin(i / 40) for i in range(6000)]
    bends[2500] = -30  # a one-frame dip (filtered by the smoother, but a clear minimum)
    frames = [plank(b, t=i / FPS) for i, b in enumerate(bends)]
    frames[3000:3300] = [plank(-25, t=(3000 + i) / FPS) for i in range(300)]
    rep = analyze_frames(frames, rule)
    d = chart_data(rep, rule)
    values = [r["measures"]["hip_bend_deg"] for r in rep.timeline]
    assert len(d["measures"]) <= MAX_POINTS + 2
    assert min(r["value"] for r in d["measures"]) == pytest.approx(min(values), abs=1e-3)
    assert max(r["value"] for r in d["measures"]) == pytest.approx(max(values), abs=1e-3)
    assert len(d["progress"]) <= MAX_POINTS + 1
    assert d["progress"][-1]["value"] == pytest.approx(rep.progress.total, abs=0.01)
    assert [(f["start"], f["end"]) for f in d["faults"]] == [(round(f.start, 2), round(f.end, 2)) for f in rep.faults]
    assert rep.faults
    spec = _strict_json(timeline_chart(rep, rule))
    assert len(_all_values(spec)) < 4 * MAX_POINTS


def test_report_without_timeline():
    rep = analyze_frames(_seq(lambda t: plank(0, t=t), 1.0), pose_rules.get_rule("plank"), timeline=False)
    d = chart_data(rep, "plank")
    assert d["measures"] == [] and d["progress"] == [] and d["status"] == []
    assert d["limits"] and d["goal"]["target"] == 60.0
    _strict_json(timeline_chart(rep, "plank"))


# ---------------------------------------------------------------- timeline_chart


def test_chart_is_valid_json_with_the_limits(plank_report):
    import altair as alt

    chart = timeline_chart(plank_report, pose_rules.get_rule("plank"))
    assert isinstance(chart, alt.VConcatChart)
    spec = _strict_json(chart)
    assert len(spec["vconcat"]) == 2  # the measure, the hold time
    rows = _all_values(spec)
    sag_line = plank_report.thresholds["hip_neutral_deg"] - 8
    assert any(r.get("threshold") == "sag_deg" and r.get("value") == sag_line for r in rows)
    assert any(r.get("cue") == "Lift your hips" for r in rows)
    text = json.dumps(spec)
    assert "Good-form hold (s)" in text and "not in position" in text


def test_glute_bridge_has_a_panel_per_key_measure():
    track = PoseTrack.load(SAMPLES / "podsazeni_panve.track.npz")
    rule = pose_rules.get_rule("glute_bridge")
    spec = _strict_json(timeline_chart(analyze_track(track, rule), rule, height=200))
    assert len(spec["vconcat"]) == 3  # hip_bend_deg, hip_lift, hold
    titles = json.dumps([p.get("title") for p in spec["vconcat"]])
    for km in rule.key_measures:
        assert km.label in titles
    assert spec["vconcat"][0]["height"] == 200


def test_compare_adds_the_other_limits_and_curve(bird_dog):
    rule = pose_rules.get_rule("bird_dog")
    tuned = analyze_track(bird_dog, rule, {"leg_high_deg": 5, "leg_low_deg": 30})
    default = analyze_track(bird_dog, rule)
    plain = _strict_json(timeline_chart(tuned, rule))
    both = _strict_json(timeline_chart(tuned, rule, compare=default, compare_label="defaults"))
    rows_plain, rows_both = _all_values(plain), _all_values(both)
    lim = lambda rows: sorted((r["threshold"], r["value"]) for r in rows  # noqa: E731
                              if "threshold" in r and "measure" in r)
    d = defaults(rule)
    assert set(lim(rows_plain)) == {("leg_high_deg", 5), ("leg_low_deg", -30), ("rep_up_deg", d["rep_up_deg"]),
                                    ("rep_down_deg", d["rep_down_deg"])}
    assert ("leg_high_deg", 10) in lim(rows_both) and ("leg_low_deg", -20) in lim(rows_both)
    text = json.dumps(both)
    assert "too high 10 (defaults)" in text and "(defaults)" not in json.dumps(plain)
    assert "strokeDash" in text
    # the compare reps curve is drawn too
    curve = lambda rows: [r for r in rows if set(r) == {"t", "value", "side"}]  # noqa: E731
    assert curve(rows_plain) == chart_data(tuned, rule)["progress"]
    assert len(curve(rows_both)) == len(curve(rows_plain)) + len(chart_data(default, rule)["progress"])


def test_every_exercise_reviews_into_a_chart_with_its_own_measures():
    """Review and tune draw every exercise from its declarations: the new
    stretches, the crunch and the timed step included."""
    track = PoseTrack.load(SAMPLES.parent / "devset" / "tracks" / "clipd_k2c_bounce_16x9.npz")
    for name, rule in pose_rules.RULES.items():
        rep = analyze_track(track, rule, timeline=True)
        data = chart_data(rep)
        assert data["exercise"] == name
        assert {m["measure"] for m in data["measures"]} <= {k.name for k in rule.key_measures}, name
        timeline_chart(rep).to_dict()  # builds
    k2c = chart_data(analyze_track(track, pose_rules.get_rule("knee_to_chest"), timeline=True))
    assert {m["measure"] for m in k2c["measures"]} >= {"hip_angle_deg"}
    assert any(f["fault"] == "bouncing" for f in k2c["faults"])
