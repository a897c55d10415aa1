"""The periodic report at scale: N synthetic items over two years (every column the report
reads filled in, with suggestions, reviews and duplicate clusters), then the median time of

- ``count``: ``SELECT count(*)`` of the quarter's items (the least any report must do),
- ``report``: the whole report for the quarter, national and for one province,
- ``load``: fetching the quarter's rows into Python (what a report counted outside the
  database would start with),

as ratios against ``count``. Run: ``.venv/bin/python benchmarks/report.py [--items N]
[--database-url URL]`` (a new SQLite file by default; a PostgreSQL database is emptied).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHANNELS = ["hom_thu", "email", "duong_day_nong", "tiep_xuc_cu_tri", "don_thu", "bao_chi",
            "truc_tiep"]
STATUSES = ["new", "new", "new", "in_review", "reviewed", "forwarded", "closed", "closed"]
TRACKS = ["gop_y", "phan_anh", "phan_anh", "kien_nghi", "khieu_nai", "to_cao"]
LEVELS = ["khẩn cấp", "cao", "trung bình", "thấp"]


def seed(url: str, n: int, rng: random.Random) -> None:
    from sqlalchemy import create_engine, insert, text

    from service.localities import _tables
    from service.migrate import migrate
    from service.models import Base, Feedback, Review, Suggestion
    from triage.taxonomy import load_taxonomy

    if not url.startswith("sqlite"):
        engine = create_engine(url)
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()
    migrate(url)
    codes = list(load_taxonomy().categories)
    provinces, wards = _tables()
    localities = sorted(provinces) + [f"{p}.{w}" for w, p in sorted(wards.items())[:400]]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    engine = create_engine(url)
    batch = 5000
    with engine.begin() as conn:
        for lo in range(0, n, batch):
            items, suggestions, reviews = [], [], []
            for i in range(lo, min(n, lo + batch)):
                received = start + timedelta(seconds=rng.randrange(730 * 86400))
                status = rng.choice(STATUSES)
                reviewed = status in ("reviewed", "forwarded", "closed")
                picked = rng.sample(codes, 2)
                at = received + timedelta(hours=rng.randrange(1, 400))
                fid = f"b{i:09d}"
                items.append({
                    "id": fid, "tracking_code": f"B{i:09d}", "text_raw": "x", "status": status,
                    "channel": rng.choice(CHANNELS), "locality": rng.choice(localities),
                    "received_at": received, "created_at": received, "version": 1,
                    "track": rng.choice(TRACKS), "priority_level": rng.choice(LEVELS),
                    "priority": rng.random() * 5,
                    "due_at": (received + timedelta(days=14)).date(),
                    "cluster": f"c-b{rng.randrange(max(0, i - 50), i + 1):09d}" if i % 9 == 0
                    else f"c-{fid}",
                    "final_codes": picked if reviewed else None,
                    "reviewed_at": at if reviewed else None})
                suggestions += [{"feedback_id": fid, "model_id": "m", "code": c, "score": 0.5,
                                 "rank": r, "suggested": True} for r, c in enumerate(picked)]
                if reviewed:
                    reviews.append({"feedback_id": fid, "reviewer": "key:x", "codes": picked,
                                    "accepted": picked, "removed": [], "added": [], "at": at})
            conn.execute(insert(Feedback), items)
            conn.execute(insert(Suggestion), suggestions)
            if reviews:
                conn.execute(insert(Review), reviews)
    if url.startswith("postgresql"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()


def median_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description="periodic report at scale")
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--database-url")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--reuse", action="store_true", help="keep the items already seeded")
    args = ap.parse_args()
    from sqlalchemy import func, select

    from service.db import Database
    from service.models import Feedback
    from service.periods import parse_period
    from service.reports import build_report
    from triage.taxonomy import load_taxonomy

    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    if not args.reuse:
        t0 = time.perf_counter()
        seed(url, args.items, random.Random(11))
        print(f"seeded {args.items} items in {time.perf_counter() - t0:.1f} s "
              f"({url.split(':')[0]})")
    taxonomy = load_taxonomy()
    period = parse_period("2026-Q3")
    start, end = period.bounds_utc()
    db = Database(url)
    in_period = [Feedback.received_at >= start, Feedback.received_at < end]

    def count():
        with db.read() as s:
            return s.scalar(select(func.count()).select_from(Feedback).where(*in_period))

    def report(locality=None):
        with db.read() as s:
            return build_report(s, taxonomy, period, locality=locality, now=datetime(
                2026, 12, 1, tzinfo=UTC))

    def load():
        with db.read() as s:
            return len(s.execute(select(Feedback.id, Feedback.status, Feedback.channel,
                                        Feedback.locality, Feedback.track, Feedback.final_codes,
                                        Feedback.cluster, Feedback.due_at)
                                 .where(*in_period)).all())

    n_quarter = count()
    assert report()["total"] == n_quarter  # and the one-time loading of locality names
    base = median_of(count, args.repeats)
    rows = [("count", base), ("report (national)", median_of(report, args.repeats)),
            ("report (province 01)", median_of(lambda: report("01"), args.repeats)),
            ("load rows into Python", median_of(load, args.repeats))]
    print(f"{n_quarter} items in {period.label}; median of {args.repeats} runs")
    print(f"{'what':<24}{'median ms':>12}{'× count':>10}")
    for name, t in rows:
        print(f"{name:<24}{t * 1000:>12.1f}{t / base:>10.1f}")
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
