"""Evaluation of a model on labelled examples, with and without diacritics.

Metrics: per-code precision/recall/F1 of ``suggested``, micro and macro F1, group accuracy
of the top-ranked code, top-3 recall of the primary code, out-of-scope F1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from triage.data import LabelledExample
from triage.pipeline import Triager
from triage.textutil import strip_diacritics


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate_examples(triager: Triager, examples: Sequence[LabelledExample]) -> dict:
    tax = triager.taxonomy
    results = list(triager.triage_many((ex.id, ex.text) for ex in examples))
    tp, fp, fn = Counter(), Counter(), Counter()
    group_hits = top3_hits = 0
    oos = Counter()
    exact = 0
    errors = []
    found: dict[str, list[int]] = {}  # code -> items where the gold code was suggested
    for i, (ex, res) in enumerate(zip(examples, results)):
        gold, pred = set(ex.labels), set(res.suggested)
        for c in pred & gold:
            tp[c] += 1
            found.setdefault(c, []).append(i)
        for c in pred - gold:
            fp[c] += 1
        for c in gold - pred:
            fn[c] += 1
        exact += pred == gold
        ranked = [c for c, _ in res.labels]
        group_hits += tax.group_of(ranked[0]) == tax.group_of(ex.primary)
        top3_hits += ex.primary in ranked[:3]
        gold_out, pred_out = tax.is_out_of_scope(ex.primary), res.out_of_scope
        oos["tp"] += gold_out and pred_out
        oos["fp"] += pred_out and not gold_out
        oos["fn"] += gold_out and not pred_out
        if ex.primary not in ranked[:3] or pred != gold:
            errors.append({"id": ex.id, "gold": list(ex.labels), "suggested": res.suggested,
                           "top3": ranked[:3]})
    codes = sorted(set(tp) | set(fp) | set(fn), key=tax.codes.index)
    per_code = {}
    for c in codes:
        p, r, f = _f1(tp[c], fp[c], fn[c])
        per_code[c] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
                       "support": tp[c] + fn[c]}
    mp, mr, mf = _f1(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    supported = [v["f1"] for v in per_code.values() if v["support"] > 0]
    n = len(examples)
    return {
        "n": n,
        "micro_precision": round(mp, 4),
        "micro_recall": round(mr, 4),
        "micro_f1": round(mf, 4),
        "macro_f1": round(sum(supported) / len(supported), 4) if supported else 0.0,
        "group_accuracy_top1": round(group_hits / n, 4) if n else 0.0,
        "primary_top3_recall": round(top3_hits / n, 4) if n else 0.0,
        "out_of_scope_f1": round(_f1(oos["tp"], oos["fp"], oos["fn"])[2], 4),
        "exact_match": round(exact / n, 4) if n else 0.0,
        "per_code": per_code,
        "errors": errors,
        "found": found,
    }


def strip_examples(examples: Sequence[LabelledExample]) -> list[LabelledExample]:
    """The same examples typed without diacritics."""
    return [replace(ex, text=strip_diacritics(ex.text)) for ex in examples]


def evaluate_model(triager: Triager, examples: Sequence[LabelledExample]) -> dict:
    with_marks = evaluate_examples(triager, examples)
    without = evaluate_examples(triager, strip_examples(examples))
    return {"model": triager.model.model_id, "with_diacritics": with_marks,
            "without_diacritics": without}


HEADLINE = ("micro_f1", "macro_f1", "group_accuracy_top1", "primary_top3_recall",
            "out_of_scope_f1", "exact_match")


def format_report(report: dict, *, per_code: bool = True) -> str:
    a, b = report["with_diacritics"], report["without_diacritics"]
    lines = [f"model {report['model']} on {a['n']} items", "",
             f"{'metric':<24}{'with marks':>12}{'no marks':>12}{'diff':>8}"]
    for k in HEADLINE:
        lines.append(f"{k:<24}{a[k]:>12.3f}{b[k]:>12.3f}{b[k] - a[k]:>+8.3f}")
    if per_code:
        lines += ["", f"{'code':<8}{'prec':>7}{'rec':>7}{'f1':>7}{'n':>5}   (with marks)"]
        for code, m in a["per_code"].items():
            lines.append(f"{code:<8}{m['precision']:>7.2f}{m['recall']:>7.2f}{m['f1']:>7.2f}"
                         f"{m['support']:>5}")
    return "\n".join(lines)
