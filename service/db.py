"""Engine and sessions.

SQLite gets WAL and a busy timeout, and its write transactions are queued: first on a
process-wide lock, then on an exclusive ``flock`` of a file beside the database, which
every worker process shares. SQLite has one writer anyway; without the queue a waiting
writer sleeps in SQLite's busy handler (1, 2, 5, 10 … 100 ms steps) and may wake long
after the lock was free, so tail latency grows with the number of workers. ``flock``
hands the lock to the next waiter as soon as it is released, and is released by the
kernel if the holder dies (SIGKILL included). PostgreSQL needs neither: row locks do it.

The service also copies SQLite's write-ahead log back into the database file from a thread
of its own (`Checkpointer`) instead of inside whichever commit crosses SQLite's 1,000-page
mark: that commit paid for copying and two fsyncs, about 5 ms every twenty intakes (p99 of
a commit 5.8 ms, mean 0.31 ms; 0.12 ms with the checkpoints moved out).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker


log = logging.getLogger(__name__)

# With checkpoints in the background, commits still checkpoint once the log passes this
# many pages (64 MB): a safety net should the background thread fall behind or stop.
BACKGROUND_WAL_LIMIT = 16384
CHECKPOINT_SECONDS = 1.0


def make_engine(url: str, *, wal_autocheckpoint: int | None = None) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            if wal_autocheckpoint is not None:
                cur.execute(f"PRAGMA wal_autocheckpoint={int(wal_autocheckpoint)}")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class _FileLock:
    """An exclusive ``flock`` on one file, shared by every process using the database."""

    def __init__(self, path: str):
        self.path = path
        self._fd: int | None = None
        self._guard = threading.Lock()

    def _fileno(self) -> int:
        with self._guard:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            return self._fd

    def acquire(self) -> None:
        fcntl.flock(self._fileno(), fcntl.LOCK_EX)  # blocks without holding the GIL

    def release(self) -> None:
        fcntl.flock(self._fileno(), fcntl.LOCK_UN)

    def close(self) -> None:
        with self._guard:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class Checkpointer:
    """Copies an SQLite database's write-ahead log back into the file every ``seconds``,
    from a daemon thread with a connection of its own (PASSIVE: it never waits for, nor
    blocks, readers and writers; SQLite releases the GIL while it copies and syncs). Every
    process of the service runs one; when two meet, one finds the log busy and skips."""

    def __init__(self, path: str, seconds: float = CHECKPOINT_SECONDS):
        self.path, self.seconds = path, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=5, check_same_thread=False)
        try:
            while not self._stop.wait(self.seconds):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # the commits' own checkpoints still run
                    log.warning("background checkpoint failed: %s", exc)
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _sqlite_file(url: str) -> str | None:
    database = make_url(url).database
    return None if not database or database == ":memory:" else database


class Database:
    """``background_checkpoints``: a long-running process (the service) checkpoints an
    SQLite file from a thread (`Checkpointer`) rather than inside commits."""

    def __init__(self, url: str, *, background_checkpoints: bool = False):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        path = _sqlite_file(url) if self.is_sqlite else None
        background = background_checkpoints and path is not None
        self.engine = make_engine(url, wal_autocheckpoint=BACKGROUND_WAL_LIMIT if background else None)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._file_lock = _FileLock(path + "-writelock") if path else None
        self._checkpointer = Checkpointer(path) if background else None

    @contextmanager
    def transaction(self):
        """One unit of work: commit on success, roll back on error. On SQLite it waits its
        turn among all writers of all processes first (see the module docstring)."""
        lock, file_lock = self._write_lock, self._file_lock
        if lock:
            lock.acquire()
        try:
            if file_lock:
                file_lock.acquire()
            try:
                with self.sessions() as session, session.begin():
                    yield session
            finally:
                if file_lock:
                    file_lock.release()
        finally:
            if lock:
                lock.release()

    @contextmanager
    def read(self):
        with self.sessions() as session:
            yield session

    def dispose(self) -> None:
        if self._checkpointer:
            self._checkpointer.stop()
        self.engine.dispose()
        if self._file_lock:
            self._file_lock.close()
