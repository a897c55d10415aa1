"""The duplicate index in the database: a :class:`triage.dedup.KeyStore` over three indexed
tables, used inside the intake transaction, so every process and restart sees the same
index (nothing correctness needs lives in one process's memory).

At a million items a few keys are carried by thousands of items (a common name, an amount,
a stock phrase); reading all their postings would make every lookup slow. So, like the
in-memory store, a key stops collecting postings once ``stop_after`` items carry it, and
``dedup_key_count`` says which keys are that common. A lookup then reads:

- every posting of the keys that are not common (at most ``stop_after`` each);
- only the earliest ``sample`` postings of a common key (the first items of a case that is
  reported again and again are there);
- the postings of one extra key, the item's *exact* key (a hash of its whole key set), with
  a heavy weight: an exact re-submission is found even when all its other keys are common.

Keys are opaque strings to this module; they are stored as 64-bit hashes (blake2b), which
are stable across processes and versions and must never change.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np
import orjson
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from service.models import DedupItem
from triage.dedup import CaseSignature

STOP_AFTER = 300   # postings kept per key (the in-memory store's cap too)
SAMPLE = 8         # postings of a common key still read
EXACT_WEIGHT = 100  # an item with the same exact key ranks before any partial match


def key_hash(key: str) -> int:
    """A key as a signed 64-bit integer (stored: never change this function)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def exact_key(keys: Iterable[str]) -> int:
    """One key for the whole key set: the same text sent again has the same key set."""
    return key_hash("\x00exact\x00" + "\x1f".join(sorted(set(keys))))


_loads = orjson.loads

# Parsed signatures by (database, feedback id), shared by the process's requests (ids are
# unique within one database only: tests and benchmarks reuse them): a stored signature
# never changes (only an item's cluster does, by review, and clusters are never cached
# across transactions), so this is a cache of immutable data; every process still reads
# the index from the database and merely skips re-decoding JSON it has decoded before.
SIGNATURE_CACHE_SIZE = 50_000
_signatures: OrderedDict[tuple[str, str], CaseSignature] = OrderedDict()
_signatures_lock = threading.Lock()


def _parsed(key: tuple[str, str], sig: str | dict) -> CaseSignature:
    with _signatures_lock:
        hit = _signatures.get(key)
        if hit is not None:
            _signatures.move_to_end(key)
            return hit
    parsed = CaseSignature.from_dict(_loads(sig) if isinstance(sig, str) else sig)
    with _signatures_lock:
        _signatures[key] = parsed
        if len(_signatures) > SIGNATURE_CACHE_SIZE:
            _signatures.popitem(last=False)
    return parsed


def _hashes(keys: list[str]) -> tuple[list[int], int]:
    return list(dict.fromkeys(key_hash(k) for k in keys)), exact_key(keys)


# PostgreSQL: the lookup and the insert as one statement text each, the keys as array
# parameters, so that every connection prepares them once (psycopg prepares a statement on
# its fifth use) instead of parsing and planning a new text for each item: the key counts'
# read went from 0.55 to 0.27 ms. SQLite has no arrays: there the key hashes go in as one
# JSON array parameter read by json_each, so that the statement texts are fixed too and the
# driver's statement cache skips compiling them (with the hashes written into the text,
# compiling cost more than running: key counts 0.10 -> 0.07 ms, their upsert 0.25 -> 0.16).
_SQLITE_COUNTS = "SELECT key, n FROM dedup_key_count WHERE key IN (SELECT value FROM json_each(?))"
_SQLITE_COUNT_UP = ("INSERT INTO dedup_key_count (key, n) SELECT value, 1 FROM json_each(?) WHERE true "
                    "ON CONFLICT (key) DO UPDATE SET n = dedup_key_count.n + 1 RETURNING key, n")
