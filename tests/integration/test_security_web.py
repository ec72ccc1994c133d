"""Security of the web pages (issue 12): a browser can only hand the server files it
uploaded itself, on every page; logins are throttled and run off the event loop."""

from __future__ import annotations

import pytest

from api_support import TRANSCRIPT, cheap_hashing  # noqa: F401 - fixtures
from test_api_ui import UI, ui  # noqa: F401 - fixtures


def _upload(client: UI, name: str, data: bytes) -> dict:
    r = client.client.post("/gradio_api/upload", files=[("files", (name, data, "application/octet-stream"))])
    assert r.status_code == 200, r.text
    return {"path": r.json()[0], "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def _calls_of(services, username: str) -> list[str]:
    from sqlalchemy import select

    from coach.db.models import Call, User

    with services.db.session() as s:
        uid = s.scalars(select(User.id).where(User.username == username)).one()
        return list(s.scalars(select(Call.id).where(Call.user_id == uid)))


def test_pages_only_accept_files_the_same_user_uploaded(ui, services, tmp_path):
    client, app, _ = ui
    client.login("rep1")
    mine = _upload(client, "mine.txt", TRANSCRIPT.encode())

    # files the server can read but the browser never uploaded: the secret key, the
    # database, a knowledge manifest, a file elsewhere on disk
    secret = tmp_path / "elsewhere.txt"
    secret.write_text(TRANSCRIPT)
    targets = [str(secret), str(services.settings.data_dir / "secret.key")]
    if services.settings.db_url.startswith("sqlite:///"):
        targets.append(services.settings.db_url.removeprefix("sqlite:///"))

    client.login("rep2")
    for target in [mine["path"], *targets]:
        forged = {"path": target, "orig_name": "x.txt", "meta": {"_type": "gradio.FileData"}}
        assert client.call("upload_call", forged, None, "") == ("http", 403), target
        # the role-play voice turn and the knowledge upload go through the same gate
        assert client.call("do_voice", {**forged, "orig_name": "x.wav"}, "sid", []) == ("http", 403)
    assert _calls_of(services, "rep2") == []

    client.login("admin")
    forged = {"path": targets[0], "orig_name": "case.md", "meta": {"_type": "gradio.FileData"}}
    assert client.call("upload", "cases", [forged]) == ("http", 403)

    # the owner can use their own upload
    client.login("rep1")
    ev, out = client.call("upload_call", mine, None, "")
    assert ev == "complete", out
    assert len(_calls_of(services, "rep1")) == 1


def test_event_bodies_are_small(ui):
    client, _, _ = ui
    client.login("rep1")
    r = client.client.post("/gradio_api/call/calls_list", json={"data": ["x" * (2 * 1024 * 1024), "", ""]})
    assert r.status_code == 413


def test_web_login_does_not_block_the_server(ui, monkeypatch):
    """A slow password check (argon2) must run off the event loop: the API keeps answering."""
    import threading
    import time

    import coach.auth.passwords as passwords

    real = passwords.authenticate

    def slow(*args, **kwargs):
        time.sleep(3.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(passwords, "authenticate", slow)
    client, _, _ = ui
    assert client.client.get("/api/v1/health").status_code == 200  # warm
    t = threading.Thread(target=lambda: client.client.post("/login", data={"username": "rep1", "password": "nope"}))
    t.start()
    time.sleep(0.3)
    t0 = time.perf_counter()
    assert client.client.get("/api/v1/health").status_code == 200
    waited = time.perf_counter() - t0
    t.join()
    assert waited < 1.5, f"health waited {waited:.2f} s behind a web login"


def test_web_login_locks_out_after_repeated_failures(ui, services):
    from coach.auth.audit import list_events

    client, _, _ = ui
    for _ in range(5):
        assert client.login("rep1", "wrong-password") == 400
    assert client.login("rep1") == 400  # the right password, but locked
    assert client.login("rep2") == 200  # other users are not affected
    actions = [e["action"] for e in list_events(services.db, username="rep1")]
    assert actions.count("login_failed") == 5 and "login_locked" in actions
    assert all(e["channel"] == "web" for e in list_events(services.db, username="rep1"))


def test_deactivated_user_loses_the_web_session(ui, services):
    from coach.auth.users import set_active

    client, _, _ = ui
    assert client.login("rep1") == 200
    assert client.call("calls_list", "", "", "")[0] == "complete"
    set_active(services.db, "rep1", False)
    ev, err = client.call("calls_list", "", "", "")
    assert ev == "error" or ev == "http"
    assert client.login("rep1") == 400


def test_password_change_ends_web_sessions(ui, services):
    from coach.auth.users import set_password

    client, _, _ = ui
    assert client.login("rep2") == 200
    assert client.call("calls_list", "", "", "")[0] == "complete"
    set_password(services.db, "rep2", "another-password")
    assert client.call("calls_list", "", "", "")[0] != "complete"
    assert client.login("rep2", "another-password") == 200
