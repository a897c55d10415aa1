"""Bad input gets problem+json with a stable code, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text


def _count(settings) -> int:
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM feedback")).scalar_one()
    engine.dispose()
    return n


@pytest.mark.parametrize("body,status,code", [
    ({"text": "   \n "}, 422, "empty_text"),
    ({"text": 12}, 422, "validation_error"),
    ({"text": "ok", "unknown": 1}, 422, "validation_error"),
    ({"text": "ok", "channel": "fax"}, 422, "validation_error"),
    ({"text": "ok", "locality": "Hà Nội"}, 422, "validation_error"),
    ({"text": "ok", "locality": "99"}, 422, "invalid_locality"),
    ({"text": "ok", "locality": "01.26734"}, 422, "invalid_locality"),
    ({}, 422, "validation_error"),
    ({"text": "x" * 50_001}, 413, "too_large"),
])
def test_bad_bodies(client, make_key, settings, body, status, code):
    r = client.post("/api/v1/feedback", headers=make_key("intake"), json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == code and problem["status"] == status and problem["title"]
    assert _count(settings) == 0


def test_malformed_json(client, make_key, settings):
    r = client.post("/api/v1/feedback", content=b'{"text": ',
                    headers={**make_key("intake"), "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert _count(settings) == 0


@pytest.mark.parametrize("headers,status,code", [
    ({}, 401, "unauthorized"),
    ({"Authorization": "Bearer tk_nope_nope"}, 401, "unauthorized"),
])
def test_bad_keys(client, headers, status, code):
    r = client.post("/api/v1/feedback", headers=headers, json={"text": "alo"})
    assert r.status_code == status and r.json()["code"] == code


def test_not_found_and_wrong_role(client, make_key):
    r = client.get("/api/v1/feedback/does-not-exist", headers=make_key("reviewer"))
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = client.post("/api/v1/feedback", headers=make_key("reviewer"), json={"text": "alo"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
