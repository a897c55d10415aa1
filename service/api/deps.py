"""Request dependencies: the app state and the API key check (role and scope)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from service.errors import Forbidden, Unauthorized
from service.security import Role, allowed, hash_key
from service.store import api_key_by_hash

bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Caller:
    key_id: str
    role: Role
    scope: str | None

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"


# The dependencies are `async def`: FastAPI runs every plain `def` dependency in its thread
# pool, one hand-over there and back each; on a busy machine every hand-over waits for the
# scheduler. Only a key lookup (a cache miss) or a due key-use audit row touches the
# database, and those go to the pool.


async def state(request: Request):
    return request.app.state.triage


_KEY_CACHE_MAX = 10_000  # entries; the whole cache is dropped when it is full


async def caller(request: Request,
                 credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
    """The key's owner, role and scope. A known key is remembered for
    ``key_cache_seconds`` (by its hash) so that intake does not pay a lookup per request;
    a revoked key therefore stops working within that time in every process. Unknown
    keys are never remembered, so a new key works at once."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("send Authorization: Bearer <key>")
    st = request.app.state.triage
    digest = hash_key(credentials.credentials)
    t = time.monotonic()
    hit = st.key_cache.get(digest)
    if hit is not None and hit[1] > t:
        c = hit[0]
    else:
        c = await run_in_threadpool(_lookup, st, digest)
        if c is None:
            st.key_cache.pop(digest, None)
            raise Unauthorized("unknown or revoked key")
        if st.settings.key_cache_seconds > 0:
            if len(st.key_cache) >= _KEY_CACHE_MAX:
                st.key_cache.clear()
            st.key_cache[digest] = (c, t + st.settings.key_cache_seconds)
    if t - _last_use.get(c.key_id, -1e9) >= _KEY_USE_EVERY:
        _last_use[c.key_id] = t
        await run_in_threadpool(_note_key_use, st, c, request.method, request.url.path)
    return c


def _lookup(st, digest: str) -> Caller | None:
    with st.db.read() as s:
        key = api_key_by_hash(s, digest)
        return None if key is None else Caller(key.id, Role(key.role), key.scope)


_KEY_USE_EVERY = 60.0  # seconds: one audit row per key per minute and process is enough
_last_use: dict[str, float] = {}


def _note_key_use(st, c: Caller, method: str, path: str) -> None:
    from service.store import audit

    with st.db.transaction() as s:
        audit(s, "key_use", actor=c.actor, detail={"method": method, "path": path})


def item_in_scope_or_raise(session, feedback_id: str, c: Caller):
    """The item, if it exists (404) and lies in the key's locality subtree (403)."""
    from service.errors import Forbidden, NotFound
    from service.models import Feedback
    from service.security import in_scope

    item = session.get(Feedback, feedback_id)
    if item is None:
        raise NotFound(f"no feedback {feedback_id}")
    if not in_scope(c.scope, item.locality):
        raise Forbidden("this item is outside the key's locality")
    return item


def require(permission: str):
    async def check(c: Caller = Depends(caller)) -> Caller:
        if not allowed(c.role, permission):
            raise Forbidden(f"role {c.role} may not {permission}")
        return c
    return check


def check_item_scope(st, feedback_id: str, c: Caller) -> None:
    """404 or 403 (see ``item_in_scope_or_raise``) before acting on an item, in a read of
    its own."""
    with st.db.read() as s:
        item_in_scope_or_raise(s, feedback_id, c)
