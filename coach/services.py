"""The one place that builds the services. Everything heavy is built lazily on first
use, never at import time; the CLI, the API and the UI all receive a ``Services``.

Each area provides one factory, imported here lazily:
- speech:     ``speech.pipeline.CallAnalyzer(settings.speech, cache_dir=...)``
- retrieval:  ``retrieval.kb.KnowledgeBase.from_settings(settings)``
- LLM:        ``coach.llm.registry.build_chat_model(settings.llm)``
"""

from __future__ import annotations

import logging
import os
from functools import cached_property
from typing import TYPE_CHECKING, Any

from coach.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database

log = logging.getLogger(__name__)


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
    def analyzer(self) -> Any:
        from speech.pipeline import CallAnalyzer

        return CallAnalyzer(self.settings.speech, cache_dir=self.settings.models_cache_dir)

    @cached_property
    def kb(self) -> Any:
        from retrieval.kb import KnowledgeBase

        return KnowledgeBase.from_settings(self.settings)

    @cached_property
    def llm(self) -> Any:
        from coach.llm.registry import build_chat_model

        return build_chat_model(self.settings.llm, cache_dir=self.settings.models_cache_dir)
