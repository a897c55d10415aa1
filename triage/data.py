"""The labelled-example JSONL format and the prediction input format.

Labelled example (seed files, evaluation files, exported reviews), one per line::

    {"id": "seed-tn-0001", "text": "...", "labels": ["TN02", "DD07"], "primary": "TN02",
     "source": "seed"}

``primary`` defaults to the first label. Prediction input: ``{"id", "text"}`` plus optional
``channel``, ``received_at``, ``locality``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from triage.errors import DataError
from triage.taxonomy import Taxonomy


@dataclass(frozen=True)
class LabelledExample:
    id: str
    text: str
    labels: tuple[str, ...]
    primary: str
    source: str = "seed"
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class InputItem:
    id: str
    text: str
    channel: str | None = None
    received_at: str | None = None
    locality: str | None = None
    line: int = 0


def _iter_json_lines(path: Path) -> Iterator[tuple[int, object]]:
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"not valid JSON ({exc.msg})", line=lineno, source=str(path)) from None


def parse_labelled(obj: object, taxonomy: Taxonomy, *, line: int = 0, source: str = "") -> LabelledExample:
    if not isinstance(obj, dict):
        raise DataError("expected a JSON object", line=line, source=source)
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DataError("missing or empty 'text'", line=line, source=source)
    labels = obj.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(c, str) for c in labels):
        raise DataError("'labels' must be a non-empty list of codes", line=line, source=source)
    unknown = [c for c in labels if c not in taxonomy.categories]
    if unknown:
        raise DataError(f"unknown code(s) {unknown}", line=line, source=source)
    primary = obj.get("primary") or labels[0]
    if primary not in labels:
        raise DataError(f"primary {primary!r} is not among the labels", line=line, source=source)
    ordered = (primary,) + tuple(dict.fromkeys(c for c in labels if c != primary))
    rest = {k: v for k, v in obj.items() if k not in {"id", "text", "labels", "primary", "source"}}
    return LabelledExample(
        id=str(obj.get("id") or f"{Path(source).stem}-{line}"),
        text=text,
        labels=ordered,
        primary=primary,
        source=str(obj.get("source") or "seed"),
        extra=rest,
    )


def read_labelled(paths: Iterable[str | Path], taxonomy: Taxonomy) -> list[LabelledExample]:
    """Read labelled JSONL files (or directories of them); fail on the first bad line."""
    examples: list[LabelledExample] = []
    for path in expand_paths(paths):
        for lineno, obj in _iter_json_lines(path):
            examples.append(parse_labelled(obj, taxonomy, line=lineno, source=str(path)))
    return examples


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(p.glob("*.jsonl")))
        elif p.exists():
            out.append(p)
        else:
            raise DataError(f"no such file or directory: {p}")
    return out


def data_hash(paths: Iterable[str | Path]) -> dict[str, str]:
    """sha256 of each data file, for the model card."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in expand_paths(paths)}


def parse_input(obj: object, *, line: int) -> InputItem:
    if not isinstance(obj, dict):
        raise DataError("expected a JSON object", line=line)
    text = obj.get("text")
    if not isinstance(text, str):
        raise DataError("missing 'text' (a string)", line=line)
    item_id = obj.get("id")
    if item_id is None:
        raise DataError("missing 'id'", line=line)
    for key in ("channel", "received_at", "locality"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise DataError(f"'{key}' must be a string", line=line)
    return InputItem(id=str(item_id), text=text, channel=obj.get("channel"),
                     received_at=obj.get("received_at"), locality=obj.get("locality"), line=line)
