"""`triage train`, `triage evaluate`, `triage evaluate-dedup` (registered by entry points)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from triage.cli import DEFAULT_MODELS_DIR

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _hook(name: str):
    """A function the service provides (reviewed cases from its database, audit rows),
    found by entry point so that training never imports the service."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="triage.hooks"):
        if ep.name == name:
            return ep.load()
    raise SystemExit(f"triage: the service part is not installed ({name})")


def _reviewed_examples(args: argparse.Namespace, tax) -> tuple[list, dict]:
    from triage.data import data_hash, parse_labelled, read_labelled

    reviews, sources = [], {}
    if args.reviews:
        reviews += read_labelled(args.reviews, tax)
        sources["files"] = data_hash(args.reviews)
    if args.db:
        rows = _hook("labels_from_db")(args.db, tax)
        reviews += [parse_labelled(r, tax, line=i + 1, source="db") for i, r in enumerate(rows)]
        sources["database"] = _hook("safe_url")(args.db)
    for ex in reviews:
        if ex.source != "review":
            raise SystemExit(f"triage: {ex.id} is not a reviewed case (source {ex.source!r})")
    return reviews, sources


def _train(args: argparse.Namespace) -> int:
    from training.mix import combine
    from training.promote import HELD_BACK
    from training.train import TrainParams, fit_model
    from triage.artifacts import save_model
    from triage.data import data_hash, read_labelled
    from triage.taxonomy import load_taxonomy

    tax = load_taxonomy()
    paths = args.data or [str(DATA_DIR / "seed")]
    seed = read_labelled(paths, tax)
    reviews, review_sources = _reviewed_examples(args, tax)
    mix = combine(seed, reviews, holdout=args.holdout)
    examples = mix.train
    t0 = time.perf_counter()
    model, cv = fit_model(examples, tax, params=TrainParams(folds=args.folds), groups=mix.groups)
    metrics = {"cv": cv}
    if not args.no_dedup_verifier:
        from training.dedup_fit import fit_verifier
        from triage.pipeline import Triager

        # its wording space is learnt from the texts the classifier is trained on
        model.dedup_verifier = fit_verifier(Triager(tax, model), args.dedup_data,
                                            corpus=[ex.text for ex in examples])
        if model.dedup_verifier is not None:
            metrics["dedup_verifier"] = model.dedup_verifier.info
    counts: dict[str, int] = {}
    for ex in examples:
        counts[ex.source] = counts.get(ex.source, 0) + 1
    training_data = {"files": data_hash(paths), "examples": len(examples), "by_source": counts}
    if reviews:
        training_data["reviews"] = {**mix.info, "sources": review_sources}
    target = save_model(model, args.models_dir, activate=False, training_data=training_data,
                        metrics=metrics)
    if mix.held_back:
        with (target / HELD_BACK).open("w", encoding="utf-8") as fh:
            for ex in mix.held_back:
                fh.write(json.dumps({"id": ex.id, "text": ex.text, "labels": list(ex.labels),
                                     "primary": ex.primary, "source": ex.source, **ex.extra},
                                    ensure_ascii=False) + "\n")
    # The first model (or one replacing an active model that no longer loads) becomes
    # active at once; any other waits for `triage promote`, which checks it is not worse.
    activate = not args.no_activate and not _active_loads(args.models_dir, tax)
    if activate:
        from triage.artifacts import set_active

        set_active(args.models_dir, model.model_id)
    print(f"trained on {len(examples)} examples ({counts}) in {time.perf_counter() - t0:.1f}s; "
          f"cross-validated micro-F1 {cv['cv_global_micro_f1']:.3f}, "
          f"out-of-scope F1 {cv['cv_out_f1']:.3f}; written to {target}", file=sys.stderr)
    if reviews:
        print(f"{len(mix.held_back)} recent reviewed cases held back", file=sys.stderr)
    if not activate and not args.no_activate:
        print(f"not active yet: `triage compare {model.model_id}`, then "
              f"`triage promote {model.model_id}`", file=sys.stderr)
    print(model.model_id)
    return 0


def _active_loads(models_dir, tax) -> bool:
    from triage.artifacts import active_model_id, load_model

    if not active_model_id(models_dir):
        return False
    try:
        load_model(models_dir, tax)
    except Exception:  # noqa: BLE001 - any failure: it cannot serve
        return False
    return True


def _compare_for(args: argparse.Namespace):
    from training.promote import compare, held_back_of
    from triage.artifacts import active_model_id
    from triage.data import read_labelled
    from triage.pipeline import Triager
    from triage.taxonomy import load_taxonomy

    tax = load_taxonomy()
    candidate = Triager.from_models_dir(args.models_dir, taxonomy=tax, model_id=args.model)
    base_id = getattr(args, "baseline", None) or active_model_id(args.models_dir)
    baseline = None
    if base_id and base_id != candidate.model.model_id:
        try:
            baseline = Triager.from_models_dir(args.models_dir, taxonomy=tax, model_id=base_id)
        except Exception as exc:  # noqa: BLE001 - a broken active model is no yardstick
            print(f"triage: the active model {base_id} does not load ({exc}); comparing "
                  "against nothing", file=sys.stderr)
    eval_examples = read_labelled(args.eval or [str(DATA_DIR / "eval")], tax)
    return compare(candidate, baseline, eval_examples=eval_examples,
                   held_back=held_back_of(args.models_dir, candidate.model.model_id, tax))


