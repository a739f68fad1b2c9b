"""The session history: a local SQLite database in the per-user data folder.

``History()`` opens (and creates) ``data_dir()/history.sqlite3``:

* the schema is versioned in ``PRAGMA user_version``; :data:`MIGRATIONS` are
  run in order (each in one transaction) to bring an older database up to
  :data:`SCHEMA_VERSION`, and a new database is made by running them all. A
  database from a newer back-coach is refused (:class:`HistoryError`) and
  left as it is;
* WAL journal, a busy timeout and ``BEGIN IMMEDIATE`` for every write, so two
  browser tabs (threads) or two programs can add sessions at once;
* a damaged file (not a database, or ``PRAGMA quick_check`` not ok) is renamed
  aside to ``history.sqlite3.damaged-<stamp>`` (never deleted), a new database
  is started and :attr:`History.notice` says so;
* :meth:`History.add` never raises: when the database cannot take the session
  (locked beyond the timeout, damaged, read-only, disk full) the record is
  written atomically as JSON to ``pending/`` beside the database and added the
  next time a healthy database is opened (each file once, even when two
  programs open it at the same time).

Only numbers are kept (see :mod:`coach.history.records`): no video, no
pictures, no landmarks.
"""
from __future__ import annotations

import csv
import io
import json
import os
import secrets
import sqlite3
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

from pose_rules.base import name_key

from .records import SessionRecord

#: The database's file name in :func:`data_dir`.
DB_NAME = "history.sqlite3"
#: How long a write waits for another writer before the session goes to pending/ (seconds).
BUSY_TIMEOUT_S = 5.0

#: Schema migrations, in order: ``MIGRATIONS[i]`` brings version ``i`` to ``i + 1``.
#: Never edit one that has shipped: add the next.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: sessions and their results
    (
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            started_at TEXT NOT NULL,
            day TEXT NOT NULL,
            duration_s REAL NOT NULL,
            routine TEXT,
            source TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX sessions_by_start ON sessions (started_at)",
        """CREATE TABLE results (
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
        )""",
        "CREATE INDEX results_by_session ON results (session_id)",
        "CREATE INDEX results_by_exercise ON results (exercise)",
    ),
    # 2: fault time per result, the goal each result counts, a note per session,
    #    and the pending files already imported (each is imported once)
    (
        "ALTER TABLE sessions ADD COLUMN note TEXT",
        "ALTER TABLE results ADD COLUMN goal TEXT NOT NULL DEFAULT ''",
        "UPDATE results SET goal = CASE WHEN unit = 's' THEN 'hold' ELSE 'reps' END",
        """CREATE TABLE faults (
            id INTEGER PRIMARY KEY,
            result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,
            fault TEXT NOT NULL,
            time_s REAL NOT NULL
        )""",
        "CREATE INDEX faults_by_result ON faults (result_id)",
        "CREATE TABLE pending_imports (name TEXT PRIMARY KEY, imported_at TEXT NOT NULL)",
    ),
)
#: The schema this code writes.
SCHEMA_VERSION = len(MIGRATIONS)

#: The columns of :meth:`History.results` rows (and of the CSV export, with "faults").
RESULT_COLUMNS = ("session_id", "started_at", "day", "kind", "routine", "exercise", "title", "goal", "unit", "side",
                  "target", "done", "good", "longest_s", "time_in_position_s", "reached")


class HistoryError(Exception):
    """The history cannot be read or changed (the message is one line)."""


class _Damaged(Exception):
    """The database file is damaged (internal)."""


def data_dir() -> Path:
    """The per-user data folder: ``$COACH_DATA_DIR`` if set; else
    ``%LOCALAPPDATA%\\back-coach`` (Windows), ``~/Library/Application
    Support/back-coach`` (macOS), ``$XDG_DATA_HOME/back-coach`` or
    ``~/.local/share/back-coach`` (Linux and others)."""
    value = os.environ.get("COACH_DATA_DIR")
    if value:
        return Path(value).expanduser()
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "back-coach"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "back-coach"
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share") / "back-coach"


