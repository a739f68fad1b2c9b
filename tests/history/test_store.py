"""The session history's database: records from real reports, many writers
at once (processes and threads), damaged, locked and old or newer databases,
and the questions the pages ask (best, streak, CSV, delete)."""
from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
import sys
import time
import types
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import pose_rules
from coach import samples
from coach.core.pose import PoseTrack
from coach.history import (ExerciseResult, History, HistoryError, SessionRecord, data_dir, record_from_reports)
from coach.history.store import SCHEMA_VERSION, save_record
from coach.session.loop import analyze_track
from synth import bridge, plank

UTC = timezone.utc
T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)  # a Monday, noon UTC

#: The version-1 schema exactly as it shipped (a copy: the migrations must keep reading it).
V1_SQL = """
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    day TEXT NOT NULL,
    duration_s REAL NOT NULL,
    routine TEXT,
    source TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_by_start ON sessions (started_at);
CREATE TABLE results (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    exercise TEXT NOT NULL,
    title TEXT NOT NULL,
    unit TEXT NOT NULL,
    side TEXT NOT NULL,
    target REAL,
    done REAL NOT NULL,
    good REAL NOT NULL,
    longest_s REAL NOT NULL,
    time_in_position_s REAL NOT NULL,
    reached INTEGER NOT NULL
);
CREATE INDEX results_by_session ON results (session_id);
CREATE INDEX results_by_exercise ON results (exercise);
PRAGMA user_version = 1;
"""


