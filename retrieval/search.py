"""Hybrid retrieval: vector and BM25 candidates, fused at case level (see ``fusion``),
one hit per case with its best snippet.

Vector candidates come from Chroma's HNSW index, or, when metadata filters are set, from
an exact search over the in-memory chunk matrix (``chunk_index``; Chroma's filtered
queries are slow at scale). BM25 candidates come from the same in-memory index.

The BM25 weight is ``bm25_weight``, or ``bm25_weight_cjk`` for queries that contain
Chinese/Japanese characters: the bundled MiniLM was trained on English, so keyword
matching has to carry those queries (set both equal with a multilingual model).

Scores: fused score in ``hybrid`` mode, cosine similarity in ``vector`` mode, BM25 score
in ``bm25`` mode.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrieval.errors import InputError
from retrieval.bm25 import tokenize
from retrieval.chunk_index import ChunkIndex
from retrieval.chunking import weighted_len
from retrieval.filters import Filters
from retrieval.fusion import Ranking, fuse
from retrieval.store import ChromaStore, ChunkRecord

log = logging.getLogger(__name__)
MODES = ("hybrid", "vector", "bm25")
SNIPPET_CHARS = 320
_HAS_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
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
        fusion: str = "relative",
        rrf_k: float = 60,
        vector_weight: float = 0.75,
        bm25_weight: float = 0.25,
        bm25_weight_cjk: float = 0.75,
        candidates: int = 50,
    ) -> None:
        self.store = store
        self.encode_query = encode_query
        self.index = index
        self.embedder_name = embedder_name
        self.fusion = fusion
        self.rrf_k = rrf_k
        self.vector_weight = vector_weight
        self.bm25_weight = bm25_weight
        self.bm25_weight_cjk = bm25_weight_cjk
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
        rankings: list[tuple[Ranking, float]] = []
        if mode in ("hybrid", "vector"):
            vector = self.encode_query(query)
            if filters.active:  # exact search in memory: Chroma's where-filters are slow at scale
                hits = self.index().vector_search(vector, n, filters)
                items = [(h.chunk_id, h.case_id, h.score) for h in hits]
            else:
                records = self.store.query(vector, n, None, self.embedder_name)
                known.update({r.id: r for r in records})
                items = [(r.id, str(r.metadata.get("case_id", "")), 1.0 - float(r.distance or 0.0)) for r in records]
            rankings.append((Ranking.from_chunks(items), self.vector_weight))
        if mode in ("hybrid", "bm25"):
            hits = self.index().bm25_search(query, n, filters)
            weight = self.bm25_weight_cjk if _HAS_CJK.search(query) else self.bm25_weight
            rankings.append((Ranking.from_chunks([(h.chunk_id, h.case_id, h.score) for h in hits]), weight))
        if mode == "hybrid":
            fused = fuse(rankings, method=self.fusion, rrf_k=self.rrf_k)
        else:
            fused = rankings[0][0].ordered()
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