_SQLITE_POST = "INSERT INTO dedup_posting (key, item) SELECT value, ? FROM json_each(?)"
_PG_COUNTS = "SELECT key, n FROM dedup_key_count WHERE key = ANY(%(k)s::bigint[])"
_PG_CANDIDATES = (
    "SELECT d.feedback_id, CAST(d.signature AS TEXT), d.cluster FROM "
    "(SELECT item, sum(w) AS score FROM ("
    "SELECT item, 1 AS w FROM dedup_posting WHERE key = ANY(%(rare)s::bigint[]) "
    "UNION ALL SELECT x.item, s.w FROM unnest(%(sk)s::bigint[], %(sw)s::int[]) AS s(key, w) "
    "CROSS JOIN LATERAL (SELECT item FROM dedup_posting p WHERE p.key = s.key "
    "ORDER BY item LIMIT %(sample)s) AS x) AS hits "
    "GROUP BY item HAVING sum(w) >= %(min)s ORDER BY score DESC, item LIMIT %(limit)s) AS top "
    "JOIN dedup_item d ON d.id = top.item ORDER BY top.score DESC, top.item")
_PG_ADD = (
    "WITH it AS (INSERT INTO dedup_item (feedback_id, signature, cluster) "
    "VALUES (%(f)s, %(s)s::json, %(c)s) RETURNING id), "
    "up AS (INSERT INTO dedup_key_count (key, n) SELECT k, 1 FROM unnest(%(k)s::bigint[]) AS k "
    "ORDER BY k ON CONFLICT (key) DO UPDATE SET n = dedup_key_count.n + 1 RETURNING key, n) "
    "INSERT INTO dedup_posting (key, item) SELECT up.key, it.id FROM up, it WHERE up.n <= %(cap)s")


