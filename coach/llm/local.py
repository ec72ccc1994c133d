"""The ``local`` provider: a bundled GGUF model run in-process by llama.cpp
(``llama-cpp-python``), wrapped as a langchain chat model.

* The model is named by ``llm.local_model`` (see :mod:`coach.llm.catalog`: files,
  pinned sha256, licence) or given as a GGUF path (``llm.local_model_path``).
* Loaded ONCE per process per (file, context size) and shared by every
  :class:`LocalChatModel`; a llama.cpp context is not thread-safe, so generation is
  serialised by a lock (a small model on 2 cores gains nothing from concurrency).
* The chat template is the one stored in the GGUF (llama-cpp-python's Jinja2 formatter).
* Every request has a token budget (``max_tokens``) and a time budget (``timeout_s``):
  the stream stops at whichever comes first; it also stops when the text starts to
  loop (:class:`coach.llm.repetition.RepetitionGuard`).
* Deterministic at temperature 0 (greedy); sampled runs use ``seed``.

Why llama.cpp and not transformers: measured here (benchmarks/llm_latency.py), SmolLM2
runs about 3x faster with a fraction of the load time and memory.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from coach.errors import ConfigurationError, DependencyMissingError, LLMError
from coach.llm.budget import message_text
from coach.llm.catalog import CATALOG, DEFAULT_MODEL, resolve
from coach.llm.repetition import RepetitionGuard

log = logging.getLogger(__name__)

_ROLE = {"system": "system", "human": "user", "ai": "assistant", "tool": "user"}
REPEAT_PENALTY = 1.1


@dataclass
class LoadedModel:
    llm: Any
    name: str
    path: Path
    #: seconds the load took in this process
    load_s: float
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOADED: dict[tuple[str, int], LoadedModel] = {}
_LOAD_LOCK = threading.Lock()


def _llama_class() -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:  # pragma: no cover - built by setup.sh
        raise DependencyMissingError("llama-cpp-python (built by ./setup.sh)", "the local LLM") from exc
    return Llama


def default_threads() -> int:
    """Half the cores (at most 4). llama.cpp's threads spin while they wait for each other:
    when they outnumber the free cores (the speech models, the web server, other jobs) a
    generation slows down tenfold; measured here under load: 1 thread 16 tok/s, 2 threads
    1.3 tok/s on 2 cores (benchmarks/llm_latency.py has the quiet-machine figures)."""
    return max(1, min((os.cpu_count() or 2) // 2, 4))


def model_file(local_model: str = "", model_path: str = "", cache_dir: str | Path | None = None) -> tuple[Path, str]:
    """(GGUF path, display name) for the settings: an explicit path wins, else the
    catalogue entry (assembled and sha256-checked)."""
    if model_path:
        path = Path(model_path)
        if not path.is_file():
            raise ConfigurationError(f"local LLM model not found: {path}", detail="check llm.local_model_path")
        return path, path.stem
    path, entry = resolve(local_model or DEFAULT_MODEL, Path(cache_dir) if cache_dir else None)
    return path, entry.title


def load_local_model(path: Path, name: str, n_ctx: int = 2048, n_threads: int = 0, seed: int = 0) -> LoadedModel:
    """Load (once per process) the GGUF at ``path`` with a context of ``n_ctx`` tokens."""
    key = (str(path.resolve()), int(n_ctx))
    with _LOAD_LOCK:
        if key in _LOADED:
            return _LOADED[key]
        Llama = _llama_class()
        t0 = time.perf_counter()
        threads = n_threads or default_threads()
        try:
            llm = Llama(model_path=str(path), n_ctx=int(n_ctx), n_threads=threads, n_threads_batch=threads,
                        seed=seed, verbose=False)
        except Exception as exc:  # noqa: BLE001 - llama.cpp raises ValueError/RuntimeError
            raise ConfigurationError(f"could not load the GGUF model {path}: {exc}") from exc
        loaded = LoadedModel(llm, name, path, time.perf_counter() - t0)
        log.info("local LLM %s loaded in %.2fs (%d threads, context %d)", name, loaded.load_s, threads, n_ctx)
        _LOADED[key] = loaded
        return loaded


def unload_all() -> None:
    """Forget every loaded model (benchmarks measure cold loads with it)."""
    with _LOAD_LOCK:
        for lm in _LOADED.values():
            close = getattr(lm.llm, "close", None)
            if callable(close):
                close()
        _LOADED.clear()


# close the models while the interpreter is still whole: llama.cpp's own finaliser, run
# during interpreter teardown, fails with "'NoneType' object is not callable"
atexit.register(unload_all)


class LocalChatModel(BaseChatModel):
    """langchain chat model over a llama.cpp model (generate + token streaming)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, protected_namespaces=())

    #: a name from coach.llm.catalog.CATALOG (empty = the default)
    local_model: str = ""
    #: a GGUF file; overrides ``local_model``
    model_path: str = ""
    cache_dir: str = ""
    temperature: float = 0.2
    max_new_tokens: int = 256
    #: wall-clock budget of one answer; the stream stops (ok, with what it has) when spent
    timeout_s: float = 60.0
    context_tokens: int = 2048
    n_threads: int = 0
    seed: int = 0

    @property
    def _llm_type(self) -> str:
        return "local-llama.cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model_name, "temperature": self.temperature}

    @property
    def loaded(self) -> LoadedModel:
        path, name = model_file(self.local_model, self.model_path, self.cache_dir or None)
        return load_local_model(path, name, self.context_tokens, self.n_threads, self.seed)

    @property
    def model_name(self) -> str:
        if self.model_path:
            return Path(self.model_path).stem
        entry = CATALOG.get(self.local_model or DEFAULT_MODEL)
        return entry.title if entry else self.local_model

    def count_tokens(self, text: str) -> int:
        """Exact token count with the model's tokenizer."""
        if not text:
            return 0
        return len(self.loaded.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        temperature = float(kwargs.get("temperature", self.temperature))
        return {
            "messages": [{"role": _ROLE.get(m.type, "user"), "content": message_text(m)} for m in messages],
            "max_tokens": int(kwargs.get("max_tokens") or kwargs.get("max_new_tokens") or self.max_new_tokens),
            "temperature": temperature,
            "top_p": 0.9 if temperature > 0 else 1.0,
            "repeat_penalty": REPEAT_PENALTY,
            "stop": list(stop or []),
            "seed": self.seed,
            "stream": True,
        }

    def _tokens(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any],
                usage: dict[str, Any]) -> Iterator[str]:
        """The answer's text pieces, within the token and time budgets."""
        lm = self.loaded
        request = self._request(messages, stop, kwargs)
        budget = float(kwargs.get("timeout_s") or self.timeout_s)
        guard = RepetitionGuard()
        n_out = 0
        with lm.lock:
            t0 = time.perf_counter()
            try:
                chunks = lm.llm.create_chat_completion(**request)
                for chunk in chunks:
                    delta = chunk["choices"][0].get("delta") or {}
                    piece = delta.get("content") or ""
                    if chunk["choices"][0].get("finish_reason") == "length":
                        usage["stopped"] = "max_tokens"
                    if not piece:
                        continue
                    n_out += 1
                    if guard.feed(piece):
                        usage["stopped"] = "repetition"
                        break
                    yield piece
                    if time.perf_counter() - t0 > budget:
                        usage["stopped"] = "time"
                        break
            except LLMError:
                raise
            except Exception as exc:  # noqa: BLE001 - turned into a domain error
                raise LLMError(f"local model generation failed: {exc}") from exc
            total = int(getattr(lm.llm, "n_tokens", 0) or 0)
        usage["output_tokens"] = n_out
        usage["input_tokens"] = max(0, total - n_out) if total else None
        if usage.get("stopped") in ("repetition", "time"):
            log.info("local generation stopped early (%s) after %d tokens", usage["stopped"], n_out)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        usage: dict[str, Any] = {}
        text = "".join(self._tokens(messages, stop, kwargs, usage))
        if usage.get("stopped") == "repetition":
            text = _dedupe(text)
        n_in, n_out = usage.get("input_tokens") or 0, usage.get("output_tokens") or 0
        msg = AIMessage(
            content=text,
            response_metadata={"model_name": self.model_name, "stopped": usage.get("stopped")},
            usage_metadata={"input_tokens": n_in, "output_tokens": n_out, "total_tokens": n_in + n_out},
        )
        return ChatResult(generations=[ChatGeneration(message=msg)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        usage: dict[str, Any] = {}
        for piece in self._tokens(messages, stop, kwargs, usage):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        n_in, n_out = usage.get("input_tokens") or 0, usage.get("output_tokens") or 0
        yield ChatGenerationChunk(message=AIMessageChunk(
            content="", response_metadata={"model_name": self.model_name, "stopped": usage.get("stopped")},
            usage_metadata={"input_tokens": n_in, "output_tokens": n_out, "total_tokens": n_in + n_out},
            chunk_position="last"))


def _dedupe(text: str) -> str:
    guard = RepetitionGuard()
    guard.text = text
    return guard.trimmed()
