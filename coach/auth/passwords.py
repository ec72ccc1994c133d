"""Password hashing (argon2id via argon2-cffi) and the login check.

The same :func:`authenticate` check serves the REST API (``POST /api/v1/auth/token``) and
the web login (Gradio's ``auth=`` hook).
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import TYPE_CHECKING, Any

from coach.auth.permissions import Principal
from coach.errors import AuthenticationError, DependencyMissingError, InputError

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8

_hasher_lock = threading.Lock()
_hasher: Any = None
_dummy_hash: str | None = None


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
        if not verify_password(user.password_hash, password or "") or user.active is False:
            raise AuthenticationError("wrong username or password")
        hasher = _password_hasher()
        if user.password_hash and hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        return Principal.from_user(user)
