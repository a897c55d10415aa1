"""Seed one quarter through the real API, then run `triage report` on it.

The items are texts of the evaluation set (data/eval) and two duplicate groups of
data/dedup, posted with channels, localities and receipt times spread over the quarter
(and a few outside it); about a third are reviewed with their gold codes, then left
reviewed, forwarded or closed, and one is claimed. The report printed last is the output
of the real command::

    .venv/bin/python scripts/report_quarter.py --period 2026-Q3           # JSON on stdout
    .venv/bin/python scripts/report_quarter.py --out-dir /tmp/q3          # + CSV and HTML

It needs a trained model (`make model`); the database is a new SQLite file unless
--database-url names another (its tables are created if missing, and it should be empty).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path

from service.periods import VIETNAM, parse_period

ROOT = Path(__file__).resolve().parent.parent

LOCALITIES = ["00070", "00073", "01", "26506", "26526", "79", "28261", "82", "20242"]
CHANNELS = ["don_thu", "email", "duong_day_nong", "hom_thu", "tiep_xuc_cu_tri", "bao_chi",
            "truc_tiep"]


def _items(n_eval: int) -> list[dict]:
    def read(path):
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    rows = read(ROOT / "data/eval/eval_a.jsonl")[: n_eval // 2]
    rows += read(ROOT / "data/eval/eval_b.jsonl")[: n_eval - len(rows)]
    dedup = read(ROOT / "data/dedup/dedup.jsonl")
    for group in ("g002", "g033"):  # the same case sent again: other channels, no accents ...
        rows += [r for r in dedup if r.get("group") == group]
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--period", default="2026-Q3")
    ap.add_argument("--items", type=int, default=48, help="items taken from data/eval")
    ap.add_argument("--database-url")
    ap.add_argument("--models-dir", default=str(ROOT / "models"))
    ap.add_argument("--out-dir", help="also write report.json, report.csv and report.html here")
    args = ap.parse_args()

    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.db import Database
    from service.migrate import migrate
    from service.models import ApiKey
    from service.security import hash_key, new_key
    from service.settings import Settings
    from service.store import now

    work = Path(tempfile.mkdtemp(prefix="triage-report-"))
    url = args.database_url or f"sqlite:///{work / 'triage.db'}"
    migrate(url)
    db = Database(url)
    keys = {}
    with db.transaction() as s:
        for role in ("intake", "reviewer"):
            key_id, key = new_key()
            s.add(ApiKey(id=key_id, key_hash=hash_key(key), role=role, created_at=now()))
            keys[role] = {"Authorization": f"Bearer {key}"}
    db.dispose()

    period = parse_period(args.period)
    days = (period.last - period.first).days + 1
    rows = _items(args.items)
    settings = Settings(database_url=url, models_dir=Path(args.models_dir),
                        identity_key_file=work / "identity.key")
    with TestClient(create_app(settings)) as client:
        posted = []
        for i, row in enumerate(rows):
            if i % 17 == 5:  # a few just outside the quarter, on both sides
                day = period.first - timedelta(days=1 + i % 3) if i % 2 else \
                    period.last + timedelta(days=1 + i % 3)
            else:
                day = period.first + timedelta(days=(i * 37) % days)
            received = datetime.combine(day, time(7 + (i * 5) % 12, (i * 13) % 60), VIETNAM)
            body = {"text": row["text"], "channel": row.get("channel") or CHANNELS[i % 7],
                    "locality": LOCALITIES[(i * 5) % len(LOCALITIES)],
                    "received_at": received.isoformat()}
            r = client.post("/api/v1/feedback", headers=keys["intake"], json=body)
            r.raise_for_status()
            posted.append((r.json()["id"], row.get("labels") or []))
        rev = keys["reviewer"]
        for i, (item_id, labels) in enumerate(posted):
            if i % 3 or not labels:
                continue
            claimed = client.post(f"/api/v1/feedback/{item_id}/claim", headers=rev)
            claimed.raise_for_status()
            action = ("none", "forward", "close")[(i // 3) % 3]
            client.post(f"/api/v1/feedback/{item_id}/review", headers=rev, json={
                "version": claimed.json()["version"], "codes": labels, "action": action,
                "forwarded_to": "Ủy ban kiểm tra" if action == "forward" else None,
            }).raise_for_status()
        client.post(f"/api/v1/feedback/{posted[1][0]}/claim", headers=rev).raise_for_status()
    print(f"seeded {len(posted)} items into {url}", file=sys.stderr)

    command = [str(Path(sys.executable).with_name("triage")), "report", "--period", args.period,
               "--database-url", url]
    print("$ " + " ".join(command), file=sys.stderr)
    report = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    if args.out_dir:
        out = Path(args.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(report, encoding="utf-8")
        for fmt in ("csv", "html"):
            subprocess.run([*command, "--format", fmt, "-o", str(out / f"report.{fmt}")],
                           check=True)
    sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
