"""Password hashing, login and bearer tokens (coach.auth.passwords, coach.auth.tokens)."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from coach.auth import passwords, tokens
from coach.auth import users
from coach.errors import AuthenticationError, InputError


@pytest.fixture
def db(services):
    return services.db


def test_hash_is_argon2id_salted_and_verifies(settings):
    h1 = passwords.hash_password("correct horse")
    h2 = passwords.hash_password("correct horse")
    assert h1.startswith("$argon2id$") and h1 != h2
    assert passwords.verify_password(h1, "correct horse")
    assert not passwords.verify_password(h1, "Correct horse")
    assert not passwords.verify_password(None, "correct horse")
    assert not passwords.verify_password("not-a-hash", "correct horse")


def test_short_password_rejected():
    with pytest.raises(InputError, match="at least 8"):
        passwords.hash_password("short")


def test_authenticate_right_and_wrong_password(db):
    users.create_user(db, "rep1", "rep1-demo", role="rep", team="A")
    p = passwords.authenticate(db, "rep1", "rep1-demo")
    assert (p.username, p.role) == ("rep1", "rep")
    assert p.team_id is not None
    with pytest.raises(AuthenticationError) as wrong:
        passwords.authenticate(db, "rep1", "rep2-demo")
    with pytest.raises(AuthenticationError) as unknown:
        passwords.authenticate(db, "nobody", "rep1-demo")
    # the same message for an unknown user and a wrong password
    assert wrong.value.message == unknown.value.message == "wrong username or password"
    assert wrong.value.http_status == 401


def test_password_never_stored_in_clear(db, services):
    users.create_user(db, "rep9", "s3cret-password")
    raw = open(services.settings.data_dir / "salescoach.db", "rb").read()
    assert b"s3cret-password" not in raw


def test_token_roundtrip_and_claims(settings, db):
    p = users.create_user(db, "manager1", "manager1-demo", role="manager", team="A")
    token = tokens.create_token(settings, p)
    claims = tokens.decode_token(settings, token)
    assert claims["sub"] == "manager1" and claims["role"] == "manager" and claims["uid"] == p.id
    assert claims["exp"] - claims["iat"] == settings.server.token_ttl_minutes * 60
    assert tokens.principal_from_token(settings, db, token) == p


def test_expired_token_rejected(settings, db):
    p = users.create_user(db, "rep1", "rep1-demo")
    old = datetime.now(timezone.utc) - timedelta(hours=2)
    token = tokens.create_token(settings, p, ttl_minutes=60, now=old)
    with pytest.raises(AuthenticationError, match="token expired"):
        tokens.decode_token(settings, token)


@pytest.mark.parametrize("forge", ["other_secret", "alg_none", "tampered", "garbage", "empty"])
def test_forged_tokens_rejected(settings, db, forge):
    p = users.create_user(db, "rep1", "rep1-demo")
    good = tokens.create_token(settings, p)
    claims = jwt.decode(good, options={"verify_signature": False})
    if forge == "other_secret":
        token = jwt.encode(claims, "x" * 48, algorithm="HS256")
    elif forge == "alg_none":
        token = jwt.encode({**claims, "role": "admin"}, None, algorithm="none")
    elif forge == "tampered":
        head, body, sig = good.split(".")
        other = jwt.encode({**claims, "role": "admin"}, "y" * 48, algorithm="HS256").split(".")[1]
        token = ".".join([head, other, sig])
    elif forge == "garbage":
        token = "not.a.token"
    else:
        token = ""
    with pytest.raises(AuthenticationError):
        tokens.decode_token(settings, token)


def test_token_of_deleted_user_rejected(settings, db):
    from coach.db.models import User

    p = users.create_user(db, "rep1", "rep1-demo")
    token = tokens.create_token(settings, p)
    with db.session() as s:
        s.delete(s.get(User, p.id))
    with pytest.raises(AuthenticationError, match="invalid token"):
        tokens.principal_from_token(settings, db, token)


def test_secret_generated_once_private_and_reused(settings):
    key = tokens.secret_key(settings)
    path = settings.data_dir / "secret.key"
    assert path.exists() and len(key) >= 48
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert tokens.secret_key(settings) == key


def test_configured_secret_wins(settings, db):
    settings.server.secret_key = "configured-secret-value-0123456789"
    p = users.create_user(db, "rep1", "rep1-demo")
    token = tokens.create_token(settings, p)
    jwt.decode(token, "configured-secret-value-0123456789", algorithms=["HS256"], issuer="salescoach")
    assert not (settings.data_dir / "secret.key").exists()


def test_user_validation(db):
    with pytest.raises(InputError, match="invalid role"):
        users.create_user(db, "x1", "password1", role="boss")
    with pytest.raises(InputError, match="invalid username"):
        users.create_user(db, "bad name", "password1")
    users.create_user(db, "rep1", "password1")
    with pytest.raises(InputError, match="already exists"):
        users.create_user(db, "rep1", "password1")
    assert users.create_user(db, "rep1", "whatever1", exists_ok=True).username == "rep1"


def test_set_password(db):
    users.create_user(db, "rep1", "password1")
    users.set_password(db, "rep1", "new-password")
    assert passwords.authenticate(db, "rep1", "new-password").username == "rep1"
    with pytest.raises(AuthenticationError):
        passwords.authenticate(db, "rep1", "password1")