@dataclass(frozen=True)
class SaveResult:
    """What :meth:`History.add` did: ``saved`` in the database (``session_id``,
    ``where`` = the database), or kept as a pending JSON file (``where``; None
    when even that failed) with ``message`` saying why in one line."""

    saved: bool
    where: Path | None = None
    session_id: int | None = None
    message: str | None = None

    def text(self) -> str:
        """One line for the user."""
        if self.saved:
            return f"saved in the history ({self.where})"
        return self.message or "not saved"


def _utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _error_name(e: BaseException) -> str:
    return getattr(e, "sqlite_errorname", "") or ""


def _is_damage(e: BaseException) -> bool:
    if not isinstance(e, sqlite3.DatabaseError) or isinstance(e, sqlite3.OperationalError):
        return False
    name = _error_name(e)
    if name:
        return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    text = str(e).lower()
    return "not a database" in text or "malformed" in text


def _why(e: BaseException) -> str:
    """A database problem in a few words."""
    name, text = _error_name(e), str(e).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text or "busy" in text:
        return "the history database is busy (locked by another program)"
    if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        return "the history database is read-only"
    if name.startswith("SQLITE_FULL") or "full" in text:
        return "the disk is full"
    if _is_damage(e):
        return "the history database is damaged"
    if isinstance(e, OSError):
        return f"the history folder cannot be used ({e.strerror or e})"
    first = str(e).splitlines()[0] if str(e) else type(e).__name__
    return f"the history database cannot be used ({first})"


def write_pending(folder: Path, record: SessionRecord) -> Path:
    """Write ``record`` as ``folder/<utc-stamp>-<random>.json``, atomically
    (a temporary file, synced, then renamed). Returns the path (OSError when
    it cannot be written)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{_utc_stamp()}-{secrets.token_hex(4)}.json"
    final = folder / name
    tmp = folder / f".{name}.tmp"
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            json.dump(record.to_dict(), f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    return final


def keep_pending(folder: Path, record: SessionRecord, why: str) -> SaveResult:
    """Keep ``record`` in ``folder`` for later (never raises); ``why``: the
    reason the database did not take it, a few words."""
    try:
        path = write_pending(folder, record)
    except OSError as e:
        return SaveResult(False, None, None, f"{why}, and the session could not be kept aside in {folder} either "
                                             f"({e.strerror or e}); it was not saved")
    return SaveResult(False, path, None, f"{why}; the session was kept in {path} and will be added to the "
                                         "history the next time it opens")


#: The kind of session that is not exercise (the desk monitor): no active day, no streak.
NOT_EXERCISE = "desk"


def _streaks(days: Sequence[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive days; the current one as of
    ``today``, still counting when the last active day is yesterday."""
    longest = run = current = 0
    prev: date | None = None
    for d in sorted(set(days)):
        run = run + 1 if prev is not None and d == prev + timedelta(days=1) else 1
        longest = max(longest, run)
        if d <= today:
            current = run if (today - d).days <= 1 else 0
        prev = d
    return current, longest


def _names(exercise: str | Sequence[str] | None) -> list[str] | None:
    if exercise is None:
        return None
    items = [exercise] if isinstance(exercise, str) else list(exercise)
    return [name_key(x) for x in items]


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join('?' * len(values))})"


