"""The History page: the sessions kept in the local history database
(:mod:`coach.history`) as a calendar of active days with the streak, each
exercise's progress towards its target, the left / right balance, the most
frequent faults over time, the session list, a CSV export and "Delete all my
data".

The ``*_data`` functions give the plain rows behind the charts (testable
without Streamlit); the page draws them with Altair.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import streamlit as st

import pose_rules
from coach.history import History, HistoryError, record_from_reports, save_record
from coach.history.records import POSTURE_COUNTS, describe_results
from coach.history.store import NOT_EXERCISE
from pose_rules.goals import clock

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: The calendar shows at most this many weeks back.
CALENDAR_WEEKS = 26
SIDE_COLOURS = {"both": "#2e7d32", "left": "#2e7d32", "right": "#1565c0"}
TARGET_COLOUR = "#c62828"
CONFIRM_KEY = "history_confirm_delete"
DONE_KEY = "_history_deleted"


def open_history() -> History:
    """The history in the per-user data folder (``$COACH_DATA_DIR`` is read now)."""
    return History()


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _title(exercise: str) -> str:
    rule = pose_rules.RULES.get(exercise)
    return rule.title if rule is not None else exercise


def _monitor(exercise: str) -> bool:
    """An all-day monitor (the desk posture): its own section, not an exercise's progress."""
    rule = pose_rules.RULES.get(exercise)
    return bool(getattr(rule, "monitor", False))


def _cue(exercise: str, fault: str) -> str:
    rule = pose_rules.RULES.get(exercise)
    try:
        return rule.fault(fault).cue if rule is not None else fault
    except KeyError:
        return fault


# ----------------------------------------------------------------------------- data

def calendar_data(sessions: list[dict], today: date, weeks: int = CALENDAR_WEEKS) -> list[dict]:
    """One row per day of the last ``weeks`` weeks (to ``today``; fewer when
    the history is younger): {date, week (its Monday), weekday, sessions}
    (exercise sessions: the desk monitor has its own chart)."""
    counts: dict[date, int] = defaultdict(int)
    for s in sessions:
        if s.get("kind") != NOT_EXERCISE:
            counts[date.fromisoformat(s["day"])] += 1
    first = min(counts, default=today)
    start = max(_monday(first), _monday(today) - timedelta(weeks=weeks - 1))
    rows, d = [], start
    while d <= today:
        rows.append({"date": d.isoformat(), "week": _monday(d).isoformat(), "weekday": WEEKDAYS[d.weekday()],
                     "sessions": counts.get(d, 0)})
        d += timedelta(days=1)
    return rows


def goals_of(results: list[dict], exercise: str) -> list[str]:
    """The goals recorded for an exercise ("hold", "reps", ...), most used first."""
    n: dict[str, int] = defaultdict(int)
    for r in results:
        if r["exercise"] == exercise:
            n[r["goal"]] += 1
    return sorted(n, key=lambda g: -n[g])


def progress_data(results: list[dict], exercise: str, goal: str) -> list[dict]:
    """The best good-form value per day and side ({day, side, value, target,
    unit}), oldest first: a hold's good-form seconds, good reps or repeats."""
    best: dict[tuple[str, str], dict] = {}
    for r in results:
        if r["exercise"] != exercise or r["goal"] != goal:
            continue
        key = (r["day"], r["side"])
        row = best.get(key)
        if row is None or r["good"] > row["value"]:
            best[key] = {"day": r["day"], "side": r["side"], "value": r["good"], "target": r["target"],
                         "unit": r["unit"]}
    return sorted(best.values(), key=lambda x: (x["day"], x["side"]))


