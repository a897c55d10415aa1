"""`triage evaluate-dedup`: pairwise precision/recall of duplicate clusters on a labelled set.

The labelled set (``data/dedup/*.jsonl``) has one item per line::

    {"id": "dup-0001", "group": "g001" | null, "kind": "original" | "no_diacritics" | ...,
     "near": "<id>" (hard negatives), "text": "..."}

Items of one ``group`` are the same concrete case; ``group: null`` items are distinct
cases (``kind: hard_negative`` ones are written to look like the item named in ``near``).
Items are fed in file order, each matched against the earlier ones, as in production.
"""

from __future__ import annotations

import json
import random
import zlib
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

from triage.data import expand_paths
from triage.pipeline import Triager, dedup_index_for


def read_dedup_set(path: str | Path) -> list[dict]:
    """The items of a labelled duplicate file or directory, each with the ``source`` (file
    name) it came from unless it names one: one file is one writer's work."""
    items = []
    for p in expand_paths([path]):
        with p.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    item = json.loads(line)
                    item.setdefault("source", p.stem)
                    items.append(item)
    return items


SPLITS = ("all", "dev", "held-out")


def case_key(item: dict, group_of: dict[str, str | None]) -> str:
    """The case an item belongs to: its group; for a hard negative, the group of the item
    it imitates (the two go together wherever the set is split); else the item itself."""
    return item.get("group") or group_of.get(item.get("near") or "") or item["id"]


def case_half(item: dict, near_group: dict[str, str | None]) -> str:
    """Which half of the set an item belongs to, by *case* (`case_key`), so nothing tuned
    on the dev half has seen a held-out case. A stable hash (crc32), not Python's salted
    ``hash``."""
    return "dev" if zlib.crc32(case_key(item, near_group).encode()) % 2 == 0 else "held-out"


def split_items(items: list[dict], split: str) -> list[dict]:
    """The items of one half (``dev`` or ``held-out``), in file order; ``all``: every item."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    if split == "all":
        return items
    group_of = {it["id"]: it.get("group") for it in items}
    return [it for it in items if case_half(it, group_of) == split]


def _pairs(clusters: dict[str, list[str]]) -> set[frozenset[str]]:
    out: set[frozenset[str]] = set()
    for members in clusters.values():
        for a, b in combinations(sorted(members), 2):
            out.add(frozenset((a, b)))
    return out


def evaluate_dedup(triager: Triager, path: str | Path | None, *, shuffle_seed: int | None = None,
                   split: str = "all", items: list[dict] | None = None) -> dict:
    items = split_items(items if items is not None else read_dedup_set(path), split)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(items)
    index = dedup_index_for(triager)
    results = {r.id: r for r in triager.triage_many(((it["id"], it["text"]) for it in items),
                                                  dedup=index)}
    gold: dict[str, list[str]] = defaultdict(list)
    pred: dict[str, list[str]] = defaultdict(list)
    for it in items:
        gold[it.get("group") or f"single-{it['id']}"].append(it["id"])
        pred[results[it["id"]].cluster].append(it["id"])
    gold_pairs, pred_pairs = _pairs(gold), _pairs(pred)
    tp = len(gold_pairs & pred_pairs)
    precision = tp / len(pred_pairs) if pred_pairs else 1.0
    recall = tp / len(gold_pairs) if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    cluster_of = {it["id"]: results[it["id"]].cluster for it in items}
    by_kind_total, by_kind_hit, by_kind_shown = Counter(), Counter(), Counter()
    group_members = {g: set(m) for g, m in gold.items()}
    for it in items:
        g, kind = it.get("group"), it.get("kind", "")
        if not g or kind == "original":
            continue
        by_kind_total[kind] += 1
        others = group_members[g] - {it["id"]}
        if any(cluster_of[o] == cluster_of[it["id"]] for o in others):
            by_kind_hit[kind] += 1
            by_kind_shown[kind] += 1
        elif any(m.item_id in others for m in results[it["id"]].possible_duplicates):
            by_kind_shown[kind] += 1  # not linked, but listed for the reviewer
    size = Counter(cluster_of.values())
    linked_negatives = []
    for it in items:
        if it.get("kind") == "hard_negative" and size[cluster_of[it["id"]]] > 1:
            res = results[it["id"]]
            linked_negatives.append({
                "id": it["id"], "near": it.get("near"),
                "linked_to": res.duplicate.item_id if res.duplicate else None,
                "similarity": round(res.duplicate.similarity, 3) if res.duplicate else None,
                "reasons": list(res.duplicate.reasons) if res.duplicate else [],
            })
    false_links = [
        {"id": i, "linked_to": results[i].duplicate.item_id,
         "similarity": round(results[i].duplicate.similarity, 3),
         "reasons": list(results[i].duplicate.reasons)}
        for i in cluster_of if results[i].duplicate
        and frozenset((i, results[i].duplicate.item_id)) not in gold_pairs
    ]
    return {
        "split": split, "items": len(items), "groups": sum(1 for g in gold if not g.startswith("single-")),
        "gold_pairs": len(gold_pairs), "predicted_pairs": len(pred_pairs),
        "pairwise_precision": round(precision, 4), "pairwise_recall": round(recall, 4),
        "pairwise_f1": round(f1, 4),
        "recall_by_kind": {k: round(by_kind_hit[k] / n, 4) for k, n in sorted(by_kind_total.items())},
        # linked, or listed among the item's possible duplicates (a reviewer sees it)
        "linked_or_listed_by_kind": {k: round(by_kind_shown[k] / n, 4)
                                     for k, n in sorted(by_kind_total.items())},
        "count_by_kind": dict(sorted(by_kind_total.items())),
        "hard_negatives": sum(1 for it in items if it.get("kind") == "hard_negative"),
        "hard_negatives_linked": linked_negatives,
        # the reviewer's extra reading: items showing possible duplicates, and how many
        "items_with_possible": sum(1 for i in cluster_of if results[i].possible_duplicates),
        "possible_listed": sum(len(results[i].possible_duplicates) for i in cluster_of),
        "false_links": false_links,
    }


def format_dedup_report(r: dict) -> str:
    shown = r.get("linked_or_listed_by_kind", {})
    lines = [(f"{r.get('split', 'all')}: {r['items']} items, {r['groups']} groups, "
              f"{r['gold_pairs']} duplicate pairs, {r['hard_negatives']} hard negatives"),
             (f"pairwise precision {r['pairwise_precision']:.3f}  recall {r['pairwise_recall']:.3f}"
              f"  F1 {r['pairwise_f1']:.3f}"), "",
             "recall by variant kind (linked; linked or listed as a possible duplicate):"]
    for k, v in r["recall_by_kind"].items():
        lines.append(f"  {k:<28}{v:>6.3f}  {shown.get(k, v):>6.3f}  (n={r['count_by_kind'][k]})")
    if "items_with_possible" in r:
        lines.append(f"possible duplicates listed: {r['possible_listed']} on "
                     f"{r['items_with_possible']} of {r['items']} items")
    lines.append(f"hard negatives linked: {len(r['hard_negatives_linked'])}")
    for h in r["hard_negatives_linked"]:
        lines.append(f"  {h['id']} (near {h['near']}) -> {h['linked_to']} sim {h['similarity']}")
    lines.append(f"false links: {len(r['false_links'])}")
    return "\n".join(lines)