class History:
    """The session history (see the module docstring). ``path``: the
    database (default ``data_dir()/history.sqlite3``); ``timeout``: how long
    a write waits for another writer. ``notice``: one line for the user, or
    None (a damaged database set aside, pending sessions added, the database
    busy). Reads raise :class:`HistoryError`; :meth:`add` never raises.
    Safe to share between threads."""

    def __init__(self, path: Path | str | None = None, *, timeout: float = BUSY_TIMEOUT_S):
        self.path = Path(path) if path is not None else data_dir() / DB_NAME
        self.pending_dir = self.path.parent / "pending"
        self.timeout = float(timeout)
        self.notice: str | None = None
        self._conn: sqlite3.Connection | None = None
        self._problem: str | None = None  # why the database cannot be used now
        self._lock = threading.RLock()
        notes: list[str] = []
        self._open(notes)
        self.notice = "; ".join(notes) or None

    # ------------------------------------------------------------------ opening

    def _open(self, notes: list[str]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self._unavailable(_why(e), notes)
            return
        for _ in range(2):
            try:
                self._conn = self._connect()
                break
            except _Damaged as d:
                try:
                    aside = self._set_aside()
                except OSError as e:
                    self._unavailable(f"the history database is damaged ({d}) and could not be set aside "
                                      f"({e.strerror or e})", notes)
                    return
                notes.append(f"the history database was damaged ({d}); it was kept as {aside} and a new one started")
            except (sqlite3.Error, OSError) as e:
                self._unavailable(_why(e), notes)
                return
        else:  # damaged again right after a new start: give up
            self._unavailable("the history database could not be started", notes)
            return
        n = self._import_pending()
        if n:
            notes.append(f"{n} session{'s' if n != 1 else ''} kept aside earlier "
                         f"{'were' if n != 1 else 'was'} added to the history")

    def _unavailable(self, why: str, notes: list[str]) -> None:
        self._problem = f"{why} ({self.path})"
        notes.append(f"{why}; new sessions are kept in {self.pending_dir} until it can be used")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), timeout=self.timeout, isolation_level=None, check_same_thread=False)
        try:
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA secure_delete = ON")  # deleted sessions are overwritten, not left in the file
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise HistoryError(f"{self.path} was written by a newer version of back-coach (history schema "
                                       f"{version}, this one knows up to {SCHEMA_VERSION}); update back-coach to "
                                       "use it")
                rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
                if rows != ["ok"]:
                    lines = [ln for r in rows for ln in r.splitlines() if ln.strip() and not ln.startswith("***")]
                    raise _Damaged(lines[0][:100] if lines else "the integrity check failed")
                self._use_wal(conn)
                self._migrate(conn)
            except sqlite3.DatabaseError as e:
                if _is_damage(e):
                    raise _Damaged(str(e).splitlines()[0] if str(e) else "damaged") from e
                raise
        except BaseException:
            conn.close()
            raise
        return conn

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        """Switch to the WAL journal. SQLite answers this pragma with SQLITE_BUSY at once,
        without waiting, while another program opens the same new database: try again
        until the busy timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as e:
                if not _why(e).startswith("the history database is busy") or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        with self._write(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # another program may have done it
            if version > SCHEMA_VERSION:
                raise HistoryError(f"{self.path} was written by a newer version of back-coach; update back-coach")
            for step in MIGRATIONS[version:]:
                for statement in step:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _set_aside(self) -> Path:
        """Rename the damaged database (and its -wal / -shm files) aside; returns the new path."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        n = 2
        while aside.exists():
            aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}-{n}")
            n += 1
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm"):
            extra = self.path.with_name(self.path.name + suffix)
            if extra.exists():
                try:
                    os.replace(extra, aside.with_name(aside.name + suffix))
                except OSError:
                    pass
        return aside

    @staticmethod
    @contextmanager
    def _write(conn: sqlite3.Connection) -> Iterator[None]:
        """One write transaction (taking the write lock at once, waiting up to the busy timeout)."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise

    # ------------------------------------------------------------------ writing

    def _insert(self, conn: sqlite3.Connection, record: SessionRecord, pending_name: str | None = None) -> int | None:
        """Insert one session in one transaction; with ``pending_name`` only
        if that pending file was not imported already (None then)."""
        with self._write(conn):
            if pending_name is not None:
                if conn.execute("SELECT 1 FROM pending_imports WHERE name = ?", (pending_name,)).fetchone():
                    return None
                conn.execute("INSERT INTO pending_imports (name, imported_at) VALUES (?, ?)",
                             (pending_name, datetime.now(timezone.utc).isoformat(timespec="seconds")))
            sid = conn.execute(
                "INSERT INTO sessions (kind, started_at, day, duration_s, routine, source, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (record.kind, record.started_at.isoformat(timespec="seconds"), record.day.isoformat(),
                 record.duration_s, record.routine, record.source, record.note)).lastrowid
            for i, r in enumerate(record.results):
                rid = conn.execute(
                    "INSERT INTO results (session_id, position, exercise, title, goal, unit, side, target, done, "
                    "good, longest_s, time_in_position_s, reached) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (sid, i, r.exercise, r.title, r.goal, r.unit, r.side, r.target, r.done, r.good, r.longest_s,
                     r.time_in_position_s, int(r.reached))).lastrowid
                conn.executemany("INSERT INTO faults (result_id, fault, time_s) VALUES (?, ?, ?)",
                                 [(rid, k, v) for k, v in r.faults.items()])
        return sid

    def add(self, record: SessionRecord) -> SaveResult:
        """Save a session. Never raises for a database or disk problem: the
        record is then kept as a pending JSON file (``saved=False``)."""
        if not isinstance(record, SessionRecord):
            raise TypeError("History.add() takes a SessionRecord (see record_from_reports)")
        with self._lock:
            if self._conn is None:
                return keep_pending(self.pending_dir, record, self._problem or "the history database is not open")
            try:
                sid = self._insert(self._conn, record)
            except (sqlite3.Error, OSError) as e:
                return keep_pending(self.pending_dir, record, _why(e))
        return SaveResult(True, self.path, sid, None)

    def _import_pending(self) -> int:
        """Add the pending files to the database (each removed once it is in); returns how many were added."""
        try:
            files = sorted(self.pending_dir.glob("*.json"))
        except OSError:
            return 0
        added = 0
        for f in files:
            try:
                record = SessionRecord.from_dict(json.loads(f.read_text(encoding="utf-8")))
            except FileNotFoundError:  # another program imported it meanwhile
                continue
            except OSError:
                continue
            except (ValueError, KeyError, TypeError, RecursionError):
                try:  # not a record: kept for a person to look at, not tried again
                    os.replace(f, f.with_name(f.name + ".unreadable"))
                except OSError:
                    pass
                continue
            try:
                with self._lock:
                    sid = self._insert(self._conn, record, pending_name=f.name)
            except (sqlite3.Error, OSError):
                break  # busy or full: the files stay for next time
            try:
                f.unlink()
            except OSError:
                pass
            added += sid is not None
        return added

    def delete_all(self) -> int:
        """Remove every session (and the pending ones); returns how many.
        The freed space is overwritten (``secure_delete``)."""
        conn = self._need()
        with self._lock:
            try:
                with self._write(conn):
                    n = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
                    conn.execute("DELETE FROM faults")
                    conn.execute("DELETE FROM results")
                    conn.execute("DELETE FROM sessions")
                    conn.execute("DELETE FROM pending_imports")
                try:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.Error:
                    pass
            except sqlite3.Error as e:
                raise HistoryError(f"{_why(e)}; nothing was deleted") from e
        for f in self._pending_files():
            try:
                f.unlink()
                n += 1
            except OSError:
                pass
        return n

    def _pending_files(self) -> list[Path]:
        try:
            return sorted(self.pending_dir.glob("*.json"))
        except OSError:
            return []

    # ------------------------------------------------------------------ reading

    def _need(self) -> sqlite3.Connection:
        if self._conn is None:
            raise HistoryError(self._problem or "the history database is closed")
        return self._conn

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every query in it sees the same snapshot."""
        conn = self._need()
        with self._lock:
            try:
                conn.execute("BEGIN")
                try:
                    yield conn
                finally:
                    if conn.in_transaction:
                        conn.execute("COMMIT")
            except sqlite3.Error as e:
                raise HistoryError(_why(e)) from e

    def pending_count(self) -> int:
        """Sessions kept aside, waiting for the database."""
        return len(self._pending_files())

    def count(self) -> int:
        with self._reading() as conn:
            return conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]

    def sessions(self, exercise: str | Sequence[str] | None = None, limit: int | None = None) -> list[dict]:
        """Sessions, newest first: {id, kind, started_at (ISO, UTC), day
        (local date, ISO), duration_s, routine, source, note, results: [...]}.
        With ``exercise``: the sessions that did it, with only its results.
        Each result has its ``faults`` ({name: seconds})."""
        names = _names(exercise)
        where, params = "", []
        if names:
            where = f"WHERE id IN (SELECT session_id FROM results WHERE {_in('exercise', names)})"
            params += names
        sql = (f"SELECT id, kind, started_at, day, duration_s, routine, source, note FROM sessions {where} "
               "ORDER BY started_at DESC, id DESC")
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        cols = ("id", "kind", "started_at", "day", "duration_s", "routine", "source", "note")
        with self._reading() as conn:
            out = [dict(zip(cols, row), results=[]) for row in conn.execute(sql, params)]
            by_id = {s["id"]: s for s in out}
            if not by_id:
                return out
            rwhere = f" AND {_in('r.exercise', names)}" if names else ""
            chosen = f"SELECT id FROM ({sql})"
            rcols = ("id", "session_id", "exercise", "title", "goal", "unit", "side", "target", "done", "good",
                     "longest_s", "time_in_position_s", "reached")
            results = {}
            for row in conn.execute(
                    f"SELECT {', '.join('r.' + c for c in rcols)} FROM results r WHERE r.session_id IN ({chosen})"
                    f"{rwhere} ORDER BY r.session_id, r.position", params + (names or [])):
                r = dict(zip(rcols, row))
                r["reached"] = bool(r["reached"])
                r["faults"] = {}
                results[r.pop("id")] = r
                by_id[r.pop("session_id")]["results"].append(r)
            for rid, fault, time_s in conn.execute(
                    f"SELECT f.result_id, f.fault, f.time_s FROM faults f JOIN results r ON r.id = f.result_id "
                    f"WHERE r.session_id IN ({chosen}){rwhere} ORDER BY f.fault", params + (names or [])):
                if rid in results:
                    results[rid]["faults"][fault] = time_s
        return out

    def results(self, exercise: str | Sequence[str] | None = None) -> list[dict]:
        """Every result as a flat row (:data:`RESULT_COLUMNS`), newest session first."""
        names = _names(exercise)
        where = f"WHERE {_in('r.exercise', names)}" if names else ""
        sql = ("SELECT s.id, s.started_at, s.day, s.kind, s.routine, r.exercise, r.title, r.goal, r.unit, r.side, "
               "r.target, r.done, r.good, r.longest_s, r.time_in_position_s, r.reached "
               f"FROM results r JOIN sessions s ON s.id = r.session_id {where} "
               "ORDER BY s.started_at DESC, s.id DESC, r.position")
        with self._reading() as conn:
            rows = [dict(zip(RESULT_COLUMNS, row)) for row in conn.execute(sql, names or [])]
        for r in rows:
            r["reached"] = bool(r["reached"])
        return rows

    def fault_rows(self, exercise: str | Sequence[str] | None = None) -> list[dict]:
        """Fault time per result: {session_id, started_at, day, exercise, fault, time_s}, newest first."""
        names = _names(exercise)
        where = f"WHERE {_in('r.exercise', names)}" if names else ""
        cols = ("session_id", "started_at", "day", "exercise", "fault", "time_s")
        sql = ("SELECT s.id, s.started_at, s.day, r.exercise, f.fault, f.time_s FROM faults f "
               f"JOIN results r ON r.id = f.result_id JOIN sessions s ON s.id = r.session_id {where} "
               "ORDER BY s.started_at DESC, s.id DESC, r.position, f.fault")
        with self._reading() as conn:
            return [dict(zip(cols, row)) for row in conn.execute(sql, names or [])]

    def exercises(self) -> list[str]:
        """The exercises recorded, most recently done first."""
        with self._reading() as conn:
            rows = conn.execute("SELECT r.exercise, MAX(s.started_at) AS last FROM results r "
                                "JOIN sessions s ON s.id = r.session_id GROUP BY r.exercise "
                                "ORDER BY last DESC").fetchall()
        return [r[0] for r in rows]

    def best(self, exercise: str | Sequence[str], side: str | None = None, goal: str | None = None) -> float | None:
        """The best single result's ``done`` for the exercise(s) (on ``side``,
        for the goal named ``goal``: "hold", "reps", ...), or None."""
        names = _names(exercise) or []
        if not names:
            return None
        sql, params = f"SELECT MAX(done) FROM results WHERE {_in('exercise', names)}", list(names)
        if side is not None:
            sql += " AND side = ?"
            params.append(side)
        if goal is not None:
            sql += " AND goal = ?"
            params.append(goal)
        with self._reading() as conn:
            value = conn.execute(sql, params).fetchone()[0]
        return None if value is None else float(value)

    def days(self) -> list[date]:
        """The local dates with at least one exercise session, oldest first
        (a desk posture session is not exercise: it makes no active day)."""
        with self._reading() as conn:
            rows = conn.execute("SELECT DISTINCT day FROM sessions WHERE kind != ? ORDER BY day",
                                (NOT_EXERCISE,)).fetchall()
        return [date.fromisoformat(r[0]) for r in rows]

    def streak(self, today: date | None = None) -> tuple[int, int]:
        """(current, longest) run of consecutive active (exercise) days. The current run
        still counts when the last active day is yesterday (today is not over)."""
        return _streaks(self.days(), today or date.today())

    def to_csv(self, exercise: str | Sequence[str] | None = None) -> str:
        """Every result row as CSV (one header line; the columns of
        :meth:`results` and "faults": ``name=seconds; ...``)."""
        rows = self.sessions(exercise)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([*RESULT_COLUMNS, "faults"])
        for s in rows:
            for r in s["results"]:
                row = {"session_id": s["id"], **{k: s[k] for k in ("started_at", "day", "kind", "routine")}, **r}
                row["routine"] = row["routine"] or ""
                row["target"] = "" if row["target"] is None else row["target"]
                faults = "; ".join(f"{k}={v:g}" for k, v in r["faults"].items())
                w.writerow([*(row[c] for c in RESULT_COLUMNS), faults])
        return buf.getvalue()

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
                self._problem = "the history is closed"

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"History({str(self.path)!r})"


