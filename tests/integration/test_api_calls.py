"""REST API: call upload -> job -> analysis with the real analyzer on a short transcript;
each permission rule; every kind of bad upload; duplicates; restarts with jobs in flight."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from api_support import TRANSCRIPT, api, cheap_hashing, make_env  # noqa: F401 - fixtures


def test_upload_is_stored_before_job_and_analysed_in_background(api):
    r = api.upload("rep1", "visit.txt", title="Imaging visit")
    assert r.status_code == 202, r.text
    body = r.json()
    assert set(body) >= {"call_id", "job_id"} and body["duplicate"] is False
    call_id, job_id = body["call_id"], body["job_id"]
    # durable before any processing: the original is in the uploads store, job queued
    stored = list((api.services.settings.uploads_dir / call_id).iterdir())
    assert [p.read_bytes() for p in stored] == [TRANSCRIPT.encode()]
    job = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.h("rep1")).json()
    assert job["status"] == "queued" and job["call_id"] == call_id
    pending = api.client.get(f"/api/v1/calls/{call_id}", headers=api.h("rep1")).json()
    assert pending["status"] == "pending" and pending["analysis"] is None

    [done] = [j for j in api.jobs.run_pending() if j["kind"] == "analyze"]
    assert done["status"] == "done", done["error"]
    job = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.h("rep1")).json()
    assert job["status"] == "done" and job["progress"] == 1.0 and job["error"] is None
    call = api.client.get(f"/api/v1/calls/{call_id}", headers=api.h("rep1")).json()
    assert call["status"] == "analyzed" and call["title"] == "Imaging visit" and call["user"] == "rep1"
    doc = call["analysis"]
    assert [u["role"] for u in doc["utterances"][:2]] == ["rep", "customer"]
    assert doc["metrics"]["questions_rep"] >= 2
    assert any(m["type"] == "objection" for m in doc["moments"])
    assert any(s["direction"] == "negative" and s["role"] == "customer" for s in doc["emotion_shifts"])
    listed = api.client.get("/api/v1/calls", headers=api.h("rep1")).json()
    assert [c["id"] for c in listed["items"]] == [call_id]
    f = api.client.get(f"/api/v1/calls/{call_id}/file", headers=api.h("rep1"))
    assert f.status_code == 200 and f.content == TRANSCRIPT.encode()


def test_background_workers_process_several_uploads(services, cheap_hashing):
    from fastapi.testclient import TestClient

    from coach.auth.tokens import create_token

    app, people = make_env(services, start_jobs=True)
    with TestClient(app) as client:
        h = {"Authorization": f"Bearer {create_token(services.settings, people['rep1'])}"}
        ids = []
        for i in range(3):
            r = client.post("/api/v1/calls", headers=h, files={"file": (f"c{i}.txt", (TRANSCRIPT + f"Rep: Bye {i}.\n").encode())})
            assert r.status_code == 202
            ids.append(r.json()["job_id"])
        deadline = time.time() + 60
        while time.time() < deadline:
            states = [client.get(f"/api/v1/jobs/{j}", headers=h).json()["status"] for j in ids]
            if all(s in ("done", "failed") for s in states):
                break
            time.sleep(0.2)
        assert states == ["done"] * 3


# ------------------------------------------------------------------ permissions --
def test_rep_cannot_see_another_reps_call(api):
    call_id = api.analysed_call("rep1")
    job_id = api.client.get(f"/api/v1/calls/{call_id}", headers=api.h("rep1")).json()["job"]["id"]
    for path in (f"/api/v1/calls/{call_id}", f"/api/v1/calls/{call_id}/report", f"/api/v1/calls/{call_id}/file",
                 f"/api/v1/calls/{call_id}/comments", f"/api/v1/jobs/{job_id}"):
        r = api.client.get(path, headers=api.h("rep2"))
        assert r.status_code == 404, path
        assert r.json()["error"] == "not_found"
    assert api.client.get("/api/v1/calls", headers=api.h("rep2")).json()["items"] == []
    r = api.client.post(f"/api/v1/calls/{call_id}/comments", headers=api.h("rep2"), json={"text": "hi"})
    assert r.status_code == 404
    r = api.client.post(f"/api/v1/jobs/{job_id}/retry", headers=api.h("rep2"))
    assert r.status_code == 404


def test_missing_and_hidden_calls_answer_identically(api):
    call_id = api.analysed_call("rep1")
    hidden = api.client.get(f"/api/v1/calls/{call_id}", headers=api.h("rep3")).json()
    missing = api.client.get("/api/v1/calls/doesnotexist", headers=api.h("rep3")).json()
    assert hidden["detail"].replace(call_id, "X") == missing["detail"].replace("doesnotexist", "X")


def test_manager_sees_team_not_other_teams(api):
    c1 = api.analysed_call("rep1")
    c3 = api.analysed_call("rep3", "other.txt", (TRANSCRIPT + "Rep: team B\n").encode())
    assert api.client.get(f"/api/v1/calls/{c1}", headers=api.h("manager1")).status_code == 200
    assert api.client.get(f"/api/v1/calls/{c3}", headers=api.h("manager1")).status_code == 404
    listed = {c["id"] for c in api.client.get("/api/v1/calls", headers=api.h("manager1")).json()["items"]}
    assert listed == {c1}
    by_user = api.client.get("/api/v1/calls", params={"user": "rep1"}, headers=api.h("manager1")).json()["items"]
    assert [c["id"] for c in by_user] == [c1]
    everything = {c["id"] for c in api.client.get("/api/v1/calls", headers=api.h("admin")).json()["items"]}
    assert everything == {c1, c3}
    r = api.client.post(f"/api/v1/calls/{c1}/comments", headers=api.h("manager1"), json={"text": "Ask about downtime cost earlier"})
    assert r.status_code == 201 and r.json()["author"] == "manager1"
    comments = api.client.get(f"/api/v1/calls/{c1}/comments", headers=api.h("rep1")).json()["items"]
    assert [c["text"] for c in comments] == ["Ask about downtime cost earlier"]


def test_team_overview_and_assignments_roles(api):
    api.analysed_call("rep1")
    assert api.client.get("/api/v1/team/overview", headers=api.h("rep1")).status_code == 403
    ov = api.client.get("/api/v1/team/overview", headers=api.h("manager1")).json()
    reps = {r["user"]: r for r in ov["reps"]}
    assert set(reps) == {"rep1", "rep2"} and reps["rep1"]["calls"] == 1 and reps["rep2"]["calls"] == 0
    assert reps["rep1"]["talk_ratio"] is not None
    assert api.client.get("/api/v1/users", headers=api.h("rep1")).status_code == 403
    team = {u["username"] for u in api.client.get("/api/v1/users", headers=api.h("manager1")).json()["items"]}
    assert team == {"rep1", "rep2", "manager1"}
    r = api.client.post("/api/v1/users", headers=api.h("manager1"), json={"username": "x1", "password": "password1"})
    assert r.status_code == 403
    r = api.client.post("/api/v1/users", headers=api.h("admin"), json={"username": "rep4", "password": "password1", "team": "A"})
    assert r.status_code == 201


def test_call_list_filters_validate(api):
    r = api.client.get("/api/v1/calls", params={"status": "exploded"}, headers=api.h("rep1"))
    assert r.status_code == 422 and r.json()["error"] == "invalid_input"
    r = api.client.get("/api/v1/calls", params={"limit": 0}, headers=api.h("rep1"))
    assert r.status_code == 422 and r.json()["error"] == "validation_error"


# ------------------------------------------------------------------- bad uploads --
def test_empty_upload_is_422_and_nothing_recorded(api):
    r = api.upload("rep1", "empty.wav", b"")
    assert r.status_code == 422 and r.json()["error"] == "empty_input"
    assert api.client.get("/api/v1/calls", headers=api.h("rep1")).json()["items"] == []
    assert list((api.services.settings.uploads_dir / ".incoming").iterdir()) == []


def test_text_named_wav_is_415(api):
    r = api.upload("rep1", "meeting.wav", b"this is not audio at all, just words\n" * 20)
    assert r.status_code == 415 and r.json()["error"] == "unsupported_media"
    assert "named like audio but its content is text" in r.json()["detail"]


def test_binary_of_unknown_type_is_415(api):
    r = api.upload("rep1", "slides.pdf", b"%PDF-1.7\n\x00\x01\x02binary")
    assert r.status_code == 415
    r = api.upload("rep1", "notes.txt", b"\x00\x00\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert r.status_code == 415 and "not UTF-8 text" in r.json()["detail"]


def test_over_size_upload_is_413(api):
    api.services.settings.server.max_upload_mb = 1
    big = b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * (2 * 1024 * 1024)
    r = api.upload("rep1", "long.wav", big)
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert api.client.get("/api/v1/calls", headers=api.h("rep1")).json()["items"] == []


def test_over_size_streamed_body_is_413(api):
    """A chunked body without Content-Length is cut off at the limit."""
    api.services.settings.server.max_upload_mb = 1
    boundary = b"xyzboundary"
    head = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
            b"Content-Type: audio/wav\r\n\r\nRIFF\x00\x00\x00\x00WAVE")

    def body():
        yield head
        for _ in range(40):
            yield b"\x00" * 65536
        yield b"\r\n--" + boundary + b"--\r\n"

    r = api.client.post(
        "/api/v1/calls",
        headers={**api.h("rep1"), "content-type": f"multipart/form-data; boundary={boundary.decode()}"},
        content=body(),
    )
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def test_missing_file_field_is_422(api):
    r = api.client.post("/api/v1/calls", headers=api.h("rep1"), data={"account": "x"})
    assert r.status_code == 422 and r.json()["error"] == "validation_error"


def test_unknown_account_is_422(api):
    r = api.upload("rep1", "call.txt", account="No Such Hospital")
    assert r.status_code == 422 and "unknown account" in r.json()["detail"]


def test_corrupt_audio_fails_job_keeps_file_and_can_retry(api):
    junk = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x07" * 300
    r = api.upload("rep1", "broken.wav", junk)
    assert r.status_code == 202
    call_id, job_id = r.json()["call_id"], r.json()["job_id"]
    api.jobs.run_pending()
    job = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.h("rep1")).json()
    assert job["status"] == "failed" and job["error"]
    call = api.client.get(f"/api/v1/calls/{call_id}", headers=api.h("rep1")).json()
    assert call["status"] == "failed" and call["error"]
    [stored] = list((api.services.settings.uploads_dir / call_id).iterdir())
    assert stored.read_bytes() == junk
    r = api.client.post(f"/api/v1/jobs/{job_id}/retry", headers=api.h("rep1"))
    assert r.status_code == 200 and r.json()["status"] == "queued"
    assert api.client.get(f"/api/v1/calls/{call_id}", headers=api.h("rep1")).json()["status"] == "pending"


# -------------------------------------------------------------------- duplicates --
def test_same_file_twice_returns_existing_call(api):
    first = api.upload("rep1", "a.txt")
    again = api.upload("rep1", "renamed.txt")
    assert first.status_code == 202 and again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    other_user = api.upload("rep2", "a.txt")
    assert other_user.status_code == 202 and other_user.json()["call_id"] != first.json()["call_id"]


def test_concurrent_uploads_of_same_file_create_one_call(api):
    results: list = []
    barrier = threading.Barrier(6)

    def go():
        barrier.wait()
        results.append(api.upload("rep1", "same.txt"))

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 5 + [202]
    assert len({r.json()["call_id"] for r in results}) == 1
    assert len({r.json()["job_id"] for r in results}) == 1
    assert len(api.client.get("/api/v1/calls", headers=api.h("rep1")).json()["items"]) == 1


def test_failed_call_can_be_uploaded_again(api):
    junk = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x07" * 300
    first = api.upload("rep1", "broken.wav", junk).json()
    api.jobs.run_pending()
    again = api.upload("rep1", "broken.wav", junk)
    assert again.status_code == 202 and again.json()["call_id"] != first["call_id"]


# ------------------------------------------------------------------------ restart --
def test_server_restart_with_jobs_in_flight(services, cheap_hashing):
    """Stop a server while one job runs and one waits; a new server finishes both."""
    from fastapi.testclient import TestClient

    from coach.calls import jobs as jobmod
    from coach.auth.tokens import create_token

    app, people = make_env(services)
    h = {"Authorization": f"Bearer {create_token(services.settings, people['rep1'])}"}
    with TestClient(app) as client:
        a = client.post("/api/v1/calls", headers=h, files={"file": ("a.txt", TRANSCRIPT.encode())}).json()
        b = client.post("/api/v1/calls", headers=h, files={"file": ("b.txt", (TRANSCRIPT + "Rep: b\n").encode())}).json()
    # the first job was mid-analysis when the process died
    claimed = jobmod._claim(services.db, a["job_id"])
    assert claimed["status"] == "running"
    from coach.calls.store import CallStore

    CallStore(services.db, services.settings).set_status(a["call_id"], "analyzing")

    from ui.app import build_app

    restarted = build_app(services, with_ui=False, start_jobs=True)
    with TestClient(restarted) as client:
        deadline = time.time() + 60
        while time.time() < deadline:
            states = [client.get(f"/api/v1/jobs/{x['job_id']}", headers=h).json() for x in (a, b)]
            if all(s["status"] in ("done", "failed") for s in states):
                break
            time.sleep(0.2)
        assert [s["status"] for s in states] == ["done", "done"]
        assert states[0]["attempts"] == 2  # interrupted once, then completed
        for x in (a, b):
            assert client.get(f"/api/v1/calls/{x['call_id']}", headers=h).json()["status"] == "analyzed"


# ---------------------------------------------------------------------- real audio --
@pytest.mark.slow
def test_real_audio_clip_end_to_end(api, shared_data):
    clip = shared_data / "audio" / "wer" / "jfk.flac"
    r = api.upload("rep1", "jfk.flac", clip.read_bytes())
    assert r.status_code == 202
    [job] = [j for j in api.jobs.run_pending() if j["kind"] == "analyze"]
    assert job["status"] == "done", job["error"]
    call = api.client.get(f"/api/v1/calls/{r.json()['call_id']}", headers=api.h("rep1")).json()
    doc = call["analysis"]
    assert 10.5 < doc["audio"]["duration_s"] < 11.5
    text = " ".join(u["text"] for u in doc["utterances"]).lower()
    assert "ask not what your country can do for you" in text
    assert call["kind"] == "audio" and call["duration_s"] == pytest.approx(doc["audio"]["duration_s"])


def test_reanalyze_with_named_rep_speaker(api):
    call_id = api.analysed_call("rep1")
    before = api.client.get(f"/api/v1/calls/{call_id}", headers=api.h("rep1")).json()["analysis"]
    assert before["utterances"][0]["role"] == "rep"
    assert api.client.post(f"/api/v1/calls/{call_id}/reanalyze", headers=api.h("rep2"), json={}).status_code == 404
    r = api.client.post(f"/api/v1/calls/{call_id}/reanalyze", headers=api.h("rep1"), json={"rep_speaker": "Customer"})
    assert r.status_code == 202
    again = api.client.post(f"/api/v1/calls/{call_id}/reanalyze", headers=api.h("rep1"), json={})
    assert again.status_code == 422 and "being analysed" in again.json()["detail"]
    api.jobs.run_pending()
    assert api.client.get(f"/api/v1/jobs/{r.json()['job_id']}", headers=api.h("rep1")).json()["status"] == "done"
    after = api.client.get(f"/api/v1/calls/{call_id}", headers=api.h("rep1")).json()["analysis"]
    assert after["utterances"][0]["role"] == "customer" and after["utterances"][1]["role"] == "rep"
    r = api.client.post(f"/api/v1/calls/{call_id}/reanalyze", headers=api.h("rep1"), json={"speakers": 99})
    assert r.status_code == 422
