"""API keys are remembered for a few seconds per process (intake does not pay a lookup per
request), and a revoked key still stops working within that time."""

from __future__ import annotations

import argparse
import time

from fastapi.testclient import TestClient

from service.app import create_app
from service.cli import _revoke_key
from service.settings import Settings

ITEM = {"text": "Trưởng thôn thu tiền làm đường mỗi hộ 500 nghìn mà không có phiếu thu."}


def test_revoked_key_is_refused_within_the_cache_time(settings, make_key, monkeypatch):
    short = Settings(database_url=settings.database_url, models_dir=settings.models_dir,
                     identity_key_file=settings.identity_key_file, key_cache_seconds=0.5)
    headers = make_key("intake")
    with TestClient(create_app(short)) as c:
        assert c.post("/api/v1/feedback", headers=headers, json=ITEM).status_code == 201
        key_id = headers["Authorization"].split("_")[1]
        monkeypatch.setenv("TRIAGE_DATABASE_URL", settings.database_url)
        assert _revoke_key(argparse.Namespace(key_id=key_id)) == 0
        time.sleep(0.6)
        r = c.post("/api/v1/feedback", headers=headers, json=ITEM)
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
        # another key of the same process is unaffected; the revoked one stays refused
        assert c.post("/api/v1/feedback", headers=make_key("intake"), json=ITEM).status_code == 201
        assert c.post("/api/v1/feedback", headers=headers, json=ITEM).status_code == 401


def test_without_cache_revocation_is_immediate(settings, make_key, monkeypatch):
    none = Settings(database_url=settings.database_url, models_dir=settings.models_dir,
                    identity_key_file=settings.identity_key_file, key_cache_seconds=0)
    headers = make_key("intake")
    with TestClient(create_app(none)) as c:
        assert c.post("/api/v1/feedback", headers=headers, json=ITEM).status_code == 201
        monkeypatch.setenv("TRIAGE_DATABASE_URL", settings.database_url)
        _revoke_key(argparse.Namespace(key_id=headers["Authorization"].split("_")[1]))
        assert c.post("/api/v1/feedback", headers=headers, json=ITEM).status_code == 401


def test_revoking_an_unknown_key_fails(settings, monkeypatch):
    monkeypatch.setenv("TRIAGE_DATABASE_URL", settings.database_url)
    assert _revoke_key(argparse.Namespace(key_id="deadbeef")) == 1
