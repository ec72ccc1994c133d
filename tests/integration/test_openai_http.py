"""The openai provider for real over HTTP, against an OpenAI-compatible stub server on
127.0.0.1 that records what it receives (PII must be redacted before it leaves)."""

from __future__ import annotations

import pytest
from helpers.openai_stub_server import OpenAIStubServer, free_port

from coach.llm import build_chat_model, generate, stream
from coach.settings import LLMSettings

PII = {
    "13812345678": "[PHONE]", "li.wei@renji.example.cn": "[EMAIL]",
    "4111 1111 1111 1111": "[CARD]", "11010519491231002X": "[NATIONAL_ID]",
}
TEXT = ("Dr. Li (mobile 13812345678, li.wei@renji.example.cn) paid with 4111 1111 1111 1111; "
        "ID 11010519491231002X. How do I follow up on the price objection?")


@pytest.fixture
def stub():
    with OpenAIStubServer() as srv:
        yield srv


def model(url: str, **over):
    s = LLMSettings(**{"provider": "openai", "base_url": url, "model": "stub-model", "timeout_s": 2.0,
                       "max_retries": 0, **over})
    return build_chat_model(s)


def test_generate_over_http_redacts_pii_before_sending(stub) -> None:
    r = generate(model(stub.url), [("system", "You are a coach."), ("human", TEXT)])
    assert r.ok and r.text.startswith("Stub coach answer") and r.model == "stub-model"
    assert len(stub.requests) == 1 and stub.requests[0]["model"] == "stub-model"
    sent = stub.sent_text()
    for raw, placeholder in PII.items():
        assert raw not in sent and placeholder in sent
    assert "Dr. Li" in sent and "price objection" in sent


def test_stream_over_http_is_redacted_too(stub) -> None:
    s = stream(model(stub.url), TEXT)
    tokens = list(s)
    assert len(tokens) > 5 and s.result.ok and s.result.first_token_s is not None
    assert stub.requests[0]["stream"] is True
    assert "13812345678" not in stub.sent_text()


def test_without_redaction_the_raw_text_leaves(stub) -> None:
    """Control: proves the redaction tests above can fail."""
    assert generate(model(stub.url, redact_pii=False), TEXT).ok
    assert "13812345678" in stub.sent_text()


def test_endpoint_down_is_a_clear_failed_result() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    r = generate(model(url), "hi")
    assert not r.ok and r.error_kind == "unreachable" and "127.0.0.1" in r.error and "unreachable" in r.error
    s = stream(model(url), "hi")
    assert list(s) == [] and s.result.error_kind == "unreachable"


def test_slow_endpoint_times_out(stub) -> None:
    stub.mode, stub.delay_s = "slow", 4.0
    r = generate(model(stub.url, timeout_s=1.0), "hi")
    assert not r.ok and r.error_kind == "timeout" and r.elapsed_s < 3.5
    s = stream(model(stub.url, timeout_s=1.0), "hi", timeout_s=1.5)
    assert list(s) == [] and s.result.error_kind == "timeout"


@pytest.mark.parametrize("mode, kind, words", [("garbage", "garbage", "not a valid chat completion"),
                                               ("http500", "http", "HTTP 500"),
                                               ("empty", "empty", "empty answer")])
def test_bad_responses(stub, mode, kind, words) -> None:
    stub.mode = mode
    r = generate(model(stub.url), "hi")
    assert not r.ok and r.error_kind == kind and words in r.error, r.error
