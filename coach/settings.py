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

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE_DIR = REPO_ROOT / "knowledge"


def default_data_dir() -> Path:
    return Path(os.environ.get("SALESCOACH_DATA_DIR", Path.home() / ".salescoach"))


class SpeechSettings(BaseModel):
    #: directory of a CTranslate2 Whisper model; empty = the bundled base model
    whisper_model: str = ""
    compute_type: str = "int8"
    device: str = "cpu"
    cpu_threads: int = 0  # 0 = let CTranslate2 decide
    beam_size: int = 5
    vad_filter: bool = True
    #: ISO code or empty for auto-detection
    language: str = ""
    #: product and competitor names fed to Whisper as hotwords / initial prompt
    vocabulary: list[str] = Field(default_factory=list)
    #: script of Chinese transcripts: "simplified", "traditional" or "" (as Whisper writes)
    chinese_script: str = "simplified"
    #: transformers text-classification model dir for sentiment; empty = VADER + MiniLM head (English); "vader" = VADER alone
    sentiment_model: str = ""
    #: maximum number of speakers the mono clustering may return
    max_speakers: int = 6
    #: compute diarization's voice features on a background thread during transcription
    early_diarization: bool = True
    #: hard limit on audio length we accept (seconds)
    max_duration_s: float = 4 * 3600
    #: audio is decoded and processed in chunks of this many seconds (bounded memory:
    #: Whisper's features for a 300 s chunk peak at ~230 MB, 600 s at ~420 MB)
    chunk_s: float = 300.0
    #: phrase lists file for moments (objections, pricing, ...); empty = bundled
    phrases_file: str = ""


class RetrievalSettings(BaseModel):
    #: sentence-transformers model dir or name; empty = the bundled all-MiniLM-L6-v2
    embedding_model: str = ""
    #: http(s)://host:port of a Chroma server; empty = embedded (data_dir/chroma)
    chroma_url: str = ""
    collection: str = "cases"
    chunk_size: int = 800
    chunk_overlap: int = 100
    #: how vector and BM25 results are fused: "relative" (min-max normalised scores,
    #: weighted sum) or "rrf" (weighted reciprocal rank fusion); see docs/knowledge-base.md
    fusion: Literal["relative", "rrf"] = "relative"
    #: reciprocal-rank-fusion constant (fusion = "rrf")
    rrf_k: int = 60
    #: weights of the two rankings in the fusion; BM25 gets bm25_weight_cjk for queries
    #: with Chinese/Japanese characters (the bundled MiniLM is English-only)
    vector_weight: float = 0.75
    bm25_weight: float = 0.25
    bm25_weight_cjk: float = 0.75
    #: chunks fetched from each retriever before fusion and grouping by case
    candidates: int = 50
    #: files larger than this are rejected at ingestion (MB)
    max_file_mb: float = 20.0


class LLMSettings(BaseModel):
    provider: Literal["local", "openai", "fake"] = "local"
    #: for provider=openai: any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp)
    base_url: str = ""
    api_key: str = ""
    model: str = ""
    #: for provider=local: GGUF file; empty = the bundled SmolLM2-135M-Instruct
    local_model_path: str = ""
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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SALESCOACH_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Field(default_factory=default_data_dir)
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

    @model_validator(mode="after")
    def _flat_aliases(self) -> "Settings":
        env = os.environ
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
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def models_cache_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    def ensure_dirs(self) -> None:
        for d in (self.data_dir, self.uploads_dir, self.models_cache_dir):
            d.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_tests(cls, data_dir: Path, **overrides: object) -> "Settings":
        """Test profile: a temp data dir, fake LLM; real local models elsewhere."""
        s = cls(data_dir=data_dir, **overrides)  # type: ignore[arg-type]
        s.llm.provider = "fake"
        return s
