"""Phrasing of a plan section by the LLM, one talking point at a time, validated, with
the plan's wording as the fallback of each point.

Each prompt holds ONLY one talking point of the plan, inside a delimited data block (so
text from cases or the CRM cannot act as instructions; the ``openai`` provider redacts
PII before sending). The model only phrases: the point's case ids are attached by code
after its answer. The answer replaces the plan's wording only when it passes
:func:`item_problem` and the validator (:mod:`scripts_gen.validate`): no unsupported
claim, on-topic, every number of the point kept, no name added. Why a point kept the
plan's wording goes to the section's ``notes`` (a details panel), never into the text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scripts_gen.casefacts import number_set, split_sentences
from scripts_gen.plan import PlanItem, PlanSection
from scripts_gen.ports import Writer
from scripts_gen.prompt_safety import SAFETY_INSTRUCTION, data_block
from scripts_gen.validate import Filtered, ValidationStats, Validator, citations_in, strip_citations

log = logging.getLogger(__name__)

TokenCallback = Callable[[str, str], None]
"""``on_token(section_key, token)`` while a section is being written."""

#: one talking point at a time: a small model rewrites a sentence well and a section badly
ITEM_SYSTEM = (
    "You help a sales rep prepare a customer visit. Rewrite the talking point in the data block as one or "
    "two short, natural sentences the rep can say or do. Keep every number and name exactly as written. "
    "Do not add facts, names, numbers or case ids. Reply with the rewritten talking point only. "
) + SAFETY_INSTRUCTION
ITEM_MAX_TOKENS = 64
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
    #: talking points the model phrased (and validation kept) out of ``items``
    phrased_items: int = 0
    items: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "content": self.content, "citations": self.citations,
                "source": self.source, "phrased_items": self.phrased_items, "items": self.items,
                **({"notes": self.notes} if self.notes else {})}


def _overlap(answer: str, plan_text: str) -> float:
    """Share of the answer's content words that occur in the plan (off-topic detector)."""
    words = [w.lower() for w in _WORD_RE.findall(strip_citations(answer))]
    if not words:
        return 0.0
    plan = {w.lower() for w in _WORD_RE.findall(plan_text)}
    return sum(1 for w in words if w in plan) / len(words)


#: echoes of the prompt's scaffolding: data-block markers (whole or broken), HTML-ish tags
_SCAFFOLD_RE = re.compile(r"<{2,3}[^<>\n]*(?:>+|\.\.\.>*|$)|</?[a-zA-Z]{1,10}>|\[instruction-like text removed from data\]")
_ECHO_RE = re.compile(r"^\s*(?:rewrite|rewritten|here is|here's|sure[,!])\b[^.!?:\n]*[:.!?]", re.IGNORECASE)


def _clean_answer(text: str) -> str:
    """The model's answer without prompt scaffolding it echoed, headings or preambles."""
    text = _SCAFFOLD_RE.sub("", text or "")
    lines = []
    for line in text.strip().splitlines():
        if line.strip().startswith("#"):
            continue
        lines.append(_ECHO_RE.sub("", line).rstrip())
    return "\n".join(lines).strip()


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
    lines: list[str] = []
    stats = ValidationStats()
    phrased = 0
    first: float | None = None
    t_total = 0.0
    for item in section.items:
        p = _phrase_item(item, section, model, validator, max_tokens=max_tokens, timeout_s=timeout_s,
                         context_tokens=context_tokens, on_token=on_token)
        stats.add(p.stats)
        first = first if first is not None else p.first_token_s
        t_total += p.elapsed_s
        if p.error is not None:  # the model is down: no point asking it for the other items
            fallback.notes.append(f"LLM failed: {p.error}; the grounded plan is shown")
            fallback.first_token_s, fallback.elapsed_s = first, t_total
            return fallback
        if p.text is None:
            fallback.notes.append(f"kept the plan's wording of one point: {p.reason}")
            plan_line = validator.filter(item.line(), source_text=plan_text,
                                         numbers_need_case=section.numbers_need_case).text
            if plan_line:
                lines.append(plan_line)
            continue
        phrased += 1
        lines.append("- " + p.text)
    if not phrased:
        fallback.stats = _merged(plan_checked.stats, stats)
        fallback.llm_ok, fallback.first_token_s, fallback.elapsed_s = True, first, t_total
        return fallback
    text = "\n".join(lines)
    final = validator.filter(text, source_text=plan_text, numbers_need_case=section.numbers_need_case)
    out = RenderedSection(section.key, section.title, final.text, final.citations, "llm", _merged(final.stats, stats),
                          notes=fallback.notes, llm_ok=True, first_token_s=first, elapsed_s=t_total,
                          phrased_items=phrased, items=len(section.items))
    return out


@dataclass
class _Phrased:
    text: str | None
    stats: ValidationStats
    reason: str | None = None
    error: str | None = None
    first_token_s: float | None = None
    elapsed_s: float = 0.0


