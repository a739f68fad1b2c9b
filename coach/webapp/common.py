"""Pieces shared by the app's pages: the cached pose model, the exercise
picker, threshold profiles and the privacy note."""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

import pose_rules
from coach.engine import rep_text
from coach.models import DEFAULT_VARIANT, ModelError, ensure_model
from coach.profiles import list_profiles, load_named
from coach.thresholds import ThresholdError

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

PRIVACY_NOTE = ("🔒 **Private:** everything runs on this computer. The camera picture goes from your "
                "browser to this machine only, is analysed frame by frame and is not recorded. "
                "No video is written anywhere unless you download it.")

# Exercise families shown in the picker: label -> (variant label -> rule name)
FAMILIES: dict[str, dict[str, str]] = {
    "Plank": {"Forearms or hands": "plank", "Forearms": "forearm_plank", "Straight arms (high plank)": "high_plank"},
    "Knee plank": {"": "knee_plank"},
    "Side plank": {"Both sides, timed separately": "side_plank", "Left side down": "side_plank_left",
                   "Right side down": "side_plank_right"},
    "Glute bridge": {"": "glute_bridge"},
    "Bird-dog": {"": "bird_dog"},
    "Quadruped hip extension": {"": "hip_extension"},
}
VARIANT_LABEL = {"Plank": "Support", "Side plank": "Side"}
_FAMILY_OF = {rule: (fam, var) for fam, vs in FAMILIES.items() for var, rule in vs.items()}


def camera_hint(rule) -> str:
    if rule.view == "front":
        return "Face the camera (chest towards it), 2–3 m away, whole body in view."
    return "Turn side-on to the camera, 2–3 m away, whole body from head to feet in view."


def exercise_picker(key: str, default: str = "plank") -> str:
    """Exercise (and support / side where it matters); returns the rule name."""
    fam0, var0 = _FAMILY_OF.get(default, ("Plank", "Forearms or hands"))
    fams = list(FAMILIES)
    fam = st.selectbox("Exercise", fams, index=fams.index(fam0), key=f"{key}_exercise")
    variants = FAMILIES[fam]
    if len(variants) == 1:
        return next(iter(variants.values()))
    names = list(variants)
    var = st.radio(VARIANT_LABEL.get(fam, "Variant"), names, index=names.index(var0) if fam == fam0 else 0,
                   key=f"{key}_variant_{fam}", horizontal=True)
    return variants[var]


@st.cache_resource(show_spinner="Preparing the pose model (first run only)…")
def model_bytes(variant: str = DEFAULT_VARIANT) -> tuple[bytes, str]:
    """The pose model bundle, provisioned on first use and shared read-only by
    all sessions. Returns (bytes, short name)."""
    path = ensure_model(variant, os.environ.get("COACH_MODEL") or None, log=lambda m: None)
    return Path(path).read_bytes(), Path(path).stem.replace("pose_landmarker_", "")


def get_model() -> tuple[bytes, str] | None:
    """The model, or None after showing a one-line error."""
    try:
        return model_bytes()
    except ModelError as e:
        st.error(f"The pose model is not available: {e} Run `coach models install` once, "
                 "or set COACH_MODEL to a pose_landmarker .task file.")
        return None


def profile_picker(key: str, label: str = "Thresholds") -> tuple[str | None, dict[str, dict[str, float]]]:
    """Pick "Defaults" or a saved profile. Returns (name or None, profile)."""
    profiles = list_profiles()
    options = ["Defaults"] + list(profiles)
    choice = st.selectbox(label, options, key=key,
                          help="Profiles are saved on the Tune thresholds page; "
                               "`coach analyze --thresholds NAME` uses them too.")
    if choice == "Defaults" or choice not in profiles:
        return None, {}
    try:
        return choice, load_named(profiles[choice])
    except ThresholdError as e:
        st.error(f"Profile '{choice}' cannot be used: {e}")
        return None, {}


def samples() -> dict[str, Path]:
    """Bundled landmark tracks: {label: path}."""
    out = {}
    for p in sorted(SAMPLES.glob("*.track.npz")):
        out[p.name.replace(".track.npz", "")] = p
    return out


def rule_title(name: str) -> str:
    return pose_rules.RULES[name].title


def fmt_s(x) -> str:
    return "–" if x is None else f"{x:.1f} s"


def summary_metrics(summary: dict, rule) -> None:
    """The summary as big numbers."""
    cols = st.columns(4)
    if rule.hold_target_s is not None:
        cols[0].metric("Good-form hold", fmt_s(summary.get("good_hold_s")),
                       help=f"Target {summary.get('hold_target_s') or rule.hold_target_s:.0f} s")
        cols[1].metric("Longest good hold", fmt_s(summary.get("longest_hold_s")))
        if summary.get("reps"):  # a hold that also counts lifts (glute bridge)
            st.caption(f"Lifts: {rep_text(summary['reps'])} (good form: {rep_text(summary.get('good_reps'))})")
    else:
        reps, good = summary.get("reps") or {}, summary.get("good_reps") or {}
        cols[0].metric("Reps left / right", f"{reps.get('left', 0)} / {reps.get('right', 0)}")
        cols[1].metric("Good-form reps", f"{good.get('left', 0)} / {good.get('right', 0)}")
    cols[2].metric("Time in position", fmt_s(summary.get("time_in_position_s")))
    ft = summary.get("fault_time_s") or {}
    cols[3].metric("Time with a fault", fmt_s(sum(ft.values())))
    if ft:
        worst = max(ft, key=ft.get)
        st.markdown(f"Most frequent fault: **\"{rule.fault(worst).cue}\"** ({worst}, {ft[worst]:.1f} s in total)")
