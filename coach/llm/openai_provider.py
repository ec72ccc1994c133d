"""The ``openai`` provider: any OpenAI-compatible chat-completions endpoint (OpenAI,
vLLM, Ollama, llama.cpp server, LM Studio ...) through ``langchain_openai.ChatOpenAI``.

The registry wraps the model in :class:`coach.llm.redacting.RedactingChatModel` when
``llm.redact_pii`` is on (the default): nothing unredacted leaves the machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coach.errors import ConfigurationError, DependencyMissingError

if TYPE_CHECKING:  # pragma: no cover
    from coach.settings import LLMSettings


def build_openai_model(s: "LLMSettings") -> Any:
    """``ChatOpenAI`` configured from settings (base URL, key, model, timeout, retries)."""
    if not s.base_url and not s.api_key:
        raise ConfigurationError(
            "llm.provider is 'openai' but neither llm.base_url nor llm.api_key is set",
            detail="set SALESCOACH_LLM_BASE_URL (e.g. http://localhost:11434/v1) and/or SALESCOACH_LLM_API_KEY",
        )
    if not s.model:
        raise ConfigurationError(
            "llm.provider is 'openai' but no model name is set", detail="set SALESCOACH_LLM_MODEL"
        )
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DependencyMissingError("langchain-openai", "the openai LLM provider") from exc
    extra: dict[str, Any] = {}
    if s.base_url:
        # langchain-openai sends the limit as max_completion_tokens, which self-hosted servers
        # (llama.cpp server, older vLLM and Ollama) ignore: they also get the classic field
        extra["extra_body"] = {"max_tokens": s.max_new_tokens}
    return ChatOpenAI(
        **extra,
        base_url=s.base_url or None,
        # local servers (vLLM, Ollama, llama.cpp) accept any key but the client needs one
        api_key=s.api_key or "not-needed",
        model=s.model,
        temperature=s.temperature,
        max_tokens=s.max_new_tokens,
        timeout=s.timeout_s,
        max_retries=s.max_retries,
    )
