"""The session history: every live session and routine, and the reviewed
clips the user chooses to keep, as numbers in a local SQLite database
(:mod:`coach.history.store`), made from the engine's reports
(:mod:`coach.history.records`). No video is ever stored.

This package depends on :mod:`coach.core`, :mod:`pose_rules` and
:mod:`coach.engine` only; the CLI and the app's History page use it.
"""
from __future__ import annotations

from .records import KINDS, ExerciseResult, SessionRecord, describe_result, record_from_reports
from .store import (DB_NAME, RESULT_COLUMNS, SCHEMA_VERSION, History, HistoryError, SaveResult, data_dir,
                    plan_from_history, save_record)

__all__ = ["History", "HistoryError", "SessionRecord", "ExerciseResult", "SaveResult", "record_from_reports",
           "data_dir", "save_record", "plan_from_history", "describe_result", "KINDS", "DB_NAME", "RESULT_COLUMNS", "SCHEMA_VERSION"]
