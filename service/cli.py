"""`triage serve`, `triage migrate`, `triage create-key`, `triage import`, `triage retriage`,
`triage report` (registered by entry points)."""

from __future__ import annotations

import argparse


def _settings():
    from service.settings import Settings

    return Settings()


def _migrate(args: argparse.Namespace) -> int:
    from service.migrate import migrate

    settings = _settings()
    migrate(settings.database_url)
    print("database is at the newest schema")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.migrate import migrate
    from service.server import HTTP_PROTOCOL, serve_workers

    settings = _settings()
    migrate(settings.database_url)
    host, port = args.host or settings.host, args.port or settings.port
    # uvloop where installed (Linux, macOS), else asyncio
    options = {"log_level": "info", "http": HTTP_PROTOCOL, "loop": "auto"}
    # Several workers: one socket each, so that connections are spread between them (see
    # service.server); uvicorn's shared socket where SO_REUSEPORT is missing.
    if args.workers and args.workers > 1 and serve_workers(
            "service.asgi:app", host=host, port=port, workers=args.workers, **options):
        return 0
    uvicorn.run("service.asgi:app", host=host, port=port, workers=args.workers, **options)
    return 0


def _create_key(args: argparse.Namespace) -> int:
    from service.db import Database
    from service.migrate import migrate
    from service.models import ApiKey
    from service.security import hash_key, new_key
    from service.store import audit, now

    settings = _settings()
    migrate(settings.database_url)
    db = Database(settings.database_url)
    if args.if_none:
        from sqlalchemy import select

        with db.read() as s:
            if s.scalar(select(ApiKey.id).where(ApiKey.role == args.role,
                                                ApiKey.revoked_at.is_(None))) is not None:
                print(f"an active {args.role} key exists already; none created")
                db.dispose()
                return 0
    key_id, key = new_key()
    with db.transaction() as s:
        s.add(ApiKey(id=key_id, key_hash=hash_key(key), role=args.role, scope=args.scope,
                     created_at=now()))
        audit(s, "key_created", actor="cli", detail={"key_id": key_id, "role": args.role,
                                                     "scope": args.scope})
    db.dispose()
    print(f"created {args.role} key {key_id}" + (f" for locality {args.scope}" if args.scope else ""))
    print(key)
    return 0


def _revoke_key(args: argparse.Namespace) -> int:
    from sqlalchemy import update

    from service.db import Database
    from service.migrate import migrate
    from service.models import ApiKey
    from service.store import audit, now

    settings = _settings()
    migrate(settings.database_url)
    db = Database(settings.database_url)
    with db.transaction() as s:
        n = s.execute(update(ApiKey).where(ApiKey.id == args.key_id, ApiKey.revoked_at.is_(None))
                      .values(revoked_at=now())).rowcount
        if n:
            audit(s, "key_revoked", actor="cli", detail={"key_id": args.key_id})
    db.dispose()
    print(f"revoked key {args.key_id}" if n else f"no active key {args.key_id}")
    return 0 if n else 1


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from service.importer import import_file

    result = import_file(Path(args.file), settings=_settings())
    print(f"{result['stored']} stored, {result['errors']} errors of {result['lines']} lines")
    return 0 if result["errors"] == 0 else 1


def _retriage(args: argparse.Namespace) -> int:
    from service.db import Database
    from service.flows import triage_pending
    from triage.pipeline import Triager

    settings = _settings()
    db = Database(settings.database_url)
    n = triage_pending(db, Triager.from_models_dir(settings.models_dir), limit=args.limit)
    db.dispose()
    print(f"{n} untriaged items processed")
    return 0


