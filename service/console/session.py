"""Console sign-in: an API key typed into a form becomes a server-side session row.

The browser only ever holds a random token (``HttpOnly``, ``SameSite=Strict``, ``Secure``
when served over https); the row holds its sha256, the key it stands for, and the CSRF
token every form of the session must echo. The raw key is checked once and never stored or
put in a cookie. Logout deletes the row, so a copied cookie is dead in every process.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Depends, Request
from starlette.datastructures import FormData

from service.api.deps import Caller, state
from service.db import Database
from service.errors import Forbidden, ServiceError
from service.models import ConsoleSession
from service.security import Role, allowed, hash_key
from service.store import (
    api_key_by_hash,
    audit,
    console_session_by_hash,
    delete_expired_console_sessions,
    now,
)

COOKIE = "triage_console"
LOGIN_COOKIE = "triage_console_login"  # double-submit token of the login form (no session yet)


class NotSignedIn(ServiceError):
    status, code, title = 401, "not_signed_in", "Sign in to the console"


class CsrfFailed(Forbidden):
    code, title = "csrf_failed", "The form's CSRF token does not match the session"


@dataclass(frozen=True)
class ConsoleUser:
    caller: Caller
    csrf_token: str

    def can(self, permission: str) -> bool:
        return allowed(self.caller.role, permission)


CONSOLE_PERMISSION = "feedback:read"  # intake keys have no page here


class NotForConsole(Forbidden):
    code, title = "not_for_console", "This key's role has no console pages"


def sign_in(db: Database, key: str, *, hours: float) -> str | None:
    """A new session token for a valid, unrevoked key; None otherwise. A key whose role
    cannot read items (intake) is refused with :class:`NotForConsole`."""
    token = secrets.token_urlsafe(32)
    with db.transaction() as s:
        row = api_key_by_hash(s, hash_key(key.strip()))
        if row is None:
            return None
        if not allowed(Role(row.role), CONSOLE_PERMISSION):
            raise NotForConsole(f"role {row.role}")
        delete_expired_console_sessions(s)
        t = now()
        s.add(ConsoleSession(token_hash=hash_key(token), key_id=row.id,
                             csrf_token=secrets.token_urlsafe(32), created_at=t,
                             expires_at=t + timedelta(hours=hours)))
        audit(s, "console_login", actor=f"key:{row.id}")
    return token


def sign_out(db: Database, token: str) -> None:
    with db.transaction() as s:
        row = s.get(ConsoleSession, hash_key(token))
        if row is not None:
            audit(s, "console_logout", actor=f"key:{row.key_id}")
            s.delete(row)


def console_user(request: Request, st=Depends(state)) -> ConsoleUser:
    token = request.cookies.get(COOKIE)
    if not token:
        raise NotSignedIn("no session")
    with st.db.read() as s:
        row, key = console_session_by_hash(s, hash_key(token))
        if row is None:
            raise NotSignedIn("session expired or signed out")
        return ConsoleUser(Caller(key.id, Role(key.role), key.scope), row.csrf_token)


def require_page(permission: str):
    def check(user: ConsoleUser = Depends(console_user)) -> ConsoleUser:
        if not user.can(permission):
            raise Forbidden(f"role {user.caller.role} may not {permission}")
        return user
    return check


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def checked_form(permission: str | None):
    """The posted form, after the CSRF token in it matched the session's (403 otherwise);
    ``permission`` None needs only a session (logout)."""
    needs = require_page(permission) if permission else console_user

    async def check(request: Request, user: ConsoleUser = Depends(needs)
                    ) -> tuple[ConsoleUser, FormData]:
        form = await request.form()
        if not same_token(form.get("csrf_token"), user.csrf_token):
            raise CsrfFailed("missing or wrong csrf_token")
        return user, form
    return check


def set_cookie(response, request: Request, name: str, value: str, *, max_age: int | None,
               path: str = "/console") -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
