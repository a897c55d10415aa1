"""The reviewer's pages: sign-in, the queue, one item (claimed on open), its review, and
"next item". Every permission, scope and state rule is the API's: these handlers call the
same service functions (``service.review``) and the API's own readers (``read_item``,
``get_queue``, ``get_cluster``) and add only presentation."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from service.api.deps import check_item_scope, item_in_scope_or_raise, state
from service.api.feedback import read_item
from service.api.review import get_cluster, get_queue
from service.console.render import STATUSES, ConsoleRoute, error_page, message_for, page
from service.console.session import (
    COOKIE,
    LOGIN_COOKIE,
    ConsoleUser,
    CsrfFailed,
    NotForConsole,
    checked_form,
    console_user,
    require_page,
    same_token,
    set_cookie,
    sign_in,
    sign_out,
)
from service.console.text import highlight, word_diff
from service.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed
from service.review import InvalidTransition, claim, release, review
from triage.deadlines import Track

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

FILTERS = ("status", "group", "code", "channel", "locality", "track", "overdue", "cluster")
PAGE_SIZE = 25
CANDIDATES = 10  # codes offered on the item page (suggested ones always included)


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: no open redirect to another site."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console/queue"


def _filters(params) -> dict:
    """The queue filters of a query string (or form), as the API takes them."""
    out: dict = {k: (params.get(k) or None) for k in FILTERS if k != "status"}
    out["status"] = [s for s in params.getlist("status") if s] or ["new", "in_review"]
    ov = out.pop("overdue")
    out["overdue"] = {"1": True, "0": False}.get(ov or "")
    return out


def _filter_query(params) -> str:
    """The filters as a query string, to carry from the queue to items and back."""
    pairs = [("status", s) for s in params.getlist("status") if s]
    pairs += [(k, params.get(k)) for k in FILTERS if k != "status" and params.get(k)]
    return urlencode(pairs)


# --- sign-in ---------------------------------------------------------------------------

@router.get("/login")
def login_form(request: Request, next: str | None = None, error: str | None = None,
               status: int | None = None):
    import secrets

    token = secrets.token_urlsafe(24)
    response = page(request, "console/login.html", next=_safe_next(next), login_token=token,
                    error=error, status=status or (401 if error else 200))
    set_cookie(response, request, LOGIN_COOKIE, token, max_age=1800, path="/console/login")
    return response


@router.post("/login")
def login(request: Request, st=Depends(state), key: str = Form(default=""),
          login_token: str = Form(default=""), next: str = Form(default="/console/queue")):
    if not same_token(login_token, request.cookies.get(LOGIN_COOKIE)):
        raise CsrfFailed("login form token does not match its cookie")
    try:
        token = sign_in(st.db, key, hours=st.settings.console_session_hours) if key.strip() else None
    except NotForConsole:
        return login_form(request, next=next, status=403,
                          error="Khoá này dùng cho việc tiếp nhận phản ánh, không dùng được cho "
                                "bàn xem xét.")
    if token is None:
        return login_form(request, next=next, error="Khoá truy cập không đúng hoặc đã bị thu hồi.")
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(response, request, COOKIE, token,
               max_age=int(st.settings.console_session_hours * 3600))
    response.delete_cookie(LOGIN_COOKIE, path="/console/login")
    return response


@router.post("/logout")
def logout(request: Request, st=Depends(state), checked=Depends(checked_form(None))):
    sign_out(st.db, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("")
def home(user: ConsoleUser = Depends(console_user)):
    return RedirectResponse("/console/queue", status_code=303)


# --- queue -----------------------------------------------------------------------------

@router.get("/queue")
def queue_page(request: Request, st=Depends(state),
               user: ConsoleUser = Depends(require_page("queue:read")), offset: int = 0,
               empty: int = 0):
    f = _filters(request.query_params)
    offset = max(0, offset)
    result = get_queue(st=st, c=user.caller, limit=PAGE_SIZE, offset=offset, **f)
    return page(request, "console/queue.html", user=user, result=result, filters=f,
                query=_filter_query(request.query_params), offset=offset, page_size=PAGE_SIZE,
                groups=st.taxonomy.groups, empty=bool(empty), today=date.today())


@router.get("/next")
def next_item(request: Request, st=Depends(state),
              user: ConsoleUser = Depends(require_page("review:write")), skip: str = ""):
    """Claim the first item of the (filtered) queue that nobody else holds and open it."""
    f = _filters(request.query_params)
    skipped = [s for s in skip.split(",") if s][-50:]
    query = _filter_query(request.query_params)
    result = get_queue(st=st, c=user.caller, limit=100, offset=0, **f)
    for item in result.items:
        if item.id in skipped or item.claimed_by not in (None, user.caller.actor):
            continue
        try:
            claim(st.db, item.id, user.caller.actor)
        except Conflict:  # taken a moment ago by someone else, or no longer claimable
            continue
        extra = urlencode({"skip": ",".join(skipped)}) if skipped else ""
        return RedirectResponse(f"/console/items/{item.id}?" + "&".join(p for p in (query, extra) if p),
                                status_code=303)
    return RedirectResponse("/console/queue?" + "&".join(p for p in (query, "empty=1") if p),
                            status_code=303)


# --- one item --------------------------------------------------------------------------

def _candidates(st, item, checked: list[str]) -> list[dict]:
    tax = st.taxonomy
    groups = {g.code: g.name for g in tax.groups}
    codes = list(dict.fromkeys(item.suggested + checked))
    codes += [x.code for x in item.labels if x.code not in codes][:max(0, CANDIDATES - len(codes))]
    scores = {x.code: x.score for x in item.labels}
    out = []
    for code in codes:
        cat = tax.categories.get(code)
        if cat is None:
            continue
        out.append({"code": code, "score": scores.get(code), "title": cat.title,
                    "citation": cat.citation, "group": groups.get(cat.group, cat.group),
                    "severity": cat.severity, "confidence": cat.confidence,
                    "suggested": code in item.suggested, "checked": code in checked,
                    "phrases": (item.explanations or {}).get(code, [])})
    return out


def _cluster(st, item, user: ConsoleUser) -> list[dict]:
    """The other items of the item's case, each side by side with this one."""
    if not item.cluster:
        return []
    try:
        data = get_cluster(item.cluster, st=st, c=user.caller)
    except NotFound:
        return []
    others = []
    for other in data["items"]:
        if other["id"] == item.id:
            continue
        mine, theirs = word_diff(item.text or "", other["text"] or "")
        others.append({**other, "mine": mine, "theirs": theirs})
    return others


