"""API keys (hashed at rest, a role and a locality scope) and the submitter-identity cipher.

Keys look like ``tk_<id>_<secret>``; only sha256 of the whole key is stored (the secret is
32 random bytes, so a slow hash adds nothing). Identity is encrypted with Fernet
(AES-128-CBC + HMAC) before it reaches the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from enum import StrEnum
from pathlib import Path

from cryptography.fernet import Fernet


class Role(StrEnum):
    intake = "intake"
    reviewer = "reviewer"
    supervisor = "supervisor"
    admin = "admin"


# What each role may do; admin may do everything.
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.intake: frozenset({"feedback:create", "feedback:read_own"}),
    Role.reviewer: frozenset({"feedback:read", "queue:read", "review:write", "taxonomy:read",
                              "model:read"}),
    Role.supervisor: frozenset({"feedback:read", "queue:read", "review:write", "taxonomy:read",
                                "model:read", "identity:reveal", "audit:read", "report:read",
                                "labels:export", "model:stats"}),
    Role.admin: frozenset({"*"}),
}


def allowed(role: Role, permission: str) -> bool:
    perms = PERMISSIONS[role]
    return "*" in perms or permission in perms


def new_key() -> tuple[str, str]:
    """(key id, the full key to hand out once)."""
    key_id = secrets.token_hex(4)
    return key_id, f"tk_{key_id}_{secrets.token_urlsafe(32)}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def in_scope(scope: str | None, locality: str | None) -> bool:
    """A key scoped to a locality code sees that locality and the codes below it."""
    if not scope:
        return True
    return bool(locality) and (locality == scope or locality.startswith(scope + "."))


class IdentityCipher:
    def __init__(self, key: str | bytes):
        self._fernet = Fernet(key)
        raw = key.encode() if isinstance(key, str) else key
        self._reporter_secret = hashlib.sha256(b"reporter-key:" + raw).digest()

    @classmethod
    def from_settings(cls, key: str | None, key_file: Path) -> IdentityCipher:
        if key:
            return cls(key)
        if not key_file.exists():
            key_file.write_bytes(Fernet.generate_key())
            key_file.chmod(0o600)
        return cls(key_file.read_bytes().strip())

    def encrypt(self, identity: dict) -> bytes:
        return self._fernet.encrypt(json.dumps(identity, ensure_ascii=False).encode())

    def decrypt(self, token: bytes) -> dict:
        return json.loads(self._fernet.decrypt(token))

    def reporter_key(self, identity: dict) -> str | None:
        """Who sent an item, as a keyed hash of the strongest identifier given (CCCD, then
        phone, e-mail, name and address), so that distinct reporters of one case can be
        counted without decrypting anything; ``None`` when nothing identifies the sender.

        >>> c = IdentityCipher(Fernet.generate_key())
        >>> c.reporter_key({"phone": "+84 912 345 678"}) == c.reporter_key({"phone": "0912345678"})
        True
        """
        basis = _identity_basis(identity)
        if basis is None:
            return None
        return hmac.new(self._reporter_secret, basis.encode(), hashlib.sha256).hexdigest()


def _identity_basis(identity: dict) -> str | None:
    from triage.textutil import strip_diacritics

    digits = {k: re.sub(r"\D", "", str(identity.get(k) or "")) for k in ("cccd", "phone")}
    if len(digits["cccd"]) >= 9:
        return "cccd:" + digits["cccd"]
    if len(digits["phone"]) >= 9:
        return "phone:" + digits["phone"][-9:]  # 0912…, 84912…, +84 912… alike
    email = str(identity.get("email") or "").strip().lower()
    if "@" in email:
        return "email:" + email
    words = " ".join(str(identity.get(k) or "") for k in ("name", "address"))
    words = " ".join(strip_diacritics(words.lower()).split())
    return "name:" + words if words else None
