"""`triage train`, `triage evaluate`, `triage evaluate-dedup` (registered by entry points)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from triage.cli import DEFAULT_MODELS_DIR

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _train(args: argparse.Namespace) -> int:
    from training.train import TrainParams, fit_model
    from triage.artifacts import save_model
    from triage.data import data_hash, read_labelled
    from triage.taxonomy import load_taxonomy

    tax = load_taxonomy()
    paths = args.data or [str(DATA_DIR / "seed")]
    examples = read_labelled(paths, tax)
    t0 = time.perf_counter()
    model, cv = fit_model(examples, tax, params=TrainParams(folds=args.folds))
    counts: dict[str, int] = {}
    for ex in examples:
        counts[ex.source] = counts.get(ex.source, 0) + 1
    target = save_model(
        model, args.models_dir, activate=not args.no_activate,
        training_data={"files": data_hash(paths), "examples": len(examples), "by_source": counts},
        metrics={"cv": cv},
    )
    print(f"trained on {len(examples)} examples in {time.perf_counter() - t0:.1f}s; "
          f"cross-validated micro-F1 {cv['cv_global_micro_f1']:.3f}, "
          f"out-of-scope F1 {cv['cv_out_f1']:.3f}; written to {target}", file=sys.stderr)
    print(model.model_id)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from training.evaluate import evaluate_model, format_report
    from triage.data import read_labelled
    from triage.pipeline import Triager

    triager = Triager.from_models_dir(args.models_dir, model_id=args.model)
    examples = read_labelled(args.data or [str(DATA_DIR / "eval")], triager.taxonomy)
    report = evaluate_model(triager, examples)
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(format_report(report, per_code=not args.brief))
    return 0


def _evaluate_dedup(args: argparse.Namespace) -> int:
    from training.dedup_eval import evaluate_dedup, format_dedup_report
    from triage.pipeline import Triager

    triager = Triager.from_models_dir(args.models_dir, model_id=args.model)
    report = evaluate_dedup(triager, args.data or str(DATA_DIR / "dedup"), split=args.split)
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(format_dedup_report(report))
    return 0


def train(sub) -> None:
    p = sub.add_parser("train", help="train a model from labelled JSONL (default data/seed)")
    p.add_argument("--data", action="append", help="labelled JSONL file or directory (repeatable)")
    p.add_argument("--models-dir", default=str(DEFAULT_MODELS_DIR))
    p.add_argument("--folds", type=int, default=3, help="cross-validation folds for thresholds")
    p.add_argument("--no-activate", action="store_true", help="do not make it the active model")
    p.set_defaults(func=_train)


def evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="evaluate a model on labelled JSONL (default data/eval)")
    p.add_argument("--data", action="append", help="labelled JSONL file or directory")
    p.add_argument("--models-dir", default=str(DEFAULT_MODELS_DIR))
    p.add_argument("--model", help="model id (default: active)")
    p.add_argument("--json", help="also write the full report as JSON here")
    p.add_argument("--brief", action="store_true", help="headline metrics only")
    p.set_defaults(func=_evaluate)


def evaluate_dedup(sub) -> None:
    p = sub.add_parser("evaluate-dedup", help="pairwise duplicate metrics on data/dedup")
    p.add_argument("--data", help="labelled duplicate JSONL file or directory")
    p.add_argument("--models-dir", default=str(DEFAULT_MODELS_DIR))
    p.add_argument("--model", help="model id (default: active)")
    p.add_argument("--split", choices=("all", "dev", "held-out"), default="all",
                   help="half of the set by case (dev: for tuning; held-out: for reporting)")
    p.add_argument("--json", help="also write the full report as JSON here")
    p.set_defaults(func=_evaluate_dedup)