def balance_data(results: list[dict]) -> list[dict]:
    """Per exercise done on both sides separately, per goal and side: the
    best and the total in good form ({exercise, title, goal, unit, side, best,
    total, sessions})."""
    rows: dict[tuple[str, str, str], dict] = {}
    for r in results:
        if r["side"] not in ("left", "right"):
            continue
        key = (r["exercise"], r["goal"], r["side"])
        row = rows.setdefault(key, {"exercise": r["exercise"], "title": _title(r["exercise"]), "goal": r["goal"],
                                    "unit": r["unit"], "side": r["side"], "best": 0.0, "total": 0.0,
                                    "sessions": 0})
        row["best"] = max(row["best"], r["good"])
        row["total"] = round(row["total"] + r["good"], 3)
        row["sessions"] += 1
    # only exercises with both sides recorded
    both = {(e, g) for (e, g, _) in rows if (e, g, "left") in rows and (e, g, "right") in rows}
    return [v for (e, g, _), v in sorted(rows.items()) if (e, g) in both]


def fault_week_data(fault_rows: list[dict], top: int = 6) -> list[dict]:
    """Fault seconds per week ({week (its Monday), fault, label, seconds}) for
    the ``top`` faults with the most time (the rest as "other faults")."""
    total: dict[tuple[str, str], float] = defaultdict(float)
    for f in fault_rows:
        total[(f["exercise"], f["fault"])] += f["time_s"]
    keep = set(sorted(total, key=lambda k: -total[k])[:top])
    weeks: dict[tuple[str, str], float] = defaultdict(float)
    labels: dict[str, str] = {}
    for f in fault_rows:
        k = (f["exercise"], f["fault"])
        name = f"{f['exercise']}: {f['fault']}" if k in keep else "other faults"
        labels[name] = f"\"{_cue(*k)}\" ({_title(k[0])})" if k in keep else "other faults"
        weeks[(_monday(date.fromisoformat(f["day"])).isoformat(), name)] += f["time_s"]
    return [{"week": w, "fault": name, "label": labels[name], "seconds": round(s, 1)}
            for (w, name), s in sorted(weeks.items())]


def desk_data(results: list[dict]) -> list[dict]:
    """Desk posture per day ({day, sitting_s, upright_s, slouched_s, slouched_pct,
    breaks, reminders, sessions}), oldest first, from the desk sessions' rows
    (goal "sitting": ``done`` sitting, ``good`` upright; and their counts)."""
    days: dict[str, dict] = {}
    for r in results:
        if r["goal"] != "sitting" and r["goal"] not in POSTURE_COUNTS:
            continue
        d = days.setdefault(r["day"], {"day": r["day"], "sitting_s": 0.0, "upright_s": 0.0, "breaks": 0,
                                       "reminders": 0, "sessions": 0})
        if r["goal"] == "sitting":
            d["sitting_s"] += r["done"]
            d["upright_s"] += min(r["good"], r["done"])
            d["sessions"] += 1
        else:
            d[r["goal"]] += int(round(r["done"]))
    rows = []
    for d in sorted(days.values(), key=lambda x: x["day"]):
        slouched = max(0.0, d["sitting_s"] - d["upright_s"])
        rows.append({**d, "sitting_s": round(d["sitting_s"], 1), "upright_s": round(d["upright_s"], 1),
                     "slouched_s": round(slouched, 1),
                     "slouched_pct": round(100.0 * slouched / d["sitting_s"], 1) if d["sitting_s"] > 0 else 0.0})
    return rows


# ----------------------------------------------------------------------------- charts

def calendar_chart(rows: list[dict]):
    import altair as alt

    return alt.Chart(alt.Data(values=rows)).mark_rect(cornerRadius=2, stroke="white", strokeWidth=2).encode(
        x=alt.X("week:O", title=None, axis=alt.Axis(labelAngle=-45, labelExpr="slice(datum.value, 5)")),
        y=alt.Y("weekday:O", sort=list(WEEKDAYS), title=None),
        color=alt.Color("sessions:Q", title="sessions",
                        scale=alt.Scale(domainMin=0, range=["#eeeeee", "#1b5e20"]), legend=alt.Legend(tickMinStep=1)),
        tooltip=[alt.Tooltip("date:N"), alt.Tooltip("sessions:Q")],
    ).properties(width=alt.Step(18), height=alt.Step(18), title="Active days")


