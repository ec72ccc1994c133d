"""The structured chat answer, citation checking and the grounded (code-written) parts.

Citations are ``[case-id]`` markers in the model's text. Only ids that a tool actually
returned during the turn are kept; any other bracketed id-like token is removed from
the final text and counted in ``dropped_citations``. The "Sources" list under every
answer is written by code from the retrieved evidence, never by the model.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from coach.privacy.pii import PLACEHOLDERS

_CITE_RE = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9._:-]{1,119})\]")
_NOT_CITATIONS = {p.strip("[]") for p in PLACEHOLDERS.values()}


class Citation(BaseModel):
    id: str
    title: str = ""
    outcome: str = ""
    industry: str = ""
    #: relevance of the case to the question (cosine similarity), when retrieved by search
    relevance: float | None = None


class ChatAnswer(BaseModel):
    session_id: str
    message_id: int | None = None
    text: str
    #: cases the answer rests on (cited by the model and/or listed as sources)
    citations: list[Citation] = Field(default_factory=list)
    #: ids the model cited that were not retrieved (removed from ``text``)
    dropped_citations: list[str] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list)
    #: agent (tool-calling model) | chain (retrieve-then-answer) | extractive (no sentence of the
    #: model was supported: the best passages are quoted) | grounded (the LLM failed or was not used)
    mode: Literal["agent", "chain", "extractive", "grounded"] = "chain"
    model: str = ""
    ok: bool = True
    error: str | None = None
    notes: list[str] = Field(default_factory=list)
    #: sentences of the model's answer that the passages did not support (left out; for a details panel)
    unsupported: list[str] = Field(default_factory=list)
    elapsed_s: float = 0.0
    first_token_s: float | None = None
    tools_used: list[str] = Field(default_factory=list)


def check_citations(text: str, allowed: set[str]) -> tuple[str, list[str], list[str]]:
    """(text without invalid citations, valid ids in order, dropped ids)."""
    valid: list[str] = []
    dropped: list[str] = []

    def repl(m: re.Match[str]) -> str:
        cid = m.group(1)
        if cid in _NOT_CITATIONS or not re.search(r"[-_.:\d]", cid):
            return m.group(0)  # a placeholder or a plain bracketed word, not a citation
        if cid in allowed:
            if cid not in valid:
                valid.append(cid)
            return m.group(0)
        dropped.append(cid)
        return ""

    cleaned = _CITE_RE.sub(repl, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)
    return cleaned, valid, dropped


def sources_text(cases: list[dict[str, Any]]) -> str:
    if not cases:
        return ""
    lines = ["", "", "Sources:"]
    for c in cases:
        bits = ", ".join(x for x in (c.get("outcome"), c.get("industry")) if x)
        lines.append(f"- [{c['id']}] {c.get('title', '')}" + (f" ({bits})" if bits else ""))
    return "\n".join(lines)


def grounded_summary(cases: list[dict[str, Any]], account_facts: list[str]) -> str:
    """What we found, written by code: used when the LLM failed or is not used."""
    parts: list[str] = []
    if account_facts:
        parts.append("What we know about the account:\n" + "\n".join(f"- {f}" for f in account_facts))
    if cases:
        parts.append("Most relevant cases:\n" + "\n".join(
            f"- [{c['id']}] {c.get('title', '')} ({c.get('outcome', '')}): {c.get('snippet', '')}" for c in cases))
    return "\n\n".join(parts)


def account_facts(ctx: dict[str, Any]) -> list[str]:
    """Key facts of an AccountContext dump, as short lines."""
    facts = [f"{ctx['name']}: {ctx.get('industry') or 'industry n/a'}, {ctx.get('region') or 'region n/a'}"]
    if ctx.get("open_objections"):
        facts.append("open objections: " + "; ".join(ctx["open_objections"]))
    for o in ctx.get("opportunities") or []:
        if o.get("status") == "open":
            amount = f"{o['amount']:,.0f} {o.get('currency', '')}".strip() if o.get("amount") is not None else "n/a"
            facts.append(f"open opportunity {o['name']}: stage {o.get('stage') or '-'}, {amount}")
    if ctx.get("last_contact_date"):
        facts.append(f"last contact {ctx['last_contact_date']} ({ctx.get('days_since_last_contact')} days ago), "
                     f"{ctx.get('interactions_last_90d', 0)} interactions in the last 90 days")
    calls = ctx.get("past_calls") or []
    if calls:
        c = calls[0]
        ratio = f"{c['talk_ratio']:.0%}" if c.get("talk_ratio") is not None else "n/a"
        facts.append(f"last analysed call {c['call_id']} on {c['date']}: rep talk ratio {ratio}, "
                     f"{c.get('negative_shifts', 0)} negative shifts")
    return facts