class SqlKeyStore:
    """Plain SQL on the hot path (a lookup is two statements, an insert one on PostgreSQL,
    three on SQLite): at a million items SQLAlchemy's statement building and JSON decoding
    would cost more than the database. The key hashes are parameters of fixed statements:
    arrays on PostgreSQL (`_PG_COUNTS`, `_PG_CANDIDATES`, `_PG_ADD`), one JSON array on
    SQLite (`_SQLITE_COUNTS` …); only the few sampled common keys and the limits, integers
    computed here, are written into SQLite's lookup text. Text values are always bound
    parameters."""

    def __init__(self, session: Session, *, stop_after: int = STOP_AFTER, sample: int = SAMPLE):
        self.session = session
        self.stop_after = stop_after
        self.sample = sample
        self._cache: dict[str, tuple[str | dict, str]] = {}
        self._counts: dict[int, int] = {}  # read by the last lookup, reused by `add`
        self._new: set[str] = set()  # clusters started by an item added here (size 1)
        bind = session.get_bind()
        self._database = str(bind.url)
        self._pg = bind.dialect.name == "postgresql"
        self._cursor = None
        self._hashed: tuple[tuple[str, ...], tuple[list[int], int]] | None = None

    def _sql(self, sql: str, params=()):
        """Run one statement on the session's own DBAPI connection, in its transaction (a
        cursor of the driver: SQLAlchemy's execution layer costs more per statement than
        these index statements themselves); returns the cursor."""
        if self._cursor is None:
            self._cursor = self.session.connection().connection.driver_connection.cursor()
        self._cursor.execute(sql, params)
        return self._cursor

    def _hashes(self, keys: list[str]) -> tuple[list[int], int]:
        """`_hashes` of the key set, kept for the next call: a lookup and then the insert
        of the same item hash the same keys."""
        k = tuple(keys)
        if self._hashed is None or self._hashed[0] != k:
            self._hashed = (k, _hashes(keys))
        return self._hashed[1]

    def _read_counts(self, hashes: list[int]) -> dict[int, int]:
        missing = [h for h in hashes if h not in self._counts]
        if missing:
            self._counts.update({h: 0 for h in missing})
            if self._pg:
                rows = self._sql(_PG_COUNTS, {"k": missing})
            else:
                rows = self._sql(_SQLITE_COUNTS, (_json_ints(missing),))
            self._counts.update(rows.fetchall())
        return self._counts

    def candidates(self, keys: list[str], *, limit: int, min_hits: int = 1) -> list[str]:
        """Items sharing the most keys (common keys sampled, the exact key weighing most);
        their signatures come in the same statement."""
        if not keys:
            return []
        hashes, exact = self._hashes(keys)
        counts = self._read_counts(hashes + [exact])
        rare = [h for h in hashes if h != exact and 0 < counts[h] <= self.stop_after]
        sampled = [(h, 1) for h in hashes if h != exact and counts[h] > self.stop_after]
        if counts[exact]:
            sampled.append((exact, EXACT_WEIGHT))
        if not rare and not sampled:
            return []
        if self._pg:
            rows = self._sql(_PG_CANDIDATES, {
                "rare": rare, "sk": [h for h, _ in sampled], "sw": [w for _, w in sampled],
                "sample": int(self.sample), "min": int(min_hits), "limit": int(limit)}).fetchall()
        else:
            sql, params = _sqlite_candidates(rare, sampled, sample=self.sample,
                                             min_hits=min_hits, limit=limit)
            rows = self._sql(sql, params).fetchall()
        for fid, sig, cluster in rows:
            self._cache[fid] = (sig, cluster)
        return [r[0] for r in rows]

    def add(self, item_id: str, keys: list[str], signature: CaseSignature, cluster: str) -> None:
        """Store the item; count its keys and post it under those not yet common. Keys
        already common are left alone: no write, no row lock on a hot counter."""
        sig = _dumps(signature.to_dict())
        self._cache[item_id] = (sig, cluster)
        if cluster == f"c-{item_id}":
            # the index names a new cluster after its first item; the item id is new (the
            # insert below fails otherwise), so nothing else is in that cluster yet
            self._new.add(cluster)
        hashes, exact = self._hashes(keys)
        # An item with no key at all (symbols only) is stored but posted nowhere: no lookup
        # asks for an empty key set, and its exact key would pool every such item together.
        keyed = [*hashes, exact] if keys else []
        counts = self._read_counts(keyed)
        growing = sorted({h for h in keyed if counts[h] <= self.stop_after})  # writers lock in one order
        if self._pg:  # with no key still growing, the statement stores the item alone
            self._sql(_PG_ADD, {"f": item_id, "s": sig, "c": cluster, "k": growing,
                                "cap": int(self.stop_after)})
            for h in growing:
                self._counts[h] += 1
            return
        item = self._sql("INSERT INTO dedup_item (feedback_id, signature, cluster) VALUES (?, ?, ?)",
                         (item_id, sig, cluster)).lastrowid
        if not growing:
            return
        now = dict(self._sql(_SQLITE_COUNT_UP, (_json_ints(growing),)).fetchall())
        self._counts.update(now)
        posted = [h for h in growing if now[h] <= self.stop_after]
        if posted:
            self._sql(_SQLITE_POST, (int(item), _json_ints(posted)))

    def signature(self, item_id: str) -> CaseSignature | None:
        if item_id in self._cache:
            sig = self._cache[item_id][0]
        else:
            sig = self.session.scalar(select(DedupItem.signature).where(DedupItem.feedback_id == item_id))
            if sig is None:
                return None
        return _parsed((self._database, item_id), sig)

    def cluster_of(self, item_id: str) -> str | None:
        if item_id in self._cache:
            return self._cache[item_id][1]
        return self.session.scalar(select(DedupItem.cluster).where(DedupItem.feedback_id == item_id))

    def cluster_size(self, cluster: str) -> int:
        if cluster in self._new:
            return 1
        sql = ("SELECT count(*) FROM dedup_item WHERE cluster = %(c)s" if self._pg
               else "SELECT count(*) FROM dedup_item WHERE cluster = ?")
        return self._sql(sql, {"c": cluster} if self._pg else (cluster,)).fetchone()[0]

    def __len__(self) -> int:
        return self.session.scalar(select(func.count()).select_from(DedupItem)) or 0


def _sqlite_candidates(rare: list[int], sampled: list[tuple[int, int]], *, sample: int,
                       min_hits: int, limit: int) -> tuple[str, tuple]:
    """`_PG_CANDIDATES` for SQLite, with its parameters: every posting of the ``rare`` keys
    (a JSON array parameter), the first ``sample`` of each ``(key, weight)`` in ``sampled``
    (integers written into the text: such keys are few, and none for most items, whose
    statement text is then always the same)."""
    parts = (["SELECT item, 1 AS w FROM dedup_posting WHERE key IN (SELECT value FROM json_each(?))"]
             if rare else [])
    parts += [f"SELECT item, {int(w)} AS w FROM (SELECT item FROM dedup_posting WHERE key = {int(h)} "
              f"ORDER BY item LIMIT {int(sample)}) AS s{i}" for i, (h, w) in enumerate(sampled)]
    sql = ("SELECT d.feedback_id, CAST(d.signature AS TEXT), d.cluster FROM "
           f"(SELECT item, sum(w) AS score FROM ({' UNION ALL '.join(parts)}) AS hits "
           f"GROUP BY item HAVING sum(w) >= {int(min_hits)} ORDER BY score DESC, item "
           f"LIMIT {int(limit)}) AS top "
           "JOIN dedup_item d ON d.id = top.item ORDER BY top.score DESC, top.item")
    return sql, ((_json_ints(rare),) if rare else ())


