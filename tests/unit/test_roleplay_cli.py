"""``salescoach roleplay``: list, scripted run with the JSON contract, bad input."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app

SCRIPTS = Path(__file__).resolve().parents[2] / "benchmarks" / "roleplay_scripts"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESCOACH_LLM__PROVIDER", "fake")
    return ["--data-dir", str(tmp_path / "data")]


def test_list_json(env):
    r = CliRunner().invoke(app, [*env, "roleplay", "--list", "--json"])
    assert r.exit_code == 0, r.output
    items = json.loads(r.stdout)
    assert len(items) >= 8 and {"id", "name", "difficulty", "industry"} <= set(items[0])
    assert "hidden_needs" not in items[0]


def test_scripted_run_writes_the_contract(env, tmp_path):
    out = tmp_path / "out.json"
    args = [*env, "roleplay", "--persona", "icu-nurse-manager", "--seed", "3",
            "--rep-lines", str(SCRIPTS / "icu-nurse-manager" / "good.txt"), "--renderer", "template", "--json", str(out)]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["persona"] == "icu-nurse-manager" and doc["outcome"] == "next_step"
    assert all(set(t) == {"speaker", "text"} for t in doc["turns"])
    sc = doc["scorecard"]
    assert 0 <= sc["total"] <= 100
    for c in sc["criteria"]:
        assert {"name", "weight", "score", "checks"} <= set(c)
        for k in c["checks"]:
            assert {"text", "passed", "evidence"} <= set(k)
    # same seed, same run
    out2 = tmp_path / "out2.json"
    CliRunner().invoke(app, args[:-1] + [str(out2)])
    assert json.loads(out2.read_text(encoding="utf-8"))["turns"] == doc["turns"]


def test_bad_input(env, tmp_path):
    run = CliRunner().invoke
    r = run(app, [*env, "roleplay", "--persona", "nobody", "--rep-lines", str(SCRIPTS / "poor_en.txt"), "--json", "x.json"])
    assert r.exit_code != 0 and "nobody" in str(r.exception)
    empty = tmp_path / "empty.txt"
    empty.write_text("# only a comment\n\n", encoding="utf-8")
    r = run(app, [*env, "roleplay", "--persona", "icu-nurse-manager", "--rep-lines", str(empty), "--json", "x.json"])
    assert r.exit_code != 0 and "no rep lines" in str(r.exception)
    r = run(app, [*env, "roleplay", "--persona", "icu-nurse-manager", "--rep-lines", str(tmp_path / "missing.txt")])
    assert r.exit_code != 0 and "not found" in str(r.exception)
    r = run(app, [*env, "roleplay", "--persona", "icu-nurse-manager", "--renderer", "poetry", "--rep-lines", str(empty)])
    assert r.exit_code != 0 and "renderer" in str(r.exception)
    r = run(app, [*env, "roleplay", "--persona", "icu-nurse-manager", "--bogus"])
    assert r.exit_code != 0 and "--bogus" in str(r.exception)


def test_interactive_session(env, tmp_path):
    out = tmp_path / "i.json"
    r = CliRunner().invoke(
        app,
        [*env, "roleplay", "--persona", "icu-nurse-manager", "--renderer", "template", "--json", str(out)],
        input="How do the alarms affect your nurses?\n\n/end\n",
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [t["speaker"] for t in doc["turns"]] == ["buyer", "rep", "buyer", "rep", "buyer"]
    assert doc["trace"][-1]["act"] == "confused"
