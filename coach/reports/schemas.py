"""The post-call report document as a typed model (``salescoach report --json``,
``GET /api/v1/calls/{id}/report``); fields in docs/contracts/report.md. Unknown keys are
kept (``extra="allow"``) so the model documents the contract without dropping data."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Evidence(_Open):
    utterance: int | None = None
    start: float | None = None
    text: str | None = None


class Finding(_Open):
    """A strength or an improvement, with the utterances it rests on."""

    text: str = ""
    evidence: list[dict[str, Any]] = []


class Improvement(Finding):
    area: str = ""
    suggestion: str | None = None
    example_case: dict[str, Any] | None = None


class Benchmark(_Open):
    metric: str
    value: Any = None
    low: float | None = None
    high: float | None = None
    verdict: str | None = None
    source: str | None = None


class Report(_Open):
    """The post-call improvement report."""

    call_id: str | None = None
    summary: str = ""
    strengths: list[Finding] = []
    improvements: list[Improvement] = []
    scores: dict[str, Any] = {}
    benchmarks: list[Benchmark] = []
    next_practice: dict[str, Any] | None = None
    model: str = ""
    llm_ok: bool = False
    warnings: list[str] = []
    timings: dict[str, Any] = {}