def _compare(args: argparse.Namespace) -> int:
    from training.promote import format_comparison

    cmp = _compare_for(args)
    if args.json:
        Path(args.json).write_text(json.dumps(cmp.to_dict(), ensure_ascii=False, indent=2),
                                   encoding="utf-8")
    print(format_comparison(cmp))
    return 0


def _audit(args: argparse.Namespace, action: str, detail: dict) -> None:
    try:
        _hook("record_model_event")(getattr(args, "db", None), action, detail)
    except Exception as exc:  # noqa: BLE001 - the registry changed; say the audit did not
        print(f"triage: WARNING: could not write the audit row ({exc})", file=sys.stderr)


def _promote(args: argparse.Namespace) -> int:
    from training.promote import Gate, format_comparison, gate_problems
    from triage.artifacts import active_model_id, set_active

    before = active_model_id(args.models_dir)
    cmp = _compare_for(args)  # loading the candidate verifies it: a broken one stops here
    print(format_comparison(cmp), file=sys.stderr)
    problems = gate_problems(cmp, Gate(tolerance=args.tolerance, recall_margin=args.margin))
    if problems and not args.force:
        print("triage: not promoted, the candidate is worse than the active model:\n  "
              + "\n  ".join(problems) + "\n(use --force to promote anyway)", file=sys.stderr)
        return 1
    set_active(args.models_dir, cmp.candidate)
    _audit(args, "model_promote", {"model": cmp.candidate, "previous": before,
                                   "forced": bool(problems), "problems": problems,
                                   "summary": {name: {who: rep["micro_f1"] for who, rep in reps.items()}
                                               for name, reps in cmp.sets.items()}})
    print(f"promoted {cmp.candidate} (was {before}); every worker switches within "
          "TRIAGE_MODEL_POLL_SECONDS", file=sys.stderr)
    print(cmp.candidate)
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from triage.artifacts import rollback
    from triage.taxonomy import load_taxonomy

    was, now = rollback(args.models_dir, to=args.to, taxonomy=load_taxonomy())  # verified first
    _audit(args, "model_rollback", {"model": now, "previous": was})
    print(f"rolled back from {was} to {now}", file=sys.stderr)
    print(now)
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
    if args.by_writer:
        from training.dedup_fit import format_writer_report, leave_one_writer_out

        report = leave_one_writer_out(triager)
        if args.json:
            Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        print(format_writer_report(report))
        return 0
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
    p.add_argument("--reviews", action="append",
                   help="reviewed cases (`triage export-labels` output; repeatable)")
    p.add_argument("--db", help="read reviewed cases straight from this database URL")
    p.add_argument("--holdout", type=float, default=0.2,
                   help="share of the most recent reviewed cases held back for `triage compare`")
    p.add_argument("--dedup-data", help="labelled duplicate pairs for the duplicate verifier "
                                        "(default data/dedup_train and the dev half of data/dedup)")
    p.add_argument("--no-dedup-verifier", action="store_true",
                   help="no learned verifier: the hand-weighted similarity links duplicates")
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
    p.add_argument("--by-writer", action="store_true",
                   help="leave one writer out: refit the verifier on the other writers of "
                        "data/dedup_train and data/dedup and cluster each (several minutes)")
    p.set_defaults(func=_evaluate_dedup)


def _model_args(p, *, baseline: bool = True) -> None:
    p.add_argument("model", help="the candidate model id")
    p.add_argument("--models-dir", default=str(DEFAULT_MODELS_DIR))
    p.add_argument("--eval", action="append", help="evaluation JSONL (default data/eval)")
    if baseline:
        p.add_argument("--baseline", help="model to compare with (default: the active one)")


def compare_(sub) -> None:
    p = sub.add_parser("compare", help="a candidate beside the active model on data/eval and "
                                       "its held-back reviewed cases, in one table")
    _model_args(p)
    p.add_argument("--json", help="also write the comparison as JSON here")
    p.set_defaults(func=_compare)


def promote(sub) -> None:
    p = sub.add_parser("promote", help="make a model active if it is not worse than the "
                                       "active one (every worker switches without a restart)")
    _model_args(p, baseline=False)
    p.add_argument("--force", action="store_true", help="promote even if it is worse")
    p.add_argument("--tolerance", type=float, default=0.0, help="allowed micro-F1 drop")
    p.add_argument("--margin", type=float, default=0.10,
                   help="largest allowed drop of one code's recall")
    p.add_argument("--db", help="database for the audit row (default TRIAGE_DATABASE_URL)")
    p.set_defaults(func=_promote)


def rollback_(sub) -> None:
    p = sub.add_parser("rollback", help="make the previous model active again")
    p.add_argument("--to", help="an earlier model id (default: the one before the active)")
    p.add_argument("--models-dir", default=str(DEFAULT_MODELS_DIR))
    p.add_argument("--db", help="database for the audit row (default TRIAGE_DATABASE_URL)")
    p.set_defaults(func=_rollback)
