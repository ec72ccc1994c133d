"""Hybrid retrieval: vector (Chroma) and BM25 rankings fused by weighted reciprocal
rank fusion, one hit per case with its best snippet.

Fusion is done at case level, which is what the caller sees: each retriever's chunk
ranking is collapsed to a case ranking (a case ranks where its best chunk ranks), then

    score(case) = w_vec / (rrf_k + rank_vec) + w_bm25 / (rrf_k + rank_bm25)

(a term is 0 when the case is not in that retriever's candidates). The snippet comes
from the case's chunk with the best chunk-level fused score. In ``vector`` mode the
score is the cosine similarity, in ``bm25`` mode the BM25 score.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coach.errors import InputError
from retrieval.bm25 import tokenize
from retrieval.chunk_index import ChunkIndex
from retrieval.chunking import weighted_len
from retrieval.filters import Filters
from retrieval.store import ChromaStore, ChunkRecord

log = logging.getLogger(__name__)
MODES = ("hybrid", "vector", "bm25")
SNIPPET_CHARS = 320
_CJK_END = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_SENTENCE_RE = re.compile(r"(?<=[.!?。！？；;])\s*|\n+")


@dataclass
class CaseHit:
    id: str
    title: str
    outcome: str
    industry: str
    product: str
    score: float
    snippet: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "outcome": self.outcome, "industry": self.industry,
            "product": self.product, "score": round(self.score, 6), "snippet": self.snippet,
            "metadata": self.metadata,
        }


@dataclass
class _Ranked:
    """A retriever's case ranking: case id -> (rank from 1, best chunk id, its score);
    and every chunk's rank (for choosing snippets)."""

    cases: dict[str, tuple[int, str, float]] = field(default_factory=dict)
    chunk_rank: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_chunks(cls, items: list[tuple[str, str, float]]) -> "_Ranked":
        out = cls()
        for rank, (chunk_id, case_id, score) in enumerate(items, start=1):
            out.chunk_rank[chunk_id] = rank
            if case_id not in out.cases:
                out.cases[case_id] = (len(out.cases) + 1, chunk_id, score)
        return out


def fuse(rankings: list[tuple[_Ranked, float]], rrf_k: float) -> list[tuple[str, float, str]]:
    """Weighted RRF over case rankings -> [(case id, score, best chunk id)], best first."""
    scores: dict[str, float] = {}
    for ranked, weight in rankings:
        for case_id, (rank, _, _) in ranked.cases.items():
            scores[case_id] = scores.get(case_id, 0.0) + weight / (rrf_k + rank)
    chunk_scores: dict[str, float] = {}
    for ranked, weight in rankings:
        for chunk_id, rank in ranked.chunk_rank.items():
            chunk_scores[chunk_id] = chunk_scores.get(chunk_id, 0.0) + weight / (rrf_k + rank)
    best_chunk: dict[str, tuple[float, str]] = {}
    for ranked, _ in rankings:
        for chunk_id in ranked.chunk_rank:
            case_id = chunk_id.rsplit("#", 1)[0]
            cand = (chunk_scores[chunk_id], chunk_id)
            if case_id not in best_chunk or cand[0] > best_chunk[case_id][0]:
                best_chunk[case_id] = cand
    order = sorted(scores, key=lambda c: (-scores[c], c))
    return [(c, scores[c], best_chunk[c][1]) for c in order]


def best_snippet(text: str, query: str, limit: int = SNIPPET_CHARS) -> str:
    """The window of consecutive sentences (<= limit chars) sharing most query terms."""
    text = re.sub(r"(?m)^\s*#+\s*", "", text)  # Markdown heading marks
    text = re.sub(r"[ \t]+", " ", text).strip()
    if weighted_len(text) <= limit:
        return text
    sentences = [s.strip() for s in _SENTENCE_RE.split(text) if s and s.strip()]
    terms = set(tokenize(query))
    starts = [i for i, sent in enumerate(sentences) if terms & set(tokenize(sent))] or [0]
    best, best_score = "", -1.0
    for i in starts:
        window = ""
        for j in range(i, len(sentences)):
            sep = "" if window and _CJK_END.match(window[-1]) else " "
            cand = (window + sep + sentences[j]).strip()
            if weighted_len(cand) > limit and window:
                break
            window = cand
        score = len(terms & set(tokenize(window))) - 0.001 * i
        if score > best_score:
            best, best_score = window, score
    while weighted_len(best) > limit:
        best = best[: max(1, int(len(best) * limit / weighted_len(best)) - 1)].rstrip() + "…"
    return best


