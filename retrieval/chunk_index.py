"""In-memory companion of the Chroma chunk collection: BM25 (bm25s), the chunk vectors
and per-chunk filter columns, all in the same row order.

Why the vectors too: Chroma evaluates metadata ``where`` filters slowly on large
collections (≈120-160 ms at 100k chunks here, see docs/knowledge-base.md), while an exact
cosine search over a NumPy matrix with a boolean mask takes ≈6-7 ms. So filtered
vector queries run here (exact), unfiltered ones on Chroma's HNSW (approximate, ≈5 ms).

The index is a cache derived from the store: rebuilt when the store's revision changes,
saved to ``data_dir/kb/index-<collection>/`` so a restart loads it instead of re-reading
every chunk.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.bm25 import new_bm25, tokenize
from retrieval.filters import Filters

log = logging.getLogger(__name__)
FILTER_KEYS = ("outcome", "f_industry", "f_product", "f_region")
_blas = None


def _single_thread_blas():
    """One BLAS thread for the mat-vec. OpenBLAS worker threads busy-wait after a call
    and starve torch's threads, which made the *next* query embedding 5-10x slower on
    2 cores (filtered p95 ≈ 110 ms instead of ≈ 30 ms); a single-threaded mat-vec costs
    ≈ 1-2 ms more at 100k chunks."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController

            _blas = ThreadpoolController()
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            _blas = False
    return _blas.limit(limits=1, user_api="blas") if _blas else contextlib.nullcontext()


@dataclass
class ChunkHit:
    chunk_id: str
    case_id: str
    score: float


class ChunkIndex:
    def __init__(self) -> None:
        self.chunk_ids: list[str] = []
        self.case_ids: list[str] = []
        self.codes: dict[str, np.ndarray] = {}
        self.vocab: dict[str, dict[str, int]] = {}
        self.deal_size = np.zeros(0)
        self.vectors: np.ndarray | None = None
        self._bm25 = None

    def __len__(self) -> int:
        return len(self.chunk_ids)

    @classmethod
    def build(cls, records: Iterable[tuple[str, str, dict[str, Any], Any]]) -> "ChunkIndex":
        """records: (chunk id, text to index, chunk metadata, embedding or None)."""
        self = cls()
        corpus: list[list[str]] = []
        values: dict[str, list[str]] = {k: [] for k in FILTER_KEYS}
        sizes: list[float] = []
        vectors: list[Any] = []
        for chunk_id, text, meta, vector in records:
            self.chunk_ids.append(chunk_id)
            self.case_ids.append(str(meta.get("case_id", "")))
            corpus.append(tokenize(text))
            for key in FILTER_KEYS:
                values[key].append(str(meta.get(key, "")))
            size = meta.get("deal_size")
            sizes.append(float(size) if isinstance(size, (int, float)) else np.nan)
            vectors.append(vector)
        for key in FILTER_KEYS:
            vocab: dict[str, int] = {}
            self.codes[key] = np.fromiter(
                (vocab.setdefault(v, len(vocab)) for v in values[key]), dtype=np.int32, count=len(values[key])
            )
            self.vocab[key] = vocab
        self.deal_size = np.asarray(sizes, dtype=np.float64)
        if vectors and all(v is not None for v in vectors):
            self.vectors = np.asarray(vectors, dtype=np.float32)
        if corpus:
            self._bm25 = new_bm25()
            self._bm25.index(corpus, show_progress=False)
        return self

    def mask(self, filters: Filters) -> np.ndarray | None:
        """Boolean mask of the chunks that pass (same semantics as Chroma's ``where``)."""
        if not filters.active:
            return None
        mask = np.ones(len(self), dtype=bool)
        for key, value in filters.equalities().items():
            code = self.vocab[key].get(value)
            if code is None:
                return np.zeros(len(self), dtype=bool)
            mask &= self.codes[key] == code
        with np.errstate(invalid="ignore"):
            if filters.min_deal_size is not None:
                mask &= self.deal_size >= filters.min_deal_size
            if filters.max_deal_size is not None:
                mask &= self.deal_size <= filters.max_deal_size
        return mask

    def _top(self, scores: np.ndarray, n: int, mask: np.ndarray | None, floor: float) -> list[ChunkHit]:
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        n = min(n, len(scores))
        if n <= 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [ChunkHit(self.chunk_ids[i], self.case_ids[i], float(scores[i])) for i in top if scores[i] > floor]

    def bm25_search(self, query: str, n: int, filters: Filters = Filters()) -> list[ChunkHit]:
        if self._bm25 is None:
            return []
        ids = self._bm25.get_tokens_ids(tokenize(query))
        if not ids:
            return []
        return self._top(self._bm25.get_scores_from_ids(ids), n, self.mask(filters), 0.0)

    def vector_search(self, vector: np.ndarray, n: int, filters: Filters = Filters()) -> list[ChunkHit]:
        """Exact cosine search (vectors are L2-normalised)."""
        if self.vectors is None or not len(self):
            return []
        with _single_thread_blas():
            scores = self.vectors @ vector.astype(np.float32)
        return self._top(scores, n, self.mask(filters), -np.inf)

    # ---- persistence -----------------------------------------------------------------------
    def save(self, directory: Path, revision: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "revision.txt").unlink(missing_ok=True)
        if self._bm25 is not None:
            self._bm25.save(str(directory / "bm25s"), show_progress=False)
        arrays = {"deal_size": self.deal_size, **self.codes}
        if self.vectors is not None:
            arrays["vectors"] = self.vectors
        np.savez(directory / "arrays.npz", **arrays)
        meta = {"chunk_ids": self.chunk_ids, "case_ids": self.case_ids, "vocab": self.vocab, "empty": self._bm25 is None}
        (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        (directory / "revision.txt").write_text(revision, encoding="utf-8")  # last: marks a complete cache

    @classmethod
    def load(cls, directory: Path, revision: str) -> "ChunkIndex | None":
        """The cached index if it was saved for ``revision``; None otherwise."""
        marker = directory / "revision.txt"
        if not marker.is_file():
            return None
        try:
            if marker.read_text(encoding="utf-8") != revision:
                return None
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
            arrays = np.load(directory / "arrays.npz")
            self = cls()
            self.chunk_ids, self.case_ids, self.vocab = meta["chunk_ids"], meta["case_ids"], meta["vocab"]
            self.codes = {k: arrays[k] for k in FILTER_KEYS}
            self.deal_size = arrays["deal_size"]
            self.vectors = arrays["vectors"] if "vectors" in arrays.files else None
            if not meta["empty"]:
                import bm25s

                self._bm25 = bm25s.BM25.load(str(directory / "bm25s"), show_progress=False)
            return self
        except (OSError, ValueError, KeyError) as exc:
            log.info("chunk index cache not usable (%s); rebuilding", exc)
            return None