def _possible(st, item, user: ConsoleUser) -> list[dict]:
    """Earlier items the verifier thinks may be this case (not linked), each side by side
    with this one; those outside the reviewer's scope are left out."""
    out = []
    for m in item.possible_duplicates:
        try:
            other = read_item(st, m.id, user.caller)
        except (NotFound, Forbidden):
            continue
        mine, theirs = word_diff(item.text or "", other.text or "")
        out.append({"id": other.id, "cluster": m.cluster, "probability": m.probability,
                    "channel": other.channel, "received_at": other.received_at.isoformat(),
                    "status": other.status, "mine": mine, "theirs": theirs})
    return out


def _item_page(request: Request, st, user: ConsoleUser, feedback_id: str, *, notice=None,
               error=None, posted: list[str] | None = None, status: int = 200,
               reopenable: bool = False):
    item = read_item(st, feedback_id, user.caller)
    checked = posted if posted is not None else (item.final_codes or item.suggested)
    mine = item.claimed_by == user.caller.actor and item.status == "in_review"
    return page(request, "console/item.html", user=user, item=item, mine=mine,
                notice=notice, reopenable=reopenable, error=error, status=status,
                text=highlight(item.text or "", item.explanations),
                candidates=_candidates(st, item, checked), cluster=_cluster(st, item, user),
                possible=_possible(st, item, user),
                all_codes=[(c.code, c.title) for c in st.taxonomy.categories.values()],
                query=_filter_query(request.query_params),
                skip=request.query_params.get("skip", ""))


