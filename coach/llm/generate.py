"""Calling a chat model without having to handle its failures.

``generate`` and ``stream`` never raise for provider failures (endpoint down, timeout,
HTTP error, garbage or empty answer): they return/finish with ``ok=False`` and a clear
``error``, so a feature can still return its grounded plan. Both can fit the prompt to
the context first (``context_tokens=``), reporting what was trimmed in ``notes``.

    r = generate(model, messages, max_tokens=300, timeout_s=30, context_tokens=2048)
    r.ok, r.text, r.error, r.notes

    s = stream(model, messages, timeout_s=30)
    for token in s:
        print(token, end="")
    s.result.ok, s.result.first_token_s

Timeouts are enforced here with a watchdog thread (the call itself keeps the provider's
own timeout too); a local generation also stops itself when its time budget is spent.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage, convert_to_messages

from coach.errors import LLMError, SalesCoachError
from coach.llm.budget import fit_to_budget, token_counter
from coach.llm.registry import model_name

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 120.0
MessagesLike = Sequence[BaseMessage] | Sequence[tuple[str, str]] | str


@dataclass
class LLMResult:
    text: str
    model: str
    ok: bool
    error: str | None = None
    #: unreachable | timeout | http | garbage | empty | budget | error (None when ok)
    error_kind: str | None = None
    elapsed_s: float = 0.0
    #: seconds to the first streamed token (stream only)
    first_token_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    #: context trimming and other things the user should know about
    notes: list[str] = field(default_factory=list)
    #: tool calls the model asked for (tool-calling providers)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def _as_messages(messages: MessagesLike) -> list[BaseMessage]:
    if isinstance(messages, str):
        messages = [("human", messages)]
    return convert_to_messages(list(messages))


def _unwrap(model: Any) -> Any:
    inner = getattr(model, "inner", None)
    return _unwrap(inner) if inner is not None else getattr(model, "bound", model)


def _default_timeout(model: Any) -> float:
    base = _unwrap(model)
    for attr in ("timeout_s", "request_timeout"):
        value = getattr(base, attr, None)
        if isinstance(value, (int, float)) and value > 0:
            retries = int(getattr(base, "max_retries", 0) or 0)
            return float(value) * (retries + 1) + 5.0
    return DEFAULT_TIMEOUT_S


def _call_kwargs(model: Any, max_tokens: int | None, timeout_s: float | None) -> dict[str, Any]:
    from coach.llm.local import LocalChatModel

    base = _unwrap(model)
    kw: dict[str, Any] = {}
    if max_tokens:
        kw["max_tokens"] = int(max_tokens)
        if isinstance(getattr(base, "extra_body", None), dict) and "max_tokens" in base.extra_body:
            # self-hosted endpoint (see openai_provider): the classic field carries the limit
            kw["extra_body"] = {**base.extra_body, "max_tokens": int(max_tokens)}
    if isinstance(base, LocalChatModel) and timeout_s:
        kw["timeout_s"] = float(timeout_s)
    return kw


def _endpoint(model: Any) -> str:
    """How users see the endpoint: scheme, host and port only. The configured base URL may
    carry credentials (``https://user:key@host/v1?token=...``) and is never shown."""
    from urllib.parse import urlsplit

    base = _unwrap(model)
    url = str(getattr(base, "openai_api_base", None) or getattr(base, "base_url", None) or "")
    try:
        parts = urlsplit(url)
        host, scheme = parts.hostname or "", parts.scheme
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        host = scheme = ""
    return f"the LLM server {scheme}://{host}" if host else "the LLM endpoint"


def describe_error(exc: BaseException, model: Any = None) -> tuple[str, str]:
    """(kind, message) for a provider failure, worded for the user."""
    where = _endpoint(model)
    try:
        import httpx
        import openai
    except ImportError:  # pragma: no cover
        httpx = openai = None  # type: ignore[assignment]
    if isinstance(exc, TimeoutError) or (openai and isinstance(exc, openai.APITimeoutError)) or (
        httpx and isinstance(exc, httpx.TimeoutException)
    ):
        return "timeout", f"{where} did not answer in time"
    if openai and isinstance(exc, openai.APIConnectionError) or isinstance(exc, ConnectionError) or (
        httpx and isinstance(exc, httpx.ConnectError)
    ):
        return "unreachable", f"{where} is unreachable (is the server running?)"
    if openai and isinstance(exc, openai.APIStatusError):
        log.warning("LLM HTTP %s: %s", exc.status_code, str(exc.message)[:500])
        return "http", f"{where} answered HTTP {exc.status_code}"
    if isinstance(exc, (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError)) or (
        openai and isinstance(exc, openai.APIResponseValidationError)
    ):
        return "garbage", f"{where} returned a response that is not a valid chat completion ({type(exc).__name__})"
    if isinstance(exc, SalesCoachError):
        return "error", exc.message
    log.warning("LLM call failed: %s: %s", type(exc).__name__, exc)  # details for the operator only
    return "error", f"the LLM call failed ({type(exc).__name__}); the server log has the details"


def _looks_garbled(text: str) -> bool:
    """Mostly control/replacement characters: a broken decoder or a binary response."""
    if not text:
        return False
    bad = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\n\r\t"))
    return bad / len(text) > 0.2


def _check_text(result: LLMResult) -> LLMResult:
    if result.ok and not result.text.strip() and not result.tool_calls:
        result.ok, result.error_kind, result.error = False, "empty", "the model returned an empty answer"
    elif result.ok and _looks_garbled(result.text):
        result.ok, result.error_kind, result.error = False, "garbage", "the model returned unreadable text"
    return result


def _prepare(model: Any, messages: MessagesLike, max_tokens: int | None, context_tokens: int | None,
             result: LLMResult) -> list[BaseMessage] | None:
    msgs = _as_messages(messages)
    if context_tokens:
        reserve = int(max_tokens or getattr(_unwrap(model), "max_new_tokens", 0) or 256)
        try:
            fit = fit_to_budget(msgs, context_tokens, reserve, counter=token_counter(_unwrap(model)))
        except SalesCoachError as exc:
            result.ok, result.error_kind, result.error = False, "budget", exc.message
            return None
        result.notes.extend(fit.notes)
        msgs = fit.messages
    return msgs


def generate(
    model: Any,
    messages: MessagesLike,
    *,
    max_tokens: int | None = None,
    timeout_s: float | None = None,
    context_tokens: int | None = None,
) -> LLMResult:
    """Invoke ``model``; never raises for provider failures (see module doc)."""
    name = model_name(model)
    result = LLMResult(text="", model=name, ok=True)
    msgs = _prepare(model, messages, max_tokens, context_tokens, result)
    if msgs is None:
        return result
    deadline = timeout_s or _default_timeout(model)
    kwargs = _call_kwargs(model, max_tokens, timeout_s)
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)

    def _run() -> None:
        try:
            box.put(("ok", model.invoke(msgs, **kwargs)))
        except BaseException as exc:  # noqa: BLE001 - reported as a result
            box.put(("err", exc))

    t0 = time.perf_counter()
    threading.Thread(target=_run, name="llm-generate", daemon=True).start()
    try:
        status, value = box.get(timeout=deadline)
    except queue.Empty:
        status, value = "err", TimeoutError()
    result.elapsed_s = time.perf_counter() - t0
    if status == "err":
        result.ok = False
        result.error_kind, result.error = describe_error(value, model)
        if result.error_kind == "timeout":
            result.error += f" (limit {deadline:.0f}s)"
        log.warning("LLM call failed (%s): %s", result.error_kind, result.error)
        return result
    content = getattr(value, "content", value)
    if not isinstance(content, str):
        if isinstance(content, list):
            content = "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content)
        else:
            result.ok, result.error_kind = False, "garbage"
            result.error = f"the model returned {type(content).__name__}, not text"
            return result
    result.text = content.strip()
    result.tool_calls = list(getattr(value, "tool_calls", None) or [])
    usage = getattr(value, "usage_metadata", None) or {}
    result.input_tokens, result.output_tokens = usage.get("input_tokens"), usage.get("output_tokens")
    meta_name = (getattr(value, "response_metadata", None) or {}).get("model_name")
    if meta_name:
        result.model = str(meta_name)
    return _check_text(result)


