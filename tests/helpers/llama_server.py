"""A real OpenAI-compatible endpoint for the tests: ``llama_cpp.server`` on loopback
serving the bundled SmolLM2 GGUF (the same code path then serves vLLM, Ollama or OpenAI)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from helpers.openai_stub_server import free_port

log = logging.getLogger(__name__)


class LlamaServer:
    """``with LlamaServer(gguf) as srv: srv.url`` -> ``http://127.0.0.1:PORT/v1``."""

    def __init__(self, model_path: Path, *, n_ctx: int = 2048, alias: str = "smollm2", start_timeout_s: float = 90) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.alias = alias
        self.start_timeout_s = start_timeout_s
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_s = 0.0
        self._log: Any = None

    def __enter__(self) -> "LlamaServer":
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path), "--model_alias", self.alias,
               "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx), "--n_threads", "1",
               "--n_threads_batch", "1"]
        t0 = time.perf_counter()
        # the server logs a lot while loading: a file, not a pipe that could fill up and block it
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._log,
                                     env={**os.environ, "OMP_NUM_THREADS": "1"})
        deadline = t0 + self.start_timeout_s
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                self._log.seek(0)
                err = self._log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"llama_cpp.server exited with {self.proc.returncode}: {err}")
            try:
                if httpx.get(f"{self.url}/models", timeout=1.0).status_code == 200:
                    self.startup_s = time.perf_counter() - t0
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"llama_cpp.server did not start within {self.start_timeout_s}s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
