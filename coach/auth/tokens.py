"""Signed API tokens (JWT HS256 via pyjwt); passwords are in :mod:`coach.auth.passwords`.

The signing secret is ``settings.server.secret_key`` or, when that is empty, a random key
generated once and stored in ``data_dir/secret.key`` (mode 0600), so tokens survive a
restart without configuration.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.auth.permissions import Principal
from coach.auth.users import get_principal
from coach.errors import AuthenticationError

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database
    from coach.settings import Settings

log = logging.getLogger(__name__)

TOKEN_ALGORITHM = "HS256"
TOKEN_ISSUER = "salescoach"
_secret_lock = threading.Lock()

def secret_key(settings: "Settings") -> str:
    """The token signing secret: configured, or generated once into data_dir/secret.key."""
    if settings.server.secret_key:
        return settings.server.secret_key
    path: Path = settings.data_dir / "secret.key"
    with _secret_lock:
        if path.exists():
            key = path.read_text(encoding="utf-8").strip()
            if key:
                return key
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key)
        os.replace(tmp, path)
        log.info("generated a new token signing key in %s", path)
        return key


def create_token(
    settings: "Settings",
    principal: Principal,
    *,
    ttl_minutes: float | None = None,
    now: datetime | None = None,
) -> str:
    """A signed bearer token for ``principal`` that expires after the configured TTL."""
    import jwt

    now = now or datetime.now(timezone.utc)
    ttl = settings.server.token_ttl_minutes if ttl_minutes is None else ttl_minutes
    claims = {
        "sub": principal.username,
        "uid": principal.id,
        "role": principal.role,
        "tv": principal.token_version,
        "iss": TOKEN_ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=ttl)).timestamp()),
    }
    return jwt.encode(claims, secret_key(settings), algorithm=TOKEN_ALGORITHM)


def decode_token(settings: "Settings", token: str) -> dict[str, Any]:
    """The claims of a valid token; :class:`AuthenticationError` if expired or forged."""
    import jwt

    if not token:
        raise AuthenticationError("missing bearer token")
    try:
        return jwt.decode(
            token,
            secret_key(settings),
            algorithms=[TOKEN_ALGORITHM],
            issuer=TOKEN_ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationError("token expired", detail="request a new one at POST /api/v1/auth/token") from exc
    except jwt.InvalidTokenError as exc:
        raise AuthenticationError("invalid token", detail=type(exc).__name__) from exc


def principal_from_token(settings: "Settings", db: "Database", token: str) -> Principal:
    """Decode the token and load its user fresh from the database (deleted users lose access)."""
    claims = decode_token(settings, token)
    principal = get_principal(db, claims["sub"])
    if principal is None or principal.id != claims.get("uid"):
        raise AuthenticationError("invalid token", detail="user no longer exists")
    if claims.get("tv", 0) != principal.token_version:
        raise AuthenticationError(
            "token revoked", detail="the password or role changed, or the account was deactivated; log in again"
        )
    return principal
