"""Pre-visit scripts for real: the hybrid knowledge base (bundled MiniLM embeddings, BM25,
embedded Chroma) over a subset of the sample cases, the demo accounts, and the bundled
SmolLM2 model (short answers to keep the test fast); plus the HTTP path against the
OpenAI-compatible stub server, which answers with invented ids and numbers."""

from __future__ import annotations

import re

import pytest
from conftest import MODEL_CACHE
from helpers.local_kb import services_over_cases
from helpers.openai_stub_server import OpenAIStubServer

from coach.accounts.service import import_directory
from coach.llm import build_chat_model
from coach.llm.local import LocalChatModel
from coach.settings import REPO_ROOT, LLMSettings
from scripts_gen import generate_script
from scripts_gen.casefacts import number_set

pytestmark = pytest.mark.slow

CASES = ["med-eastbank-portascan-2025", "med-harborview-portascan-2025", "med-northgate-clearview-2025",
         "med-alpine-vitalink-2024", "nev-swiftparcel-voltrun-2025", "nev-coastline-voltrun-2025",
         "food-goldenwok-coldlink-2025", "sw-tideway-ledgerline-2025"]
ACCOUNT = "Westlake Riverside Hospital"


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    # 24 new tokens per section: enough to exercise streaming and validation
    svc, rep = services_over_cases(tmp_path_factory.mktemp("script-local"), CASES,
                                   llm_settings={"timeout_s": 60, "max_new_tokens": 24}, max_new_tokens=24)
    assert not getattr(rep, "errors", None)
    import_directory(svc.db, REPO_ROOT / "knowledge" / "demo")
    return svc


def check_grounded(script: dict, kb) -> None:
    retrieved = {c["id"] for c in script["retrieved"]}
    for sec in script["sections"]:
        for line in sec["content"].splitlines():
            ids = re.findall(r"\[([A-Za-z0-9][\w.:\-]*)\]", line)
            assert all(kb.has_case(c) and c in retrieved for c in ids), line
            if ids:
                allowed = set().union(*(number_set(f"{kb.get_case(c).title} {kb.get_case(c).customer} {kb.get_case(c).body}") for c in ids))
                assert number_set(re.sub(r"\[[^\]]+\]", "", line)) <= allowed, line


def test_local_model_script_is_grounded(svc) -> None:
    tokens: list[str] = []
    s = generate_script(svc, account=ACCOUNT, goal="agree a two-week trial", on_token=lambda k, t: tokens.append(t))
    assert s["model"] == "SmolLM2-135M-Instruct.Q4_1" and tokens, "the local model streamed"
    assert s["timings"]["first_token_s"] is not None and s["timings"]["first_token_s"] <= s["timings"]["total_s"]
    value = s["sections"][2]
    assert value["citations"] and set(value["citations"]) <= set(CASES)
    assert "med-eastbank-portascan-2025" in s["sections"][3]["citations"], "the won case that beat a price objection"
    v = s["validation"]
    assert v["kept"] + v["dropped"] == v["claims"] and v["kept"] >= 5
    check_grounded(s, svc.kb)


def test_http_path_redacts_and_the_validator_catches_invented_claims(svc) -> None:
    with OpenAIStubServer() as stub:
        stub.answer = ("- Our scanner cut waits by 87% [med-eastbank-portascan-2025].\n"
                       "- Trusted by 400 hospitals [med-imaginary-2030].\n"
                       "- Bedside scan wait fell from 26 minutes to 9 minutes [med-eastbank-portascan-2025].")
        llm = build_chat_model(LLMSettings(provider="openai", base_url=stub.url, model="stub-model", timeout_s=5, max_retries=0))
        svc.__dict__["llm"] = llm
        svc.__dict__.pop("writer", None)  # built from the model on first use
        try:
            s = generate_script(svc, notes="ER director Dr. Chen (13812345678, chen@westlake.example.cn) says Norvale is cheaper")
        finally:
            svc.__dict__["llm"] = LocalChatModel(local_model="smollm2-135m", cache_dir=str(MODEL_CACHE), temperature=0.0,
                                                 max_new_tokens=24)
            svc.__dict__.pop("writer", None)
        sent = stub.sent_text()
    assert stub.requests and "13812345678" not in sent and "chen@westlake.example.cn" not in sent
    reasons = s["validation"]["reasons"]
    assert reasons.get("number_not_in_case", 0) >= 1 and reasons.get("unknown_case", 0) >= 1
    assert "87%" not in str(s["sections"]) and "med-imaginary-2030" not in str(s["sections"])
    assert s["model"] == "stub-model" and s["llm_ok"]
    check_grounded(s, svc.kb)
