"""Security of the REST API (issue 12): login throttling and audit, token revocation."""

from __future__ import annotations

from api_support import api, cheap_hashing  # noqa: F401 - fixtures


def _login(api, user: str, password: str):
    return api.client.post("/api/v1/auth/token", json={"username": user, "password": password})


def test_api_login_locks_out_and_is_audited(api):
    from coach.auth.audit import list_events

    for _ in range(5):
        assert _login(api, "rep1", "wrong-password").status_code == 401
    r = _login(api, "rep1", "rep1-demo")
    assert r.status_code == 429 and "too many failed logins" in r.text
    assert _login(api, "rep2", "rep2-demo").status_code == 200
    events = list_events(api.services.db, username="rep1")
    assert [e["action"] for e in events][:2] == ["login_locked", "login_failed"]
    assert events[0]["channel"] == "api" and events[0]["client"]
    assert list_events(api.services.db, username="rep2")[0]["action"] == "login"


def test_tokens_are_revoked_by_password_role_and_deactivation(api):
    from coach.auth.users import set_active, set_password, set_role

    def token(user: str) -> dict[str, str]:
        r = _login(api, user, f"{user}-demo" if user != "rep1" else password["rep1"])
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    password = {"rep1": "rep1-demo"}
    h = token("rep1")
    assert api.client.get("/api/v1/me", headers=h).status_code == 200
    set_password(api.services.db, "rep1", "a-new-password")
    password["rep1"] = "a-new-password"
    r = api.client.get("/api/v1/me", headers=h)
    assert r.status_code == 401 and "revoked" in r.text
    h = token("rep1")
    set_role(api.services.db, "rep1", "manager")
    assert api.client.get("/api/v1/me", headers=h).status_code == 401
    h = token("rep1")
    assert api.client.get("/api/v1/me", headers=h).json()["role"] == "manager"
    set_active(api.services.db, "rep1", False)
    assert api.client.get("/api/v1/me", headers=h).status_code == 401
    assert _login(api, "rep1", "a-new-password").status_code == 401


def test_opening_and_downloading_a_call_is_audited(api):
    from coach.auth.audit import list_events

    call_id = api.analysed_call("rep1")
    assert api.client.get(f"/api/v1/calls/{call_id}", headers=api.h("manager1")).status_code == 200
    assert api.client.get(f"/api/v1/calls/{call_id}/file", headers=api.h("manager1")).status_code == 200
    events = {(e["action"], e["target"]) for e in list_events(api.services.db, username="manager1")}
    assert {("open_call", call_id), ("download", call_id)} <= events
