"""Duplicate index cost with many stored items, on SQLite and on PostgreSQL.

Synthetic items are recombinations of seed sentences with invented names, places and
amounts (realistic key distributions). Signatures and keys are written in bulk, then
lookups (candidate search + verification) and inserts of new items are timed one by one.
The issue's target is a million stored items; `--dedup-items` sets how many (default
50,000 here, to fit a shared machine's time budget).
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GIVEN = ["Hùng", "Lan", "Minh", "Tuấn", "Hoa", "Dũng", "Thảo", "Sơn", "Hải", "Nga", "Bình", "Phúc",
         "Khánh", "Lộc", "Trí", "Nhân", "Vân", "Tâm", "Quân", "Yến"]
SURN = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MID = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Quốc", "Ngọc"]
PLACE = ["Tân Phú", "Bình Mỹ", "Cẩm Xuyên", "Hạ Hòa", "Quảng Yên", "Mường Nhé", "Trà Bồng",
         "Phú Lộc", "Gia Nghĩa", "Cái Răng", "Ninh Kiều", "Thanh Khê", "Đồng Xuân", "Yên Lạc"]


def synthetic_texts(n: int, seed: int = 11) -> list[str]:
    from triage.data import read_labelled
    from triage.taxonomy import load_taxonomy

    sentences = [s for ex in read_labelled([ROOT / "data" / "seed"], load_taxonomy())
                 for s in ex.text.split(". ") if len(s) > 30]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        who = f"{rng.choice(SURN)} {rng.choice(MID)} {rng.choice(GIVEN)}"
        where = f"xã {rng.choice(PLACE)} {rng.randint(1, 99)}"
        body = ". ".join(rng.sample(sentences, 3))
        out.append(f"Ông {who}, chủ tịch {where}, {rng.randint(2, 900)} triệu đồng. {body}")
    return out


def _percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def bench_backend(url: str, sigs, probes, idf) -> dict:
    from sqlalchemy import insert

    from service.db import Database
    from service.dedup_store import SqlKeyStore
    from service.migrate import migrate
    from service.models import DedupKey, DedupSignature
    from triage.dedup import DuplicateIndex, case_signature

    if url.startswith("postgresql"):
        from tests.service.conftest import _reset_postgres
        _reset_postgres(url)
    migrate(url)
    db = Database(url)
    t0 = time.perf_counter()
    with db.transaction() as s:
        for start in range(0, len(sigs), 5000):
            chunk = sigs[start:start + 5000]
            s.execute(insert(DedupSignature), [
                {"feedback_id": f"s{start + i}", "signature": sig.to_dict(), "cluster": f"c-s{start + i}"}
                for i, sig in enumerate(chunk)])
            s.execute(insert(DedupKey), [
                {"key": k, "feedback_id": f"s{start + i}"}
                for i, sig in enumerate(chunk) for k in dict.fromkeys(sig.keys())])
    load_s = time.perf_counter() - t0
    lookups, inserts = [], []
    for j, text in enumerate(probes):
        sig = case_signature(text, idf=idf)
        keys = sig.keys()
        with db.read() as s:
            index = DuplicateIndex(SqlKeyStore(s), idf=idf)
            t = time.perf_counter()
            index.find(sig, keys)
            lookups.append((time.perf_counter() - t) * 1000)
        with db.transaction() as s:
            t = time.perf_counter()
            SqlKeyStore(s).add(f"p{j}", keys, sig, f"c-p{j}")
            inserts.append((time.perf_counter() - t) * 1000)
    db.dispose()
    if url.startswith("postgresql"):
        from tests.service.conftest import _reset_postgres
        _reset_postgres(url)
    return {"stored": len(sigs), "bulk_load_s": round(load_s, 1),
            "lookup_ms_p50": round(statistics.median(lookups), 2),
            "lookup_ms_p99": round(_percentile(lookups, 0.99), 2),
            "insert_ms_p50": round(statistics.median(inserts), 2),
            "insert_ms_p99": round(_percentile(inserts, 0.99), 2)}


def bench_dedup(n: int | None = None, probes: int = 300) -> dict:
    from triage.dedup import case_signature
    from triage.pipeline import Triager, idf_for

    n = n or int(os.environ.get("DEDUP_BENCH_ITEMS", "50000"))
    triager = Triager.from_models_dir(ROOT / "models")
    idf = idf_for(triager)
    texts = synthetic_texts(n + probes)
    t0 = time.perf_counter()
    sigs = [case_signature(t, idf=idf) for t in texts[:n]]
    sig_s = time.perf_counter() - t0
    results = {"items": n, "signature_ms_per_item": round(sig_s / n * 1000, 3)}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = bench_backend(f"sqlite:///{tmp}/dedup.db", sigs, texts[n:], idf)
    pg = os.environ.get("TRIAGE_TEST_DATABASE_URL")
    if pg:
        results["postgresql"] = bench_backend(pg, sigs, texts[n:], idf)
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(f"dedup: {n} stored items, signature {results['signature_ms_per_item']} ms/item")
    for backend in ("sqlite", "postgresql"):
        if backend in results:
            r = results[backend]
            print(f"  {backend:<11} lookup p50 {r['lookup_ms_p50']} ms, p99 {r['lookup_ms_p99']} ms;"
                  f" insert p50 {r['insert_ms_p50']} ms, p99 {r['insert_ms_p99']} ms"
                  f" (bulk load {r['bulk_load_s']} s)")
    print(f"  process max RSS {results['max_rss_mb']} MB")
    return results
