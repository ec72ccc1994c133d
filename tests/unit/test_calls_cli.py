"""CLI: analyze (transcript input, no audio models), calls list/show, bad input exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coach.cli import app

TRANSCRIPT = (
    "Alice: Hi Bob, thanks for making time. What are your main goals this quarter?\n"
    "Bob: We need to cut onboarding time. Honestly, the price you quoted is too high for us.\n"
    "Alice: I understand. Could we schedule a demo next Tuesday?\n"
    "Bob: Ok, that sounds good.\n"
)


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    runner = CliRunner()
    data = tmp_path / "data"

    def invoke(*args: str):
        return runner.invoke(app, ["--data-dir", str(data), *args], catch_exceptions=False)

    invoke.data = data
    return invoke


def test_analyze_transcript_stores_and_writes_outputs(run, tmp_path):
    src = tmp_path / "call.txt"
    src.write_text(TRANSCRIPT, encoding="utf-8")
    out, md = tmp_path / "out.json", tmp_path / "out.md"
    res = run("analyze", str(src), "--json", str(out), "--markdown", str(md), "--rep-speaker", "Alice")
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == "1.0" and doc["audio"] is None
    assert {s["id"]: s["role"] for s in doc["speakers"]} == {"Alice": "rep", "Bob": "customer"}
    assert [u["id"] for u in doc["utterances"]] == ["u1", "u2", "u3", "u4"]
    for key in ("metrics", "emotion_shifts", "moments", "timings", "language"):
        assert key in doc
    assert "## Transcript" in md.read_text() and "`u2`" in md.read_text()
    assert "Talk ratio" in res.output

    listed = json.loads(run("calls", "list", "--json").output)
    assert len(listed) == 1 and listed[0]["status"] == "analyzed"
    call_id = listed[0]["id"]
    shown = json.loads(run("calls", "show", call_id, "--json").output)
    assert shown["call"]["id"] == call_id
    assert shown["analysis"]["utterances"] == doc["utterances"]
    assert run("calls", "show", call_id).exit_code == 0


def test_no_store(run, tmp_path):
    src = tmp_path / "call.txt"
    src.write_text(TRANSCRIPT, encoding="utf-8")
    res = run("analyze", str(src), "--no-store", "--quiet", "--json", str(tmp_path / "o.json"))
    assert res.exit_code == 0
    assert json.loads(run("calls", "list", "--json").output) == []


def test_bad_input_exits_2_records_failure_and_keeps_original(run, tmp_path):
    src = tmp_path / "notes.wav"
    src.write_text("this is not audio\n")
    out = tmp_path / "out.json"
    res = run("analyze", str(src), "--json", str(out))
    assert res.exit_code == 2
    assert "text file, not audio" in res.output and "Traceback" not in res.output
    assert not out.exists()
    (call,) = json.loads(run("calls", "list", "--json").output)
    assert call["status"] == "failed" and "text file" in call["error"]
    from pathlib import Path

    assert Path(call["stored_path"]).read_text() == "this is not audio\n"


def test_empty_transcript_exits_2(run, tmp_path):
    src = tmp_path / "empty.txt"
    src.write_text("")
    res = run("analyze", str(src), "--json", str(tmp_path / "o.json"))
    assert res.exit_code == 2 and "empty" in res.output


def test_missing_input_and_unknown_call(run, tmp_path):
    res = run("analyze", str(tmp_path / "nope.wav"))
    assert res.exit_code == 2 and "does not exist" in res.output
    assert json.loads(run("calls", "list", "--json").output) == []
    res = run("calls", "show", "doesnotexist")
    assert res.exit_code == 2 and "not found" in res.output


def test_unknown_account(run, tmp_path):
    src = tmp_path / "call.txt"
    src.write_text(TRANSCRIPT, encoding="utf-8")
    res = run("analyze", str(src), "--account", "Nobody Inc")
    assert res.exit_code == 2 and "unknown account" in res.output


def test_enroll_rejects_bad_sample(run, tmp_path):
    res = run("reps", "enroll", "alice", str(tmp_path / "missing.wav"))
    assert res.exit_code == 2 and "does not exist" in res.output
