"""REST API: authentication, tokens and the error contract."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt

from api_support import api, cheap_hashing  # noqa: F401 - fixtures


def test_token_with_json(api):
    r = api.client.post("/api/v1/auth/token", json={"username": "rep1", "password": "rep1-demo"})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["user"]["username"] == "rep1"
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["role"] == "rep"


def test_token_with_oauth2_form(api):
    r = api.client.post("/api/v1/auth/token", data={"username": "manager1", "password": "manager1-demo"})
    assert r.status_code == 200 and r.json()["user"]["role"] == "manager"


def test_wrong_password_and_unknown_user_are_401_alike(api):
    wrong = api.client.post("/api/v1/auth/token", json={"username": "rep1", "password": "nope-nope"})
    unknown = api.client.post("/api/v1/auth/token", json={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "unauthorized" and "wrong username or password" in wrong.json()["detail"]


def test_token_request_validation(api):
    r = api.client.post("/api/v1/auth/token", json={"username": "rep1"})
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    assert any("password" in e["loc"] for e in r.json()["detail"])
    r = api.client.post("/api/v1/auth/token", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_input"


def test_missing_token_is_401_with_challenge(api):
    r = api.client.get("/api/v1/calls")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"] == "unauthorized"
    r = api.client.get("/api/v1/calls", headers={"Authorization": "Basic cmVwMTpyZXAxLWRlbW8="})
    assert r.status_code == 401


def test_expired_token_is_401(api):
    from coach.auth.tokens import create_token

    old = datetime.now(timezone.utc) - timedelta(days=2)
    token = create_token(api.services.settings, api.users["rep1"], ttl_minutes=60, now=old)
    r = api.client.get("/api/v1/calls", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "token expired" in r.json()["detail"]


def test_forged_token_is_401(api):
    claims = jwt.decode(api.tokens["rep1"], options={"verify_signature": False})
    forged = jwt.encode({**claims, "role": "admin"}, "not-the-server-secret-0123456789abcdef", algorithm="HS256")
    r = api.client.get("/api/v1/team/overview", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and "invalid token" in r.json()["detail"]
    none_alg = jwt.encode({**claims, "role": "admin"}, None, algorithm="none")
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {none_alg}"}).status_code == 401


def test_role_comes_from_database_not_token(api):
    """A token minted before a demotion cannot keep admin rights."""
    from coach.db.models import User

    with api.services.db.session() as s:
        s.get(User, api.users["admin"].id).role = "rep"
    r = api.client.get("/api/v1/team/overview", headers=api.h("admin"))
    assert r.status_code == 403 and r.json()["error"] == "forbidden"


def test_unknown_route_is_json_404(api):
    r = api.client.get("/api/v1/nothing-here", headers=api.h("rep1"))
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_openapi_lists_every_endpoint(api):
    r = api.client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for p in (
        "/auth/token",
        "/calls",
        "/calls/{call_id}",
        "/calls/{call_id}/report",
        "/jobs/{job_id}",
        "/scripts",
        "/kb/search",
        "/roleplay/sessions",
        "/roleplay/sessions/{session_id}/turns",
        "/roleplay/sessions/{session_id}/finish",
    ):
        assert p in paths, p
    assert "post" in paths["/calls"] and "202" in paths["/calls"]["post"]["responses"]
