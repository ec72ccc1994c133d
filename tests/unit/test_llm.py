"""Registry, fake provider, generate/stream failure handling and the context budget."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from coach.errors import ConfigurationError
from coach.llm import build_chat_model, data_block, estimate_tokens, fit_to_budget, generate, stream
from coach.llm.fake import ECHO_PREFIX, FakeChatModel
from coach.llm.redacting import RedactingChatModel
from coach.llm.registry import model_name, supports_tools
from coach.settings import LLMSettings


# ------------------------------------------------------------------------- registry --
def test_fake_from_settings_echoes_deterministically() -> None:
    model = build_chat_model(LLMSettings(provider="fake"))
    a = generate(model, "hello coach")
    b = generate(model, [("system", "rules"), ("human", "hello coach")])
    assert a.ok and a.text == ECHO_PREFIX + "hello coach" == b.text
    assert a.model == "fake"
    fixed = build_chat_model(LLMSettings(provider="fake", model="Always this."))
    assert generate(fixed, "anything").text == "Always this." == generate(fixed, "else").text


def test_fake_configurable_answers_and_tool_flag() -> None:
    model = FakeChatModel(responses=["one", "two"])
    assert [generate(model, "x").text for _ in range(3)] == ["one", "two", "one"]
    assert FakeChatModel(responder=lambda msgs: f"{len(msgs)} msgs").invoke("q").content == "1 msgs"
    assert not supports_tools(model) and supports_tools(FakeChatModel(tool_calling=True))
    assert len(model.calls) == 3


def test_local_provider_is_built_lazily(tmp_path) -> None:
    model = build_chat_model(LLMSettings(provider="local", local_model_path=str(tmp_path / "missing.gguf")),
                             cache_dir=tmp_path)
    assert type(model).__name__ == "LocalChatModel" and not supports_tools(model)
    r = generate(model, "hi")  # the missing file surfaces as a failed result, not a crash
    assert not r.ok and "not found" in r.error


def test_openai_provider_needs_endpoint_and_model_and_redacts_by_default() -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        build_chat_model(LLMSettings(provider="openai", model="m"))
    with pytest.raises(ConfigurationError, match="model"):
        build_chat_model(LLMSettings(provider="openai", base_url="http://127.0.0.1:9/v1"))
    m = build_chat_model(LLMSettings(provider="openai", base_url="http://127.0.0.1:9/v1", model="qwen"))
    assert isinstance(m, RedactingChatModel) and model_name(m) == "qwen" and supports_tools(m)
    raw = build_chat_model(LLMSettings(provider="openai", base_url="http://127.0.0.1:9/v1", model="qwen", redact_pii=False))
    assert not isinstance(raw, RedactingChatModel)


def test_redacting_wrapper_redacts_what_the_inner_model_receives() -> None:
    inner = FakeChatModel()
    m = RedactingChatModel(inner=inner)
    r = generate(m, [SystemMessage("rules"), HumanMessage("call Li on 13812345678 or li@renji.cn")])
    assert r.ok and "13812345678" not in r.text and "[PHONE]" in r.text and "[EMAIL]" in r.text
    sent = inner.calls[-1][-1].content
    assert sent == "call Li on [PHONE] or [EMAIL]"
    toks = list(stream(m, "card 4111 1111 1111 1111"))
    assert "4111" not in "".join(toks)


# ---------------------------------------------------------------- failure handling --
def test_generate_reports_a_down_model_instead_of_raising() -> None:
    r = generate(FakeChatModel(error="connection refused by 10.0.0.1"), "hi")
    assert not r.ok and r.error_kind == "error" and "connection refused" in r.error and r.text == ""


def test_generate_times_out_on_a_slow_model() -> None:
    r = generate(FakeChatModel(delay_s=2.0), "hi", timeout_s=0.3)
    assert not r.ok and r.error_kind == "timeout" and r.elapsed_s < 1.5


def test_empty_and_garbled_answers_are_not_ok() -> None:
    r = generate(FakeChatModel(responses=["   "]), "hi")
    assert not r.ok and r.error_kind == "empty"
    r = generate(FakeChatModel(responses=["\x00\x01\x02\ufffd\ufffd ok"]), "hi")
    assert not r.ok and r.error_kind == "garbage"


def test_stream_yields_tokens_and_a_result() -> None:
    s = stream(FakeChatModel(responses=["a b c"]), "hi")
    assert list(s) == ["a ", "b ", "c"]
    assert s.result.ok and s.result.text == "a b c" and s.result.first_token_s is not None


def test_stream_failures_end_quietly_with_a_clear_result() -> None:
    s = stream(FakeChatModel(error="model offline"), "hi")
    assert list(s) == [] and not s.result.ok and "model offline" in s.result.error
    s = stream(FakeChatModel(delay_s=2.0), "hi", timeout_s=0.3)
    assert list(s) == [] and s.result.error_kind == "timeout"


def test_tool_calls_count_as_an_answer() -> None:
    msg = AIMessage("", tool_calls=[{"name": "search_cases", "args": {"query": "x"}, "id": "1"}])
    r = generate(FakeChatModel(responses=[msg]), "hi")
    assert r.ok and r.tool_calls[0]["name"] == "search_cases"


# ------------------------------------------------------------------------- budget --
def test_estimate_tokens() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd" * 10) == 10
    assert estimate_tokens("价格太高") == 4


def test_fit_to_budget_trims_the_longest_data_block_not_the_instructions() -> None:
    rules = "You are a coach. " * 20
    small = data_block("short account facts", kind="account")
    big = data_block("word " * 3000, kind="transcript", ref="call-9")
    msgs = [SystemMessage(rules), HumanMessage(f"{small}\n\n{big}\n\nWhat went wrong?")]
    fit = fit_to_budget(msgs, context_tokens=1024, reserve=256)
    assert fit.trimmed and fit.tokens_before > 1024 and fit.tokens_after <= 1024 - 256
    assert fit.messages[0].content == rules
    out = fit.messages[1].content
    assert "short account facts" in out and "What went wrong?" in out and "trimmed to fit" in out
    assert any("call-9" in n for n in fit.notes) and "exceeded" in fit.notes[0]
    assert msgs[1].content.count("word") == 3000, "input messages are not modified"


def test_fit_to_budget_without_data_blocks_drops_history_then_shortens() -> None:
    msgs = [SystemMessage("rules"), HumanMessage("old " * 400), AIMessage("older answer " * 200), HumanMessage("q " * 50)]
    fit = fit_to_budget(msgs, context_tokens=300, reserve=100)
    assert fit.trimmed and fit.tokens_after <= 200
    assert fit.messages[0].content == "rules" and fit.messages[-1].content.startswith("q ")


def test_fit_to_budget_noop_and_bad_config() -> None:
    msgs = [HumanMessage("hi")]
    fit = fit_to_budget(msgs, 2048, 256)
    assert not fit.trimmed and fit.notes == [] and fit.messages[0].content == "hi"
    with pytest.raises(ConfigurationError, match="no room"):
        fit_to_budget(msgs, 256, 256)


def test_generate_applies_the_budget_and_reports_it() -> None:
    model = FakeChatModel(responder=lambda msgs: f"{len(msgs[-1].content)} chars")
    long = data_block("evidence " * 5000, kind="case", ref="c1")
    r = generate(model, [("system", "rules"), ("human", long)], max_tokens=128, context_tokens=1000)
    assert r.ok and r.notes and int(r.text.split()[0]) < 4000