@router.get("/items/{feedback_id}")
def item_page(feedback_id: str, request: Request, st=Depends(state),
              user: ConsoleUser = Depends(require_page("feedback:read"))):
    """Opening an item that awaits review claims it (the API's 15-minute lease) when the
    reviewer may review and nobody else holds it; otherwise it opens read-only with the
    reason. A reviewed item is not reopened by looking at it: "Xem xét lại" claims it.
    A GET that claims is safe from other sites: the session cookie is SameSite=Strict, so a
    link or image elsewhere arrives without a session and only reaches the login page."""
    notice = None
    with st.db.read() as s:
        held = item_in_scope_or_raise(s, feedback_id, user.caller)
        status, holder = held.status, held.claimed_by
    if status == "reviewed":
        notice = "Phản ánh này đã được xem xét; chỉ xem. Chọn “Xem xét lại” để sửa phân loại."
    elif status not in ("new", "in_review"):
        notice = f"Phản ánh đang ở trạng thái “{STATUSES.get(status, status)}”; chỉ xem."
    elif user.can("review:write") and not (holder == user.caller.actor and status == "in_review"):
        try:
            claim(st.db, feedback_id, user.caller.actor)
        except Conflict:
            notice = "Một người khác đang xử lý phản ánh này; chỉ xem."
    return _item_page(request, st, user, feedback_id, notice=notice,
                      reopenable=status == "reviewed" and user.can("review:write"))


@router.post("/items/{feedback_id}/claim")
def claim_item(feedback_id: str, request: Request, st=Depends(state),
               checked=Depends(checked_form("review:write"))):
    """Reopen a reviewed item for a second look (the API's claim)."""
    user, form = checked
    check_item_scope(st, feedback_id, user.caller)
    try:
        claim(st.db, feedback_id, user.caller.actor)
    except InvalidTransition as exc:
        return error_page(request, exc, user=user)
    except Conflict:
        return _item_page(request, st, user, feedback_id, status=409,
                          notice="Một người khác đang xử lý phản ánh này; chỉ xem.")
    query = form.get("q") or ""
    return RedirectResponse(f"/console/items/{feedback_id}" + (f"?{query}" if query else ""),
                            status_code=303)


_CODE_RE = re.compile(r"[A-Za-z]{2,3}\d{2}")


def _posted_codes(form) -> list[str]:
    codes = [c.strip().upper() for c in form.getlist("codes") if c.strip()]
    codes += [c.upper() for c in _CODE_RE.findall(form.get("extra_codes") or "")]
    return list(dict.fromkeys(codes))


@router.post("/items/{feedback_id}/review")
def review_item(feedback_id: str, request: Request, st=Depends(state),
                checked=Depends(checked_form("review:write"))):
    user, form = checked
    codes = _posted_codes(form)
    query = form.get("q") or ""
    try:
        check_item_scope(st, feedback_id, user.caller)
        track = form.get("track") or None
        if track is not None and track not in Track.__members__:
            raise ValidationFailed(f"unknown track {track!r}")
        action = form.get("action") or "none"
        if action not in ("none", "forward", "close"):
            raise ValidationFailed(f"unknown action {action!r}")
        duplicate = form.get("duplicate") or None
        if duplicate not in (None, "confirm", "reject"):
            raise ValidationFailed(f"unknown duplicate decision {duplicate!r}")
        merge_into = (form.get("merge_into") or "").strip() or None
        try:
            version = int(form.get("version") or "")
        except ValueError:
            raise ValidationFailed("version must be a number") from None
        review(st.db, st.taxonomy, feedback_id, user.caller.actor, version=version, codes=codes,
               track=Track(track) if track else None, duplicate=duplicate, action=action,
               merge_into=merge_into,
               forwarded_to=(form.get("forwarded_to") or "").strip() or None,
               outcome=(form.get("outcome") or "").strip() or None)
    except ServiceError as exc:
        if exc.code in ("forbidden", "not_found"):
            return error_page(request, exc, user=user)
        return _item_page(request, st, user, feedback_id, error=f"{message_for(exc)} ({exc.detail})",
                          posted=codes, status=exc.status)
    skipped = form.get("skip") or ""  # items skipped on the way stay skipped
    query = "&".join(p for p in (query, urlencode({"skip": skipped}) if skipped else "") if p)
    return RedirectResponse("/console/next" + (f"?{query}" if query else ""), status_code=303)


@router.post("/items/{feedback_id}/release")
def release_item(feedback_id: str, request: Request, st=Depends(state),
                 checked=Depends(checked_form("review:write"))):
    """Give the item back to the queue and move on ("n" on the item page)."""
    user, form = checked
    check_item_scope(st, feedback_id, user.caller)
    try:
        release(st.db, feedback_id, user.caller.actor)
    except Conflict:
        pass  # the lease was already gone: moving on is still what the reviewer asked
    skipped = ",".join(s for s in [*(form.get("skip") or "").split(","), feedback_id] if s)
    query = "&".join(p for p in (form.get("q") or "", urlencode({"skip": skipped})) if p)
    return RedirectResponse(f"/console/next?{query}", status_code=303)
