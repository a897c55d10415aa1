"""Engine and sessions.

SQLite gets WAL and a busy timeout, and its write transactions are queued: first on a
process-wide lock, then on an exclusive ``flock`` of a file beside the database, which
every worker process shares. SQLite has one writer anyway; without the queue a waiting
writer sleeps in SQLite's busy handler (1, 2, 5, 10 … 100 ms steps) and may wake long
after the lock was free, so tail latency grows with the number of workers. ``flock``
hands the lock to the next waiter as soon as it is released, and is released by the
kernel if the holder dies (SIGKILL included). PostgreSQL needs neither: row locks do it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
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


def _sqlite_file(url: str) -> str | None:
    database = make_url(url).database
    return None if not database or database == ":memory:" else database


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.is_sqlite = url.startswith("sqlite")
        self._write_lock = threading.Lock() if self.is_sqlite else None
        path = _sqlite_file(url) if self.is_sqlite else None
        self._file_lock = _FileLock(path + "-writelock") if path else None

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
        self.engine.dispose()
        if self._file_lock:
            self._file_lock.close()
