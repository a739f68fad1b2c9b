"""Review a clip: upload a video (or pick a bundled sample), analyse it with a
progress bar, then watch the annotated video, the timeline chart and the
summary, and download the JSON report and the video."""
from __future__ import annotations

import io
import time
from pathlib import Path

import streamlit as st

import pose_rules
from coach.session.loop import default_annotator
from coach.webapp.charts import timeline_chart
from coach.media.models import ModelError
from coach.core.pose import PoseTrack, TrackError
from coach.session.review import review_track, review_video
from coach.engine.thresholds import ThresholdError
from coach.media.video import VideoError

from .history_page import save_review_once
from .common import PRIVACY_NOTE, exercise_picker, get_model, profile_picker, samples, summary_metrics

MAX_UPLOAD_MB = 500
VIDEO_TYPES = ["mp4", "mov", "m4v", "webm", "mkv", "avi"]


def _run_review(slot, kind: str, data, name: str, rule_name: str, overrides: dict, profile_name: str | None) -> None:
    rule = pose_rules.RULES[rule_name]
    th = rule.resolve(overrides)
    bar = slot.progress(0.0, text="Analysing…")

    def progress(f: float) -> None:
        bar.progress(min(1.0, max(0.0, f)), text=f"Analysing… {100 * f:.0f}%")

    t0 = time.perf_counter()
    if kind == "track":
        result = review_track(data, rule, overrides, annotate=default_annotator(rule, th), progress=progress)
    else:
        model = get_model()
        if model is None:
            bar.empty()
            return
        result = review_video(data, rule, overrides, model[0], name=name, annotate=default_annotator(rule, th),
                              progress=progress, model_name=model[1])
    bar.progress(1.0, text=f"Done in {time.perf_counter() - t0:.1f} s")
    st.session_state["review"] = {
        "name": name, "exercise": rule_name, "report": result.report, "track": result.track,
        "video": result.video, "profile": profile_name, "overrides": dict(overrides),
    }
    # a new clip: the tuning page starts from these thresholds
    st.session_state.pop("tune_for", None)


#: session_state key of the parsed track: (key, track or None, error or None) for the one
#: upload (or sample) now chosen, so a rerun (any widget change) does not parse it again.
TRACK_CACHE = "_review_track"


def _cached_track(key: tuple, load) -> PoseTrack | None:
    """The track ``load()`` gives, parsed once per ``key`` and kept in the
    session (only the current one, so old uploads are not held); a file that
    cannot be used shows one error line (every rerun) and gives None."""
    cached = st.session_state.get(TRACK_CACHE)
    if not (isinstance(cached, tuple) and len(cached) == 3 and cached[0] == key):
        try:
            cached = (key, load(), None)
        except (TrackError, OSError) as e:
            cached = (key, None, str(e).splitlines()[0] if str(e) else type(e).__name__)
        st.session_state[TRACK_CACHE] = cached
    if cached[2] is not None:
        st.error(cached[2])
    return cached[1]


def uploaded_track(up) -> PoseTrack | None:
    """The landmark track in an uploaded ``.npz``, parsed once per upload (keyed
    by the upload's file id, name and size), or None after one error line."""
    key = ("upload", getattr(up, "file_id", None), up.name, up.size)
    return _cached_track(key, lambda: PoseTrack.load(up, name=up.name))


