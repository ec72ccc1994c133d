"""The ``openai`` provider against a real OpenAI-compatible server: ``llama_cpp.server`` on
loopback serving the bundled SmolLM2 (the code path that serves vLLM, Ollama or OpenAI in
production). Deliberately malicious or broken servers stay in the stub tests
(test_openai_http.py)."""

from __future__ import annotations

import re

import pytest
from helpers.llama_server import LlamaServer
from helpers.local_kb import services_over_cases

from coach.accounts.service import import_directory
from coach.llm import build_chat_model, generate, stream
from coach.llm.buyer import BuyerLineRequest, BuyerVoice, phrase_buyer_line
from coach.llm.local import model_file
from coach.settings import REPO_ROOT, LLMSettings
from scripts_gen import stream_script
from scripts_gen.casefacts import number_set

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server():
    path, _ = model_file("smollm2-135m")
    with LlamaServer(path) as srv:
        yield srv


def model(srv: LlamaServer, **over):
    return build_chat_model(LLMSettings(**{"provider": "openai", "base_url": srv.url, "model": srv.alias,
                                           "temperature": 0.0, "max_new_tokens": 48, "timeout_s": 60,
                                           "max_retries": 0, **over}))


def test_server_starts_and_answers_within_the_token_limit(server) -> None:
    assert server.startup_s < 60
    a = generate(model(server), [("system", "You are a sales coach."), ("human", "Give one tip for a price objection.")])
    assert a.ok and a.text and a.model == server.alias, a.error
    assert a.output_tokens and a.output_tokens <= 48, "the limit reaches a self-hosted server"
    b = generate(model(server), "Name one question to ask a new customer.", max_tokens=8)
    assert b.ok and b.output_tokens and b.output_tokens <= 8, "a per-call limit too"


def test_streaming_over_http(server) -> None:
    s = stream(model(server), "Say hello to the sales team in one sentence.", max_tokens=16)
    tokens = list(s)
    assert len(tokens) >= 2 and s.result.ok and s.result.first_token_s is not None
    assert s.result.first_token_s <= s.result.elapsed_s


def test_script_over_http_shows_the_plan_first_and_every_claim_is_grounded(server, tmp_path) -> None:
    cases = ["med-eastbank-portascan-2025", "med-harborview-portascan-2025", "med-northgate-clearview-2025"]
    svc, _ = services_over_cases(tmp_path, cases, llm_settings={"timeout_s": 60, "max_new_tokens": 24})
    svc.__dict__["llm"] = model(server, max_new_tokens=24)
    svc.__dict__.pop("writer", None)
    import_directory(svc.db, REPO_ROOT / "knowledge" / "demo")
    events = list(stream_script(svc, account="Westlake Riverside Hospital", goal="agree a two-week trial"))
    assert events[0].kind == "plan" and events[-1].kind == "done"
    assert events[0].at_s < events[1].at_s and all(s["source"] == "plan" for s in events[0].script["sections"])
    final = events[-1].script
    assert final["model"] == server.alias
    for sec in final["sections"]:
        for line in sec["content"].splitlines():
            ids = re.findall(r"\[([A-Za-z0-9][\w.:\-]*)\]", line)
            assert set(ids) <= set(cases), line
            if ids:
                allowed = set().union(*(number_set(svc.kb.get_case(c).body + svc.kb.get_case(c).title
                                                   + svc.kb.get_case(c).customer) for c in ids))
                assert number_set(re.sub(r"\[[^\]]+\]", "", line)) <= allowed, line
    assert "<<<" not in str(final["sections"]), "no prompt scaffolding reaches the script"


def test_buyer_line_over_http_never_leaks_withheld_state(server) -> None:
    req = BuyerLineRequest(
        act="raise_objection", content="Your price is well above what the other supplier quoted us.",
        voice=BuyerVoice(name="Helen Park", role="CFO", company="Tideway Logistics", personality="blunt"),
        rep_text="The package is 120,000 dollars a year.",
        withheld=["we have to replace the old system before the audit in March"], withheld_numbers=["150000"])
    line = phrase_buyer_line(model(server), req, max_tokens=48, timeout_s=60)
    assert line.text and "150000" not in line.text.replace(",", "") and "audit" not in line.text.lower()
    assert line.source in ("llm", "template") and (line.source == "llm") == (line.reason is None)