def _export_labels(args: argparse.Namespace) -> int:
    import json
    import sys
    from datetime import datetime

    from service.db import Database
    from service.labels import export_reviewed
    from triage.taxonomy import load_taxonomy

    db = Database(args.db or _settings().database_url)
    since = datetime.fromisoformat(args.since) if args.since else None
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    n = 0
    try:
        with db.read() as s:
            for ex in export_reviewed(s, load_taxonomy(), since=since):
                out.write(json.dumps(ex, ensure_ascii=False) + "\n")
                n += 1
    finally:
        if out is not sys.stdout:
            out.close()
        db.dispose()
    print(f"{n} reviewed cases exported", file=sys.stderr)
    return 0


def export_labels(sub) -> None:
    p = sub.add_parser("export-labels", help="write reviewed cases as labelled JSONL "
                                             "(redacted text only), for `triage train --reviews`")
    p.add_argument("-o", "--output", help="output file (default: standard output)")
    p.add_argument("--db", help="database URL (default TRIAGE_DATABASE_URL)")
    p.add_argument("--since", help="only reviews from this ISO date/time on")
    p.set_defaults(func=_export_labels)


def _report(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from service.db import Database
    from service.errors import ServiceError
    from service.localities import normalize_locality
    from service.periods import resolve_period
    from service.report_render import render_csv, render_html
    from service.reports import build_report
    from triage.taxonomy import load_taxonomy

    try:
        period = resolve_period(args.period, args.from_, args.to)
        locality = normalize_locality(args.locality) if args.locality else None
    except ServiceError as exc:
        print(f"triage report: error ({exc.code}): {exc.detail}", file=sys.stderr)
        return 2
    db = Database(args.database_url or _settings().database_url)
    try:
        with db.read() as s:
            report = build_report(s, load_taxonomy(), period, locality=locality)
    finally:
        db.dispose()
    if args.format == "csv":
        text = render_csv(report)
    elif args.format == "html":
        text = render_html(report)
    else:
        text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"report {period.label} ({report['total']} items) written to {args.output}",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def report(sub) -> None:
    p = sub.add_parser("report", help="the periodic report (quarter, half-year, year) as JSON, "
                                      "CSV or HTML")
    p.add_argument("--period", help="2026-Q3, 2026-H1, 2026 or 2026-07 (or --from and --to)")
    p.add_argument("--from", dest="from_", metavar="YYYY-MM-DD", help="first day of the period")
    p.add_argument("--to", metavar="YYYY-MM-DD", help="last day of the period (included)")
    p.add_argument("--locality", help="province or commune code; the whole country by default")
    p.add_argument("--format", choices=["json", "csv", "html"], default="json")
    p.add_argument("-o", "--output", help="file to write (stdout by default)")
    p.add_argument("--database-url", help="SQLAlchemy URL (default: TRIAGE_DATABASE_URL)")
    p.set_defaults(func=_report)


def import_(sub) -> None:
    p = sub.add_parser("import", help="import a backlog file (CSV with a text column, or JSONL)")
    p.add_argument("file")
    p.set_defaults(func=_import)


def retriage(sub) -> None:
    p = sub.add_parser("retriage", help="process items left untriaged")
    p.add_argument("--limit", type=int, default=1000)
    p.set_defaults(func=_retriage)


def serve(sub) -> None:
    p = sub.add_parser("serve", help="migrate the database and serve the HTTP API")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=_serve)


def migrate(sub) -> None:
    p = sub.add_parser("migrate", help="bring the database to the newest schema")
    p.set_defaults(func=_migrate)


def revoke_key(sub) -> None:
    p = sub.add_parser("revoke-key", help="revoke an API key by its id")
    p.add_argument("key_id")
    p.set_defaults(func=_revoke_key)


def create_key(sub) -> None:
    p = sub.add_parser("create-key", help="create an API key; prints it as the last line")
    p.add_argument("--role", required=True, choices=["intake", "reviewer", "supervisor", "admin"])
    p.add_argument("--scope", help="locality code the key is limited to")
    p.add_argument("--if-none", action="store_true",
                   help="only when no active key of this role exists (first start)")
    p.set_defaults(func=_create_key)
