"""Service settings: pydantic-settings with the ``TRIAGE_`` prefix, the only reader of the
environment. Every setting is listed in the README's settings table (a test checks)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_", extra="ignore")

    database_url: str = Field(default=f"sqlite:///{ROOT / 'triage.db'}",
                              description="SQLAlchemy URL; SQLite file by default, PostgreSQL by URL")
    models_dir: Path = Field(default=ROOT / "models", description="trained models and registry.json")
    identity_key: str | None = Field(
        default=None, description="Fernet key that encrypts submitter identity at rest")
    identity_key_file: Path = Field(
        default=ROOT / ".identity.key",
        description="where a generated identity key is kept when identity_key is not set")
    max_text_chars: int = Field(default=50_000, description="longest accepted feedback text")
    retry_seconds: float = Field(default=60.0, description="how often untriaged items are retried")
    key_cache_seconds: float = Field(
        default=5.0, description="how long a process trusts an API key it has looked up; "
        "a revoked key stops working within this time (0: look up every request)")
    intake_parallelism: int = Field(
        default=2, ge=1, description="single intakes one process works on at once; the "
        "others wait their turn in arrival order (bounded, first come first served)")
    model_poll_seconds: float = Field(
        default=2.0, description="how often each worker checks registry.json for a newly "
                                 "promoted (or rolled back) model")
    host: str = Field(default="127.0.0.1", description="address `triage serve` listens on")
    port: int = Field(default=8000, description="port `triage serve` listens on")
    console_session_hours: float = Field(
        default=8.0, description="how long a reviewer console sign-in lasts (one working day)")
