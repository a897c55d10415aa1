"""Engine and sessions. SQLite gets WAL and a busy timeout; writes are serialized by a
process-wide lock so that tail latency stays bounded (SQLite has one writer anyway)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
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


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.Lock() if url.startswith("sqlite") else None

    @contextmanager
    def transaction(self):
        """One unit of work: commit on success, roll back on error."""
        lock = self._write_lock
        if lock:
            lock.acquire()
        try:
            with self.sessions() as session, session.begin():
                yield session
        finally:
            if lock:
                lock.release()

    @contextmanager
    def read(self):
        with self.sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
