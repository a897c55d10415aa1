"""The `triage` command. The core's own subcommands live here (`predict`, `taxonomy check`,
`model-ready`); the others (`train`, `evaluate`, `serve` …) are found through the
``triage.commands`` entry-point group, so the core never imports the layers above it.

Each entry point is a function ``register(subparsers)`` that adds its parser and sets
``func`` (returning an exit code).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path

from triage.data import parse_input
from triage.errors import DataError, TriageError

DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
log = logging.getLogger(__name__)


def _predict(args: argparse.Namespace) -> int:
    from triage.pipeline import Triager, dedup_index_for, freeze_heap

    triager = Triager.from_models_dir(args.models_dir, model_id=args.model)
    index = dedup_index_for(triager)
    triager.triage("khởi động")  # load the segmenter, then keep the model out of the GC's walks
    freeze_heap()
    src = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")  # noqa: SIM115
    out = sys.stdout if args.output in (None, "-") else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
    errors = 0

    def items():
        nonlocal errors
        for lineno, line in enumerate(src, start=1):
            if not line.strip():
                continue
            try:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"not valid JSON ({exc.msg})", line=lineno) from None
                item = parse_input(obj, line=lineno)
            except DataError as exc:
                if not args.skip_errors:
                    raise
                errors += 1
                print(f"triage predict: skipped {exc}", file=sys.stderr)
                continue
            yield item.id, item.text

    try:
        n = 0
        for result in triager.triage_many(items(), dedup=index):
            out.write(json.dumps(result.to_contract(), ensure_ascii=False) + "\n")
            n += 1
    finally:
        if out is not sys.stdout:
            out.close()
        if src is not sys.stdin:
            src.close()
    print(f"triage predict: {n} items written, {errors} lines skipped", file=sys.stderr)
    return 0


def _taxonomy_check(args: argparse.Namespace) -> int:
    from triage.taxonomy import load_taxonomy

    tax = load_taxonomy(args.file)
    n_groups = len(tax.groups)
    print(f"ok: taxonomy {tax.version}, {len(tax.categories)} codes in {n_groups} groups, "
          f"{len(tax.deadlines)} deadlines, fingerprint {tax.fingerprint}")
    return 0


def _model_ready(args: argparse.Namespace) -> int:
    from triage.artifacts import load_model
    from triage.taxonomy import load_taxonomy

    try:
        model = load_model(args.models_dir, load_taxonomy())
    except TriageError as exc:
        print(f"no usable model: {exc}", file=sys.stderr)
        return 1
    print(f"active model {model.model_id} is ready")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="triage", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("predict", help="triage a JSONL file of {id, text} lines")
    p.add_argument("input", help="input JSONL ('-' for stdin)")
    p.add_argument("-o", "--output", help="output JSONL (default stdout)")
    p.add_argument("--models-dir", default=str(DEFAULT_MODELS_DIR))
    p.add_argument("--model", help="model id (default: the active model)")
    p.add_argument("--skip-errors", action="store_true",
                   help="report malformed lines on stderr and go on, instead of stopping")
    p.set_defaults(func=_predict)

    t = sub.add_parser("taxonomy", help="taxonomy tools")
    tsub = t.add_subparsers(dest="taxonomy_command", metavar="ACTION", required=True)
    tc = tsub.add_parser("check", help="validate a taxonomy file")
    tc.add_argument("file", nargs="?", help="taxonomy YAML (default data/taxonomy.yaml)")
    tc.set_defaults(func=_taxonomy_check)

    m = sub.add_parser("model-ready", help="exit 0 when the active model loads and verifies")
    m.add_argument("--models-dir", default=str(DEFAULT_MODELS_DIR))
    m.set_defaults(func=_model_ready)

    for ep in sorted(entry_points(group="triage.commands"), key=lambda e: e.name):
        try:
            ep.load()(sub)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the core
            log.warning("command %s unavailable: %s", ep.name, exc)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except TriageError as exc:
        print(f"triage {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
