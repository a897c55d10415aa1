"""From scores to suggestions: party gate, per-code thresholds, out of scope, crosswalk.

Thresholds are chosen on out-of-fold scores of the training data (cross-validation inside
``triage train``), never on the evaluation set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from triage.taxonomy import Taxonomy

THRESHOLD_GRID = np.round(np.arange(0.04, 0.62, 0.02), 2)


@dataclass
class DecisionPolicy:
    """Everything that turns scores into a decision, saved with the model."""

    thresholds: dict[str, float]
    out_threshold: float = 0.5
    party_factor: float = 0.25
    max_suggested: int = 5
    # Labelling guide: a legal act (TN corruption, LP waste) is primary over the sign or
    # party rule it also shows. Chosen on cross-validation (see `tune_policy`).
    act_precedence: bool = False
    metrics: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    ranked: list[tuple[str, float]]  # every code, best first
    suggested: list[str]
    out_of_scope: bool
    implied: dict[str, str]  # implied code -> the code that implied it
    uncertainty: float = 0.0  # 0 = sure … 1 = a coin toss (labelling-session order)


def uncertainty(rank_row: np.ndarray, p_out: float, out_threshold: float) -> float:
    """How unsure the model is: the larger of (a) how close the two best codes are
    (margin sampling on the ranking scores) and (b) how close the out-of-scope
    probability is to its threshold. Both lie in [0, 1]."""
    if rank_row.size >= 2:
        top2 = np.partition(rank_row, -2)[-2:]
        s2, s1 = float(top2[0]), float(top2[1])
        margin = 1.0 - (s1 - s2) / s1 if s1 > 1e-9 else 1.0
    else:
        margin = 0.0
    span = max(out_threshold, 1.0 - out_threshold, 1e-9)
    near_out = 1.0 - min(1.0, abs(p_out - out_threshold) / span)
    return round(float(min(1.0, max(0.0, margin, near_out))), 4)


def gate_scores(scores: np.ndarray, party: np.ndarray, party_mask: np.ndarray,
                factor: float) -> np.ndarray:
    """Damp the party-only codes (DV but DV04) of items that show no party membership."""
    damp = np.where(party[:, None] & party_mask[None, :], 1.0,
                    np.where(party_mask[None, :], factor, 1.0))
    return scores * damp


@dataclass(frozen=True)
class _Masks:
    inside: np.ndarray      # not an OUT code
    non_party: np.ndarray   # allowed without party membership
    any_member: np.ndarray  # all True


_MASKS: dict[int, _Masks] = {}
_THRESHOLDS: dict[int, np.ndarray] = {}


def _masks(classes: np.ndarray, taxonomy: Taxonomy) -> _Masks:
    key = id(classes) ^ id(taxonomy)
    if key not in _MASKS:
        out = set(taxonomy.out_codes)
        party_only = taxonomy.crosswalk.party_only
        _MASKS[key] = _Masks(np.array([c not in out for c in classes]),
                             np.array([c not in party_only for c in classes]),
                             np.ones(len(classes), dtype=bool))
    return _MASKS[key]


def _thresholds(policy: DecisionPolicy, classes: np.ndarray) -> np.ndarray:
    key = id(policy) ^ id(classes)
    if key not in _THRESHOLDS:
        _THRESHOLDS[key] = np.array([policy.thresholds.get(str(c), 0.5) for c in classes])
    return _THRESHOLDS[key]


def decide(row: np.ndarray, rank_row: np.ndarray, p_out: float, *, classes: np.ndarray,
           policy: DecisionPolicy, taxonomy: Taxonomy, party_member: bool) -> Decision:
    """Decide one item from its (gated) membership and ranking score rows."""
    # The first place goes to the best code of the likeliest group (group-aware ranking);
    # the rest follow by their own score, so near neighbours in other groups stay close.
    first = int(np.argmax(rank_row))
    order = np.argsort(-row, kind="stable")
    order = np.concatenate(([first], order[order != first]))
    ranked = list(zip(classes[order].tolist(), row[order].tolist()))
    out_codes = set(taxonomy.out_codes)
    unsure = uncertainty(rank_row, p_out, policy.out_threshold)
    if p_out >= policy.out_threshold:
        best_out = next(c for c, _ in ranked if c in out_codes)
        ranked = [r for r in ranked if r[0] == best_out] + [r for r in ranked if r[0] != best_out]
        return Decision(ranked, [best_out], True, {}, unsure)
    masks = _masks(classes, taxonomy)
    allowed = masks.inside & (masks.any_member if party_member else masks.non_party)
    inside_order = order[allowed[order]]
    thr = _thresholds(policy, classes)
    over = inside_order[row[inside_order] >= thr[inside_order]]
    top = int(inside_order[0])
    chosen = [str(classes[top])] + [str(classes[k]) for k in over.tolist() if k != top]
    chosen = chosen[: policy.max_suggested]
    final = taxonomy.apply_crosswalk(chosen, party_member=party_member)
    implied = {}
    for code in final[len(chosen):]:
        src = next((c for c in chosen if any(code == i.target and c in i.sources
                                             for i in taxonomy.crosswalk.implies)), None)
        src = src or next((c for c in chosen
                           if taxonomy.crosswalk.party_counterparts.get(c) == code), None)
        if src:
            implied[code] = src
    # Outside the out-of-scope branch, OUT codes rank after every in-scope code.
    ranked = [r for r in ranked if r[0] not in out_codes] + [r for r in ranked if r[0] in out_codes]
    if policy.act_precedence and taxonomy.group_of(ranked[0][0]) not in ACT_GROUPS:
        act = next((c for c, _ in ranked if c in final and taxonomy.group_of(c) in ACT_GROUPS), None)
        if act is not None:
            ranked = [r for r in ranked if r[0] == act] + [r for r in ranked if r[0] != act]
            final = [act] + [c for c in final if c != act]
    return Decision(ranked, final, False, implied, unsure)


ACT_GROUPS = frozenset({"TN", "LP"})


def group_accuracy(scores: np.ndarray, rank: np.ndarray, p_out: np.ndarray, primary: list[str], *,
                   classes: np.ndarray, taxonomy: Taxonomy, party: np.ndarray,
                   policy: DecisionPolicy) -> float:
    """Share of items whose first-ranked code is in the primary's group, under ``policy``."""
    party_mask = np.array([c in taxonomy.crosswalk.party_only for c in classes])
    g = gate_scores(scores, party, party_mask, policy.party_factor)
    gr = gate_scores(rank, party, party_mask, policy.party_factor)
    hits = 0
    for i, p in enumerate(primary):
        d = decide(g[i], gr[i], float(p_out[i]), classes=classes, policy=policy,
                   taxonomy=taxonomy, party_member=bool(party[i]))
        hits += taxonomy.group_of(d.ranked[0][0]) == taxonomy.group_of(p)
    return hits / max(1, len(primary))


