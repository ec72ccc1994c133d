"""Shared fixtures. Real data lives in ../shared/data (never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
#: models assembled once per machine (Whisper's model.bin is concatenated here)
MODEL_CACHE = Path(os.environ.get("SALESCOACH_TEST_MODEL_CACHE", Path.home() / ".cache" / "salescoach-models"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"shared evaluation data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def settings(tmp_path):
    from coach.settings import Settings

    s = Settings.for_tests(tmp_path / "data")
    s.ensure_dirs()
    return s


@pytest.fixture
def services(settings):
    from coach.services import Services

    return Services(settings)