def progress_chart(rows: list[dict], title: str):
    import altair as alt

    unit = rows[0]["unit"] if rows else ""
    per_side = any(r["side"] != "both" for r in rows)
    colour = (alt.Color("side:N", scale=alt.Scale(domain=["left", "right"],
                                                  range=[SIDE_COLOURS["left"], SIDE_COLOURS["right"]]))
              if per_side else alt.value(SIDE_COLOURS["both"]))
    y_title = "good-form hold (s)" if unit == "s" else f"good-form {unit}"
    line = alt.Chart(alt.Data(values=rows)).mark_line(point=True, strokeWidth=2).encode(
        x=alt.X("day:T", title=None), y=alt.Y("value:Q", title=y_title), color=colour, detail="side:N",
        tooltip=[alt.Tooltip("day:T"), alt.Tooltip("side:N"), alt.Tooltip("value:Q", title=y_title, format=".1f"),
                 alt.Tooltip("target:Q")])
    layers = [line]
    targets = [r for r in rows if r["target"] is not None]
    if targets:
        if len({r["target"] for r in targets}) == 1:
            layers.append(alt.Chart(alt.Data(values=[{"target": targets[-1]["target"]}])).mark_rule(
                color=TARGET_COLOUR, strokeDash=[5, 4]).encode(y="target:Q", tooltip=[alt.Tooltip("target:Q")]))
        else:  # the target changed (a routine's progression): a line of its own
            layers.append(alt.Chart(alt.Data(values=targets)).mark_line(
                color=TARGET_COLOUR, strokeDash=[5, 4], interpolate="step-after").encode(
                x="day:T", y="target:Q", detail="side:N", tooltip=[alt.Tooltip("day:T"), alt.Tooltip("target:Q")]))
    return alt.layer(*layers).properties(height=260, title=title)


def balance_chart(rows: list[dict]):
    import altair as alt

    return alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        y=alt.Y("title:N", title=None), yOffset=alt.YOffset("side:N", sort=["left", "right"]),
        x=alt.X("best:Q", title="best in good form (s or count)"),
        color=alt.Color("side:N", scale=alt.Scale(domain=["left", "right"],
                                                  range=[SIDE_COLOURS["left"], SIDE_COLOURS["right"]])),
        tooltip=[alt.Tooltip("title:N", title="exercise"), alt.Tooltip("goal:N"), alt.Tooltip("side:N"),
                 alt.Tooltip("best:Q", format=".1f"), alt.Tooltip("total:Q", title="total", format=".1f"),
                 alt.Tooltip("unit:N"), alt.Tooltip("sessions:Q")],
    ).properties(title="Left / right balance")


def desk_chart(rows: list[dict]):
    """Minutes sitting per day, upright and slouched (stacked)."""
    import altair as alt

    values = [{"day": r["day"], "posture": p, "minutes": round(r[k] / 60.0, 2), "breaks": r["breaks"],
               "reminders": r["reminders"], "slouched_pct": r["slouched_pct"]}
              for r in rows for p, k in (("upright", "upright_s"), ("slouched", "slouched_s"))]
    return alt.Chart(alt.Data(values=values)).mark_bar().encode(
        x=alt.X("day:T", title=None), y=alt.Y("sum(minutes):Q", title="minutes sitting"),
        color=alt.Color("posture:N", scale=alt.Scale(domain=["upright", "slouched"],
                                                     range=[SIDE_COLOURS["both"], TARGET_COLOUR])),
        tooltip=[alt.Tooltip("day:T"), alt.Tooltip("posture:N"), alt.Tooltip("minutes:Q", format=".1f"),
                 alt.Tooltip("slouched_pct:Q", title="slouched %"), alt.Tooltip("breaks:Q"),
                 alt.Tooltip("reminders:Q")],
    ).properties(height=220, title="Desk posture: time sitting per day")


