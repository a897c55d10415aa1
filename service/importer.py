"""`triage import FILE`: a backlog file (CSV or JSONL) into the database, through the same
intake flow as the API, with a progress line on stderr."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

FIELDS = ("text", "channel", "received_at", "locality", "district", "external_ref")


def read_backlog(path: Path):
    """Yield (line number, JSON line) from a CSV (header row with a `text` column) or JSONL."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                obj = {k: v for k, v in row.items() if k in FIELDS and v not in (None, "")}
                yield n, json.dumps(obj, ensure_ascii=False)
    else:
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    yield n, line


def import_file(path: Path, *, settings, actor: str = "cli:import", chunk: int = 200) -> dict:
    from service.db import Database
    from service.flows import intake_batch
    from service.migrate import migrate
    from service.security import IdentityCipher
    from triage.errors import TriageError
    from triage.pipeline import Triager

    migrate(settings.database_url)
    db = Database(settings.database_url)
    try:
        triager = Triager.from_models_dir(settings.models_dir)
    except TriageError as exc:
        print(f"no model ({exc}); items are stored untriaged", file=sys.stderr)
        triager = None
    cipher = IdentityCipher.from_settings(settings.identity_key, settings.identity_key_file)
    rows = list(read_backlog(path))
    stored = errors = 0
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        results = intake_batch(db, triager, cipher, [line for _, line in part], actor=actor,
                               max_chars=settings.max_text_chars)
        for r in results:
            source_line = part[r["line"] - 1][0]
            if "error" in r:
                errors += 1
                print(f"line {source_line}: {r['error']['code']}: {r['error']['detail']}",
                      file=sys.stderr)
            else:
                stored += 1
        done = min(start + chunk, len(rows))
        print(f"\r{done}/{len(rows)} lines, {stored} stored, {errors} errors",
              end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    db.dispose()
    return {"lines": len(rows), "stored": stored, "errors": errors}
