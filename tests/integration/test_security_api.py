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


def test_small_bodies_headers_and_offline_docs(api):
    big_json = {"username": "rep1", "password": "x" * (2 * 1024 * 1024)}
    r = api.client.post("/api/v1/auth/token", json=big_json)
    assert r.status_code == 413 and "KB" in r.json()["detail"]
    r = api.client.get("/api/v1/health", headers={"X-Filler": "a" * 40_000})
    assert r.status_code == 431
    r = api.client.get("/api/v1/health")
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert "img-src 'self'" in r.headers["content-security-policy"]
    docs = api.client.get("/api/v1/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text.lower()
    js = [line.split('"')[1] for line in docs.text.splitlines() if "swagger-ui-bundle.js" in line]
    assert js and api.client.get(js[0]).status_code == 200


def test_concurrent_reanalyse_queues_one_job(api, monkeypatch):
    import threading

    from coach.calls import views

    call_id = api.analysed_call("rep1")
    barrier = threading.Barrier(2)
    real_get_call = views.get_call

    def both_read_first(*args, **kwargs):
        out = real_get_call(*args, **kwargs)
        try:
            barrier.wait(timeout=5)  # both requests have seen "analyzed" before either acts
        except threading.BrokenBarrierError:
            pass
        return out

    monkeypatch.setattr(views, "get_call", both_read_first)
    codes: list[int] = []

    def go() -> None:
        codes.append(api.client.post(f"/api/v1/calls/{call_id}/reanalyze", headers=api.h("rep1"), json={}).status_code)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(codes) == [202, 422], codes
    from coach.calls.jobs import list_jobs

    analyze_jobs = [j for j in list_jobs(api.services.db) if j["call_id"] == call_id and j["kind"] == "analyze"]
    assert len(analyze_jobs) == 2  # the upload's and one re-analysis


def test_demo_passwords_are_detected(api):
    from coach.auth.users import demo_password_users, set_password

    assert "rep1" in demo_password_users(api.services.db)
    set_password(api.services.db, "rep1", "a-real-password")
    assert "rep1" not in demo_password_users(api.services.db)