class HybridSearcher:
    def __init__(
        self,
        store: ChromaStore,
        encode_query: Callable[[str], np.ndarray],
        index: Callable[[], ChunkIndex],
        *,
        embedder_name: str,
        rrf_k: float = 60,
        vector_weight: float = 1.0,
        bm25_weight: float = 1.0,
        candidates: int = 50,
    ) -> None:
        self.store = store
        self.encode_query = encode_query
        self.index = index
        self.embedder_name = embedder_name
        self.rrf_k = rrf_k
        self.vector_weight = vector_weight
        self.bm25_weight = bm25_weight
        self.candidates = candidates

    def search(self, query: str, *, k: int, filters: Filters, mode: str = "hybrid") -> list[CaseHit]:
        if not query or not query.strip():
            raise InputError("the search query is empty")
        if k <= 0:
            raise InputError(f"k must be a positive number of results, got {k}")
        if mode not in MODES:
            raise InputError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        n = max(self.candidates, 4 * k)
        known: dict[str, ChunkRecord] = {}
        rankings: list[tuple[_Ranked, float]] = []
        if mode in ("hybrid", "vector"):
            vector = self.encode_query(query)
            if filters.active:  # exact search in memory: Chroma's where-filters are slow at scale
                hits = self.index().vector_search(vector, n, filters)
                items = [(h.chunk_id, h.case_id, h.score) for h in hits]
            else:
                records = self.store.query(vector, n, None, self.embedder_name)
                known.update({r.id: r for r in records})
                items = [(r.id, str(r.metadata.get("case_id", "")), 1.0 - float(r.distance or 0.0)) for r in records]
            rankings.append((_Ranked.from_chunks(items), self.vector_weight))
        if mode in ("hybrid", "bm25"):
            hits = self.index().bm25_search(query, n, filters)
            rankings.append((_Ranked.from_chunks([(h.chunk_id, h.case_id, h.score) for h in hits]), self.bm25_weight))
        if mode == "hybrid":
            fused = fuse(rankings, self.rrf_k)
        else:
            ranked = rankings[0][0]
            fused = [(c, s, chunk) for c, (_, chunk, s) in sorted(ranked.cases.items(), key=lambda kv: kv[1][0])]
        fused = fused[:k]
        missing = [chunk for _, _, chunk in fused if chunk not in known]
        known.update(self.store.get_chunks(missing, self.embedder_name))
        hits: list[CaseHit] = []
        for case_id, score, chunk in fused:
            rec = known.get(chunk)
            if rec is None:  # deleted between ranking and fetch
                continue
            hits.append(_hit(case_id, score, rec, query))
        return hits


def _hit(case_id: str, score: float, rec: ChunkRecord, query: str) -> CaseHit:
    m = rec.metadata
    meta = {k: m[k] for k in ("customer", "region", "currency", "date", "source") if m.get(k)}
    if m.get("deal_size") is not None:
        meta["deal_size"] = m["deal_size"]
    meta["chunk"] = m.get("chunk", 0)
    return CaseHit(
        id=case_id, title=str(m.get("title", "")), outcome=str(m.get("outcome", "")),
        industry=str(m.get("industry", "")), product=str(m.get("product", "")), score=float(score),
        snippet=best_snippet(rec.document, query), metadata=meta,
    )


def dumps_hits(hits: list[CaseHit]) -> str:
    return json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2)
