"""Logging configuration: named loggers everywhere, configured once at the edge."""

from __future__ import annotations

import logging
import os

_CONFIGURED = False


def configure_logging(level: str | None = None) -> None:
    """Configure the root handler once; quiet noisy third-party loggers."""
    global _CONFIGURED
    lvl = (level or os.environ.get("SALESCOACH_LOG_LEVEL") or "WARNING").upper()
    if not _CONFIGURED:
        logging.basicConfig(
            level=lvl, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        _CONFIGURED = True
    logging.getLogger().setLevel(lvl)
    for noisy in ("httpx", "chromadb", "faster_whisper", "urllib3", "matplotlib", "jieba"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
