"""One typed settings tree. Every field can be set as ``SALESCOACH_<FIELD>`` or, for
nested sections, ``SALESCOACH_<SECTION>__<FIELD>`` (e.g. ``SALESCOACH_LLM__PROVIDER``).

A few production switches also have flat aliases that the README documents:
``SALESCOACH_DATABASE_URL``, ``SALESCOACH_CHROMA_URL``, ``SALESCOACH_LLM_PROVIDER``,
``SALESCOACH_LLM_BASE_URL``, ``SALESCOACH_LLM_API_KEY``, ``SALESCOACH_LLM_MODEL``.

``Settings.for_tests(tmp_path)`` is the test profile: in-memory/fake everything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from retrieval.settings import RetrievalSettings
from speech.settings import SpeechSettings

__all__ = ["Settings", "SpeechSettings", "RetrievalSettings", "LLMSettings", "ServerSettings"]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE_DIR = REPO_ROOT / "knowledge"


def default_data_dir() -> Path:
    return Path(os.environ.get("SALESCOACH_DATA_DIR", Path.home() / ".salescoach"))


class LLMSettings(BaseModel):
    provider: Literal["local", "openai", "fake"] = "local"
    #: for provider=openai: any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp)
    base_url: str = ""
    api_key: str = ""
    model: str = ""
    #: for provider=local: a bundled model (coach.llm.catalog: smollm2-135m, qwen2.5-coder-0.5b,
    #: qwen2.5-coder-1.5b), run by llama.cpp
    local_model: str = "qwen2.5-coder-0.5b"
    #: for provider=local: a GGUF file; overrides local_model
    local_model_path: str = ""
    #: llama.cpp threads (0 = half the cores, at most 4: see coach.llm.local.default_threads)
    local_threads: int = 0
    temperature: float = 0.2
    max_new_tokens: int = 256
    timeout_s: float = 60.0
    max_retries: int = 2
    #: context budget in tokens (prompt + answer)
    context_tokens: int = 2048
    #: redact PII before text goes to a non-local LLM
    redact_pii: bool = True


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 7860
    #: secret for signing API tokens; empty = generated once and stored in data_dir
    secret_key: str = ""
    token_ttl_minutes: int = 12 * 60
    max_upload_mb: int = 500
    #: number of background analysis workers (in-process)
    workers: int = 1
    #: queue the post-call report (LLM) as soon as a call is analysed
    report_after_analysis: bool = True


class QueueSettings(BaseModel):
    """Where background jobs run. Empty ``url`` = the embedded runner (threads inside
    ``salescoach serve``, no extra service); ``redis://host:6379/0`` = Celery workers
    (``salescoach worker``) on a Redis broker. See docs/scale-out.md."""

    url: str = ""
    #: a running job whose row has not been touched (heartbeat) for this long is
    #: considered lost (its worker died) and is put back in the queue
    stale_after_s: float = 60.0
    #: a queued job not picked up for this long is published to the broker again
    #: (covers a broker restart that lost its messages)
    republish_after_s: float = 120.0
    #: how often each worker sweeps the jobs table and records that it is alive
    sweep_interval_s: float = 15.0
    #: broker redelivery of an unacknowledged message (a worker killed outright);
    #: longer than any job, the sweep above usually recovers it first
    visibility_timeout_s: float = 4 * 3600.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SALESCOACH_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    #: uploads and other shared artefacts; every API replica and worker mounts the same
    #: folder (a shared volume). Paths in the database are relative to it. Empty = data_dir
    storage_root: Path | None = None
    #: SQLAlchemy URL; empty = sqlite file in data_dir
    database_url: str = ""
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    log_level: str = "WARNING"
    #: store transcripts with PII redacted
    redact_stored_transcripts: bool = False

    speech: SpeechSettings = Field(default_factory=SpeechSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)

    @model_validator(mode="after")
    def _flat_aliases(self) -> "Settings":
        env = os.environ
        if env.get("SALESCOACH_QUEUE_URL"):
            self.queue.url = env["SALESCOACH_QUEUE_URL"]
        if env.get("SALESCOACH_CHROMA_URL"):
            self.retrieval.chroma_url = env["SALESCOACH_CHROMA_URL"]
        for flat, field in (
            ("SALESCOACH_LLM_PROVIDER", "provider"),
            ("SALESCOACH_LLM_BASE_URL", "base_url"),
            ("SALESCOACH_LLM_API_KEY", "api_key"),
            ("SALESCOACH_LLM_MODEL", "model"),
        ):
            if env.get(flat):
                setattr(self.llm, field, env[flat])
        return self

    # ---- derived paths -------------------------------------------------------------
    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'salescoach.db'}"

    @property
    def storage_dir(self) -> Path:
        """The shared storage root (``storage_root``, default ``data_dir``)."""
        return Path(self.storage_root) if self.storage_root else self.data_dir

    @property
    def uploads_dir(self) -> Path:
        return self.storage_dir / "uploads"

    def stored_relative(self, path: Path | str) -> str:
        """How a file under the storage root is recorded in the database (relative, so
        every machine that mounts the root elsewhere finds it)."""
        p = Path(path)
        try:
            return p.resolve().relative_to(self.storage_dir.resolve()).as_posix()
        except ValueError:
            return str(p)

    def stored_absolute(self, stored: str) -> Path:
        """The file behind a stored path (rows written before the storage root was
        introduced hold absolute paths; those are returned as they are)."""
        p = Path(stored)
        return p if p.is_absolute() else self.storage_dir / p

    @property
    def models_cache_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    def ensure_dirs(self) -> None:
        for d in (self.data_dir, self.storage_dir, self.uploads_dir, self.models_cache_dir):
            d.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_tests(cls, data_dir: Path, **overrides: object) -> "Settings":
        """Test profile: a temp data dir, fake LLM; real local models elsewhere."""
        s = cls(data_dir=data_dir, **overrides)  # type: ignore[arg-type]
        s.llm.provider = "fake"
        return s