def _json_ints(xs: Iterable[int]) -> str:
    return "[" + ",".join(str(int(x)) for x in xs) + "]"


def _dumps(obj: dict) -> str:
    return orjson.dumps(obj).decode()


def capped_postings(items: np.ndarray, hashes: np.ndarray, *, stop_after: int = STOP_AFTER
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What adding the items one by one in id order would leave, computed at once:
    (count keys, counts, posting keys, posting items), postings sorted by (key, item) and
    each key's postings cut after its first ``stop_after`` items. A count stops one past
    the cap, as `SqlKeyStore.add` stops counting a key once it is common."""
    order = np.lexsort((items, hashes))
    k, it = hashes[order], items[order]
    keys, first, counts = np.unique(k, return_index=True, return_counts=True)
    rank = np.arange(len(k)) - np.repeat(first, counts)
    keep = rank < stop_after
    return keys, np.minimum(counts, stop_after + 1), k[keep], it[keep]


def bulk_load(conn: Connection, rows: Iterable[tuple[int, str, str, str]],
              items: np.ndarray, hashes: np.ndarray, *, stop_after: int = STOP_AFTER) -> None:
    """Load a whole index at once (benchmarks, rebuilds): ``rows`` are (id, feedback_id,
    signature JSON text, cluster) with ids 1, 2, ... in arrival order; ``items`` and
    ``hashes`` are parallel arrays of (id, key hash), the exact keys included. PostgreSQL
    gets COPY, SQLite one executemany per table, in the caller's transaction."""
    ckeys, counts, pkeys, pitems = capped_postings(items, hashes, stop_after=stop_after)
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur:
            with cur.copy("COPY dedup_item (id, feedback_id, signature, cluster) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
            for table, a, b in (("dedup_key_count (key, n)", ckeys, counts),
                                 ("dedup_posting (key, item)", pkeys, pitems)):
                with cur.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as cp:
                    for start in range(0, max(len(a), 1), 1_000_000):
                        cp.write(_binary_rows(a[start:start + 1_000_000], b[start:start + 1_000_000],
                                              header=start == 0, trailer=start + 1_000_000 >= len(a)))
            cur.execute("SELECT setval(pg_get_serial_sequence('dedup_item', 'id'), "
                        "(SELECT coalesce(max(id), 0) + 1 FROM dedup_item), false)")
            cur.execute("ANALYZE dedup_item; ANALYZE dedup_posting; ANALYZE dedup_key_count")
        return
    cur = raw.cursor()
    cur.executemany("INSERT INTO dedup_item (id, feedback_id, signature, cluster) VALUES (?, ?, ?, ?)",
                    rows)
    cur.executemany("INSERT INTO dedup_key_count (key, n) VALUES (?, ?)",
                    zip(ckeys.tolist(), counts.tolist()))
    cur.executemany("INSERT INTO dedup_posting (key, item) VALUES (?, ?)",
                    zip(pkeys.tolist(), pitems.tolist()))
    cur.execute("ANALYZE")
    cur.close()


_BIN_ROW = np.dtype([("fields", ">i2"), ("len_a", ">i4"), ("a", ">i8"), ("len_b", ">i4"), ("b", ">i4")])


def _binary_rows(a: np.ndarray, b: np.ndarray, *, header: bool, trailer: bool) -> bytes:
    """(BIGINT, INTEGER) rows in PostgreSQL's binary COPY format, built by numpy."""
    rows = np.empty(len(a), dtype=_BIN_ROW)
    rows["fields"], rows["len_a"], rows["a"], rows["len_b"], rows["b"] = 2, 8, a, 4, b
    head = b"PGCOPY\n\xff\r\n\x00" + bytes(8) if header else b""
    return head + rows.tobytes() + (b"\xff\xff" if trailer else b"")
