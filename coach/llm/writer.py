"""The chat model as grounded writing uses it (:class:`scripts_gen.ports.Writer`): a name
for the document and a failure-tolerant token stream (:func:`coach.llm.generate.stream`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coach.llm.generate import TokenStream, stream
from coach.llm.registry import model_name


class ModelWriter:
    def __init__(self, model: Any) -> None:
        self.model = model
        self.name = model_name(model)

    def stream(self, messages: Sequence[tuple[str, str]], *, max_tokens: int | None = None,
               timeout_s: float | None = None, context_tokens: int | None = None) -> TokenStream:
        return stream(self.model, list(messages), max_tokens=max_tokens, timeout_s=timeout_s,
                      context_tokens=context_tokens)
