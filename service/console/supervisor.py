"""Supervisor pages: identity reveal with a required reason (audited by the same service
function as the API), the audit log, model cards and agreement statistics."""

from __future__ import annotations

import json
import re

from fastapi import APIRouter, Depends, Request

from service.agreement import agreement_by_code
from service.api.deps import check_item_scope, state
from service.api.feedback import read_item
from service.api.review import get_audit
from service.console.render import ConsoleRoute, message_for, page
from service.console.session import ConsoleUser, checked_form, require_page
from service.errors import ValidationFailed
from service.review import reveal_identity
from triage.artifacts import read_registry

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

AUDIT_PAGE = 50
_CODE_KEY = re.compile(r"^[A-Z]{2,3}\d{2}$")


@router.get("/items/{feedback_id}/identity")
def reveal_form(feedback_id: str, request: Request, st=Depends(state),
                user: ConsoleUser = Depends(require_page("identity:reveal"))):
    item = read_item(st, feedback_id, user.caller)
    return page(request, "console/reveal.html", user=user, item=item, identity=None)


@router.post("/items/{feedback_id}/identity")
def reveal(feedback_id: str, request: Request, st=Depends(state),
           checked=Depends(checked_form("identity:reveal"))):
    user, form = checked
    check_item_scope(st, feedback_id, user.caller)
    reason = (form.get("reason") or "").strip()
    item = read_item(st, feedback_id, user.caller)
    try:
        if len(reason) > 1000:
            raise ValidationFailed("reason longer than 1000 characters")
        identity = reveal_identity(st.db, st.cipher, feedback_id, user.caller.actor, reason)
    except ValidationFailed as exc:
        return page(request, "console/reveal.html", user=user, item=item, identity=None,
                    reason=reason, status=422,
                    error=f"{message_for(exc)} Lý do phải có ít nhất 10 ký tự.")
    return page(request, "console/reveal.html", user=user, item=item, revealed=True,
                identity=identity, reason=reason)


@router.get("/audit")
def audit_page(request: Request, st=Depends(state),
               user: ConsoleUser = Depends(require_page("audit:read")),
               feedback_id: str | None = None, offset: int = 0):
    offset = max(0, offset)
    events = get_audit(st=st, c=user.caller, feedback_id=feedback_id or None, limit=AUDIT_PAGE,
                       offset=offset)
    for e in events:
        e["detail_text"] = json.dumps(e["detail"], ensure_ascii=False) if e["detail"] else ""
    return page(request, "console/audit.html", user=user, events=events,
                feedback_id=feedback_id or "", offset=offset, page_size=AUDIT_PAGE)


def _flat_metrics(metrics: dict, prefix: str = "") -> tuple[list[tuple[str, float]], dict]:
    """(numeric metrics as dotted names, per-code tables found on the way)."""
    flat, per_code = [], {}
    for k, v in (metrics or {}).items():
        name = f"{prefix}{k}"
        if isinstance(v, bool):
            continue
        if isinstance(v, int | float):
            flat.append((name, v))
        elif isinstance(v, dict) and v and all(_CODE_KEY.match(str(x)) for x in v):
            per_code[name] = v
        elif isinstance(v, dict):
            f, p = _flat_metrics(v, name + ".")
            flat += f
            per_code.update(p)
    return flat, per_code


def model_cards(models_dir) -> list[dict]:
    """The meta.json card of every model directory, the active one first."""
    registry = read_registry(models_dir)
    cards = []
    for meta_path in sorted(models_dir.glob("*/meta.json")):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        flat, per_code = _flat_metrics(meta.get("metrics") or {})
        cards.append({"meta": meta, "active": meta.get("id") == registry.get("active"),
                      "metrics": flat, "per_code": per_code,
                      "classes": len(meta.get("classes") or [])})
    cards.sort(key=lambda c: (not c["active"], c["meta"].get("created_at") or ""), reverse=False)
    return cards


@router.get("/models")
def models_page(request: Request, st=Depends(state),
                user: ConsoleUser = Depends(require_page("model:read"))):
    return page(request, "console/models.html", user=user,
                cards=model_cards(st.settings.models_dir),
                loaded=st.triager.model.model_id if st.triager else None)


@router.get("/stats")
def stats_page(request: Request, st=Depends(state),
               user: ConsoleUser = Depends(require_page("report:read"))):
    with st.db.read() as s:
        agreement = agreement_by_code(s, scope=user.caller.scope)
    titles = {c: cat.title for c, cat in st.taxonomy.categories.items()}
    return page(request, "console/stats.html", user=user, agreement=agreement, titles=titles)
