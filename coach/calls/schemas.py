"""Calls, jobs, reports and comments as the REST API returns them (typed for OpenAPI).
The views (:mod:`coach.calls.views`) build these shapes as dicts; unknown keys are kept
(``extra="allow"``) so adding a field never silently drops data."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from coach.reports.schemas import Report
from speech.types import CallAnalysis


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Job(_Open):
    """A background job (analysis or report)."""

    id: str
    kind: str
    call_id: str | None = None
    status: Literal["queued", "running", "done", "failed"]
    progress: float = 0.0
    stage: str | None = None
    error: str | None = None
    attempts: int = 0
    worker: str | None = None
    started_at: str | None = None
    params: dict[str, Any] = {}
    created_at: str | None = None
    updated_at: str | None = None


class CallSummary(_Open):
    """A call as listed: metadata and headline metrics (no transcript)."""

    id: str
    title: str | None = None
    status: Literal["pending", "analyzing", "analyzed", "failed"]
    error: str | None = None
    user: str | None = None
    user_id: int | None = None
    account: str | None = None
    original_filename: str | None = None
    kind: Literal["audio", "transcript"] = "audio"
    outcome: str | None = None
    language: str | None = None
    duration_s: float | None = None
    talk_ratio: float | None = None
    negative_shifts: int | None = None
    flagged: bool = False
    created_at: str | None = None
    analyzed_at: str | None = None


class CallList(_Open):
    items: list[CallSummary]
    count: int


class CallDetail(CallSummary):
    """A call with its analysis (the CallAnalysis JSON contract; null until analysed)."""

    analysis: CallAnalysis | None = None
    job: Job | None = None


class UploadAccepted(_Open):
    call_id: str
    job_id: str | None = None
    #: the same file was already uploaded by you: its existing call and job
    duplicate: bool = False
    status_url: str | None = None


class JobAccepted(_Open):
    call_id: str
    job_id: str
    status_url: str


class ReportState(_Open):
    """The post-call report of a call: ready, being written (202) or failed."""

    call_id: str
    status: Literal["ready", "pending", "failed"]
    report: Report | None = None
    model: str | None = None
    job: Job | None = None


class Comment(_Open):
    id: int
    author: str | None = None
    text: str
    created_at: str | None = None


class CommentList(_Open):
    items: list[Comment]