def _f1(tp: float, fp: float, fn: float) -> float:
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def tune_policy(scores: np.ndarray, rank: np.ndarray, p_out: np.ndarray,
                gold: list[tuple[str, ...]], *, classes: np.ndarray, taxonomy: Taxonomy,
                party: np.ndarray, party_factor: float = 0.25,
                shrink: float = 10.0) -> DecisionPolicy:
    """Choose the out-of-scope threshold and per-code thresholds on out-of-fold scores."""
    out_codes = set(taxonomy.out_codes)
    gold_out = np.array([any(c in out_codes for c in g) for g in gold])
    best_t, best_f = 0.5, -1.0
    for t in np.round(np.arange(0.2, 0.85, 0.025), 3):
        pred = p_out >= t
        f = _f1(float((pred & gold_out).sum()), float((pred & ~gold_out).sum()),
                float((~pred & gold_out).sum()))
        if f > best_f:
            best_t, best_f = float(t), f
    party_mask = np.array([c in taxonomy.crosswalk.party_only for c in classes])
    gated = gate_scores(scores, party, party_mask, party_factor)
    in_mask = np.array([c not in out_codes for c in classes])
    inside = np.where(in_mask[None, :], gated, -1.0)
    allowed = ~(party_mask[None, :] & ~party[:, None])
    inside = np.where(allowed, inside, -1.0)
    ranked_inside = np.where(in_mask[None, :] & allowed,
                             gate_scores(rank, party, party_mask, party_factor), -1.0)
    top1 = ranked_inside.argmax(axis=1)
    index = {c: i for i, c in enumerate(classes)}
    Y = np.zeros_like(scores, dtype=bool)
    for i, g in enumerate(gold):
        for c in g:
            if c in index:
                Y[i, index[c]] = True
    pred_in = ~(p_out >= best_t)
    # One global threshold for the whole decision first, then per code with shrinkage.
    best_g, best_gf = 0.2, -1.0
    for t in THRESHOLD_GRID:
        P = (inside >= t) & pred_in[:, None]
        P[np.arange(len(top1)), top1] |= pred_in
        tp = float((P & Y).sum())
        f = _f1(tp, float((P & ~Y).sum()), float((~P & Y).sum()))
        if f > best_gf:
            best_g, best_gf = float(t), f
    thresholds: dict[str, float] = {}
    for k, code in enumerate(classes):
        if code in out_codes:
            continue
        y = Y[:, k] & pred_in
        n_pos = int(y.sum())
        forced = (top1 == k) & pred_in
        best_c, best_cf = best_g, -1.0
        for t in THRESHOLD_GRID:
            p = ((inside[:, k] >= t) & pred_in) | forced
            f = _f1(float((p & y).sum()), float((p & ~y).sum()), float((~p & y).sum()))
            if f > best_cf:
                best_c, best_cf = float(t), f
        w = n_pos / (n_pos + shrink)
        thresholds[str(code)] = round(w * best_c + (1 - w) * best_g, 4)
    return DecisionPolicy(
        thresholds=thresholds, out_threshold=best_t, party_factor=party_factor,
        metrics={"cv_out_f1": round(best_f, 4), "cv_global_threshold": best_g,
                 "cv_global_micro_f1": round(best_gf, 4)},
    )
