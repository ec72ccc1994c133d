"""A chat model wrapper that redacts PII from every message before it reaches the wrapped
(non-local) model. The registry wraps the ``openai`` provider with it when
``llm.redact_pii`` is on, so no caller can forget to redact: generate, stream, tool
calling (``bind_tools``) and structured output all go through ``_generate``/``_stream``.

Redacted: the text of system, user, assistant and tool messages (tool results carry
transcripts and CRM data). Tool-call arguments written by the remote model itself are
left as they are. Counts of what was replaced are logged and added to the answer's
``response_metadata["pii_redactions"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from coach.privacy.pii import merge_counts, redact

log = logging.getLogger(__name__)


def redact_messages(messages: list[BaseMessage]) -> tuple[list[BaseMessage], dict[str, int]]:
    """Copies of ``messages`` with PII replaced by placeholders, and the counts."""
    out: list[BaseMessage] = []
    counts: dict[str, int] = {}
    for m in messages:
        content = m.content
        if isinstance(content, str):
            r = redact(content)
            new_content: Any = r.text
            counts = merge_counts(counts, r.counts)
        else:
            new_content = []
            for block in content:
                if isinstance(block, str):
                    r = redact(block)
                    new_content.append(r.text)
                    counts = merge_counts(counts, r.counts)
                elif isinstance(block, dict) and isinstance(block.get("text"), str):
                    r = redact(block["text"])
                    new_content.append({**block, "text": r.text})
                    counts = merge_counts(counts, r.counts)
                else:
                    new_content.append(block)
        out.append(m.model_copy(update={"content": new_content}))
    return out, counts


class RedactingChatModel(BaseChatModel):
    """Wraps ``inner``; everything sent to it is redacted first."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: BaseChatModel

    @property
    def _llm_type(self) -> str:
        return f"redacting-{self.inner._llm_type}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"inner": self.inner._identifying_params, "redact_pii": True}

    @property
    def model_name(self) -> str:
        return str(getattr(self.inner, "model_name", None) or getattr(self.inner, "model", "") or self.inner._llm_type)

    def _redacted(self, messages: list[BaseMessage]) -> tuple[list[BaseMessage], dict[str, int]]:
        safe, counts = redact_messages(messages)
        if counts:
            log.info("redacted PII before sending to %s: %s", self.model_name, counts)
        return safe, counts

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        safe, counts = self._redacted(messages)
        result = self.inner._generate(safe, stop=stop, run_manager=run_manager, **kwargs)
        for g in result.generations:
            g.message.response_metadata = {**g.message.response_metadata, "pii_redactions": counts}
        return result

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        safe, _ = self._redacted(messages)
        yield from self.inner._stream(safe, stop=stop, run_manager=run_manager, **kwargs)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        """Let the inner model format the tools, but keep this wrapper in the call path."""
        bound = self.inner.bind_tools(tools, **kwargs)
        return self.bind(**getattr(bound, "kwargs", {}))

    def count_tokens(self, text: str) -> int:
        from coach.llm.budget import estimate_tokens

        return estimate_tokens(text)
