"""Password hashing (argon2id via argon2-cffi) and signed API tokens (JWT HS256 via pyjwt).

The signing secret is ``settings.server.secret_key`` or, when that is empty, a random key
generated once and stored in ``data_dir/secret.key`` (mode 0600), so tokens survive a
restart without configuration. The same :func:`authenticate` check serves the REST API
(``POST /api/v1/auth/token``) and the web login (Gradio's ``auth=`` hook).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.errors import AuthenticationError, DependencyMissingError, InputError
from coach.permissions import Principal

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database
    from coach.settings import Settings

log = logging.getLogger(__name__)

TOKEN_ALGORITHM = "HS256"
TOKEN_ISSUER = "salescoach"
MIN_PASSWORD_LENGTH = 8

_hasher_lock = threading.Lock()
_hasher: Any = None
_dummy_hash: str | None = None
_secret_lock = threading.Lock()


def _password_hasher() -> Any:
    global _hasher
    with _hasher_lock:
        if _hasher is None:
            try:
                from argon2 import PasswordHasher
            except ImportError as exc:  # pragma: no cover - declared dependency
                raise DependencyMissingError("argon2-cffi", "password hashing") from exc
            _hasher = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory)
        return _hasher


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted, parameters encoded in the string)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    return _password_hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; False for a mismatch, an empty or a malformed hash."""
    if not password_hash:
        return False
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_password_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _burn_verify(password: str) -> None:
    """Spend the time of a real verification so unknown usernames are not distinguishable."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _password_hasher().hash(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password)


def authenticate(db: "Database", username: str, password: str) -> Principal:
    """The user behind ``username``/``password`` or :class:`AuthenticationError`.

    The error says the same thing for an unknown user and a wrong password.
    """
    from sqlalchemy import select

    from coach.db.models import User

    username = (username or "").strip()
    with db.session() as s:
        user = s.scalars(select(User).where(User.username == username)).first()
        if user is None:
            _burn_verify(password or "")
            raise AuthenticationError("wrong username or password")
        if not verify_password(user.password_hash, password or ""):
            raise AuthenticationError("wrong username or password")
        hasher = _password_hasher()
        if user.password_hash and hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        return Principal.from_user(user)


# ------------------------------------------------------------------------- tokens --
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
    from coach.users import get_principal

    claims = decode_token(settings, token)
    principal = get_principal(db, claims["sub"])
    if principal is None or principal.id != claims.get("uid"):
        raise AuthenticationError("invalid token", detail="user no longer exists")
    return principal
