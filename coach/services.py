"""The one place that builds the services. Everything heavy is built lazily on first
use, never at import time; the CLI, the API and the UI all receive a ``Services``.

Each area provides one factory, imported here lazily:
- speech:     ``speech.pipeline.CallAnalyzer(settings.speech, cache_dir=...)``
- retrieval:  ``retrieval.kb.KnowledgeBase(settings.retrieval, data_dir=..., chroma_dir=...)``
- LLM:        ``coach.llm.registry.build_chat_model(settings.llm)``
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from coach.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from retrieval.cases import Case
    from retrieval.ingest import IngestReport
    from retrieval.search import CaseHit
    from speech.types import AnalyzeOptions, CallAnalysis, ProgressCallback, TranscriptResult

    from coach.accounts.service import AccountService
    from coach.auth.throttle import LoginThrottle
    from coach.calls.backends import JobBackend
    from coach.db.engine import Database
    from coach.llm.writer import ModelWriter

log = logging.getLogger(__name__)


# ---- the seams: what the features use of each heavy service (fakes in tests match these) ----
class Analyzer(Protocol):
    """Call analysis (``speech.pipeline.CallAnalyzer``)."""

    def analyze(self, path: str | Path, options: "AnalyzeOptions | None" = None, *,
                on_progress: "ProgressCallback | None" = None) -> "CallAnalysis": ...

    def transcribe_file(self, path: str | Path, language: str | None = None, *,
                        max_duration_s: float | None = None) -> "TranscriptResult": ...

    def embed_voice(self, path: str | Path) -> "np.ndarray": ...


class KnowledgeBase(Protocol):
    """The case knowledge base (``retrieval.kb.KnowledgeBase``)."""

    def search(self, query: str, *, k: int = 5, **filters: Any) -> "list[CaseHit]": ...

    def get_case(self, case_id: str) -> "Case": ...

    def has_case(self, case_id: str) -> bool: ...

    def list_cases(self, **filters: Any) -> "list[Case]": ...

    def ingest(self, paths: Iterable[Path | str], *, on_progress: "ProgressCallback | None" = None,
               csv_columns: dict[str, str] | None = None) -> "IngestReport": ...

    def add_case(self, case: "Case", *, replace: bool = False) -> int: ...

    def remove(self, case_ids: Iterable[str]) -> int: ...

    def reindex(self, on_progress: "ProgressCallback | None" = None) -> int: ...

    def stats(self) -> dict[str, Any]: ...


class ChatModel(Protocol):
    """A LangChain chat model (``coach.llm.registry.build_chat_model``); the features call it
    through :mod:`coach.llm` (``generate``/``stream``), never directly."""

    def invoke(self, input: Any, *args: Any, **kwargs: Any) -> Any: ...

    def stream(self, input: Any, *args: Any, **kwargs: Any) -> Iterator[Any]: ...


def disable_telemetry() -> None:
    """No telemetry: Chroma and Gradio analytics off, HF hub offline."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")


class Services:
    """Lazily-built service graph shared by CLI, REST API and web UI."""

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        disable_telemetry()
        self.settings = settings or Settings()
        self.settings.ensure_dirs()
        # tests can inject fakes: Services(settings, llm=FakeChatModel(...))
        for name, value in overrides.items():
            self.__dict__[name] = value

    @cached_property
    def db(self) -> "Database":
        from coach.db.engine import Database

        return Database(self.settings.db_url)

    @cached_property
    def login_throttle(self) -> "LoginThrottle":
        """Failed-login counts and lockouts shared by the API and web logins (kept in the
        database's audit log, so every replica sees the same)."""
        from coach.auth.throttle import LoginThrottle

        return LoginThrottle(self.db)

    @cached_property
    def jobs(self) -> "JobBackend":
        """The job queue the settings choose: embedded threads (default) or Celery."""
        from coach.calls.backends import build_job_backend

        return build_job_backend(self)

    @cached_property
    def analyzer(self) -> Analyzer:
        from speech.pipeline import CallAnalyzer

        return CallAnalyzer(self.settings.speech, cache_dir=self.settings.models_cache_dir)

    @cached_property
    def kb(self) -> KnowledgeBase:
        from retrieval.kb import KnowledgeBase

        # the ingest manifest and the chunk-index cache sit in the shared storage root,
        # next to the uploads, so every replica sees the same knowledge base state
        return KnowledgeBase(self.settings.retrieval, data_dir=self.settings.storage_dir, chroma_dir=self.settings.chroma_dir)

    @cached_property
    def accounts(self) -> "AccountService":
        from coach.accounts.service import AccountService

        return AccountService(self.db)

    @cached_property
    def writer(self) -> "ModelWriter | None":
        """The chat model as grounded writing (scripts_gen) uses it; None without a model."""
        from coach.llm.writer import ModelWriter

        return ModelWriter(self.llm) if self.llm is not None else None

    @cached_property
    def llm(self) -> ChatModel:
        from coach.llm.registry import build_chat_model

        return build_chat_model(self.settings.llm, cache_dir=self.settings.models_cache_dir)
