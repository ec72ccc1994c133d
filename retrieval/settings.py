"""Settings of the retrieval floor (one section of the product's settings tree, composed by
``coach.settings.Settings`` as ``settings.retrieval``; env ``SALESCOACH_RETRIEVAL__<FIELD>``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class RetrievalSettings(BaseModel):
    #: sentence-transformers model dir or name; empty = the bundled all-MiniLM-L6-v2
    embedding_model: str = ""
    #: http(s)://host:port of a Chroma server; empty = embedded (data_dir/chroma)
    chroma_url: str = ""
    collection: str = "cases"
    chunk_size: int = 800
    chunk_overlap: int = 100
    #: how vector and BM25 results are fused: "relative" (min-max normalised scores,
    #: weighted sum) or "rrf" (weighted reciprocal rank fusion); see docs/knowledge-base.md
    fusion: Literal["relative", "rrf"] = "relative"
    #: reciprocal-rank-fusion constant (fusion = "rrf")
    rrf_k: int = 60
    #: weights of the two rankings in the fusion; BM25 gets bm25_weight_cjk for queries
    #: with Chinese/Japanese characters (the bundled MiniLM is English-only)
    vector_weight: float = 0.75
    bm25_weight: float = 0.25
    bm25_weight_cjk: float = 0.75
    #: chunks fetched from each retriever before fusion and grouping by case
    candidates: int = 50
    #: files larger than this are rejected at ingestion (MB)
    max_file_mb: float = 20.0
