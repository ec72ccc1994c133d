"""Broker queue names of the job kinds (shared by the job backends, the Celery app and
the sweep)."""

from __future__ import annotations

#: broker queue of each job kind; everything that is not a recording analysis is short
ANALYSIS_QUEUE = "analysis"
SHORT_QUEUE = "reports"
QUEUES = (ANALYSIS_QUEUE, SHORT_QUEUE)


def queue_for(kind: str) -> str:
    """Recordings go to ``analysis``; reports, re-roles and ingests to ``reports`` so a
    backlog of recordings never blocks them."""
    return ANALYSIS_QUEUE if kind == "analyze" else SHORT_QUEUE


__all__ = ["ANALYSIS_QUEUE", "QUEUES", "SHORT_QUEUE", "queue_for"]