def fault_chart(rows: list[dict]):
    import altair as alt

    return alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        x=alt.X("week:O", title="week of", axis=alt.Axis(labelAngle=-45, labelExpr="slice(datum.value, 5)")),
        y=alt.Y("sum(seconds):Q", title="fault time (s)"),
        color=alt.Color("label:N", title="fault", legend=alt.Legend(labelLimit=320)),
        tooltip=[alt.Tooltip("week:O", title="week of"), alt.Tooltip("label:N", title="fault"),
                 alt.Tooltip("sum(seconds):Q", title="seconds", format=".1f")],
    ).properties(height=260, title="Fault time per week")


# ----------------------------------------------------------------------------- page

def _delete_all() -> None:
    """The delete button's callback (before the page is drawn again, so it shows the empty history)."""
    try:
        with open_history() as h:
            n = h.delete_all()
        st.session_state[DONE_KEY] = ("success", f"Deleted {n} session{'' if n == 1 else 's'} from your history.")
    except HistoryError as e:
        st.session_state[DONE_KEY] = ("error", str(e))
    st.session_state[CONFIRM_KEY] = False


def history_page() -> None:
    st.title("History")
    st.caption("Your sessions, kept on this computer: live sessions and routines as you finish them, reviewed "
               "clips when you tick *Save to history*. Only numbers are kept (what you did, for how long, in what "
               "form); no video and no picture.")
    done = st.session_state.pop(DONE_KEY, None)
    if done:
        (st.success if done[0] == "success" else st.error)(done[1])
    try:
        h = open_history()
    except HistoryError as e:
        st.error(str(e))
        return
    with h:
        if h.notice:
            st.warning(h.notice)
        try:
            _show(h)
        except HistoryError as e:
            st.error(str(e))


