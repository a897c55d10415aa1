"""Duplicate index cost with many stored items (the issue's target: a million), on SQLite and
on PostgreSQL.

Stored items are *recombinations of real signatures*: real case signatures are computed
for 4,000 headers with invented names, places and amounts ("Ông Lê Văn Hùng, chủ tịch xã
Tân Phú 12, 300 triệu đồng.") and for 6,000 seed sentences, and each stored item is the
signature of a header and two sentences put together (union of the bigram weights and of
the case specifics, element-wise minimum of the MinHash values — exactly what the MinHash of
the joined text would be). The key distribution is harsh: with only 1,680 names, 900
amounts and 6,000 sentences behind a million items, most name, amount and phrase keys are
carried by hundreds of items.

Three steps, each in its own process so that each one's memory is its own:

1. build: generate the items once (spooled to a file), bulk-load them into each backend
   (`service.dedup_store.bulk_load`: COPY on PostgreSQL, executemany on SQLite);
2. probe, per backend, in a fresh process like a service worker (model loaded): lookups
   (candidate fetch + signature fetch + verification, `DuplicateIndex.find`) and inserts
   (`SqlKeyStore.add` + cluster size + commit), timed one by one, for new texts, exact
   re-submissions of stored items and longer versions of stored items;
3. the numbers: p50/p99, build time, and the probe process's memory.

`python benchmarks/dedup.py all --items 1000000` runs it alone; `make bench` runs it as a section
of benchmarks/run.py (`DEDUP_ITEMS=...` sets the size). PostgreSQL runs when
TRIAGE_TEST_DATABASE_URL is set; its tables are dropped before and after.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GIVEN = ["Hùng", "Lan", "Minh", "Tuấn", "Hoa", "Dũng", "Thảo", "Sơn", "Hải", "Nga", "Bình", "Phúc",
         "Khánh", "Lộc", "Trí", "Nhân", "Vân", "Tâm", "Quân", "Yến"]
SURN = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MID = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Quốc", "Ngọc"]
PLACE = ["Tân Phú", "Bình Mỹ", "Cẩm Xuyên", "Hạ Hòa", "Quảng Yên", "Mường Nhé", "Trà Bồng",
         "Phú Lộc", "Gia Nghĩa", "Cái Răng", "Ninh Kiều", "Thanh Khê", "Đồng Xuân", "Yên Lạc"]
HEADERS, SENTENCES = 4000, 6000  # real signatures behind the recombinations
GENERATOR_VERSION = 1  # bump when the recipe below changes (the spool is cached)


def _header(rng: random.Random) -> str:
    who = f"{rng.choice(SURN)} {rng.choice(MID)} {rng.choice(GIVEN)}"
    where = f"xã {rng.choice(PLACE)} {rng.randint(1, 99)}"
    return f"Ông {who}, chủ tịch {where}, {rng.randint(2, 900)} triệu đồng."


def synthetic_texts(n: int, seed: int = 11) -> list[str]:
    from triage.data import read_labelled
    from triage.taxonomy import load_taxonomy

    sentences = [s for ex in read_labelled([ROOT / "data" / "seed"], load_taxonomy())
                 for s in ex.text.split(". ") if len(s) > 30]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        out.append(f"{_header(rng)} {'. '.join(rng.sample(sentences, 3))}")
    return out


def combine(a: dict, b: dict) -> dict:
    """The signature of text a followed by text b, from their two signatures (as dicts)."""
    out = {}
    for k, va in a.items():
        vb = b.get(k)
        if k == "minhash":
            out[k] = [min(x, y) for x, y in zip(va, vb)] if va and vb else (va or vb)
        elif isinstance(va, dict):
            out[k] = {**vb, **va} if isinstance(vb, dict) else va
        elif isinstance(va, bool):
            out[k] = va or bool(vb)
        elif isinstance(va, list) and isinstance(vb, list):
            try:
                out[k] = sorted(set(va) | set(vb))
            except TypeError:  # lists of lists (segments, codes): the first text's
                out[k] = va
        else:
            out[k] = va
    return out


def _percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def _rss_mb() -> dict:
    status = Path("/proc/self/status").read_text()
    cur = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
    return {"rss_mb": round(cur / 1024, 1),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _idf():
    from triage.pipeline import Triager, idf_for

    triager = Triager.from_models_dir(ROOT / "models")
    return triager, idf_for(triager)


def _reset_postgres(url: str) -> None:
    from sqlalchemy import MetaData, create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        existing = MetaData()
        existing.reflect(conn)
        existing.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def _pg_size_mb(url: str) -> int:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
    engine.dispose()
    return round(size / 2 ** 20)


# --- step 1: build ---------------------------------------------------------------------

def _spool_id(n: int, seed: int, model_id: str) -> str:
    """The spool is reused while the signature code, the model and the recipe are the same."""
    h = hashlib.sha256((ROOT / "triage" / "dedup.py").read_bytes())
    h.update(f"{n}:{seed}:{model_id}:{GENERATOR_VERSION}:{HEADERS}:{SENTENCES}".encode())
    return h.hexdigest()[:16]


_POOLS: tuple[list[dict], list[dict]] = ([], [])


def _generate_chunk(args: tuple[int, int, int]) -> tuple[str, object, object]:
    """Items start..stop-1: a header (who, where, how much) joined with two seed sentences.
    Runs in a worker process (the pools are inherited by fork)."""
    import numpy as np
    import orjson

    from service.dedup_store import _hashes
    from triage.dedup import CaseSignature

    start, stop, seed = args
    headers, sentences = _POOLS
    rng = random.Random(seed * 1_000_003 + start)
    lines, items, hashes = [], [], []
    for i in range(start, stop):
        a, b = rng.sample(sentences, 2)
        sig = combine(combine(rng.choice(headers), a), b)
        hs, exact = _hashes(CaseSignature.from_dict(sig).keys())
        hs.append(exact)
        items.append(np.full(len(hs), i, dtype=np.int32))
        hashes.append(np.array(hs, dtype=np.int64))
        lines.append(f"s{i}\tc-s{i}\t{orjson.dumps(sig).decode()}\n")
    return "".join(lines), np.concatenate(items), np.concatenate(hashes)


def generate(n: int, spool: Path, *, seed: int = 5, workers: int = 2) -> dict:
    """Write n recombined items to spool/items.tsv and their key hashes to spool/keys.npz."""
    import multiprocessing

    import numpy as np

    from triage.data import read_labelled
    from triage.dedup import case_signature
    from triage.taxonomy import load_taxonomy

    _triager, idf = _idf()
    t0 = time.perf_counter()
    sentences = sorted({s for ex in read_labelled([ROOT / "data" / "seed"], load_taxonomy())
                        for s in ex.text.split(". ") if len(s) > 30})
    rng = random.Random(seed)
    _POOLS[0][:] = [case_signature(_header(rng), idf=idf).to_dict() for _ in range(HEADERS)]
    _POOLS[1][:] = [case_signature(t, idf=idf).to_dict() for t in rng.sample(sentences, SENTENCES)]
    pool_s = time.perf_counter() - t0
    spool.mkdir(parents=True, exist_ok=True)
    chunks = [(a, min(a + 10_000, n + 1), seed) for a in range(1, n + 1, 10_000)]
    items, hashes = [], []
    with open(spool / "items.tsv", "w", encoding="utf-8") as f, \
            multiprocessing.get_context("fork").Pool(workers) as pool:
        for lines, it, hs in pool.imap(_generate_chunk, chunks):
            f.write(lines)
            items.append(it)
            hashes.append(hs)
    np.savez(spool / "keys.npz", items=np.concatenate(items), hashes=np.concatenate(hashes))
    (spool / "done").write_text(json.dumps({"pool_s": round(pool_s, 1)}))
    return {"generate_s": round(time.perf_counter() - t0, 1), "pool_s": round(pool_s, 1)}


def load(url: str, spool: Path) -> float:
    """Bulk-load the spooled items into a freshly migrated database; seconds."""
    import numpy as np
    from sqlalchemy import create_engine

    from service.dedup_store import bulk_load
    from service.migrate import migrate

    if url.startswith("postgresql"):
        _reset_postgres(url)
    migrate(url)
    keys = np.load(spool / "keys.npz")

    def rows():
        with open(spool / "items.tsv", encoding="utf-8") as f:
            for i, line in enumerate(f, start=1):
                fid, cluster, sig = line.rstrip("\n").split("\t", 2)
                yield i, fid, sig, cluster

    t0 = time.perf_counter()
    engine = create_engine(url)
    with engine.begin() as conn:
        if url.startswith("sqlite"):
            conn.exec_driver_sql("PRAGMA journal_mode=OFF")  # a bulk build; WAL again after
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
        bulk_load(conn, rows(), keys["items"].astype(np.int64), keys["hashes"])
    if url.startswith("postgresql"):  # the visibility map, for index-only scans of postings
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) dedup_posting")
            conn.exec_driver_sql("CHECKPOINT")  # the load's dirty pages written before timing
    engine.dispose()
    return round(time.perf_counter() - t0, 1)


def build(n: int, urls: dict[str, str], spool_root: Path, *, seed: int = 5) -> dict:
    from triage.artifacts import active_model_id

    spool = spool_root / f"dedup-{n}-{_spool_id(n, seed, active_model_id(ROOT / 'models') or '')}"
    out: dict = {}
    if not (spool / "done").exists():
        out.update(generate(n, spool, seed=seed))
    else:
        out["generate_s"] = "cached"
    for name, url in urls.items():
        out[f"{name}_load_s"] = load(url, spool)
    out.update(_rss_mb())
    return out


# --- step 2: probe -----------------------------------------------------------------------

def probe(url: str, n_probes: int, *, stored: int, seed: int = 17, warmup: int = 20) -> dict:
    from sqlalchemy import select

    from service.db import Database
    from service.dedup_store import SqlKeyStore
    from service.models import DedupItem
    from triage.dedup import CaseSignature, DuplicateIndex, case_signature

    from triage.pipeline import verifier_for

    triager, idf = _idf()  # the model stays loaded, as in a service worker
    verifier = verifier_for(triager)  # candidates are verified as in the service
    rss_model = _rss_mb()["rss_mb"]
    rng = random.Random(seed)
    db = Database(url)
    new_texts = synthetic_texts(n_probes + warmup, seed=seed)
    extra = [case_signature(t, idf=idf).to_dict() for t in synthetic_texts(50, seed=seed + 1)]
    probes = []  # (kind, signature, expected feedback id)
    with db.read() as s:
        for j in range(n_probes + warmup):
            kind = ("new", "exact", "longer")[j % 3]
            if kind == "new":
                probes.append((kind, case_signature(new_texts[j], idf=idf), None))
                continue
            fid = f"s{rng.randint(1, stored)}"
            sig = s.scalar(select(DedupItem.signature).where(DedupItem.feedback_id == fid))
            if kind == "longer":
                sig = combine(sig, rng.choice(extra))
            probes.append((kind, CaseSignature.from_dict(sig), fid))
    lookups: dict[str, list[float]] = {"new": [], "exact": [], "longer": []}
    inserts, lookup_cpu, found = [], [], {"exact": 0, "longer": 0}
    for j, (kind, sig, expected) in enumerate(probes):
        keys = sig.keys()
        with db.read() as s:
            index = DuplicateIndex(SqlKeyStore(s), idf=idf, verifier=verifier)
            t, c = time.perf_counter(), time.process_time()
            match = index.find(sig, keys)
            dt = (time.perf_counter() - t) * 1000
            dc = (time.process_time() - c) * 1000
        t = time.perf_counter()
        with db.transaction() as s:
            store = SqlKeyStore(s)
            store.add(f"p{j}", keys, sig, f"c-p{j}")
            store.cluster_size(f"c-p{j}")
        di = (time.perf_counter() - t) * 1000
        if j < warmup:
            continue
        lookups[kind].append(dt)
        lookup_cpu.append(dc)
        inserts.append(di)
        if expected and match and match.item_id == expected:
            found[kind] += 1
    db.dispose()
    every = [x for xs in lookups.values() for x in xs]
    res = {"probes": len(every), "warmup": warmup,
           "lookup_ms_p50": round(statistics.median(every), 2),
           "lookup_ms_p99": round(_percentile(every, 0.99), 2),
           "lookup_ms_max": round(max(every), 2),
           "lookup_client_cpu_ms_p50": round(statistics.median(lookup_cpu), 2),
           **{f"lookup_{k}_ms_p50": round(statistics.median(v), 2) for k, v in lookups.items()},
           "insert_ms_p50": round(statistics.median(inserts), 2),
           "insert_ms_p99": round(_percentile(inserts, 0.99), 2),
           "found_exact": f"{found['exact']}/{len(lookups['exact'])}",
           "found_longer": f"{found['longer']}/{len(lookups['longer'])}",
           "rss_after_model_load_mb": rss_model}
    res.update(_rss_mb())
    return res


# --- orchestration -----------------------------------------------------------------------

def _run_json(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_dedup(n: int | None = None, probes: int = 300) -> dict:
    n = n or int(os.environ.get("DEDUP_ITEMS", "1000000"))
    pg = os.environ.get("TRIAGE_TEST_DATABASE_URL")
    spool_root = Path(os.environ.get("DEDUP_SPOOL", ROOT / "bench-results" / "spool"))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        urls = {"sqlite": f"sqlite:///{tmp}/dedup.db"}
        if pg:
            urls["postgresql"] = pg
        results: dict = {"items": n, "build": {}}
        for name, url in urls.items():  # each backend measured right after its own load
            got = _run_json(["build", "--items", str(n), "--spool", str(spool_root),
                             f"--url={name}={url}"])
            for k, v in got.items():  # the first build generated the items; keep its numbers
                results["build"].setdefault(k, v)
            results["build"]["max_rss_mb"] = max(results["build"]["max_rss_mb"], got["max_rss_mb"])
            if name == "sqlite":
                results["sqlite_file_mb"] = round(Path(f"{tmp}/dedup.db").stat().st_size / 2 ** 20)
            else:
                results["postgresql_db_mb"] = _pg_size_mb(url)
            results[name] = _run_json(["probe", "--url", url, "--items", str(n),
                                       "--probes", str(probes)])
    if pg:
        _reset_postgres(pg)
    results["total_s"] = round(time.perf_counter() - t0, 1)
    b = results["build"]
    print(f"dedup: {n} stored items (generated in {b['generate_s']} s, build process max RSS "
          f"{b['max_rss_mb']} MB); {probes} probes after a warm-up of 20, lookups and inserts "
          "interleaved")
    for name in urls:
        r = results[name]
        print(f"  {name:<11} lookup p50 {r['lookup_ms_p50']} ms, p99 {r['lookup_ms_p99']} ms "
              f"(target <= 20); insert p50 {r['insert_ms_p50']} ms, p99 {r['insert_ms_p99']} ms; "
              f"bulk load {b[name + '_load_s']} s")
        print(f"  {'':<11} lookup p50 by kind: new {r['lookup_new_ms_p50']}, exact "
              f"{r['lookup_exact_ms_p50']}, longer {r['lookup_longer_ms_p50']} ms; this process's "
              f"CPU per lookup p50 {r['lookup_client_cpu_ms_p50']} ms")
        print(f"  {'':<11} found: exact re-submissions {r['found_exact']}, longer versions "
              f"{r['found_longer']}; probe process RSS {r['rss_mb']} MB "
              f"(model alone {r['rss_after_model_load_mb']} MB, max {r['max_rss_mb']} MB)")
    print(f"  on disk: SQLite file {results.get('sqlite_file_mb')} MB"
          + (f", PostgreSQL database {results['postgresql_db_mb']} MB" if pg else ""))
    print(f"  whole section {results['total_s']} s")
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "dedup-latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd")
    p_build = sub.add_parser("build")
    p_build.add_argument("--items", type=int, required=True)
    p_build.add_argument("--spool", type=Path, required=True)
    p_build.add_argument("--url", action="append", default=[], help="name=URL")
    p_probe = sub.add_parser("probe")
    p_probe.add_argument("--url", required=True)
    p_probe.add_argument("--items", type=int, required=True)
    p_probe.add_argument("--probes", type=int, default=300)
    p_all = sub.add_parser("all")
    p_all.add_argument("--items", type=int, default=None)
    p_all.add_argument("--probes", type=int, default=300)
    args = parser.parse_args()
    if args.cmd == "build":
        urls = dict(u.split("=", 1) for u in args.url)
        print(json.dumps(build(args.items, urls, args.spool)))
    elif args.cmd == "probe":
        print(json.dumps(probe(args.url, args.probes, stored=args.items)))
    else:
        items = getattr(args, "items", None)
        bench_dedup(items, getattr(args, "probes", 300))
    return 0


if __name__ == "__main__":
    sys.exit(main())
