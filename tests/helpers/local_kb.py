"""Services for the real-model integration tests: a hybrid knowledge base over a few of
the shipped sample cases and the bundled SmolLM2 (greedy, so the runs are repeatable)."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from conftest import MODEL_CACHE

from coach.llm.local import LocalChatModel
from coach.services import Services
from coach.settings import REPO_ROOT


def services_over_cases(root: Path, case_ids: Iterable[str], *, llm_settings: dict[str, Any],
                        **model_kwargs: Any) -> tuple[Services, Any]:
    """Copy ``case_ids`` from ``knowledge/cases`` under ``root``, build test settings with
    ``llm_settings`` applied to ``settings.llm`` and a local model with ``model_kwargs``,
    ingest the cases; return the services and the ingest report."""
    from coach.settings import Settings

    src = root / "cases"
    src.mkdir()
    for cid in case_ids:
        shutil.copy(REPO_ROOT / "knowledge" / "cases" / f"{cid}.md", src / f"{cid}.md")
    settings = Settings.for_tests(root / "data")
    for name, value in llm_settings.items():
        setattr(settings.llm, name, value)
    # the plumbing tests run the smallest model (fast); test_llm_quality.py runs the default one
    model_kwargs.setdefault("local_model", "smollm2-135m")
    svc = Services(settings, llm=LocalChatModel(cache_dir=str(MODEL_CACHE), temperature=0.0, **model_kwargs))
    return svc, svc.kb.ingest([src])
