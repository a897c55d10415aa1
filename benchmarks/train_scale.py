"""Training time and peak memory with many labelled cases (issue #5): 10,000 and 50,000
synthetic recombinations of the seed, beside the seed itself (5,166) in the same run.

A synthetic case keeps a seed example's labels and recombines its sentences, with a
sentence from another example of the same primary code half of the time, so the
vocabulary grows as real reviews would make it grow and no text repeats. Each size runs
in a fresh process (`fit_model`: segmentation on two cores, cross-validated thresholds,
the final fit) that reports its own time split and peak resident memory, and the
micro-F1 of the model on data/eval (so speed is not bought with accuracy).

    .venv/bin/python benchmarks/train_scale.py --sizes 10000,50000
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, resource, sys, time
from training.train import TrainParams, fit_model, prepare_examples
from triage.data import read_labelled
from triage.taxonomy import load_taxonomy
tax = load_taxonomy()
examples = read_labelled([sys.argv[1]], tax)
t0 = time.perf_counter()
prepared = prepare_examples(examples, tax)
t1 = time.perf_counter()
model, cv = fit_model(examples, tax, params=TrainParams(), prepared=prepared)
t2 = time.perf_counter()
from training.evaluate import evaluate_examples
from triage.pipeline import Triager
report = evaluate_examples(Triager(tax, model), read_labelled([sys.argv[2]], tax))
ru_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
ru_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"examples": len(examples), "prepare_s": round(t1 - t0, 1),
                  "fit_s": round(t2 - t1, 1), "total_s": round(t2 - t0, 1),
                  "cv_examples": cv.get("cv_examples"), "cv_s": cv.get("seconds_cv"),
                  "peak_rss_mb": round(ru_self), "peak_rss_segmenter_worker_mb": round(ru_children),
                  "features": int(model.classifier.W_.shape[0]),
                  "eval_micro_f1": report["micro_f1"],
                  "eval_group_accuracy": report["group_accuracy_top1"]}))
"""


def synthesize(n: int, seed: int = 11) -> list[dict]:
    from triage.data import read_labelled
    from triage.taxonomy import load_taxonomy

    tax = load_taxonomy()
    base = read_labelled([ROOT / "data" / "seed"], tax)
    by_primary: dict[str, list] = defaultdict(list)
    for ex in base:
        by_primary[ex.primary].append(ex)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ex = rng.choice(base)
        parts = [p for p in ex.text.replace("!", ".").replace("?", ".").split(". ") if p.strip()]
        if rng.random() < 0.5:
            other = rng.choice(by_primary[ex.primary])
            extra = [p for p in other.text.split(". ") if p.strip()]
            if extra:
                parts.append(rng.choice(extra))
        head, rest = parts[:1], parts[1:]
        rng.shuffle(rest)
        out.append({"id": f"syn-{i}", "text": ". ".join(head + rest), "labels": list(ex.labels),
                    "primary": ex.primary, "source": "review"})
    return out


def run_size(path: Path) -> dict:
    res = subprocess.run([sys.executable, "-c", CHILD, str(path), str(ROOT / "data" / "eval")],
                         capture_output=True, text=True, cwd=ROOT)
    if res.returncode != 0:
        raise SystemExit(f"training on {path.name} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def bench_train_scale(sizes: list[int], *, no_seed: bool = False) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        runs = [] if no_seed else [("seed", ROOT / "data" / "seed")]
        for n in sizes:
            path = Path(tmp) / f"syn-{n}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for row in synthesize(n):
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            runs.append((str(n), path))
        for name, path in runs:
            results[name] = run_size(path)
            print(f"train-scale {name}: {results[name]}", flush=True)
    base = results.get("seed") or next(iter(results.values()))
    print(f"{'examples':>9}{'prepare s':>11}{'fit s':>8}{'total s':>9}{'x seed':>8}"
          f"{'s/1k ratio':>11}{'peak MB':>9}{'eval F1':>9}")
    for name, r in results.items():
        per_k = r["total_s"] / r["examples"] * 1000
        base_per_k = base["total_s"] / base["examples"] * 1000
        r["time_ratio_to_seed"] = round(r["total_s"] / base["total_s"], 2)
        r["per_example_ratio_to_seed"] = round(per_k / base_per_k, 2)
        print(f"{r['examples']:>9}{r['prepare_s']:>11}{r['fit_s']:>8}{r['total_s']:>9}"
              f"{r['time_ratio_to_seed']:>8}{r['per_example_ratio_to_seed']:>11}"
              f"{r['peak_rss_mb']:>9}{r['eval_micro_f1']:>9}")
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--no-seed", action="store_true", help="skip the seed baseline run")
    args = parser.parse_args()
    bench_train_scale([int(s) for s in args.sizes.split(",") if s], no_seed=args.no_seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
