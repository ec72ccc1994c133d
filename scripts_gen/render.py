"""Section-by-section phrasing by the LLM, validated, with the plan as the fallback.

Each section's prompt holds ONLY that section's plan, inside a delimited data block (so
text from cases or the CRM cannot act as instructions; the ``openai`` provider redacts
PII before sending). The answer is validated (:mod:`scripts_gen.validate`); the plan
text is used instead when the LLM fails, answers off-topic, or loses the citations the
plan section had.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from coach.llm import SAFETY_INSTRUCTION, data_block, stream
from scripts_gen.plan import PlanSection
from scripts_gen.validate import ValidationStats, Validator, strip_citations

log = logging.getLogger(__name__)

TokenCallback = Callable[[str, str], None]
"""``on_token(section_key, token)`` while a section is being written."""

SYSTEM = (
    "You are a sales coach writing one section of a pre-visit script for a sales rep. "
    "Rewrite the plan in the data block as short, concrete talking points (a bulleted list). "
    "Use only facts from the plan. Copy every number exactly. Keep each [case-id] citation "
    "after the sentence it supports. Do not add names, numbers, case ids or facts. "
) + SAFETY_INSTRUCTION
MIN_OVERLAP = 0.35
_WORD_RE = re.compile(r"[A-Za-z]{4,}|[\u4e00-\u9fff]")


@dataclass
class RenderedSection:
    key: str
    title: str
    content: str
    citations: list[str]
    #: llm | plan
    source: str
    stats: ValidationStats
    notes: list[str] = field(default_factory=list)
    llm_ok: bool = False
    first_token_s: float | None = None
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "content": self.content, "citations": self.citations,
                "source": self.source, **({"notes": self.notes} if self.notes else {})}


def _overlap(answer: str, plan_text: str) -> float:
    """Share of the answer's content words that occur in the plan (off-topic detector)."""
    words = [w.lower() for w in _WORD_RE.findall(strip_citations(answer))]
    if not words:
        return 0.0
    plan = {w.lower() for w in _WORD_RE.findall(plan_text)}
    return sum(1 for w in words if w in plan) / len(words)


def _clean_answer(text: str) -> str:
    text = re.sub(r"<<<[^>\n]*>>>", "", text or "")
    return "\n".join(line.rstrip() for line in text.strip().splitlines() if not line.strip().startswith("#")).strip()


def render_section(
    section: PlanSection,
    model: Any,
    validator: Validator,
    *,
    max_tokens: int,
    timeout_s: float | None,
    context_tokens: int | None,
    on_token: TokenCallback | None = None,
) -> RenderedSection:
    plan_text = section.text()
    plan_checked = validator.filter(plan_text, source_text=plan_text, numbers_need_case=section.numbers_need_case)
    fallback = RenderedSection(section.key, section.title, plan_checked.text, plan_checked.citations, "plan",
                               plan_checked.stats)
    if model is None:
        return fallback
    messages = [
        ("system", SYSTEM),
        ("human", data_block(plan_text, kind="plan", ref=section.key)
         + f"\n\nWrite the section \"{section.title}\" of the script now."),
    ]
    s = stream(model, messages, max_tokens=max_tokens, timeout_s=timeout_s, context_tokens=context_tokens)
    for token in s:
        if on_token is not None:
            on_token(section.key, token)
    r = s.result
    fallback.first_token_s, fallback.elapsed_s = r.first_token_s, r.elapsed_s
    if not r.ok:
        fallback.notes.append(f"LLM failed ({r.error_kind}): {r.error}; the grounded plan is shown")
        return fallback
    fallback.llm_ok = True
    answer = _clean_answer(r.text)
    checked = validator.filter(answer, source_text=plan_text, numbers_need_case=section.numbers_need_case)
    reason = None
    if len(checked.text) < 20:
        reason = "the LLM answer was empty after validation"
    elif _overlap(checked.text, plan_text) < MIN_OVERLAP:
        reason = "the LLM answer did not follow the plan"
    elif section.citations and not checked.citations:
        reason = "the LLM answer lost the case citations"
    if reason is not None:
        # what the validator caught in the LLM answer still counts as dropped
        stats = ValidationStats()
        stats.add(plan_checked.stats)
        stats.dropped += checked.stats.dropped
        stats.claims += checked.stats.dropped
        stats.reasons.update(checked.stats.reasons)
        stats.dropped_claims.extend(checked.stats.dropped_claims)
        fallback.stats = stats
        fallback.notes.append(reason + "; the grounded plan is shown")
        return fallback
    out = RenderedSection(section.key, section.title, checked.text, checked.citations, "llm", checked.stats,
                          llm_ok=True, first_token_s=r.first_token_s, elapsed_s=r.elapsed_s)
    if r.notes:
        out.notes.extend(r.notes)
    return out
