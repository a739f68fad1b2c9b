"""The History page under Streamlit's AppTest: the empty state, a seeded
history (streak metrics, the calendar, progress, balance and fault charts,
the session table), the CSV export, deleting everything behind a
confirmation, damaged and newer databases, and the Review page's "Save to
history" box (once per analysis)."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from coach.history import ExerciseResult, History, SessionRecord  # noqa: E402
from coach.webapp import history_page as hp  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _history():
    # Runs inside AppTest's script runner, as st.navigation would call the page.
    from coach.webapp.history_page import history_page

    history_page()


def _review():
    from coach.webapp.review_page import review_page

    review_page()


@pytest.fixture(autouse=True)
def data(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("COACH_DATA_DIR", str(folder))
    monkeypatch.setenv("COACH_PROFILE_DIR", str(tmp_path / "profiles"))
    monkeypatch.setenv("COACH_MODEL", str(tmp_path / "no-model.task"))
    monkeypatch.chdir(ROOT)
    return folder


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}; have {[m.label for m in at.metric]}")


def charts(at: AppTest) -> list:
    return list(at.get("arrow_vega_lite_chart")) + list(at.get("vega_lite_chart"))


def local_noon(d: date) -> datetime:
    return datetime.combine(d, time(12, 0)).astimezone(timezone.utc)


def seed(days_ago=(0, 1, 2, 5)) -> None:
    """Plank and side plank sessions on the given days (today = 0), a fault on some."""
    today = date.today()
    with History() as h:
        for i, ago in enumerate(sorted(days_ago, reverse=True)):
            results = (
                ExerciseResult("plank", "Plank", "hold", "s", "both", 60.0, 20.0 + 5 * i, 20.0 + 5 * i,
                               faults={"hips_sagging": 2.0 + i}),
                ExerciseResult("side_plank", "Side plank", "hold", "s", "left", 45.0, 10.0 + i, 10.0 + i),
                ExerciseResult("side_plank", "Side plank", "hold", "s", "right", 45.0, 14.0 + i, 14.0 + i),
            )
            assert h.add(SessionRecord("routine", local_noon(today - timedelta(days=ago)), 300.0, results,
                                       routine="Morning back")).saved


def test_empty_history_explains_what_will_appear():
    at = AppTest.from_function(_history, default_timeout=60).run()
    no_exceptions(at)
    assert [t.value for t in at.title] == ["History"]
    assert any("Nothing here yet" in i.value and "streak" in i.value for i in at.info)
    assert not charts(at) and not at.get("download_button") and not at.error and not at.warning


def test_seeded_history_shows_streak_charts_and_sessions():
    seed()
    at = AppTest.from_function(_history, default_timeout=60).run()
    no_exceptions(at)
    assert not at.error and not at.warning
    assert metric(at, "Current streak") == "3 days"
    assert metric(at, "Longest streak") == "3 days"
    assert metric(at, "Active days") == "4" and metric(at, "Sessions") == "4"
    # calendar, progress, balance, faults
    assert len(charts(at)) == 4
    assert at.selectbox(key="history_exercise").value in ("plank", "side_plank")
    at.selectbox(key="history_exercise").set_value("plank").run()
    no_exceptions(at)
    assert any("best single result so far: 35.0 s" in c.value for c in at.caption)
    assert any("non-dominant side" in c.value for c in at.caption)
    assert any('"Lift your hips"' in c.value for c in at.caption)  # the cue, not the internal name
    [table] = at.dataframe
    assert len(table.value) == 4
    # the CSV export
    [dl] = [e for e in at.get("download_button") if e.proto.label == "Export as CSV"]
    assert dl is not None


def test_chart_data_on_known_rows():
    seed((0, 1, 8))
    with History() as h:
        results, faults, sessions = h.results(), h.fault_rows(), h.sessions()
    today = date.today()
    cal = hp.calendar_data(sessions, today)
    assert cal[-1] == {"date": today.isoformat(), "week": (today - timedelta(days=today.weekday())).isoformat(),
                       "weekday": hp.WEEKDAYS[today.weekday()], "sessions": 1}
    assert sum(r["sessions"] for r in cal) == 3 and cal[0]["weekday"] == "Mon"
    desk = dict(sessions[0], kind="desk")  # a desk session is no exercise session: not on the calendar
    assert hp.calendar_data(sessions + [desk], today) == cal
    prog = hp.progress_data(results, "plank", "hold")
    assert [r["value"] for r in prog] == [20.0, 25.0, 30.0] and {r["target"] for r in prog} == {60.0}
    bal = hp.balance_data(results)
    assert [(r["exercise"], r["side"], r["best"], r["sessions"]) for r in bal] == [
        ("side_plank", "left", 12.0, 3), ("side_plank", "right", 16.0, 3)]
    weeks = hp.fault_week_data(faults)
    assert sum(r["seconds"] for r in weeks) == pytest.approx(2 + 3 + 4)
    assert {r["label"] for r in weeks} == {'"Lift your hips" (Plank (forearms or hands))'}
    for chart in (hp.calendar_chart(cal), hp.progress_chart(prog, "t"), hp.balance_chart(bal), hp.fault_chart(weeks)):
        assert chart.to_dict()  # valid Vega-Lite


def test_csv_download_holds_every_result():
    seed((0, 1))
    at = AppTest.from_function(_history, default_timeout=60).run()
    [dl] = [e for e in at.get("download_button") if e.proto.label == "Export as CSV"]
    with History() as h:
        expected = h.to_csv()
    assert expected.count("\n") == 1 + 2 * 3
    # the button serves the export (its data is a media file URL in the app)
    assert dl.proto.url


def test_delete_all_needs_the_confirmation():
    seed()
    at = AppTest.from_function(_history, default_timeout=60).run()
    btn = at.button(key="history_delete")
    assert btn.label == "Delete all my data" and btn.disabled
    at.checkbox(key=hp.CONFIRM_KEY).check().run()
    no_exceptions(at)
    assert not at.button(key="history_delete").disabled
    at.button(key="history_delete").click().run()
    no_exceptions(at)
    assert any("Deleted 4 sessions" in s.value for s in at.success)
    assert any("Nothing here yet" in i.value for i in at.info)
    with History() as h:
        assert h.sessions() == []


def test_a_damaged_database_is_a_warning_line(data):
    data.mkdir(parents=True)
    (data / "history.sqlite3").write_bytes(b"garbage" * 1000)
    at = AppTest.from_function(_history, default_timeout=60).run()
    no_exceptions(at)
    assert len(at.warning) == 1 and "damaged" in at.warning[0].value and "\n" not in at.warning[0].value
    assert list(data.glob("history.sqlite3.damaged-*"))


def test_a_newer_database_is_an_error_line(data):
    data.mkdir(parents=True)
    con = sqlite3.connect(data / "history.sqlite3")
    con.execute("PRAGMA user_version = 42")
    con.close()
    at = AppTest.from_function(_history, default_timeout=60).run()
    no_exceptions(at)
    assert len(at.error) == 1 and "newer version of back-coach" in at.error[0].value


def test_review_save_to_history_once_per_analysis():
    at = AppTest.from_function(_review, default_timeout=120).run()
    no_exceptions(at)
    assert at.checkbox(key="review_save").value is False
    at.radio(key="review_source").set_value("Bundled sample").run()
    at.selectbox(key="review_sample").set_value("bird_dog").run()
    at.button(key="review_go").click().run()
    no_exceptions(at)
    with History() as h:
        assert h.sessions() == []  # not asked
    at.checkbox(key="review_save").check().run()
    no_exceptions(at)
    assert any("Saved to your history" in c.value for c in at.caption)
    at.run()  # a rerun does not save it again
    with History() as h:
        [s] = h.sessions()
    assert s["kind"] == "clip" and s["source"] == "bird_dog.track.npz"
    assert [r["exercise"] for r in s["results"]] == ["bird_dog", "bird_dog"]
    at.button(key="review_go").click().run()  # a new analysis, box still ticked: saved again
    with History() as h:
        assert len(h.sessions()) == 2


def test_the_app_lists_the_history_page():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
    pages = {info["page_name"]: (h, info["url_pathname"]) for h, info in at._registered_pages.items()}
    assert pages["History"][1] == "history"
    at._page_hash = pages["History"][0]
    at.run()
    no_exceptions(at)
    assert [t.value for t in at.title] == ["History"]