def _show(h: History) -> None:
    sessions = h.sessions()
    if not sessions:
        st.info("Nothing here yet. When you finish a live session or a routine (or review a clip with *Save to "
                "history* ticked) it appears here: a calendar of the days you exercised and your streak, each "
                "exercise's progress towards its target, how your left and right sides compare, and which faults "
                "come up most.")
        st.caption(f"Your history is kept in {h.path}.")
        return
    results, faults = h.results(), h.fault_rows()
    desk_faults = [f for f in faults if _monitor(f["exercise"])]
    faults = [f for f in faults if not _monitor(f["exercise"])]
    today = date.today()
    current, longest = h.streak(today)

    c = st.columns(4)
    c[0].metric("Current streak", f"{current} day{'' if current == 1 else 's'}",
                help="Days in a row with a session, to today (or yesterday: today is not over)")
    c[1].metric("Longest streak", f"{longest} day{'' if longest == 1 else 's'}")
    c[2].metric("Active days", str(len(h.days())))
    c[3].metric("Sessions", str(len(sessions)))
    st.altair_chart(calendar_chart(calendar_data(sessions, today)), width="content", key="history_calendar")

    exercises = [e for e in h.exercises() if any(r["exercise"] == e for r in results) and not _monitor(e)]
    if exercises:
        st.subheader("Progress")
    ex = st.selectbox("Exercise", exercises, format_func=_title, key="history_exercise") if exercises else None
    if ex:
        goals = goals_of(results, ex)
        goal = goals[0]
        if len(goals) > 1:
            goal = st.radio("Count", goals, horizontal=True, key=f"history_goal_{ex}")
        rows = progress_data(results, ex, goal)
        what = "good-form hold" if rows and rows[0]["unit"] == "s" else f"good-form {goal}"
        st.altair_chart(progress_chart(rows, f"{_title(ex)}: best {what} per day"), width="stretch",
                        key="history_progress")
        best = h.best(ex, goal=goal)
        if rows and best is not None:
            unit = rows[-1]["unit"]
            best_txt = f"{best:.1f} s" if unit == "s" else f"{best:.0f} {unit}"
            st.caption(f"Dashed red: the target. Your best single result so far: {best_txt}.")

    balance = balance_data(results)
    if balance:
        st.subheader("Left and right")
        st.altair_chart(balance_chart(balance), width="stretch", key="history_balance")
        st.caption("Each side's best result in good form (the total is in the tooltip). The non-dominant side is "
                   "usually the weaker one; a gap that narrows over the weeks is progress.")

    desk = desk_data(results)
    if desk:
        st.subheader("Desk posture")
        st.altair_chart(desk_chart(desk), width="stretch", key="history_desk")
        last = desk[-1]
        text = (f"Latest day ({last['day']}): sitting {clock(last['sitting_s'])}, slouched "
                f"{last['slouched_pct']:.0f} %, {last['breaks']} break{'' if last['breaks'] == 1 else 's'}, "
                f"{last['reminders']} reminder{'' if last['reminders'] == 1 else 's'}.")
        if desk_faults:
            totals: dict[str, float] = defaultdict(float)
            for f in desk_faults:
                totals[f["fault"]] += f["time_s"]
            text += " Most time: " + ", ".join(f"{k.replace('_', ' ')} {clock(v)}"
                                              for k, v in sorted(totals.items(), key=lambda kv: -kv[1])[:3]) + "."
        st.caption(text)

    st.subheader("Most frequent faults")
    if faults:
        st.altair_chart(fault_chart(fault_week_data(faults)), width="stretch", key="history_faults")
        totals: dict[tuple[str, str], float] = defaultdict(float)
        for f in faults:
            totals[(f["exercise"], f["fault"])] += f["time_s"]
        top = sorted(totals.items(), key=lambda kv: -kv[1])[:5]
        st.caption("Most time overall: " + "; ".join(
            f"\"{_cue(e, f)}\" ({_title(e)}) {s:.0f} s" for (e, f), s in top))
    else:
        st.caption("No fault recorded so far.")

    st.subheader("Sessions")
    st.dataframe([{"when": datetime.fromisoformat(s["started_at"]).astimezone().strftime("%Y-%m-%d %H:%M"),
                   "kind": s["kind"], "routine": s["routine"] or "",
                   "results": "; ".join(describe_results(s["results"])),
                   "fault time (s)": round(sum(v for r in s["results"] for v in r["faults"].values()), 1)}
                  for s in sessions[:100]], hide_index=True, width="stretch")
    if len(sessions) > 100:
        st.caption(f"The 100 most recent of {len(sessions)} sessions; the CSV export has them all.")

    st.subheader("Your data")
    st.caption(f"Kept in {h.path}. Nothing leaves this computer.")
    d1, d2 = st.columns(2)
    d1.download_button("Export as CSV", h.to_csv(), file_name="back-coach-history.csv", mime="text/csv",
                       key="history_csv", on_click="ignore", help="Every result, one row per exercise and side")
    with d2:
        sure = st.checkbox("Yes, delete every session", key=CONFIRM_KEY)
        st.button("Delete all my data", type="secondary", disabled=not sure, key="history_delete",
                  on_click=_delete_all, help="Removes every saved session from this computer; it cannot be undone")


def save_review_once(rv: dict) -> None:
    """Keep a reviewed clip (the Review page's ``rv``) in the history, once
    per analysis (the outcome is kept in ``rv``), and say where it went."""
    if "history_saved" not in rv:
        notes: list[str] = []
        record = record_from_reports([rv["report"]], "clip", source=str(rv.get("name") or ""))
        rv["history_saved"] = _save(record, notes)
        rv["history_notes"] = notes
    res = rv["history_saved"]
    for note in rv.get("history_notes", ()):
        st.warning(note)
    if res.saved:
        st.caption(f"Saved to your history (session {res.session_id}); see the **History** page.")
    else:
        st.warning(res.message)


def _save(record, notes: list[str]):
    try:
        h = open_history()
    except HistoryError:  # a database from a newer back-coach: kept aside with the reason
        return save_record(record, notify=notes.append)
    with h:
        if h.notice:
            notes.append(h.notice)
        return h.add(record)