def save_record(record: SessionRecord, path: Path | str | None = None, notify=None) -> SaveResult:
    """Open the history, add ``record`` and close it; never raises for a
    database problem (not even a database from a newer back-coach): the
    record is then kept as a pending file. ``notify(line)`` is given the
    history's :attr:`History.notice`, if any."""
    try:
        with History(path) as h:
            if h.notice and notify is not None:
                notify(h.notice)
            return h.add(record)
    except HistoryError as e:
        db = Path(path) if path is not None else data_dir() / DB_NAME
        return keep_pending(db.parent / "pending", record, str(e))


def plan_from_history(routine, notify: Callable[[str], None]):
    """Today's plan of a routine (:func:`coach.engine.routines.plan`), its
    targets grown from the person's recorded best; with the first-time
    targets when the history cannot be read (``notify(line)`` says why, and
    gives the history's :attr:`History.notice`). The history is closed again."""
    from coach.engine.routines import plan

    try:
        with History() as h:
            if h.notice:
                notify(h.notice)
            return plan(routine, h.best)
    except (HistoryError, OSError) as e:
        notify(f"your history cannot be read, so today's targets are the first-time ones: {e}")
        return plan(routine, None)


__all__ = ["History", "HistoryError", "SaveResult", "NOT_EXERCISE", "data_dir", "save_record", "plan_from_history", "write_pending", "keep_pending",
           "MIGRATIONS", "SCHEMA_VERSION", "DB_NAME", "RESULT_COLUMNS", "BUSY_TIMEOUT_S"]
