"""An in-memory knowledge base with the real case parser and a word-overlap search, for
unit tests of the coach features (scripts, reports, retrospectives). The real hybrid KB
(embeddings + BM25 + Chroma) is used by the integration tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from retrieval.cases import Case, parse_case_text
from retrieval.errors import NotFoundError
from retrieval.search import CaseHit as Hit

CASES_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "cases"
_WORD = re.compile(r"[a-z0-9]{3,}|[\u4e00-\u9fff]")


class MemoryKB:
    def __init__(self, cases: list[Case] | None = None) -> None:
        self.cases = {c.id: c for c in (cases if cases is not None else load_cases())}
        self.searches: list[dict[str, Any]] = []

    def add(self, case: Case) -> None:
        self.cases[case.id] = case

    def search(self, query: str, *, k: int = 5, outcome: str | None = None, industry: str | None = None,
               product: str | None = None, **_: Any) -> list[Hit]:
        self.searches.append({"query": query, "k": k, "outcome": outcome, "industry": industry})
        q = set(_WORD.findall(query.lower()))
        hits = []
        for c in self.cases.values():
            if (outcome and c.outcome != outcome) or (industry and c.industry != industry):
                continue
            words = set(_WORD.findall(f"{c.title} {c.industry} {c.product} {' '.join(c.objections)} {c.body}".lower()))
            score = len(q & words) / max(1, len(q))
            if score > 0:
                hits.append(Hit(c.id, c.title, c.outcome, c.industry, c.product, score, c.body[:200]))
        return sorted(hits, key=lambda h: (-h.score, h.id))[:k]

    def get_case(self, case_id: str) -> Case:
        if case_id not in self.cases:
            raise NotFoundError(f"no case with id {case_id!r} in the knowledge base")
        return self.cases[case_id]

    def has_case(self, case_id: str) -> bool:
        return case_id in self.cases

    def list_cases(self, **filters: Any) -> list[Case]:
        out = [c for c in self.cases.values() if all(getattr(c, k) == v for k, v in filters.items() if v is not None)]
        return sorted(out, key=lambda c: c.id)

    def stats(self) -> dict[str, Any]:
        return {"cases": len(self.cases)}


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    return [parse_case_text(p.read_text(encoding="utf-8"), source=str(p)) for p in sorted(directory.glob("*.md"))]
