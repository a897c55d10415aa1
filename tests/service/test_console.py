"""The reviewer console through real HTTP (TestClient on the real app and database): sign-in
and its cookie, CSRF, roles and locality scopes, the review loop, identity protection, the
supervisor pages, and the markup helpers."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.console.text import highlight, word_diff
from service.db import Database
from service.models import AuditEvent, ConsoleSession, Feedback, Review
from tests.service.console_helpers import (
    BRIBE,
    BRIBE_PLAIN,
    CAR,
    SUBMITTER,
    WASTE,
    WEDDING,
    csrf_of,
    raw_key,
    sign_in,
)


@pytest.fixture
def db(settings):
    d = Database(settings.database_url)
    yield d
    d.dispose()


def post(client, headers, text, **extra) -> dict:
    r = client.post("/api/v1/feedback", headers=headers, json={"text": text, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def test_sign_in_sets_a_protected_cookie_and_logout_kills_it(client, make_key, db):
    rev = make_key("reviewer")
    anonymous = client.get("/console/queue", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/console/login?next=%2Fconsole%2Fqueue")

    client.cookies.set("triage_console_login", "x", path="/console/login")
    wrong = client.post("/console/login", data={"key": "tk_nope_nope", "login_token": "x"},
                        follow_redirects=False)
    assert wrong.status_code == 401 and "không đúng" in wrong.text
    assert "triage_console=" not in wrong.headers.get("set-cookie", "")

    ok = sign_in(client, rev)
    assert ok.status_code == 303 and ok.headers["location"] == "/console/queue"
    cookie = next(c for c in ok.headers.get_list("set-cookie") if c.startswith("triage_console="))
    attrs = cookie.lower()
    assert "httponly" in attrs and "samesite=strict" in attrs and "path=/console" in attrs
    assert "secure" not in attrs  # plain http on 127.0.0.1; https sets it (test below)
    token = cookie.split(";")[0].split("=", 1)[1]
    assert raw_key(rev) not in token and raw_key(rev) not in str(client.cookies)
    with db.read() as s:
        rows = list(s.scalars(select(ConsoleSession)))
    assert len(rows) == 1 and token not in rows[0].token_hash  # only the hash is stored

    page = client.get("/console/queue")
    assert page.status_code == 200 and "Hàng đợi" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    out = client.post("/console/logout", data={"csrf_token": csrf_of(page.text)},
                      follow_redirects=False)
    assert out.status_code == 303
    client.cookies.clear()
    client.cookies.set("triage_console", token, path="/console")
    replay = client.get("/console/queue", follow_redirects=False)
    assert replay.status_code == 303 and "/console/login" in replay.headers["location"]
    with db.read() as s:
        assert s.scalars(select(ConsoleSession)).first() is None
        actions = [a for (a,) in s.execute(select(AuditEvent.action))]
    assert "console_login" in actions and "console_logout" in actions


def test_cookie_is_secure_over_https(settings, make_key):
    with TestClient(create_app(settings), base_url="https://triage.example") as c:
        cookie = next(x for x in sign_in(c, make_key("reviewer")).headers.get_list("set-cookie")
                      if x.startswith("triage_console="))
    assert "secure" in cookie.lower()


def test_open_redirect_after_login_is_refused(client, make_key):
    r = sign_in(client, make_key("reviewer"), next_path="https://evil.example/")
    assert r.headers["location"] == "/console/queue"


def test_forms_without_the_session_csrf_token_are_rejected(client, make_key, db):
    item = post(client, make_key("intake"), BRIBE, channel="don_thu")
    sign_in(client, make_key("reviewer"))
    page = client.get(f"/console/items/{item['id']}")
    assert page.status_code == 200
    version = int(re.search(r'name="version" value="(\d+)"', page.text).group(1))
    form = {"version": version, "codes": item["suggested"] or ["TN02"], "action": "none"}
    for bad in ({}, {"csrf_token": "forged"}):
        r = client.post(f"/console/items/{item['id']}/review", data={**form, **bad},
                        follow_redirects=False)
        assert r.status_code == 403 and 'data-code="csrf_failed"' in r.text
    with db.read() as s:
        assert s.get(Feedback, item["id"]).status == "in_review"
        assert s.scalars(select(Review)).first() is None
    # a login form posted without its own cookie (a cross-site login attempt) is refused too
    client.cookies.clear()
    forged = client.post("/console/login", data={"key": "x", "login_token": "guess"})
    assert forged.status_code == 403


def test_roles_and_locality_scopes_are_the_apis(client, make_key):
    intake = make_key("intake")
    hanoi = post(client, intake, BRIBE, locality="01.00070", channel="don_thu")
    saigon = post(client, intake, WASTE, locality="79", channel="hom_thu")

    sign_in(client, make_key("reviewer", scope="01"))
    queue = client.get("/console/queue").text
    assert f"/console/items/{hanoi['id']}" in queue and f"/console/items/{saigon['id']}" not in queue
    outside = client.get(f"/console/items/{saigon['id']}")
    assert outside.status_code == 403 and 'data-code="forbidden"' in outside.text
    assert client.get("/console/queue?locality=79").status_code == 403
    for path in ("/console/audit", "/console/stats", f"/console/items/{hanoi['id']}/identity"):
        assert client.get(path).status_code == 403, path

    client.cookies.clear()
    refused = sign_in(client, intake)  # an intake key has no console pages
    assert refused.status_code == 403 and "tiếp nhận" in refused.text
    assert client.get("/console/queue", follow_redirects=False).status_code == 303

    client.cookies.clear()
    sign_in(client, make_key("supervisor"))
    for path in ("/console/audit", "/console/stats", "/console/models",
                 f"/console/items/{hanoi['id']}/identity"):
        assert client.get(path).status_code == 200, path


def test_opening_claims_reviewing_moves_to_the_next_item(client, make_key, db):
    intake = make_key("intake")
    first = post(client, intake, CAR, channel="duong_day_nong")
    second = post(client, intake, WEDDING, channel="tiep_xuc_cu_tri")
    rev, other = make_key("reviewer"), make_key("reviewer")

    sign_in(client, rev)
    page = client.get(f"/console/items/{first['id']}")
    assert page.status_code == 200 and 'id="claim-state"' in page.text
    with db.read() as s:
        held = s.get(Feedback, first["id"])
        assert held.status == "in_review" and held.claimed_by.startswith("key:")
    for code in first["suggested"]:
        assert f'value="{code}" checked' in page.text  # the suggestions are pre-checked

    # another reviewer opening it sees it read-only, and cannot take it over
    with TestClient(client.app) as c2:
        sign_in(c2, other)
        theirs = c2.get(f"/console/items/{first['id']}")
        assert "Một người khác đang xử lý" in theirs.text and 'id="save" disabled' in theirs.text

    codes = ["TN04", "DV11"]  # corrected: abuse of office for a private benefit
    done = client.post(f"/console/items/{first['id']}/review", follow_redirects=False, data={
        "csrf_token": csrf_of(page.text), "version": re.search(
            r'name="version" value="(\d+)"', page.text).group(1),
        "codes": codes[:1], "extra_codes": "dv11", "track": "to_cao", "action": "forward",
        "forwarded_to": "Ủy ban Kiểm tra Huyện ủy"})
    assert done.status_code == 303 and done.headers["location"].startswith("/console/next")
    nxt = client.get(done.headers["location"], follow_redirects=False)
    assert nxt.headers["location"].startswith(f"/console/items/{second['id']}")
    with db.read() as s:
        reviewed = s.get(Feedback, first["id"])
        assert reviewed.status == "forwarded" and reviewed.final_codes == codes
        assert reviewed.track == "to_cao" and reviewed.forwarded_to == "Ủy ban Kiểm tra Huyện ủy"
        row = s.scalars(select(Review).where(Review.feedback_id == first["id"])).one()
        assert row.added == [c for c in codes if c not in first["suggested"]]
        assert row.removed == [c for c in first["suggested"] if c not in codes]
        assert s.get(Feedback, second["id"]).status == "in_review"

    # a wrong code is refused with the page, not a stack trace, and nothing changes
    page2 = client.get(nxt.headers["location"])
    bad = client.post(f"/console/items/{second['id']}/review", data={
        "csrf_token": csrf_of(page2.text), "version": re.search(
            r'name="version" value="(\d+)"', page2.text).group(1), "extra_codes": "XX99"})
    assert bad.status_code == 422 and "không có trong danh mục" in bad.text
    # skipping gives the item back and the queue runs dry
    skip = client.post(f"/console/items/{second['id']}/release", follow_redirects=False,
                       data={"csrf_token": csrf_of(page2.text)})
    assert "skip=" in skip.headers["location"]
    assert "empty=1" in client.get(skip.headers["location"], follow_redirects=False
                                   ).headers["location"]
    with db.read() as s:
        assert s.get(Feedback, second["id"]).status == "new"


def test_looking_at_a_reviewed_item_does_not_reopen_it(client, make_key, db):
    item = post(client, make_key("intake"), WEDDING)
    rev = make_key("reviewer")
    v = client.post(f"/api/v1/feedback/{item['id']}/claim", headers=rev).json()["version"]
    assert client.post(f"/api/v1/feedback/{item['id']}/review", headers=rev,
                       json={"version": v, "codes": ["DV15"]}).status_code == 200
    sign_in(client, rev)
    page = client.get(f"/console/items/{item['id']}")
    assert "đã được xem xét" in page.text and 'id="reopen"' in page.text
    with db.read() as s:
        assert s.get(Feedback, item["id"]).status == "reviewed"
    again = client.post(f"/console/items/{item['id']}/claim",
                        data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert again.status_code == 303
    with db.read() as s:
        assert s.get(Feedback, item["id"]).status == "in_review"
    assert 'value="DV15" checked' in client.get(f"/console/items/{item['id']}").text


def test_reviewer_pages_never_show_the_submitter(client, make_key):
    intake = make_key("intake")
    named = post(client, intake, CAR, submitter=SUBMITTER, channel="email")
    post(client, intake, BRIBE, channel="don_thu", submitter=SUBMITTER)
    dup = post(client, intake, BRIBE_PLAIN, channel="duong_day_nong")
    sign_in(client, make_key("reviewer"))
    pages = [client.get("/console/queue").text, client.get(f"/console/items/{named['id']}").text,
             client.get(f"/console/items/{dup['id']}").text]
    for html in pages:
        for secret in SUBMITTER.values():
            assert secret not in html
        assert "0912 345 678" not in html
    assert "<SĐT>" in pages[1] or "&lt;SĐT&gt;" in pages[1]
    assert "Xem danh tính" not in pages[1]


def test_supervisor_reveal_needs_a_reason_and_is_audited(client, make_key, db):
    item = post(client, make_key("intake"), CAR, submitter=SUBMITTER)
    sign_in(client, make_key("supervisor"))
    form = client.get(f"/console/items/{item['id']}/identity")
    short = client.post(f"/console/items/{item['id']}/identity",
                        data={"csrf_token": csrf_of(form.text), "reason": "xem"})
    assert short.status_code == 422 and SUBMITTER["name"] not in short.text
    reason = "Ủy ban Kiểm tra đề nghị xác minh người tố cáo để mời làm việc"
    shown = client.post(f"/console/items/{item['id']}/identity",
                        data={"csrf_token": csrf_of(form.text), "reason": reason})
    assert shown.status_code == 200 and SUBMITTER["name"] in shown.text
    assert shown.headers["cache-control"] == "no-store"
    with db.read() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "identity_reveal")))
    assert len(events) == 1 and events[0].detail["reason"] == reason
    audit = client.get(f"/console/audit?feedback_id={item['id']}").text
    assert "identity_reveal" in audit and reason in audit and SUBMITTER["name"] not in audit


def test_agreement_statistics_count_the_review_table(client, make_key, db):
    intake, rev = make_key("intake"), make_key("reviewer")
    items = [post(client, intake, t) for t in (BRIBE, WASTE, WEDDING)]
    decided = [items[0]["suggested"], ["LP01"], ["DV15"]]  # kept; corrected; corrected
    for item, codes in zip(items, decided, strict=True):
        v = client.post(f"/api/v1/feedback/{item['id']}/claim", headers=rev).json()["version"]
        r = client.post(f"/api/v1/feedback/{item['id']}/review", headers=rev,
                        json={"version": v, "codes": codes})
        assert r.status_code == 200, r.text
    from service.agreement import agreement_by_code

    with db.read() as s:
        agreement = agreement_by_code(s)
    rows = {r.code: r for r in agreement.codes}
    assert agreement.reviews == 3
    expected_unchanged = sum(set(i["suggested"]) == set(c) for i, c in zip(items, decided,
                                                                            strict=True))
    assert agreement.unchanged == expected_unchanged
    for code in {c for i in items for c in i["suggested"]} | {"LP01", "DV15"}:
        accepted = sum(code in i["suggested"] and code in c for i, c in zip(items, decided,
                                                                             strict=True))
        removed = sum(code in i["suggested"] and code not in c for i, c in zip(items, decided,
                                                                                strict=True))
        added = sum(code not in i["suggested"] and code in c for i, c in zip(items, decided,
                                                                              strict=True))
        assert (rows[code].accepted, rows[code].removed, rows[code].added) == (
            accepted, removed, added), code
    sign_in(client, make_key("supervisor"))
    html = client.get("/console/stats").text
    assert "3 lượt xem xét" in html and 'data-code="LP01"' in html


def test_highlight_matches_with_and_without_marks():
    html = str(highlight("Ông Tám đòi 15 triệu mới KÝ HỒ SƠ <SĐT>",
                         {"TN02": ["ky_ho_so", "đòi"], "DD07": ["đòi"]}))
    assert '<mark class="hl" data-codes="TN02">KÝ HỒ SƠ</mark>' in html
    assert '<mark class="hl" data-codes="DD07 TN02">đòi</mark>' in html
    assert "&lt;SĐT&gt;" in html and "<SĐT>" not in html  # escaped
    assert "<mark" not in str(highlight("không khớp gì", {"TN02": ["hối lộ"]}))


def test_word_diff_marks_only_real_differences():
    left, right = word_diff("Chủ tịch xã nhận 5 triệu đồng", "chu tich xa nhan 7 trieu dong")
    assert str(left).count("<del>") == 1 and "<del>5</del>" in str(left)
    assert "<ins>7</ins>" in str(right)


def test_queue_filters_show_what_the_api_returns(client, make_key):
    intake, rev = make_key("intake"), make_key("reviewer")
    for text, channel, loc in ((BRIBE, "don_thu", "01.00070"), (WASTE, "hom_thu", "79"),
                               (WEDDING, "tiep_xuc_cu_tri", "01"), (CAR, "email", None)):
        post(client, intake, text, channel=channel, **({"locality": loc} if loc else {}))
    sign_in(client, rev)
    ids = re.compile(r'data-href="/console/items/([0-9a-f]+)')
    for query in ("channel=hom_thu", "locality=01", "group=TN", "track=to_cao", "overdue=0",
                  "status=new&status=in_review", "status=closed"):
        html = client.get(f"/console/queue?{query}").text
        api = client.get(f"/api/v1/queue?{query.replace('overdue=0', 'overdue=false')}",
                         headers=rev).json()
        assert set(ids.findall(html)) == {i["id"] for i in api["items"]}, query
        assert f"{api['total']} phản ánh" in html


def test_a_revoked_key_ends_its_console_sessions(client, make_key, db):
    from service.models import ApiKey
    from service.store import now

    rev = make_key("reviewer")
    sign_in(client, rev)
    assert client.get("/console/queue").status_code == 200
    with db.transaction() as s:
        key_id = raw_key(rev).split("_")[1]
        s.get(ApiKey, key_id).revoked_at = now()
    r = client.get("/console/queue", follow_redirects=False)
    assert r.status_code == 303 and "/console/login" in r.headers["location"]


def test_model_cards_show_the_registry(client, make_key, settings):
    from triage.artifacts import active_model_id

    sign_in(client, make_key("reviewer"))
    html = client.get("/console/models").text
    active = active_model_id(settings.models_dir)
    assert f'id="model-{active}"' in html and "đang dùng" in html


def test_pages_load_only_our_own_static_files(client, make_key):
    from pathlib import Path

    sign_in(client, make_key("reviewer"))
    html = client.get("/console/queue").text
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(r.startswith("/") and not r.startswith("//") for r in refs), refs
    for asset in ("/static/console/console.js", "/static/console/console.css"):
        assert client.get(asset).status_code == 200
    templates = Path(__file__).resolve().parents[2] / "service" / "templates" / "console"
    for t in templates.glob("*.html"):
        assert not re.search(r'(?:src|href)="(?:https?:)?//', t.read_text(encoding="utf-8")), t
