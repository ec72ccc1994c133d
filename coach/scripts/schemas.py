"""The pre-visit script document as a typed model (``salescoach script --json``,
``POST /api/v1/scripts``); fields in docs/contracts/script.md. Unknown keys are kept."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class CaseCitation(_Open):
    """A knowledge-base case the script rests on."""

    id: str
    title: str = ""
    industry: str = ""
    product: str = ""
    customer: str = ""
    via: str = ""


class ScriptSection(_Open):
    key: str
    title: str
    #: Markdown bullet lines; every proof point ends with its case ids in brackets
    content: str
    citations: list[str] = []
    #: "llm" (phrased and validated) or "plan" (the grounded plan's wording)
    source: str = "plan"
    notes: list[str] = []


class Script(_Open):
    """A cited pre-visit script."""

    account: str | None = None
    goal: str | None = None
    industry: str | None = None
    objections: list[str] = []
    sections: list[ScriptSection]
    citations: list[CaseCitation] = []
    retrieved: list[CaseCitation] = []
    model: str = ""
    llm_ok: bool = False
    validation: dict[str, Any] = {}
    warnings: list[str] = []
    timings: dict[str, Any] = {}
    user_id: int | None = None
