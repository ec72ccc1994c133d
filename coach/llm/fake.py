"""Deterministic fake chat model for unit tests (a peer of ``local`` and ``openai``).

    FakeChatModel()                                   # echoes the last user message
    FakeChatModel(responses=["A", "B"])               # answers A, then B, then A ...
    FakeChatModel(responder=lambda msgs: "...")       # computed from the prompt
    FakeChatModel(responses=[AIMessage("", tool_calls=[...]), "final"], tool_calling=True)
    FakeChatModel(error="connection refused")         # every call raises LLMError
    FakeChatModel(delay_s=5)                          # slow model (timeout tests)

Streaming yields the answer word by word. ``calls`` records every prompt it received, so
tests can assert what was sent (e.g. that injected text stayed inside a data block).
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

from coach.errors import LLMError

ECHO_PREFIX = "FAKE: "


class FakeChatModel(BaseChatModel):
    """Configurable deterministic chat model. Thread-safe."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    #: answers used in turn (cycled); str or a prepared AIMessage (e.g. with tool_calls)
    responses: list[Any] = Field(default_factory=list)
    #: computes the answer from the messages (wins over ``responses``)
    responder: Callable[[list[BaseMessage]], str | AIMessage] | None = None
    #: when set, every call raises ``LLMError(error)``
    error: str | None = None
    #: seconds to sleep before answering (per call; while streaming: before the 1st token)
    delay_s: float = 0.0
    #: answer with ``bind_tools`` support (so the coach chat uses the agent path)
    tool_calling: bool = False
    max_new_tokens: int = 256
    model_name: str = "fake"
    #: prompts received (list of message lists), most recent last
    calls: list[list[BaseMessage]] = Field(default_factory=list)

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _cycle: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "fake"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    # ------------------------------------------------------------------ answering --
    def _answer(self, messages: list[BaseMessage]) -> AIMessage:
        with self._lock:
            self.calls.append(list(messages))
            if self.delay_s:
                time.sleep(self.delay_s)
            if self.error:
                raise LLMError(self.error)
            if self.responder is not None:
                out = self.responder(list(messages))
            elif self.responses:
                if self._cycle is None:
                    self._cycle = itertools.cycle(self.responses)
                out = next(self._cycle)
            else:
                out = ECHO_PREFIX + _last_human(messages)
        if isinstance(out, AIMessage):
            return out
        words = str(out).split(" ")
        return AIMessage(content=" ".join(words[: self.max_new_tokens]))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        msg = self._answer(messages)
        msg.response_metadata = {**msg.response_metadata, "model_name": self.model_name}
        return ChatResult(generations=[ChatGeneration(message=msg)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        msg = self._answer(messages)
        if msg.tool_calls:
            chunk = ChatGenerationChunk(message=AIMessageChunk(
                content=msg.content,
                tool_call_chunks=[
                    {"name": tc["name"], "args": _json(tc["args"]), "id": tc.get("id"), "index": i}
                    for i, tc in enumerate(msg.tool_calls)
                ],
            ))
            yield chunk
            return
        for token in re.findall(r"\S+\s*|\s+", str(msg.content)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
            if run_manager:
                run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk
        yield ChatGenerationChunk(message=AIMessageChunk(
            content="", response_metadata={"model_name": self.model_name}, chunk_position="last"
        ))

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        if not self.tool_calling:
            raise NotImplementedError("this fake model was built without tool calling")
        return self.bind(tools=[getattr(t, "name", str(t)) for t in tools])

    def get_num_tokens(self, text: str) -> int:
        from coach.llm.budget import estimate_tokens

        return estimate_tokens(text)


def _last_human(messages: list[BaseMessage]) -> str:
    for m in reversed(messages):
        if isinstance(m, HumanMessage):
            return m.text if isinstance(m.text, str) else str(m.content)
    return ""


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
