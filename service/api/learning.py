"""The learning loop over HTTP: the labelled-case export, the models and their agreement
statistics."""

from __future__ import annotations

import json
from datetime import datetime

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from service.api.deps import Caller, require, state
from service.errors import NotFound
from service.labels import export_reviewed, model_stats

router = APIRouter(prefix="/api/v1")


@router.get("/labels/export", response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}}}})
def get_labels_export(st=Depends(state), c: Caller = Depends(require("labels:export")),
                      since: datetime | None = Query(default=None,
                                                     description="only reviews from then on")):
    """Reviewed cases as NDJSON in the labelled-example format (redacted text only), the
    newest review of each item, codes migrated to the current taxonomy edition."""
    with st.db.read() as s:
        lines = [json.dumps(ex, ensure_ascii=False) + "\n"
                 for ex in export_reviewed(s, st.taxonomy, since=since, scope=c.scope)]
    return StreamingResponse(iter(lines), media_type="application/x-ndjson")


@router.get("/models")
def get_models(st=Depends(state), c: Caller = Depends(require("model:read"))):
    """Every model in the registry, newest first, with the active one marked."""
    from triage.artifacts import active_model_id, list_models

    serving = st.triager.model.model_id if st.triager else None
    active = active_model_id(st.settings.models_dir)
    return [{**card, "active": card["id"] == active, "serving": card["id"] == serving}
            for card in list_models(st.settings.models_dir)]


@router.get("/models/{model_id}/stats")
def get_model_stats(model_id: str, st=Depends(state), c: Caller = Depends(require("model:stats"))):
    """How reviewers received this model's suggestions: acceptance, correction and removal
    per code, and calibration of its scores against the reviewers' final codes."""
    from triage.artifacts import list_models

    if model_id not in {m["id"] for m in list_models(st.settings.models_dir)}:
        raise NotFound(f"no model {model_id}")
    with st.db.read() as s:
        return model_stats(s, st.taxonomy, model_id)
