"""Service fixtures: the real app on a real SQLite file, and on PostgreSQL when
TRIAGE_TEST_DATABASE_URL is set (CI sets it), with the real small model of tests/conftest."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, create_engine, text

from service.app import create_app
from service.db import Database
from service.migrate import migrate
from service.models import ApiKey, Base
from service.security import hash_key, new_key
from service.settings import Settings
from service.store import now

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TRIAGE_TEST_DATABASE_URL") else [])


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        existing = MetaData()  # and tables of older schemas (dedup_key, dedup_signature ...)
        existing.reflect(conn)
        existing.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'triage.db'}"
    url = os.environ["TRIAGE_TEST_DATABASE_URL"]
    _reset_postgres(url)
    return url


@pytest.fixture
def settings(database_url, models_dir, tmp_path):
    migrate(database_url)
    return Settings(database_url=database_url, models_dir=models_dir,
                    identity_key_file=tmp_path / "identity.key")


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def make_key(settings):
    db = Database(settings.database_url)

    def make(role: str, scope: str | None = None) -> dict:
        key_id, key = new_key()
        with db.transaction() as s:
            s.add(ApiKey(id=key_id, key_hash=hash_key(key), role=role, scope=scope,
                         created_at=now()))
        return {"Authorization": f"Bearer {key}"}

    yield make
    db.dispose()
