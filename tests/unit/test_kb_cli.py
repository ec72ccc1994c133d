"""``salescoach kb`` commands end to end through typer (hashing embedder, real Chroma
and SQLite): JSON contracts, exit codes, per-file errors, add-call."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coach.cli import app

CASE = "---\nid: {id}\ntitle: {title}\nindustry: {industry}\nproduct: ultrasound\noutcome: {outcome}\n{extra}---\n{body}\n"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESCOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SALESCOACH_RETRIEVAL__EMBEDDING_MODEL", "fake:hashing")
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "a.md").write_text(CASE.format(id="alpha", title="Hospital price deal", industry="medical devices",
                                            outcome="won", extra="deal_size: 1000000\n",
                                            body="The hospital pushed back on price; the service plan won it."))
    (cases / "b.md").write_text(CASE.format(id="beta", title="Beauty chain loss", industry="beauty retail",
                                            outcome="lost", extra="", body="The chain chose a cheaper competitor."))
    return tmp_path, cases


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_ingest_search_list_stats_remove(env):
    _, cases = env
    (cases / "bad.md").write_text("no front matter")
    res = run("kb", "ingest", str(cases), "--json")
    assert res.exit_code == 0
    report = json.loads(res.stdout)
    assert report["added"] == 2 and report["errors"][0]["path"].endswith("bad.md")
    assert "missing front matter" in report["errors"][0]["reason"]

    res = run("kb", "search", "hospital price", "--k", "1", "--json")
    [hit] = json.loads(res.stdout)
    assert {"id", "title", "outcome", "industry", "score", "snippet"} <= set(hit)
    assert hit["id"] == "alpha" and hit["outcome"] == "won"

    res = run("kb", "search", "price", "--outcome", "lost", "--industry", "Beauty Retail", "--json")
    assert [h["id"] for h in json.loads(res.stdout)] == ["beta"]
    res = run("kb", "search", "price", "--min-size", "500000", "--mode", "bm25", "--json")
    assert [h["id"] for h in json.loads(res.stdout)] == ["alpha"]

    res = run("kb", "list", "--json", "--outcome", "won")
    assert [c["id"] for c in json.loads(res.stdout)] == ["alpha"]
    stats = json.loads(run("kb", "stats", "--json").stdout)
    assert stats["cases"] == 2 and stats["by_outcome"] == {"won": 1, "lost": 1}
    assert "The hospital pushed back" in run("kb", "show", "alpha").stdout

    assert "removed 1 of 1" in run("kb", "remove", "beta").stdout
    assert json.loads(run("kb", "stats", "--json").stdout)["cases"] == 1


def test_nothing_ingested_exits_non_zero(env):
    tmp, _ = env
    bad = tmp / "bad"
    bad.mkdir()
    (bad / "x.md").write_bytes(b"")
    res = run("kb", "ingest", str(bad))
    assert res.exit_code == 1
    assert "file is empty" in res.stderr and "nothing could be ingested" in res.stderr


def test_bad_filter_is_a_clear_error(env):
    from retrieval.errors import InputError

    with pytest.raises(InputError, match="won' or 'lost"):
        run("kb", "search", "price", "--outcome", "maybe")


def test_add_call_builds_a_case_from_the_stored_analysis(env, tmp_path):
    from coach.db.models import Analysis, Call
    from coach.services import Services
    from coach.settings import Settings

    svc = Services(Settings())
    doc = {
        "utterances": [
            {"id": "u1", "speaker": "S0", "role": "rep", "start": 0.0, "end": 3.0, "text": "Thanks for your time."},
            {"id": "u2", "speaker": "S1", "role": "customer", "start": 65.0, "end": 70.0, "text": "Your price is 20% too high."},
        ],
        "moments": [{"type": "objection", "utterance_id": "u2", "time": 65.0, "text": "Your price is 20% too high."}],
        "emotion_shifts": [{"utterance_id": "u2", "time": 65.0, "speaker": "S1", "role": "customer",
                            "direction": "negative", "from": "neutral (0.0)", "to": "negative (-0.5)",
                            "cause_utterance_id": "u1", "evidence": "x"}],
    }
    with svc.db.session() as s:
        s.add(Call(id="c42", title="Renji follow-up", status="analyzed"))
        s.flush()
        s.add(Analysis(call_id="c42", document=doc))
    res = run("kb", "add-call", "c42", "--outcome", "won", "--industry", "medical devices")
    assert res.exit_code == 0, res.stdout
    case = json.loads(run("kb", "show", "call-c42", "--json").stdout)
    assert case["outcome"] == "won" and case["industry"] == "medical devices" and case["source"] == "call:c42"
    assert "[01:05] Customer (S1, u2): Your price is 20% too high." in case["body"]
    assert "objection at 01:05 (u2)" in case["body"] and "turned negative" in case["body"]
    with svc.db.session() as s:
        assert s.get(Call, "c42").outcome == "won"
    from coach.errors import NotFoundError
    from retrieval.errors import InputError

    with pytest.raises(InputError, match="already in the knowledge base"):
        run("kb", "add-call", "c42", "--outcome", "won")
    with pytest.raises(NotFoundError):
        run("kb", "add-call", "nope", "--outcome", "won")
