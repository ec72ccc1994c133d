"""CLI: ``salescoach accounts import|list|show`` and ``salescoach chat`` (fake LLM)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coach.errors import NotFoundError


@pytest.fixture
def run(tmp_path, monkeypatch):
    from coach.cli import app

    monkeypatch.setenv("SALESCOACH_LLM_PROVIDER", "fake")
    runner = CliRunner()

    def _run(*args: str, input: str | None = None):
        return runner.invoke(app, ["--data-dir", str(tmp_path / "data"), *args], input=input)

    return _run


@pytest.fixture
def crm(tmp_path):
    d = tmp_path / "crm"
    d.mkdir()
    (d / "accounts.csv").write_text("name,industry,region,size,owner,notes\nRenji Hospital,medical,Shanghai,large,,\n")
    (d / "opportunities.csv").write_text(
        "account,name,product,stage,amount,currency,close_date,status,open_objections\n"
        "Renji Hospital,US 2025,PortaScan,negotiation,1000,CNY,2025-01-01,open,price;service\n"
        "Nope Inc,x,,,,,,open,\n")
    return d


def test_accounts_import_list_show(run, crm) -> None:
    r = run("accounts", "import", str(crm), "--json")
    assert r.exit_code == 1, "a failed row gives exit code 1"
    report = json.loads(r.stdout)
    assert report["created"] == {"accounts": 1, "opportunities": 1}
    assert report["errors"][0]["line"] == 3 and "Nope Inc" in report["errors"][0]["message"]
    r = run("accounts", "list", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["open_opportunities"] == 1
    r = run("accounts", "show", "renji hospital", "--json")
    assert json.loads(r.stdout)["open_objections"] == ["price", "service"]
    r = run("accounts", "show", "Renji")
    assert r.exit_code == 0 and "open objections: price; service" in r.stdout
    r = run("accounts", "show", "Renji Hosp1tal")
    assert isinstance(r.exception, NotFoundError) and "did you mean 'Renji Hospital'" in str(r.exception)


def test_chat_one_shot_json_and_interactive(run, crm) -> None:
    run("accounts", "import", str(crm))
    r = run("chat", "-m", "I meet Renji Hospital tomorrow", "--json")
    assert r.exit_code == 0, r.output
    ans = json.loads(r.stdout)
    assert ans["accounts"] == ["Renji Hospital"] and ans["model"] == "fake" and ans["session_id"]
    r = run("chat", "--session", ans["session_id"], "-m", "and about Renji Hospital price?")
    assert r.exit_code == 0 and "Open objections: price; service" in r.stdout
    r = run("chat", input="something unrelated entirely\nexit\n")
    assert r.exit_code == 0 and "knowledge base is empty" in r.stdout
    r = run("chat", "--session", "nosuch", "-m", "hi")
    assert isinstance(r.exception, NotFoundError)