class TokenStream(Iterator[str]):
    """Iterator over answer tokens; ``result`` (an :class:`LLMResult`) is complete once
    the iteration ends. Iteration stops early (no exception) on a failure or timeout."""

    def __init__(self, model: Any, msgs: list[BaseMessage] | None, result: LLMResult,
                 kwargs: dict[str, Any], timeout_s: float) -> None:
        self.result = result
        self._model = model
        self._msgs = msgs
        self._kwargs = kwargs
        self._timeout_s = timeout_s
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._cancel = threading.Event()
        self._started = False
        self._done = msgs is None
        self._t0 = 0.0
        self._parts: list[str] = []

    def _produce(self) -> None:
        try:
            for chunk in self._model.stream(self._msgs, **self._kwargs):
                if self._cancel.is_set():
                    break
                content = chunk.content
                if isinstance(content, list):
                    content = "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content)
                if not isinstance(content, str):
                    raise TypeError(f"stream chunk content is {type(content).__name__}")
                if content:
                    self._queue.put(("tok", content))
            self._queue.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - reported in result
            self._queue.put(("err", exc))

    def __iter__(self) -> "TokenStream":
        return self

    def __next__(self) -> str:
        if self._done:
            raise StopIteration
        if not self._started:
            self._started = True
            self._t0 = time.perf_counter()
            threading.Thread(target=self._produce, name="llm-stream", daemon=True).start()
        remaining = self._timeout_s - (time.perf_counter() - self._t0)
        try:
            kind, value = self._queue.get(timeout=max(0.0, remaining))
        except queue.Empty:
            kind, value = "err", TimeoutError()
        if kind == "tok":
            if self.result.first_token_s is None:
                self.result.first_token_s = time.perf_counter() - self._t0
            self._parts.append(value)
            return value
        self._finish(value if kind == "err" else None)
        raise StopIteration

    def _finish(self, exc: BaseException | None) -> None:
        self._done = True
        self._cancel.set()
        r = self.result
        r.elapsed_s = time.perf_counter() - self._t0
        r.text = "".join(self._parts).strip()
        if exc is not None:
            r.ok = False
            r.error_kind, r.error = describe_error(exc, self._model)
            if r.error_kind == "timeout":
                r.error += f" (limit {self._timeout_s:.0f}s)"
            log.warning("LLM stream failed (%s): %s", r.error_kind, r.error)
        else:
            _check_text(r)

    def collect(self) -> LLMResult:
        """Consume the rest of the stream and return the result."""
        for _ in self:
            pass
        return self.result


def stream(
    model: Any,
    messages: MessagesLike,
    *,
    max_tokens: int | None = None,
    timeout_s: float | None = None,
    context_tokens: int | None = None,
) -> TokenStream:
    """Stream answer tokens; never raises for provider failures (see :class:`TokenStream`).
    ``timeout_s`` bounds the whole answer (default: the provider's timeout)."""
    result = LLMResult(text="", model=model_name(model), ok=True)
    msgs = _prepare(model, messages, max_tokens, context_tokens, result)
    deadline = timeout_s or _default_timeout(model)
    return TokenStream(model, msgs, result, _call_kwargs(model, max_tokens, timeout_s), deadline)


def require_ok(result: LLMResult) -> LLMResult:
    """Raise :class:`LLMError` for a failed result (for callers with no fallback)."""
    if not result.ok:
        raise LLMError(result.error or "the LLM call failed", detail=result.error_kind)
    return result
