"""SQLite writers queue on one lock shared by every process (a flock beside the database):
a second writer starts only when the first has committed, and is let in at once then."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from service.db import Database
from service.migrate import migrate


def test_sqlite_writers_of_two_databases_take_turns(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    migrate(url)
    first, second = Database(url), Database(url)   # as two worker processes would
    events: list[tuple[str, float]] = []
    inside = threading.Event()

    def hold():
        with first.transaction() as s:
            s.execute(text("INSERT INTO api_key (id, key_hash, role, created_at) "
                           "VALUES ('a', 'h1', 'intake', CURRENT_TIMESTAMP)"))
            inside.set()
            time.sleep(0.3)
            events.append(("first commits", time.monotonic()))

    t = threading.Thread(target=hold)
    t.start()
    inside.wait(5)
    with second.transaction() as s:
        events.append(("second starts", time.monotonic()))
        assert s.execute(text("SELECT count(*) FROM api_key")).scalar_one() == 1
    t.join()
    first.dispose()
    second.dispose()
    assert [e for e, _ in events] == ["first commits", "second starts"]
    assert events[1][1] - events[0][1] < 0.2   # handed over, not found by polling later
