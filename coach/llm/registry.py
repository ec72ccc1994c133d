"""Provider registry: ``build_chat_model(settings.llm)`` returns a langchain chat model.

Providers are peers, one module each, registered by name in :data:`PROVIDERS`:

* ``local``  - a bundled GGUF model run in-process by llama.cpp (:mod:`coach.llm.local`,
  models in :mod:`coach.llm.catalog`)
* ``openai`` - any OpenAI-compatible endpoint (:mod:`coach.llm.openai_provider`),
  wrapped so PII is redacted before anything is sent (``llm.redact_pii``)
* ``fake``   - deterministic model for unit tests (:mod:`coach.llm.fake`): echoes the
  last user message, or always answers ``llm.model`` when that is set

Use :mod:`coach.llm.generate` to call a model without having to handle its failures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.errors import ConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    from langchain_core.language_models.chat_models import BaseChatModel

    from coach.settings import LLMSettings

log = logging.getLogger(__name__)

ProviderFactory = Callable[["LLMSettings", Path | None], "BaseChatModel"]


def _local(s: "LLMSettings", cache_dir: Path | None) -> "BaseChatModel":
    from coach.llm.local import LocalChatModel

    if cache_dir is None:
        from coach.settings import default_data_dir

        cache_dir = default_data_dir() / "models"
    return LocalChatModel(
        local_model=s.local_model, model_path=s.local_model_path, cache_dir=str(cache_dir),
        temperature=s.temperature, max_new_tokens=s.max_new_tokens, timeout_s=s.timeout_s,
        context_tokens=s.context_tokens, n_threads=s.local_threads,
    )


def _openai(s: "LLMSettings", cache_dir: Path | None) -> "BaseChatModel":
    from coach.llm.openai_provider import build_openai_model

    model = build_openai_model(s)
    if s.redact_pii:
        from coach.llm.redacting import RedactingChatModel

        return RedactingChatModel(inner=model)
    log.warning("llm.redact_pii is off: text is sent to %s unredacted", s.base_url or "the OpenAI API")
    return model


def _fake(s: "LLMSettings", cache_dir: Path | None) -> "BaseChatModel":
    from coach.llm.fake import FakeChatModel

    # llm.model, when set, is the fake's fixed answer (e.g. SALESCOACH_LLM_MODEL for e2e tests)
    return FakeChatModel(max_new_tokens=s.max_new_tokens, responses=[s.model] if s.model else [])


PROVIDERS: dict[str, ProviderFactory] = {"local": _local, "openai": _openai, "fake": _fake}


def build_chat_model(llm_settings: "LLMSettings", *, cache_dir: Path | None = None) -> "BaseChatModel":
    """The chat model of ``llm_settings.provider``. Cheap: the local model's weights load
    on first use. ``cache_dir`` is where the local provider assembles split models
    (``settings.models_cache_dir``; default ``$SALESCOACH_DATA_DIR/models``)."""
    try:
        factory = PROVIDERS[llm_settings.provider]
    except KeyError:
        raise ConfigurationError(
            f"unknown LLM provider {llm_settings.provider!r}", detail=f"choose one of {', '.join(PROVIDERS)}"
        ) from None
    return factory(llm_settings, cache_dir)


def model_name(model: Any) -> str:
    """A readable name for reports ("SmolLM2-135M-Instruct.Q4_1", "gpt-4o-mini", "fake")."""
    for attr in ("model_name", "model"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    bound = getattr(model, "bound", None)
    if bound is not None:
        return model_name(bound)
    return type(model).__name__


def supports_tools(model: Any) -> bool:
    """Whether the model does native tool calling (the coach chat then runs an agent;
    the small local model runs a fixed retrieve-then-answer chain instead)."""
    from coach.llm.fake import FakeChatModel
    from coach.llm.local import LocalChatModel

    if isinstance(model, LocalChatModel):
        return False
    if isinstance(model, FakeChatModel):
        return model.tool_calling
    return callable(getattr(model, "bind_tools", None))
