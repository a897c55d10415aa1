"""Compare a candidate model with the active one, and the promotion gate.

A candidate is judged beside the active model on the same texts, in one table: the
evaluation set (``data/eval``, with and without diacritics) and the candidate's
held-back slice of recent reviewed cases (``models/<id>/heldback.jsonl``, written by
``triage train``). It may become active only if it is not worse: on each set its
micro-F1 is at least the active model's (minus ``tolerance``) and no code with enough
support loses more than ``recall_margin`` of recall by more than chance (a paired exact
test on the items one model finds and the other misses).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from training.evaluate import evaluate_examples, strip_examples
from triage.data import LabelledExample, read_labelled
from triage.pipeline import Triager
from triage.taxonomy import Taxonomy

HELD_BACK = "heldback.jsonl"
HEADLINE = ("micro_f1", "macro_f1", "group_accuracy_top1", "primary_top3_recall",
            "out_of_scope_f1")


@dataclass(frozen=True)
class Gate:
    tolerance: float = 0.0       # micro-F1 may not drop at all by default
    recall_margin: float = 0.10  # largest allowed drop of one code's recall
    min_support: int = 3         # codes with fewer examples in a set are not judged
    # A drop must also be more than noise: on a code with 10 examples, two misses are 0.2
    # of recall and happen by chance. Paired exact (McNemar) test on the items of the code
    # one model finds and the other misses, one-sided, at this level.
    significance: float = 0.05


@dataclass
class Comparison:
    baseline: str | None
    candidate: str
    sets: dict[str, dict[str, dict]] = field(default_factory=dict)  # set -> model -> report

    def to_dict(self) -> dict:
        return {"baseline": self.baseline, "candidate": self.candidate,
                "sets": {name: {who: {k: v for k, v in rep.items() if k not in ("errors", "found")}
                                for who, rep in reps.items()} for name, reps in self.sets.items()}}


def held_back_of(models_dir: str | Path, model_id: str, taxonomy: Taxonomy) -> list[LabelledExample]:
    path = Path(models_dir) / model_id / HELD_BACK
    return read_labelled([path], taxonomy) if path.exists() else []


def compare(candidate: Triager, baseline: Triager | None, *,
            eval_examples: Sequence[LabelledExample],
            held_back: Sequence[LabelledExample]) -> Comparison:
    sets = {"eval": list(eval_examples), "eval_no_diacritics": strip_examples(eval_examples),
            "held_back": list(held_back)}
    cmp = Comparison(baseline.model.model_id if baseline else None, candidate.model.model_id)
    for name, examples in sets.items():
        if not examples:
            continue
        cmp.sets[name] = {"candidate": evaluate_examples(candidate, examples)}
        if baseline is not None:
            cmp.sets[name]["baseline"] = evaluate_examples(baseline, examples)
    return cmp


def gate_problems(cmp: Comparison, gate: Gate = Gate()) -> list[str]:
    """Why the candidate may not be promoted (empty: it may)."""
    problems = []
    for name, reps in cmp.sets.items():
        if "baseline" not in reps:
            continue
        cand, base = reps["candidate"], reps["baseline"]
        if cand["micro_f1"] < base["micro_f1"] - gate.tolerance:
            problems.append(f"{name}: micro-F1 {cand['micro_f1']:.3f} < active "
                            f"{base['micro_f1']:.3f}")
        for code, b in base["per_code"].items():
            if b["support"] < gate.min_support:
                continue
            c_rec = cand["per_code"].get(code, {}).get("recall", 0.0)
            if c_rec < b["recall"] - gate.recall_margin and _significant_loss(
                    base.get("found", {}).get(code, []), cand.get("found", {}).get(code, []),
                    gate.significance):
                problems.append(f"{name}: recall of {code} falls {b['recall']:.2f} -> "
                                f"{c_rec:.2f} (n={b['support']})")
    return problems


def _significant_loss(base_found: list[int], cand_found: list[int], level: float) -> bool:
    """McNemar's exact test: is losing ``b`` items while gaining ``c`` more than chance?"""
    from scipy.stats import binomtest

    lost = len(set(base_found) - set(cand_found))
    gained = len(set(cand_found) - set(base_found))
    if lost == 0:
        return False
    return binomtest(lost, lost + gained, 0.5, alternative="greater").pvalue < level


def format_comparison(cmp: Comparison) -> str:
    lines = [f"candidate {cmp.candidate} beside active {cmp.baseline or '(none)'}", "",
             f"{'set':<20}{'metric':<22}{'active':>9}{'candidate':>11}{'diff':>8}"]
    for name, reps in cmp.sets.items():
        n = reps["candidate"]["n"]
        for k in HEADLINE:
            c = reps["candidate"][k]
            b = reps.get("baseline", {}).get(k)
            base = f"{b:>9.3f}" if b is not None else f"{'-':>9}"
            diff = f"{c - b:>+8.3f}" if b is not None else f"{'':>8}"
            lines.append(f"{name + f' ({n})':<20}{k:<22}{base}{c:>11.3f}{diff}")
    return "\n".join(lines)

