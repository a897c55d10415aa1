"""`make bench`: speed and memory, as ratios against a baseline measured in the same run.

Sections (each prints a table and adds to bench-results/latest.json):

- predict: `triage predict` pipeline throughput on 2,000 realistic items (seed and
  evaluation texts, median ~300 characters) next to bare underthesea `word_tokenize` on
  the same texts; the ratio is what counts (target ≤ 1.5×);
- train/load: training on the full seed set, and loading the active model;
- train-scale: training time and peak memory with 10,000 and 50,000 labelled cases
  (benchmarks/train_scale.py);
- dedup: duplicate lookup and insert with a million stored items on SQLite and PostgreSQL
  (benchmarks/dedup.py; `--dedup-items` / `make bench DEDUP_ITEMS=50000` for a quick run);
- service: intake over HTTP at several concurrencies and worker counts (benchmarks/service.py).

PostgreSQL runs too when TRIAGE_TEST_DATABASE_URL is set (`make bench` sets it to the local
server when one answers).

Machines are shared and noisy: every timing is the median of several runs.
"""

from __future__ import annotations

import argparse
import gc
import json
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


def realistic_texts(n: int, seed: int = 7) -> list[str]:
    from triage.data import read_labelled
    from triage.taxonomy import load_taxonomy

    tax = load_taxonomy()
    texts = [ex.text for ex in read_labelled([ROOT / "data" / "seed", ROOT / "data" / "eval"], tax)]
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        t = rng.choice(texts)
        # vary a little so that no cache can help: a different sentence order
        parts = t.split(". ")
        rng.shuffle(parts)
        out.append(". ".join(parts))
    return out


def median_time(fn, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def bench_predict(args) -> dict:
    from underthesea import word_tokenize

    from triage.pipeline import Triager, dedup_index_for, freeze_heap
    from triage.tokenize import _segment_cached

    texts = realistic_texts(args.items)
    lengths = sorted(len(t) for t in texts)
    triager = Triager.from_models_dir(ROOT / "models")
    word_tokenize("khởi động")  # load the CRF model outside the timing
    triager.triage("khởi động")
    freeze_heap()  # as `triage predict` does once its model is loaded

    def bare():
        for t in texts:
            word_tokenize(t)

    def pipeline():
        _segment_cached.cache_clear()
        index = dedup_index_for(triager)
        for _ in triager.triage_many(((str(i), t) for i, t in enumerate(texts)), dedup=index):
            pass

    # interleave the two so that drifting machine load hits both alike
    bare_times, pipe_times = [], []
    for _ in range(args.repeats):
        bare_times.append(median_time(bare, 1)[0])
        pipe_times.append(median_time(pipeline, 1)[0])
    b, p = statistics.median(bare_times), statistics.median(pipe_times)
    res = {
        "items": len(texts), "median_chars": lengths[len(lengths) // 2],
        "tokenize_items_per_s": round(len(texts) / b, 1),
        "pipeline_items_per_s": round(len(texts) / p, 1),
        "ratio_pipeline_to_tokenize": round(p / b, 3),
        "runs_tokenize_s": [round(x, 3) for x in bare_times],
        "runs_pipeline_s": [round(x, 3) for x in pipe_times],
    }
    print(f"predict: {res['items']} items, median {res['median_chars']} chars")
    print(f"  bare word_tokenize   {res['tokenize_items_per_s']:>8} items/s")
    print(f"  triage pipeline      {res['pipeline_items_per_s']:>8} items/s")
    print(f"  ratio (median of {args.repeats}) {res['ratio_pipeline_to_tokenize']}x  (target <= 1.5x)")
    return res


def bench_train_load(args) -> dict:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.train_repeats):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "triage.cli", "train", "--models-dir", tmp],
                           check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
    # Model load = verify the card and sha256, deserialize, smoke prediction (which also
    # loads underthesea's CRF model); the interpreter's imports are timed apart.
    code = ("import time;t0=time.perf_counter();import sklearn, scipy.sparse, underthesea;"
            "from triage.pipeline import Triager;t1=time.perf_counter();"
            "tr=Triager.from_models_dir(%r);t2=time.perf_counter();print(t1-t0, t2-t1)"
            % str(ROOT / "models"))
    runs = [tuple(map(float, subprocess.run([sys.executable, "-c", code], check=True,
                                            capture_output=True, text=True
                                            ).stdout.strip().splitlines()[-1].split()))
            for _ in range(5)]
    imports, loads = [r[0] for r in runs], [r[1] for r in runs]
    res = {"train_seconds_median": round(statistics.median(times), 2),
           "train_runs": [round(t, 2) for t in times],
           "load_seconds_median": round(statistics.median(loads), 3),
           "load_runs": [round(t, 3) for t in loads],
           "imports_seconds_median": round(statistics.median(imports), 3)}
    print(f"train: full seed set, median {res['train_seconds_median']} s (target < 60 s)")
    print(f"load: active model, median {res['load_seconds_median']} s (target < 1 s); "
          f"interpreter imports before it {res['imports_seconds_median']} s")
    return res


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-repeats", type=int, default=3)
    parser.add_argument("--only", action="append", help="predict, train, dedup, service")
    parser.add_argument("--service-items", type=int, default=300)
    parser.add_argument("--train-sizes", default="10000,50000",
                        help="labelled-case counts for the train-scale section")
    parser.add_argument("--dedup-items", type=int, default=1_000_000,
                        help="stored items of the duplicate-index section")
    args = parser.parse_args()
    sections = args.only or ["predict", "train", "train-scale", "dedup", "service"]
    results = {}
    if "predict" in sections:
        results["predict"] = bench_predict(args)
    if "train" in sections:
        results["train_load"] = bench_train_load(args)
    if "train-scale" in sections:
        from benchmarks.train_scale import bench_train_scale

        results["train_scale"] = bench_train_scale(
            [int(x) for x in args.train_sizes.split(",") if x])
    if "dedup" in sections:
        from benchmarks.dedup import bench_dedup

        results["dedup"] = bench_dedup(args.dedup_items)
    if "service" in sections:
        from benchmarks.service import bench_service

        results["service"] = bench_service(args.service_items)
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"written to {out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
