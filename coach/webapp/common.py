"""Pieces shared by the app's pages: the cached pose model, the exercise
picker, threshold profiles and the privacy note."""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

import pose_rules
from coach import samples as bundled
from coach.media.models import DEFAULT_VARIANT, ModelError, ensure_model
from coach.engine.profiles import list_profiles, load_named
from coach.engine.thresholds import ThresholdError


PRIVACY_NOTE = ("🔒 **Private:** everything runs on this computer. The camera picture goes from your "
                "browser to this machine only, is analysed frame by frame and is not recorded. "
                "No video is written anywhere unless you download it.")

def families() -> dict[str, dict[str, str]]:
    """The picker's exercise families, from the rules' own declarations
    (``family``, ``variant``): {family: {variant label: rule name}}, in the
    order the rules are registered."""
    out: dict[str, dict[str, str]] = {}
    for name, rule in pose_rules.exercises().items():
        out.setdefault(rule.family or rule.title, {})[rule.variant] = name
    return out


def _family_of(name: str) -> tuple[str, str]:
    rule = pose_rules.RULES[name]
    return rule.family or rule.title, rule.variant


#: What the app says about lying exercises (see the README's camera section).
LYING_NOTE = ("Lying on the floor, the pose model finds the body less reliably, and with the face hidden it can "
              "mix up front and back (and so left and right). Put the camera side-on at floor height, your whole "
              "body in view, and turn your face towards it where the exercise allows.")



def exercise_picker(key: str, default: str = "plank") -> str:
    """Exercise (and support / side where it matters); returns the rule name."""
    fams = families()
    fam0, var0 = _family_of(default) if default in pose_rules.RULES else (next(iter(fams)), "")
    names = list(fams)
    fam = st.selectbox("Exercise", names, index=names.index(fam0), key=f"{key}_exercise")
    variants = fams[fam]
    if len(variants) == 1:
        return next(iter(variants.values()))
    labels = list(variants)
    question = pose_rules.RULES[next(iter(variants.values()))].variant_label
    var = st.radio(question, labels, index=labels.index(var0) if fam == fam0 and var0 in labels else 0,
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
    return bundled.tracks()


def rule_title(name: str) -> str:
    return pose_rules.RULES[name].title


def fmt_s(x) -> str:
    return "–" if x is None else f"{x:.1f} s"


def summary_metrics(report) -> None:
    """A report (:class:`coach.engine.report.Report`) as big numbers: what
    its goal counted, time in position and time with a fault."""
    s, progress = report.summary, report.progress
    goal_metrics = progress.metrics()
    cols = st.columns(4)
    for col, (label, value, help_) in zip(cols[:2], goal_metrics[:2]):
        col.metric(label, value, help=help_ or None)
    if len(goal_metrics) > 2:  # more counted (the glute bridge's lifts)
        st.caption(" · ".join(f"{label}: {value}" for label, value, _ in goal_metrics[2:]))
    cols[2].metric("Time in position", fmt_s(s.time_in_position_s))
    cols[3].metric("Time with a fault", fmt_s(sum(s.fault_time_s.values())))
    if s.most_frequent_fault:
        m = s.most_frequent_fault
        st.markdown(f"Most frequent fault: **\"{m['cue']}\"** ({m['fault']}, {m['time_s']:.1f} s in total)")
    if s.note:
        st.caption(f"Note: {s.note}")


def save_to_history(reports, kind: str, *, routine: str | None = None, source: str = "") -> tuple[str, str]:
    """Reports of a finished session into the history; returns what to tell
    the user: (a Streamlit message function's name, one line). Never raises:
    a database that cannot take it keeps the session in its pending folder."""
    from coach.history import record_from_reports, save_record

    record = record_from_reports(reports, kind, routine=routine, source=source)
    notes: list[str] = []
    res = save_record(record, notify=notes.append)
    if res.saved:
        return "success", " ".join(notes + [f"Saved in your history ({len(record.results)} results); see **History**."])
    return "warning", " ".join(notes + [f"Not in the history database yet: {res.text()}. It is kept and will be "
                                        "added next time."])