def sample_track(path: Path) -> PoseTrack | None:
    """A bundled sample's track, parsed once while it stays chosen."""
    try:
        stat = path.stat()
        key = ("sample", str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = ("sample", str(path), None, None)
    return _cached_track(key, lambda: PoseTrack.load(path))


def review_page() -> None:
    st.title("Review a clip")
    st.caption("Analyse a recorded clip: the same coach as the live page, frame by frame with the clip's own "
               "timestamps. The landmarks are kept for the **Tune thresholds** page.")

    src = st.radio("Clip", ["Upload a video", "Bundled sample"], horizontal=True, key="review_source")
    data = None
    kind = "video"
    name = ""
    default_ex = "plank"
    if src == "Upload a video":
        up = st.file_uploader(
            f"Video of one person exercising, side view ({', '.join(VIDEO_TYPES)}, up to {MAX_UPLOAD_MB} MB), "
            "or a landmark track (.npz) from `coach extract`",
            type=VIDEO_TYPES + ["npz"], key="review_upload", max_upload_size=MAX_UPLOAD_MB)
        if up is not None:
            name = up.name
            if up.size > MAX_UPLOAD_MB * 1024 * 1024:
                st.error(f"{name} is {up.size / 2**20:.0f} MB; the limit is {MAX_UPLOAD_MB} MB. "
                         "Trim the clip or export it at a lower resolution.")
                up = None
            elif up.size == 0:
                st.error(f"{name} is empty.")
                up = None
        if up is not None:
            if name.lower().endswith(".npz"):
                data = uploaded_track(up)
                if data is not None:
                    kind = "track"
                    default_ex = data.meta.get("exercise") or default_ex
            else:
                data = up.getvalue()
        if up is None or not name.lower().endswith(".npz"):
            st.session_state.pop(TRACK_CACHE, None)  # no track chosen now: don't keep the last one
    else:
        options = samples()
        pick = st.selectbox("Sample (landmarks extracted from real footage; no video is bundled, so the "
                            "skeleton is drawn on a dark background)", list(options), key="review_sample")
        if pick:
            data = sample_track(options[pick])
            if data is not None:
                kind, name = "track", options[pick].name
                default_ex = data.meta.get("exercise") or default_ex

    c1, c2 = st.columns(2)
    with c1:
        rule_name = exercise_picker(f"review_{name}", default=default_ex)
    with c2:
        profile_name, profile = profile_picker("review_profile")
    overrides = profile.get(rule_name, {})

    save = st.checkbox("Save to history", key="review_save",
                       help="Keep this clip's result in your History (numbers only, no video)")
    go = st.button("Analyse", type="primary", disabled=data is None, key="review_go")
    slot = st.empty()  # on every run, so the results below keep their place (the video doesn't restart)
    if go:
        try:
            _run_review(slot, kind, data, name, rule_name, overrides, profile_name)
        except (VideoError, TrackError, ModelError, ThresholdError) as e:
            slot.error(str(e))

    rv = st.session_state.get("review")
    if rv:
        show_review(rv)
        if save:
            save_review_once(rv)
    st.caption(PRIVACY_NOTE)


def show_review(rv: dict) -> None:
    rule = pose_rules.RULES[rv["exercise"]]
    report = rv["report"]
    s = report.summary
    st.subheader(f"{rule.title} — {rv['name']}")
    if s.frames_with_person == 0:
        st.warning("No person was found in this clip, so nothing could be judged.")
    elif s.time_in_position_s == 0:
        st.warning(f"The person was never in the {rule.title.lower()} position, so no form was judged. "
                   "Check the exercise and that the camera sees them from the side, whole body in view.")
    summary_metrics(report)
    rows = report.progress.lines() + report.progress.goal.unit_lines(report.reps)  # + when reminders, breaks came
    st.write(" · ".join(f"{label.capitalize()}: **{text}**" for label, text in rows))

    vid, chart = st.columns([2, 3])
    with vid:
        if rv.get("video"):
            st.video(rv["video"], format="video/mp4")
        else:
            st.info("No annotated video for this clip.")
    with chart:
        for i, panel in enumerate(timeline_chart(report, rule, panels=True)):
            st.altair_chart(panel, width="stretch", key=f"review_chart_{i}")
        st.caption("Key measures over time, the thresholds that judge them (lines), fault time shaded; "
                   "grey where the person was not in position or not visible.")

    if report.faults:
        st.markdown("**Faults**")
        st.dataframe([{"from (s)": round(f.start, 2), "to (s)": round(f.end, 2), "fault": f.fault, "cue": f.cue}
                      for f in report.faults], hide_index=True, width="stretch")
    else:
        st.markdown("**Faults:** none")
    if report.reps:
        st.markdown(f"**{rule.goal.parts()[-1].chart_label.capitalize()}**")
        st.dataframe([{"side": ", ".join(f"{r[k]} {k}" for k in ("leg", "arm") if r.get(k)) or r["side"],
                       "from (s)": r["start"], "to (s)": r["end"],
                       "held (s)": r.get("top_s", r.get("hold_s")),
                       "good form": "yes" if r.get("good", True) else ", ".join(r.get("faults", ()))}
                      for r in report.reps], hide_index=True, width="stretch")

    stem = Path(rv["name"]).name.split(".")[0] or "clip"
    d1, d2, d3 = st.columns(3)
    d1.download_button("Download report (JSON)", report.to_json(), file_name=f"{stem}.{rule.name}.report.json",
                       mime="application/json", key="dl_report", on_click="ignore")
    if rv.get("video"):
        d2.download_button("Download annotated video (MP4)", rv["video"], file_name=f"{stem}.{rule.name}.annotated.mp4",
                           mime="video/mp4", key="dl_video", on_click="ignore")
    buf = io.BytesIO()
    rv["track"].save(buf)
    d3.download_button("Download landmarks (.npz)", buf.getvalue(), file_name=f"{stem}.track.npz",
                       mime="application/octet-stream", key="dl_track", on_click="ignore",
                       help="Re-judge later without the video: coach analyze FILE --thresholds NAME")
