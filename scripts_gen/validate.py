"""Citation and number validation: the guard that keeps LLM output grounded.

A *claim* is a sentence that carries evidence: a case citation ``[case-id]`` or a
number. Rules (a claim failing any of them is dropped and counted by reason):

* ``unknown_case``: a cited id that does not exist in the knowledge base;
* ``case_not_retrieved``: a cited id that exists but was not retrieved for this script;
* ``number_not_in_case``: a number in a cited claim that is not in the text of the
  cases it cites;
* ``number_without_case``: a number in an uncited claim of a section whose numbers
  must come from cases (value story, objections);
* ``number_not_in_plan``: a number in an uncited claim that is not in the grounded
  data the sentence was written from (the plan section, or the report's facts).

Sentences with neither citations nor numbers are phrasing, kept and not counted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from scripts_gen.casefacts import number_set, numbers_in, split_sentences

CITE_RE = re.compile(r"\[([A-Za-z0-9][\w.:\-]{0,119})\]")
_LIST_MARK_RE = re.compile(r"^(\s*)(?:[-*•]|\d{1,2}[.)])\s+")


@dataclass
class ValidationStats:
    claims: int = 0
    kept: int = 0
    dropped: int = 0
    reasons: Counter = field(default_factory=Counter)
    #: the dropped sentences (first 200 chars), for the logs and the benchmark
    dropped_claims: list[dict[str, str]] = field(default_factory=list)

    def add(self, other: "ValidationStats") -> None:
        self.claims += other.claims
        self.kept += other.kept
        self.dropped += other.dropped
        self.reasons.update(other.reasons)
        self.dropped_claims.extend(other.dropped_claims)

    def to_dict(self) -> dict[str, object]:
        return {"claims": self.claims, "kept": self.kept, "dropped": self.dropped, "reasons": dict(self.reasons)}


@dataclass
class Filtered:
    text: str
    citations: list[str]
    stats: ValidationStats


def citations_in(text: str) -> list[str]:
    return list(dict.fromkeys(CITE_RE.findall(text or "")))


def strip_citations(text: str) -> str:
    return CITE_RE.sub("", text or "")


class Validator:
    """Checks claims against the cases retrieved for one script (or report).

    ``case_texts``: id -> full text of every case retrieved for this output;
    ``case_exists``: whether an id exists in the knowledge base at all."""

    def __init__(self, case_texts: dict[str, str], case_exists: Callable[[str], bool]) -> None:
        self.case_texts = case_texts
        self._numbers = {cid: number_set(text) for cid, text in case_texts.items()}
        self._exists = case_exists

    def check(self, sentence: str, *, source_text: str, numbers_need_case: bool = False,
              inherited: list[str] | None = None) -> tuple[bool, str | None, list[str]]:
        """(ok, reason, cited ids) for one sentence; reason None for an ok claim or for
        plain phrasing. A sentence without its own citation is checked against the
        citations of its line (``inherited``: "X fell 18%. Y took 3 weeks [case]")."""
        ids = citations_in(sentence) or list(inherited or [])
        numbers = numbers_in(strip_citations(sentence))
        for cid in ids:
            if cid not in self.case_texts:
                return False, ("case_not_retrieved" if self._safe_exists(cid) else "unknown_case"), ids
        if numbers:
            if ids:
                allowed = set().union(*(self._numbers[c] for c in ids))
                if any(n not in allowed for n in numbers):
                    return False, "number_not_in_case", ids
            elif numbers_need_case:
                return False, "number_without_case", ids
            elif any(n not in number_set(strip_citations(source_text)) for n in numbers):
                return False, "number_not_in_plan", ids
        return True, None, ids

    def _safe_exists(self, cid: str) -> bool:
        try:
            return bool(self._exists(cid))
        except Exception:  # noqa: BLE001 - a broken store must not let a claim through
            return False

    def filter(self, text: str, *, source_text: str, numbers_need_case: bool = False) -> Filtered:
        """Drop the failing claims of ``text``; keep its lines, list markers and phrasing."""
        stats = ValidationStats()
        out_lines: list[str] = []
        cited: list[str] = []
        for line in (text or "").splitlines():
            m = _LIST_MARK_RE.match(line)
            marker, body = (m.group(0), line[m.end():]) if m else ("", line)
            kept_parts = []
            line_ids = citations_in(body)
            for sentence in split_sentences(body):
                ok, reason, ids = self.check(sentence, source_text=source_text, numbers_need_case=numbers_need_case,
                                             inherited=line_ids)
                evidential = bool(ids) or bool(numbers_in(strip_citations(sentence)))
                if evidential:
                    stats.claims += 1
                if ok:
                    if evidential:
                        stats.kept += 1
                    kept_parts.append(sentence.strip())
                    cited.extend(citations_in(sentence))
                else:
                    stats.dropped += 1
                    stats.reasons[reason or "invalid"] += 1
                    stats.dropped_claims.append({"reason": reason or "invalid", "text": sentence.strip()[:200]})
            if kept_parts:
                out_lines.append(marker + " ".join(kept_parts))
            elif not body.strip() and out_lines and out_lines[-1].strip():
                out_lines.append("")
        return Filtered("\n".join(out_lines).strip(), list(dict.fromkeys(cited)), stats)
