"""``salescoach script|report|retro`` with the in-memory KB and a fake LLM injected into
the CLI's services."""

from __future__ import annotations

import json

import pytest
from helpers.memory_kb import MemoryKB
from typer.testing import CliRunner

from coach import cli
from coach.accounts.service import import_directory
from coach.llm.fake import FakeChatModel
from coach.services import Services
from coach.settings import REPO_ROOT

CALL = REPO_ROOT / "knowledge" / "demo" / "calls" / "westlake-portascan-discovery.txt"


@pytest.fixture
def run(settings, monkeypatch):
    svc = Services(settings, kb=MemoryKB(), llm=FakeChatModel(responses=["- Ask about the ER waits."]))
    import_directory(svc.db, REPO_ROOT / "knowledge" / "demo")
    monkeypatch.setattr(cli._ServicesHandle, "get", lambda self: svc)
    runner = CliRunner()

    def _run(*args: str):
        return runner.invoke(cli.app, list(args))

    return _run


def test_script_writes_json_and_markdown(run, tmp_path) -> None:
    j, m = tmp_path / "s.json", tmp_path / "s.md"
    res = run("script", "--account", "Westlake Riverside Hospital", "--goal", "agree a trial", "--json", str(j), "--markdown", str(m))
    assert res.exit_code == 0, res.output
    doc = json.loads(j.read_text(encoding="utf-8"))
    assert len(doc["sections"]) == 5 and doc["citations"] and "validation" in doc
    assert m.read_text(encoding="utf-8").startswith("# Pre-visit script: Westlake Riverside Hospital")
    assert "cases cited" in res.output


def test_script_errors_exit_2_with_a_message(run) -> None:
    res = run("script", "--account", "Westlake Hospitl", "--json", "x.json")
    assert res.exit_code == 2 and "unknown account" in res.output and "Westlake Riverside Hospital" in res.output
    res = run("script", "--json", "x.json")
    assert res.exit_code == 2 and "--account" in res.output


def test_report_from_transcript_then_by_call_id_then_retro(run, tmp_path) -> None:
    j = tmp_path / "r.json"
    res = run("report", str(CALL), "--json", str(j), "--markdown", str(tmp_path / "r.md"))
    assert res.exit_code == 0, res.output
    doc = json.loads(j.read_text(encoding="utf-8"))
    assert doc["call_id"] and doc["improvements"] and "report stored with call" in res.output
    res = run("report", doc["call_id"], "--json", str(j), "--no-llm")
    assert res.exit_code == 0 and json.loads(j.read_text(encoding="utf-8"))["scores"] == doc["scores"]
    assert run("report", "nope", "--json", str(j)).exit_code == 2
    res = run("retro", "--json", str(tmp_path / "t.json"))
    assert res.exit_code == 0 and "Lost-deal retrospective" in res.output
    assert json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))["lost_deals"] >= 10
    res = run("retro", "beauty-aurora-lumaskin-2024")
    assert res.exit_code == 0 and "unresolved_objection:risk-safety" in res.output
    res = run("retro", doc["call_id"])
    assert res.exit_code == 0 and "Retrospective" in res.output
