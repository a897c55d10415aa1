"""Domain errors (no HTTP here) and the one place that maps them to RFC 9457 problem+json.

Every error body is ``{"type", "title", "status", "detail", "code"}`` with a stable
``code``; a 500 carries a request id and never a traceback.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ServiceError(Exception):
    status = 500
    code = "internal_error"
    title = "Internal error"

    def __init__(self, detail: str = ""):
        super().__init__(detail)
        self.detail = detail


class NotFound(ServiceError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(ServiceError):
    status, code, title = 409, "conflict", "Conflict"


class ValidationFailed(ServiceError):
    status, code, title = 422, "validation_error", "Invalid request"


class EmptyText(ValidationFailed):
    code, title = "empty_text", "Empty text"


class TooLarge(ServiceError):
    status, code, title = 413, "too_large", "Request too large"


class Unauthorized(ServiceError):
    status, code, title = 401, "unauthorized", "Missing or invalid API key"


class Forbidden(ServiceError):
    status, code, title = 403, "forbidden", "Not allowed for this key"


class ModelUnavailable(ServiceError):
    status, code, title = 503, "model_unavailable", "No model is loaded"


def problem(status: int, code: str, title: str, detail: str = "", **extra) -> JSONResponse:
    body = {"type": f"https://triage.mttq.invalid/problems/{code}", "title": title,
            "status": status, "detail": detail, "code": code, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers=headers)


def add_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError):
        return problem(exc.status, exc.code, exc.title, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", "")}
                  for e in exc.errors()]
        return problem(422, "validation_error", "Invalid request",
                       "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors),
                       errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        return problem(exc.status_code, codes.get(exc.status_code, "http_error"),
                       str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception):
        request_id = uuid.uuid4().hex[:12]
        log.error("internal error %s: %s", request_id, type(exc).__name__, exc_info=exc)
        return problem(500, "internal_error", "Internal error",
                       "The error was logged.", request_id=request_id)
