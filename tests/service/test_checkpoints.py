"""The service copies SQLite's write-ahead log back into the database file from a thread of
its own, so that no intake's commit pays for a checkpoint; commits still checkpoint should
the log grow past the safety limit."""

import os
import time

from sqlalchemy import text

from service.db import BACKGROUND_WAL_LIMIT, Database


def _write(db: Database, rows: int) -> None:
    with db.transaction() as s:
        s.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT)"))
    for i in range(rows // 50):
        with db.transaction() as s:  # one commit per 50 rows of ~1 KB: ~500 pages in all
            s.execute(text("INSERT INTO filler (body) VALUES (:b)"),
                      [{"b": f"{i}-{j} " + "phản ánh " * 110} for j in range(50)])


def _db_file_grows(path: str, at_least: int, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if os.path.getsize(path) >= at_least:
            return True
        time.sleep(0.1)
    return False


def test_the_background_thread_checkpoints_and_commits_do_not(tmp_path):
    path = str(tmp_path / "bg.db")
    db = Database(f"sqlite:///{path}", background_checkpoints=True)
    try:
        with db.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKGROUND_WAL_LIMIT
        _write(db, 2000)
        # ~2 MB went to the log; the thread copies it into the file within its period
        assert _db_file_grows(path, 1_500_000, seconds=5)
    finally:
        db.dispose()


def test_without_the_thread_the_log_waits_for_sqlites_own_checkpoint(tmp_path):
    path = str(tmp_path / "fg.db")
    db = Database(f"sqlite:///{path}")
    try:
        _write(db, 2000)  # under SQLite's 1,000-page mark: nothing is copied back yet
        assert not _db_file_grows(path, 1_500_000, seconds=2)
        assert os.path.getsize(path + "-wal") >= 1_500_000
    finally:
        db.dispose()
