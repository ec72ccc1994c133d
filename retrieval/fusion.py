"""Fusing the vector and BM25 rankings, at case level (one hit per case).

Each retriever's chunk list is collapsed to a case list (a case ranks and scores as its
best chunk). Two fusion functions:

- ``relative`` (default; Weaviate's relativeScoreFusion, the convex combination that
  Bruch et al. 2023, "An Analysis of Fusion Functions for Hybrid Retrieval", found to
  beat RRF): each retriever's case scores are min-max normalised to [0, 1] over its
  candidates, then ``score = w_vec * norm_vec + w_bm25 * norm_bm25`` (0 when absent).
- ``rrf`` (weighted reciprocal rank fusion): ``score = w_vec / (k + rank_vec) +
  w_bm25 / (k + rank_bm25)``.

The snippet chunk of a case is its chunk with the best chunk-level fused score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FUSIONS = ("relative", "rrf")


@dataclass
class Ranking:
    """One retriever's result: case id -> (rank from 1, best chunk id, its score), and
    every chunk's rank and score."""

    cases: dict[str, tuple[int, str, float]] = field(default_factory=dict)
    chunk_rank: dict[str, int] = field(default_factory=dict)
    chunk_score: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_chunks(cls, items: list[tuple[str, str, float]]) -> "Ranking":
        """items: (chunk id, case id, score), best first."""
        out = cls()
        for rank, (chunk_id, case_id, score) in enumerate(items, start=1):
            out.chunk_rank[chunk_id] = rank
            out.chunk_score[chunk_id] = score
            if case_id not in out.cases:
                out.cases[case_id] = (len(out.cases) + 1, chunk_id, score)
        return out

    def ordered(self) -> list[tuple[str, float, str]]:
        """This ranking alone as (case id, score, best chunk id)."""
        return [(c, s, chunk) for c, (_, chunk, s) in sorted(self.cases.items(), key=lambda kv: kv[1][0])]


def _minmax(values: dict[str, float]) -> dict[str, float]:
    if not values:
        return {}
    lo, hi = min(values.values()), max(values.values())
    span = hi - lo
    return {k: (v - lo) / span if span > 0 else 1.0 for k, v in values.items()}


def fuse(rankings: list[tuple[Ranking, float]], *, method: str = "relative", rrf_k: float = 60) -> list[tuple[str, float, str]]:
    """[(case id, fused score, snippet chunk id)], best first; ties broken by case id."""
    if method not in FUSIONS:
        raise ValueError(f"fusion must be one of {FUSIONS}, got {method!r}")
    case_scores: dict[str, float] = {}
    chunk_scores: dict[str, float] = {}
    for ranked, weight in rankings:
        if method == "rrf":
            per_case = {c: 1.0 / (rrf_k + r) for c, (r, _, _) in ranked.cases.items()}
            per_chunk = {ch: 1.0 / (rrf_k + r) for ch, r in ranked.chunk_rank.items()}
        else:
            per_case = _minmax({c: s for c, (_, _, s) in ranked.cases.items()})
            per_chunk = _minmax(ranked.chunk_score)
        for c, v in per_case.items():
            case_scores[c] = case_scores.get(c, 0.0) + weight * v
        for ch, v in per_chunk.items():
            chunk_scores[ch] = chunk_scores.get(ch, 0.0) + weight * v
    best_chunk: dict[str, tuple[float, str]] = {}
    for chunk_id, score in chunk_scores.items():
        case_id = chunk_id.rsplit("#", 1)[0]
        if case_id not in best_chunk or score > best_chunk[case_id][0]:
            best_chunk[case_id] = (score, chunk_id)
    order = sorted(case_scores, key=lambda c: (-case_scores[c], c))
    return [(c, case_scores[c], best_chunk[c][1]) for c in order]