def _merged(kept: ValidationStats, rejected: ValidationStats) -> ValidationStats:
    """Stats of what is shown, plus the claims the validator caught in rejected answers."""
    out = ValidationStats()
    out.add(kept)
    out.claims += rejected.dropped
    out.dropped += rejected.dropped
    out.reasons.update(rejected.reasons)
    out.dropped_claims.extend(rejected.dropped_claims)
    return out


def _phrase_item(item: PlanItem, section: PlanSection, model: Writer, validator: Validator, *, max_tokens: int,
                 timeout_s: float | None, context_tokens: int | None,
                 on_token: TokenCallback | None) -> _Phrased:
    """One talking point rewritten by the model; ``text`` None when it failed a check.
    The model only phrases: the point's case ids are re-attached by code."""
    messages = [
        ("system", ITEM_SYSTEM),
        ("human", data_block(item.text, kind="talking-point", ref=section.key)
         + "\n\nRewrite this talking point."),
    ]
    s = model.stream(messages, max_tokens=min(max_tokens, ITEM_MAX_TOKENS), timeout_s=timeout_s,
                     context_tokens=context_tokens)
    for token in s:
        if on_token is not None:
            on_token(section.key, token)
    r = s.result
    out = _Phrased(None, ValidationStats(), first_token_s=r.first_token_s, elapsed_s=r.elapsed_s)
    if not r.ok:
        if r.error_kind == "empty":
            out.reason = "the model's answer was empty"
        else:
            out.error = f"({r.error_kind}) {r.error}"
        return out
    raw = _first_sentences(_clean_answer(r.text), max(2, len(split_sentences(item.text))))
    foreign = [c for c in citations_in(raw) if c not in item.citations]
    if foreign:  # counted by the validator (unknown / not retrieved / numbers) and rejected
        checked = validator.filter(raw, source_text=item.text, numbers_need_case=section.numbers_need_case)
        problem: str | None = "the model cited a case the point does not rest on"
    else:
        answer = strip_citations(raw).strip()
        if item.citations:
            answer = _cite(answer, item.citations)
        checked = validator.filter(answer, source_text=item.text, numbers_need_case=section.numbers_need_case)
        problem = item_problem(checked, item)
    # (of a rejected answer only what the validator dropped is counted: see _merged)
    out.stats = checked.stats
    out.reason = problem
    if out.reason is None:
        out.text = checked.text
    return out


def item_problem(checked: Filtered, item: PlanItem) -> str | None:
    """Why a phrased talking point may not replace the plan's (None = fine)."""
    text = checked.text
    if checked.stats.dropped:
        return "the model's wording made a claim the cases do not support"
    if len(strip_citations(text)) < 12:
        return "the model's answer was empty"
    if len(strip_citations(text)) > max(240, 3 * len(item.text)):
        return "the model's answer was too long"
    if _overlap(text, item.text) < MIN_OVERLAP:
        return "the model's answer did not follow the plan"
    lost = number_set(item.text) - number_set(strip_citations(text))
    if lost:
        return "the model's answer lost a number of the plan"
    added = _names(text) - _names(item.text) - {w for w in _names(text) if w.lower() in item.text.lower()}
    if added:
        return "the model's answer added a name: " + ", ".join(sorted(added))
    return None


def _names(text: str) -> set[str]:
    """Capitalised words that are not the first of a sentence (names, brands, places)."""
    body = strip_citations(text)
    out = set()
    for sentence in split_sentences(body):
        words = re.findall(r"\b[A-Z][a-zA-Z]+\b", sentence)
        first = re.match(r"\W*([A-Za-z]+)", sentence)
        for w in words:
            if first and w == first.group(1):
                continue
            if w not in _COMMON_CAPS:
                out.add(w)
    return out


_COMMON_CAPS = {"I", "I'm", "We", "You", "Our", "Your", "The", "This", "That", "It", "If", "And", "But", "Or",
                "Ask", "Offer", "Show", "Start", "Mention"}


def _cite(text: str, ids: list[str]) -> str:
    cites = "".join(f" [{c}]" for c in ids)
    m = re.search(r"([.!?。！？]+)\s*$", text)
    return (text[: m.start()].rstrip() + cites + m.group(1)) if m else text.rstrip() + cites


def _first_sentences(text: str, n: int = 2) -> str:
    """The first paragraph's first ``n`` sentences, without a list marker, quotes or label."""
    text = text.strip().strip('"').strip()
    text = re.sub(r"^(?:talking point|rewritten|answer|rep|script)\s*[:：]\s*", "", text, flags=re.IGNORECASE)
    para = next((p for p in re.split(r"\n\s*\n", text) if p.strip()), "")
    line = " ".join(ln.strip() for ln in para.splitlines())
    line = re.sub(r"^(?:[-*•]|\d{1,2}[.)])\s+", "", line).strip().strip('"').strip()
    return " ".join([x for x in split_sentences(line) if not _ECHO_RE.match(x)][:n])