@pytest.fixture(autouse=True)
def data(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("COACH_DATA_DIR", str(folder))
    return folder


def result(exercise="plank", done=30.0, side="both", target=60.0, faults=None, goal=None, unit=None) -> ExerciseResult:
    unit = unit or ("s" if exercise.endswith("plank") else "reps")
    goal = goal or ("hold" if unit == "s" else "reps")
    return ExerciseResult(exercise, exercise.replace("_", " ").title(), goal, unit, side, target, done, done,
                          longest_s=done / 2, time_in_position_s=done + 5, reached=target is not None and done >= target,
                          faults=faults or {})


def record(*results, when=T0, kind="live", routine=None, source="") -> SessionRecord:
    return SessionRecord(kind, when, 90.0, tuple(results) or (result(),), routine=routine, source=source)


def pending(folder: Path) -> list[Path]:
    return sorted((folder / "pending").glob("*.json")) if (folder / "pending").is_dir() else []


# ----------------------------------------------------------------------------- basics

def test_data_dir_follows_the_environment_and_the_platform(monkeypatch, tmp_path):
    assert data_dir() == tmp_path / "data"
    monkeypatch.delenv("COACH_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    import os
    import sys

    if os.name != "nt" and sys.platform != "darwin":
        assert data_dir() == tmp_path / "xdg" / "back-coach"
        monkeypatch.delenv("XDG_DATA_HOME")
        assert data_dir() == Path.home() / ".local" / "share" / "back-coach"


def test_a_new_history_is_made_by_the_migrations_in_wal_mode(data):
    with History() as h:
        assert h.path == data / "history.sqlite3" and h.notice is None
        assert h.sessions() == [] and h.best("plank") is None and h.streak() == (0, 0) and h.days() == []
        res = h.add(record())
        assert res.saved and res.session_id == 1 and res.where == h.path and res.message is None
    con = sqlite3.connect(data / "history.sqlite3")
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sessions", "results", "faults"} <= tables
    # numbers only: no column could hold a picture or landmarks
    cols = [r for t in ("sessions", "results", "faults") for r in con.execute(f"PRAGMA table_info({t})")]
    assert all(c[2] in ("INTEGER", "TEXT", "REAL") for c in cols)
    con.close()


def test_sessions_round_trip_with_results_and_faults():
    rec = record(result("plank", 42.0, faults={"hips_sagging": 3.25, "hips_piking": 1.0}),
                 result("bird_dog", 3, side="left", target=5), result("bird_dog", 4, side="right", target=5),
                 kind="routine", routine="Morning back")
    with History() as h:
        sid = h.add(rec).session_id
        [s] = h.sessions()
    assert s["id"] == sid and s["kind"] == "routine" and s["routine"] == "Morning back"
    assert s["started_at"] == "2024-05-06T12:00:00+00:00" and s["day"] == T0.astimezone().date().isoformat()
    assert [(r["exercise"], r["side"], r["done"]) for r in s["results"]] == [
        ("plank", "both", 42.0), ("bird_dog", "left", 3.0), ("bird_dog", "right", 4.0)]
    assert s["results"][0]["faults"] == {"hips_piking": 1.0, "hips_sagging": 3.25}
    assert s["results"][0]["goal"] == "hold" and s["results"][1]["goal"] == "reps"
    # the record written as JSON (pending files) reads back the same
    assert SessionRecord.from_dict(json.loads(json.dumps(rec.to_dict()))) == rec


def test_record_needs_a_known_kind_and_an_aware_time():
    with pytest.raises(ValueError, match="kind"):
        SessionRecord("video", T0, 1.0, ())
    with pytest.raises(ValueError, match="timezone"):
        SessionRecord("live", datetime(2024, 5, 6, 12), 1.0, ())


# ----------------------------------------------------------------------------- from reports

def _report(track: PoseTrack, exercise: str):
    return analyze_track(track, pose_rules.get_rule(exercise), timeline=False)


def test_record_from_real_reports_one_result_per_side_faults_once():
    track = PoseTrack.load(samples.path("bird_dog"))
    rep = _report(track, "bird_dog")
    before = datetime.now(UTC)
    rec = record_from_reports([rep], "clip", source="clip.mp4")
    assert rec.kind == "clip" and rec.source == "clip.mp4" and rec.routine is None
    assert rec.duration_s == pytest.approx(rep.summary.duration_s, abs=1e-3)
    # started when it ended less its duration
    assert before - timedelta(seconds=rep.summary.duration_s + 5) <= rec.started_at <= before
    assert [(r.exercise, r.goal, r.unit, r.side) for r in rec.results] == [
        ("bird_dog", "reps", "reps", "left"), ("bird_dog", "reps", "reps", "right")]
    p = rep.progress
    for r in rec.results:
        assert r.done == p.done[r.side] and r.good == p.good[r.side] and r.target == p.target
        assert r.time_in_position_s == pytest.approx(rep.summary.time_in_position_s, abs=1e-3)
        assert r.reached == (p.done[r.side] >= p.target)
    assert rep.summary.fault_time_s, "the sample has a fault"
    assert rec.results[0].faults == pytest.approx(dict(rep.summary.fault_time_s), abs=1e-3)
    assert rec.results[1].faults == {}


def test_record_from_a_routine_of_reports_and_a_goal_set():
    fps = 30.0
    bridge_track = PoseTrack.from_frames([bridge(0, t=i / fps) for i in range(int(4 * fps))])
    plank_track = PoseTrack.from_frames([plank(0 if i < 90 else -22, t=i / fps) for i in range(int(5 * fps))])
    reports = [_report(plank_track, "plank"), _report(bridge_track, "glute_bridge")]
    start = datetime(2024, 5, 6, 7, 30, tzinfo=UTC)
    rec = record_from_reports(reports, "routine", started_at=start, routine="Morning back")
    assert rec.started_at == start and rec.routine == "Morning back"
    assert [(r.exercise, r.goal, r.side) for r in rec.results] == [
        ("plank", "hold", "both"), ("glute_bridge", "hold", "both"), ("glute_bridge", "reps", "both")]
    plank_r, hold, lifts = rec.results
    assert plank_r.done == pytest.approx(reports[0].progress.total, abs=1e-3) and plank_r.target == 60
    assert plank_r.faults and "hips_sagging" in plank_r.faults  # the sag at the end
    gb = reports[1].progress
    assert hold.done == pytest.approx(gb.part("hold").total, abs=1e-3) and hold.done > 3.0 and hold.unit == "s"
    assert lifts.done == gb.part("reps").total == 0 and lifts.unit == "reps" and lifts.target == 5
    assert lifts.faults == {}
    with History() as h:
        h.add(rec)
        assert h.best("glute_bridge", goal="hold") == pytest.approx(hold.done)
        assert h.best("glute_bridge", goal="reps") == 0.0


# ----------------------------------------------------------------------------- questions

def test_a_desk_day_is_no_exercise_day(data):
    """The desk monitor's sessions are kept and listed, but make no active day and no streak."""
    with History() as h:
        h.add(record(result("plank", 30.0), when=T0))
        h.add(record(result("desk_posture", 3600.0), when=T0 + timedelta(days=1), kind="desk"))
        first = T0.astimezone().date()
        assert h.days() == [first]
        assert h.streak(first + timedelta(days=1)) == (1, 1)  # the desk day does not extend the run
        assert h.streak(first + timedelta(days=2)) == (0, 1)
        assert [s["kind"] for s in h.sessions()] == ["desk", "live"]


def test_best_streak_csv_and_delete_on_known_data(data):
    days = [0, 1, 2, 5, 6, 10]  # runs of 3, 2 and 1 days
    with History() as h:
        for i, d in enumerate(days):
            h.add(record(result("plank", 20.0 + i * 5, faults={"hips_sagging": 1.5} if i % 2 else None),
                         result("side_plank", 10 + i, side="left", target=45),
                         result("side_plank", 12 + 2 * i, side="right", target=45),
                         when=T0 + timedelta(days=d)))
        h.add(record(result("bird_dog", 7, side="left", target=5), when=T0 + timedelta(days=10, hours=1)))
        assert h.best("plank") == 45.0
        assert h.best(["plank", "forearm_plank"]) == 45.0
        assert h.best("side_plank", side="left") == 15.0 and h.best("side_plank", side="right") == 22.0
        assert h.best("side_plank") == 22.0 and h.best("plank", goal="reps") is None
        assert h.best("Bird-dog") == 7.0  # names as typed
        assert h.best("glute_bridge") is None
        local = [(T0 + timedelta(days=d)).astimezone().date() for d in days]
        assert h.days() == local
        last = local[-1]
        assert h.streak(last) == (1, 3)
        assert h.streak(last + timedelta(days=1)) == (1, 3)  # today not over yet
        assert h.streak(last + timedelta(days=2)) == (0, 3)
        assert h.streak(local[4]) == (2, 3)
        # newest first; filters
        sessions = h.sessions()
        assert len(sessions) == 7 and sessions[0]["results"][0]["exercise"] == "bird_dog"
        assert [len(s["results"]) for s in h.sessions("side_plank", limit=2)] == [2, 2]
        assert len(h.results()) == 6 * 3 + 1 and len(h.results("plank")) == 6
        assert [f["time_s"] for f in h.fault_rows()] == [1.5, 1.5, 1.5]
        # CSV: one header line, one row per result
        lines = h.to_csv().splitlines()
        assert lines[0].startswith("session_id,started_at,day,kind,routine,exercise,title,goal,unit,side,target,"
                                   "done,good,longest_s,time_in_position_s,reached")
        assert len(lines) == 1 + 19
        assert sum("hips_sagging=1.5" in ln for ln in lines) == 3
        assert h.delete_all() == 7
        assert h.sessions() == [] and h.results() == [] and h.fault_rows() == [] and h.to_csv().count("\n") == 1
        assert h.add(record()).saved  # still usable
    # deleted rows are overwritten in the file, not left behind
    assert b"side_plank" not in (data / "history.sqlite3").read_bytes()


# ----------------------------------------------------------------------------- many writers

def _writer(path: str, tag: str, n: int, ready, go) -> None:
    """Adds n sessions once ``go`` is set (a process or a thread)."""
    ready.put(tag) if hasattr(ready, "put") else ready()
    go.wait(30)
    with History(Path(path)) as h:
        for i in range(n):
            res = h.add(record(result("plank", float(i)), result("bird_dog", i % 5, side="left", target=5),
                               when=T0 + timedelta(minutes=i), source=f"{tag}-{i}"))
            assert res.saved, res.message


def test_two_processes_and_two_threads_add_at_once(data, monkeypatch):
    # spawned processes re-run the parent's __main__ file: an AppTest earlier in the same
    # pytest run leaves its temporary script there, so the children get a plain __main__
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    path = data / "history.sqlite3"
    n = 30
    ctx = multiprocessing.get_context("spawn")
    ready, go = ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_writer, args=(str(path), f"p{k}", n, ready, go)) for k in range(2)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=60)
    tgo = threading.Event()
    errors: list[BaseException] = []

    def thread_writer(tag):
        try:
            _writer(str(path), tag, n, lambda: None, tgo)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=thread_writer, args=(f"t{k}",)) for k in range(2)]
    for t in threads:
        t.start()
    # a reader while they write: every snapshot it sees is whole (each session with its two results)
    seen: list[int] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                with History(path) as h:
                    sessions = h.sessions()
                    seen.append(len(sessions))
                    bad = [s for s in sessions if len(s["results"]) != 2]
                    assert not bad, bad
                    assert len(h.results()) >= 2 * len(sessions)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
                return

    rt = threading.Thread(target=reader)
    rt.start()
    go.set()
    tgo.set()
    for t in threads:
        t.join(120)
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    stop.set()
    rt.join(30)
    assert not errors, errors
    with History(path) as h:
        sources = sorted(s["source"] for s in h.sessions())
        assert h.notice is None
    assert sources == sorted(f"{tag}-{i}" for tag in ("p0", "p1", "t0", "t1") for i in range(n))
    assert pending(data) == []
    assert len(seen) > 1 and seen == sorted(seen)  # the reader saw it grow, never shrink


