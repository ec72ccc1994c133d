"""The web UI's event handlers through Gradio's HTTP API (the same calls the browser
makes): login, the logged-in user reaching each handler, and the permission rules giving
the same answers as the REST API."""

from __future__ import annotations

import json

import pytest

from api_support import TRANSCRIPT, cheap_hashing, make_env  # noqa: F401 - fixtures


class UI:
    def __init__(self, client):
        self.client = client

    def login(self, user: str, password: str | None = None) -> int:
        self.client.cookies.clear()
        return self.client.post("/login", data={"username": user, "password": password or f"{user}-demo"}).status_code

    def call(self, api_name: str, *data):
        r = self.client.post(f"/gradio_api/call/{api_name}", json={"data": list(data)})
        if r.status_code != 200:
            return "http", r.status_code
        eid = r.json()["event_id"]
        event = None
        with self.client.stream("GET", f"/gradio_api/call/{api_name}/{eid}") as st:
            for line in st.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    return event, json.loads(line[5:])
        return event, None


@pytest.fixture
def ui(services, cheap_hashing):
    from fastapi.testclient import TestClient

    from ui.app import build_app

    _, people = make_env(services)  # users only; this test needs the UI mounted
    app = build_app(services, with_ui=True, start_jobs=True)
    with TestClient(app) as client:
        yield UI(client), app, people


def _seed_call(services, app, people, user="rep1") -> str:
    import io

    from coach.calls.intake import submit_upload

    res = submit_upload(services, app.state.jobs, io.BytesIO(TRANSCRIPT.encode()), filename="visit.txt", principal=people[user])
    assert app.state.jobs.wait(res.job_id, timeout=60)["status"] == "done"
    return res.call_id


def test_login_required_and_checked_against_users_table(ui):
    client, _, _ = ui
    assert client.client.get("/config").status_code == 401
    assert client.login("rep1", "wrong-password") == 400
    assert client.login("ghost", "rep1-demo") == 400
    assert client.login("rep1") == 200
    assert client.client.get("/config").status_code == 200


def test_calls_list_and_call_view_follow_permissions(ui, services):
    client, app, people = ui
    call_id = _seed_call(services, app, people)
    from coach.calls import views

    detail = views.get_call_detail(services, people["rep1"], call_id)
    from speech.shift_summary import key_shifts

    shifts = detail["analysis"]["emotion_shifts"]
    n_shifts = len(key_shifts(shifts))  # the customer's strongest, shown by default

    client.login("rep1")
    ev, out = client.call("calls_list", "", "", "")
    assert ev == "complete" and [row[0] for row in out[0]["data"]] == [call_id]
    ev, out = client.call("open_call", call_id)
    assert ev == "complete"
    transcript_html = out[3]
    assert transcript_html.count("class='shift-marker") == n_shifts >= 1
    from ui.document_html import transcript_html as render_transcript

    everything = render_transcript(detail["analysis"], show_all=True)  # the toggle
    assert everything.count("class='shift-marker") == len(shifts) >= n_shifts
    assert "Good morning, thanks for making time today" in transcript_html
    metrics_rows = out[5]["data"]
    # in users' words, the stored figure (the report and the team view show the same)
    assert ["Questions asked by the rep", str(detail["analysis"]["metrics"]["questions_rep"]), "11-14 per discovery call"] in metrics_rows

    client.login("rep2")
    ev, out = client.call("calls_list", "", "", "")
    assert ev == "complete" and out[0]["data"] == []
    ev, err = client.call("open_call", call_id)
    assert ev == "error" and err["error"] == f"call {call_id} not found"  # same words as the API's 404

    client.login("manager1")
    ev, out = client.call("calls_list", "", "rep1", "")
    assert ev == "complete" and [row[0] for row in out[0]["data"]] == [call_id]
    ev, out = client.call("open_call", call_id)
    assert ev == "complete"


def test_team_view_is_for_managers(ui, services):
    client, app, people = ui
    _seed_call(services, app, people)
    client.login("rep1")
    ev, err = client.call("team_overview")
    assert ev == "error" and "needs the role manager or admin" in err["error"]
    client.login("manager1")
    ev, out = client.call("team_overview")
    assert ev == "complete"
    reps_table = out[1]["data"]
    assert sorted(r[0] for r in reps_table) == ["rep1", "rep2"]


def test_upload_through_the_ui_waits_for_the_analysis(ui, services, tmp_path):
    client, _, _ = ui
    client.login("rep1")
    path = tmp_path / "from-browser.txt"
    path.write_text(TRANSCRIPT)
    up = client.client.post("/gradio_api/upload", files=[("files", ("from-browser.txt", path.read_bytes(), "text/plain"))])
    assert up.status_code == 200, up.text
    [server_path] = up.json()
    filedata = {"path": server_path, "orig_name": "from-browser.txt", "meta": {"_type": "gradio.FileData"}}
    ev, out = client.call("upload_call", filedata, None, "")
    assert ev == "complete", out
    assert out[0].startswith("Analysed `from-browser.txt` as call")
    assert "class='shift-marker" in out[5]

    # a text file named like audio is refused with the API's 415 message
    bad = client.client.post("/gradio_api/upload", files=[("files", ("fake.wav", b"just text, honestly" * 10, "audio/wav"))])
    filedata = {"path": bad.json()[0], "orig_name": "fake.wav", "meta": {"_type": "gradio.FileData"}}
    ev, err = client.call("upload_call", filedata, None, "")
    assert ev == "error" and "named like audio but its content is text" in err["error"]


@pytest.mark.slow
def test_previsit_script_page_shows_cited_cases(ui, services):
    """The Pre-visit page writes a grounded script; every case id shown is a real case."""
    from pathlib import Path

    from coach.accounts.service import import_directory

    repo = Path(__file__).resolve().parents[2]
    import_directory(services.db, repo / "knowledge" / "demo")
    cases = sorted((repo / "knowledge" / "cases").glob("med-*.md"))[:4]
    services.kb.ingest(cases)
    client, _, _ = ui
    client.login("rep1")
    ev, out = client.call("previsit_script", "Westlake Riverside Hospital", "", "agree a trial")
    assert ev == "complete", out
    status, md = out[0], out[1]  # the last event of the stream: plan first, then the phrased sections
    assert status.startswith("Done in") and "### Opening" in md and "_Sources:" in md
    import re

    shown = set(re.findall(r"\[([a-z0-9][a-z0-9-]+-20\d\d)\]\(/\?case=\1\)", md))  # each a link to the case view
    assert shown and shown <= {c.stem for c in cases}
    assert out[2]["value"]["path"].endswith(".md") and out[3]["value"]["path"].endswith(".pdf")
    ev, err = client.call("previsit_script", None, "", "")
    assert ev == "error" and "give an account or notes" in err["error"]