def test_one_history_shared_by_threads():
    with History() as h:
        def add(k):
            for i in range(20):
                assert h.add(record(source=f"{k}-{i}")).saved
        threads = [threading.Thread(target=add, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(h.sessions()) == 80


# ----------------------------------------------------------------------------- damage

def _filled_db(path: Path, n: int = 300) -> bytes:
    with History(path) as h:
        for i in range(n):
            h.add(record(result("plank", float(i % 60), faults={"hips_sagging": 0.5}), when=T0 + timedelta(hours=i)))
    assert not Path(str(path) + "-wal").exists()  # checkpointed on close
    return path.read_bytes()


def _check_set_aside(data: Path, h: History, original: bytes) -> None:
    assert h.notice and "damaged" in h.notice and "\n" not in h.notice
    asides = sorted(data.glob("history.sqlite3.damaged-*"))
    assert len(asides) == 1 and str(asides[0]) in h.notice
    assert asides[0].read_bytes() == original  # kept byte for byte
    assert h.sessions() == []
    assert h.add(record()).saved and len(h.sessions()) == 1


@pytest.mark.parametrize("damage", ["garbage", "overwritten page", "truncated"])
def test_a_damaged_database_is_set_aside_and_a_new_one_started(data, damage):
    import os

    path = data / "history.sqlite3"
    data.mkdir(parents=True, exist_ok=True)
    if damage == "garbage":
        original = os.urandom(3 * 4096)
    else:
        good = _filled_db(path)
        original = (good[:2 * 4096] + os.urandom(4096) + good[3 * 4096:] if damage == "overwritten page"
                    else good[:len(good) // 2])
    path.write_bytes(original)
    with History() as h:
        _check_set_aside(data, h, original)
    with History() as h:  # the new database is healthy: no notice next time
        assert h.notice is None and len(h.sessions()) == 1


# ----------------------------------------------------------------------------- locked

def test_opening_waits_while_another_program_writes_a_database_not_yet_in_wal_mode(data):
    # SQLite refuses the switch to WAL at once (no busy wait) while another connection is writing
    # to a rollback-journal database, as when two programs open a new history together (seen on CI)
    data.mkdir(parents=True)
    path = data / "history.sqlite3"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE other_program (x INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO other_program VALUES (1)")  # holds the write lock
    try:
        # held beyond the timeout: busy, the session is kept aside, nothing raises
        with History(timeout=0.3) as h:
            assert h.notice and "busy" in h.notice
            assert not h.add(record(source="while written")).saved
        assert len(pending(data)) == 1
        # released within the timeout: it waits, then opens and adds the kept session
        other.execute("COMMIT")
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO other_program VALUES (2)")
        threading.Timer(0.5, lambda: other.execute("COMMIT")).start()
        with History(timeout=5) as h:
            assert h.notice and "1 session" in h.notice
            assert h.add(record(source="after the writer")).saved
            assert sorted(s["source"] for s in h.sessions()) == ["after the writer", "while written"]
        assert pending(data) == []
    finally:
        time.sleep(0.6)
        if other.in_transaction:
            other.execute("COMMIT")
        other.close()


def test_a_locked_database_keeps_the_session_pending_and_adds_it_later(data):
    path = data / "history.sqlite3"
    with History() as h:
        h.add(record(source="before"))
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        t = time.perf_counter()
        with History(timeout=0.2) as h:
            res = h.add(record(source="while locked"))
            assert [s["source"] for s in h.sessions()] == ["before"]  # reading still works (WAL)
        assert time.perf_counter() - t < 5
        assert not res.saved and res.session_id is None
        assert res.where is not None and res.where.parent == data / "pending" and res.where.suffix == ".json"
        assert "busy" in res.message and str(res.where) in res.message and "\n" not in res.message
        assert SessionRecord.from_dict(json.loads(res.where.read_text())).source == "while locked"
        assert pending(data) == [res.where]
        assert not list((data / "pending").glob(".*.tmp"))  # written atomically: no leftover
        with History(timeout=0.2) as h:  # still locked: it stays pending
            assert pending(data) == [res.where]
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    with History() as h:
        assert h.notice and "1 session" in h.notice
        assert [s["source"] for s in h.sessions()] == ["while locked", "before"]
    assert pending(data) == []
    with History() as h:  # imported once
        assert h.notice is None and len(h.sessions()) == 2


def test_a_pending_file_is_imported_once_even_if_it_comes_back(data):
    """A program that stopped between adding a pending session and removing
    its file: the next open does not add it twice."""
    with History() as h:
        h.add(record())
    from coach.history.store import write_pending

    f = write_pending(data / "pending", record(source="aside"))
    copy = f.read_bytes()
    with History() as h:
        assert len(h.sessions()) == 2
    f.write_bytes(copy)
    with History() as h:
        assert len(h.sessions()) == 2 and h.notice is None
    assert not f.exists()


def test_an_unreadable_pending_file_is_kept_aside_not_lost(data):
    (data / "pending").mkdir(parents=True)
    (data / "pending" / "20240101T000000Z-x.json").write_text("{not json")
    with History() as h:
        assert h.sessions() == []
    assert (data / "pending" / "20240101T000000Z-x.json.unreadable").read_text() == "{not json"


def test_a_full_disk_keeps_the_session_pending(data):
    with History() as h:
        assert h.add(record()).saved
        pages = h._conn.execute("PRAGMA page_count").fetchone()[0]
        h._conn.execute(f"PRAGMA max_page_count = {pages}")  # the file cannot grow: SQLITE_FULL
        res = h.add(record(source="x" * 20000))
        assert not res.saved and "full" in res.message and res.where.is_file()
        assert len(h.sessions()) == 1  # the failed write left nothing half-done
    with History() as h:
        assert len(h.sessions()) == 2 and h.notice


def test_a_folder_that_cannot_be_made_never_raises_on_add(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COACH_DATA_DIR", str(blocker / "data"))
    h = History()
    assert h.notice and "\n" not in h.notice and "kept in" in h.notice
    res = h.add(record())
    assert not res.saved and res.where is None and "not saved" in res.message and "\n" not in res.message
    with pytest.raises(HistoryError):
        h.sessions()
    h.close()


# ----------------------------------------------------------------------------- versions

def test_a_version_1_database_is_migrated_keeping_its_rows(data):
    path = data / "history.sqlite3"
    data.mkdir(parents=True)
    con = sqlite3.connect(path)
    con.executescript(V1_SQL)
    con.execute("INSERT INTO sessions VALUES (1, 'live', '2024-05-01T08:00:00+00:00', '2024-05-01', 65.0, NULL, '')")
    con.execute("INSERT INTO sessions VALUES (2, 'routine', '2024-05-02T08:00:00+00:00', '2024-05-02', 300.0, "
                "'Morning', '')")
    con.execute("INSERT INTO results VALUES (1, 1, 0, 'plank', 'Plank', 's', 'both', 60, 41.5, 41.5, 30, 50, 0)")
    con.execute("INSERT INTO results VALUES (2, 2, 0, 'bird_dog', 'Bird-dog', 'reps', 'left', 5, 5, 4, 0, 90, 1)")
    con.execute("INSERT INTO results VALUES (3, 2, 1, 'bird_dog', 'Bird-dog', 'reps', 'right', 5, 4, 4, 0, 90, 0)")
    con.commit()
    con.close()
    with History() as h:
        assert h.notice is None
        sessions = h.sessions()
        assert [s["id"] for s in sessions] == [2, 1] and sessions[0]["routine"] == "Morning"
        assert sessions[1]["note"] is None
        assert [(r["exercise"], r["goal"], r["done"], r["faults"]) for r in sessions[0]["results"]] == [
            ("bird_dog", "reps", 5.0, {}), ("bird_dog", "reps", 4.0, {})]
        assert sessions[1]["results"][0]["goal"] == "hold" and h.best("plank", goal="hold") == 41.5
        assert h.add(record(result("plank", 50, faults={"hips_sagging": 2.0}))).saved
        assert h.streak(date(2024, 5, 2))[1] == 2
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 2
    con.close()


def test_a_database_from_a_newer_version_is_refused_and_left_alone(data):
    path = data / "history.sqlite3"
    data.mkdir(parents=True)
    con = sqlite3.connect(path)
    con.executescript("CREATE TABLE sessions (id INTEGER PRIMARY KEY, future TEXT); PRAGMA user_version = 9;")
    con.commit()
    con.close()
    before = path.read_bytes()
    files = sorted(p.name for p in data.iterdir())
    with pytest.raises(HistoryError) as e:
        History()
    msg = str(e.value)
    assert "newer version of back-coach" in msg and str(path) in msg and "\n" not in msg
    assert path.read_bytes() == before and sorted(p.name for p in data.iterdir()) == files
    # a session saved meanwhile is not lost: it waits in pending/
    res = save_record(record())
    assert not res.saved and res.where.parent == data / "pending" and "newer version" in res.message
    assert path.read_bytes() == before


def test_a_failed_migration_changes_nothing(data, monkeypatch):
    """Each migration runs in one transaction: a failure leaves version 1 as it was."""
    path = data / "history.sqlite3"
    data.mkdir(parents=True)
    con = sqlite3.connect(path)
    con.executescript(V1_SQL)
    con.close()
    from coach.history import store

    broken = (store.MIGRATIONS[0], store.MIGRATIONS[1] + ("THIS IS NOT SQL",))
    monkeypatch.setattr(store, "MIGRATIONS", broken)
    h = History()
    assert h.notice and "cannot be used" in h.notice
    h.close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "note" not in [c[1] for c in con.execute("PRAGMA table_info(sessions)")]
    con.close()
