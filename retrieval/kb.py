"""The knowledge base facade: ingest case files, search them, read cases back.

    kb = KnowledgeBase(settings, data_dir=data_dir)  # cheap: nothing loaded yet
    report = kb.ingest([Path("knowledge/cases")])   # incremental by content hash
    hits = kb.search("hospital worried about price", outcome="won", k=5)
    case = kb.get_case(hits[0].id)                  # full text, for citation checks
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from retrieval.errors import ConfigurationError, InputError, NotFoundError
from retrieval.bm25 import TOKENIZER_VERSION
from retrieval.chunk_index import ChunkIndex
from retrieval.cases import Case, content_hash, norm_key
from retrieval.chunking import Chunker
from retrieval.embeddings import Embedder, build_embedder
from retrieval.filters import Filters
from retrieval.ingest import Ingester, IngestReport
from retrieval.manifest import Manifest
from retrieval.search import CaseHit, HybridSearcher
from retrieval.store import ChromaStore

if TYPE_CHECKING:  # pragma: no cover
    from retrieval.settings import RetrievalSettings

log = logging.getLogger(__name__)
ProgressCallback = Callable[[str, float], None]

__all__ = ["KnowledgeBase", "CaseHit", "Case", "IngestReport"]


class KnowledgeBase:
    def __init__(
        self,
        settings: "RetrievalSettings",
        *,
        data_dir: Path,
        chroma_dir: Path | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self.kb_dir = data_dir / "kb"
        self.embedder: Embedder = embedder or build_embedder(settings.embedding_model)
        self.store = ChromaStore(
            path=chroma_dir or data_dir / "chroma", url=settings.chroma_url, collection=settings.collection
        )
        self._chunker: Chunker | None = None
        self.max_bytes = int(settings.max_file_mb * 1e6)
        self._lock = threading.RLock()
        self._index: ChunkIndex | None = None
        self._index_rev = ""
        self._checked_embedder = False
        self._searcher = HybridSearcher(
            self.store, self._encode_query, self._chunk_index, embedder_name=self.embedder.name,
            fusion=settings.fusion, rrf_k=settings.rrf_k, vector_weight=settings.vector_weight,
            bm25_weight=settings.bm25_weight, bm25_weight_cjk=settings.bm25_weight_cjk, candidates=settings.candidates,
        )

    @property
    def chunker(self) -> Chunker:
        if self._chunker is None:  # langchain import is not free: only when writing
            self._chunker = Chunker(self.settings.chunk_size, self.settings.chunk_overlap)
        return self._chunker

    @property
    def manifest_path(self) -> Path:
        return self.kb_dir / f"manifest-{self.settings.collection}.json"

    # ---- writing ---------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[Path | str],
        *,
        on_progress: ProgressCallback | None = None,
        csv_columns: dict[str, str] | None = None,
    ) -> IngestReport:
        """Ingest files and directories (recursively). Unchanged files are skipped, files
        gone from an ingested directory are removed; per-file errors go in the report."""
        with self._lock:
            self._check_embedder(rebuild=True)
            ingester = Ingester(self, Manifest(self.manifest_path), csv_columns=csv_columns)
            try:
                return ingester.run([Path(p) for p in paths], on_progress=on_progress)
            finally:
                if ingester.changed:
                    self._touch()

    def add_case(self, case: Case, *, replace: bool = False) -> int:
        """Add one case (e.g. an analysed call promoted to a case); returns its chunks."""
        with self._lock:
            self._check_embedder(rebuild=True)
            existing = self.store.case_hashes([case.id], self.embedder.name)
            if case.id in existing and not replace:
                raise InputError(
                    f"case {case.id!r} is already in the knowledge base (from {existing[case.id][1] or 'unknown'})",
                    detail="remove it first or replace it",
                )
            n = self.write_cases([case])
            self._touch()
            return n

    def remove(self, case_ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(case_ids))
        with self._lock:
            n = self.store.delete_cases(ids, self.embedder.name)
            manifest = Manifest(self.manifest_path)
            manifest.forget_cases(set(ids))
            manifest.save()
            if n:
                self._touch()
            return n

    def reindex(self, on_progress: ProgressCallback | None = None) -> int:
        """Re-chunk and re-embed every stored case (after a model or chunking change)."""
        with self._lock:
            cases = self.store.get_cases(self.store.embedder_name(self.embedder.name))
            self.store.reset(self.embedder.name)
            n = self.write_cases(cases, on_progress=on_progress)
            self._touch()
            return n

    def write_cases(self, cases: list[Case], *, on_progress: ProgressCallback | None = None) -> int:
        """Chunk, embed (in batches across cases) and upsert. Returns chunks written."""
        per_case = [[c.text for c in self.chunker.split(case.body)] or [case.title] for case in cases]
        texts = [f"{case.title}\n{chunk}" for case, chunks in zip(cases, per_case) for chunk in chunks]
        vectors = self.embed(texts, on_progress=on_progress)
        start = 0
        for case, chunks in zip(cases, per_case):
            self.store.upsert_case(case, content_hash(case), chunks, vectors[start : start + len(chunks)], self.embedder.name)
            start += len(chunks)
        return len(texts)

    def embed(self, texts: list[str], *, on_progress: ProgressCallback | None = None, batch: int = 64) -> np.ndarray:
        parts = []
        for i in range(0, len(texts), batch):
            parts.append(self.embedder.encode(texts[i : i + batch]))
            if on_progress:
                on_progress("embed", min(1.0, (i + batch) / len(texts)))
        return np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)

    # ---- reading ---------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        k: int = 5,
        outcome: str | None = None,
        industry: str | None = None,
        product: str | None = None,
        region: str | None = None,
        min_deal_size: float | None = None,
        max_deal_size: float | None = None,
        mode: str = "hybrid",
    ) -> list[CaseHit]:
        filters = Filters.build(
            outcome=outcome, industry=industry, product=product, region=region,
            min_deal_size=min_deal_size, max_deal_size=max_deal_size,
        )
        self._check_embedder(rebuild=False)
        return self._searcher.search(query, k=k, filters=filters, mode=mode)

    def get_case(self, case_id: str) -> Case:
        found = self.store.get_cases(self.embedder.name, ids=[case_id])
        if not found:
            raise NotFoundError(f"no case with id {case_id!r} in the knowledge base")
        return found[0]

    def has_case(self, case_id: str) -> bool:
        return bool(self.store.case_hashes([case_id], self.embedder.name))

    def list_cases(self, **filters: Any) -> list[Case]:
        f = Filters.build(**filters)
        cases = self.store.get_cases(self.embedder.name, where=f.chroma_where())
        return sorted(cases, key=lambda c: c.id)

    def stats(self) -> dict[str, Any]:
        n_cases, n_chunks = self.store.counts(self.embedder.name)
        facets = self.store.case_facets(self.embedder.name)
        disk = self.store.disk_bytes()
        return {
            "cases": n_cases,
            "chunks": n_chunks,
            "by_outcome": dict(Counter(m.get("outcome", "") for m in facets).most_common()),
            "by_industry": _facet(facets, "industry"),
            "index_bytes": disk,
            "index_mb": round(disk / 1e6, 2) if disk is not None else None,
            "embedding_model": self.embedder.name,
            "store": self.settings.chroma_url or str(self.store.path),
            "collection": self.settings.collection,
        }

    # ---- internals ---------------------------------------------------------------------------
    def _encode_query(self, query: str) -> np.ndarray:
        return self.embedder.encode([query])[0]

    def _check_embedder(self, *, rebuild: bool) -> None:
        if self._checked_embedder:
            return
        built_with = self.store.embedder_name(self.embedder.name)
        if built_with != self.embedder.name:
            if not rebuild:
                raise ConfigurationError(
                    f"the knowledge base was embedded with {built_with}, but {self.embedder.name} is configured",
                    detail="run `salescoach kb reindex` (or ingest again) to re-embed it",
                )
            log.warning("embedding model changed (%s -> %s): re-embedding all cases", built_with, self.embedder.name)
            self.reindex()
        self._checked_embedder = True

    def _touch(self) -> None:
        self.store.bump_revision(self.embedder.name)
        self._index = None

    def _chunk_index(self) -> ChunkIndex:
        """BM25 + vectors + filter columns of every chunk (see chunk_index), rebuilt when
        the store changed, cached on disk per store revision."""
        with self._lock:
            rev = f"{self.store.revision(self.embedder.name)}:{TOKENIZER_VERSION}"
            if self._index is not None and self._index_rev == rev:
                return self._index
            cache = self.kb_dir / f"index-{self.settings.collection}"
            index = ChunkIndex.load(cache, rev)
            if index is None:
                records = (
                    (r.id, f"{r.metadata.get('title', '')}\n{r.document}", r.metadata, r.embedding)
                    for r in self.store.iter_chunks(self.embedder.name, embeddings=True)
                )
                index = ChunkIndex.build(records)
                try:
                    index.save(cache, rev)
                except OSError as exc:  # a read-only data dir still searches
                    log.warning("cannot cache the chunk index in %s: %s", cache, exc)
                log.info("built the chunk index over %d chunks", len(index))
            self._index, self._index_rev = index, rev
            return index


def _facet(metas: list[dict[str, Any]], key: str) -> dict[str, int]:
    """Counts grouped by the normalised value, labelled with the first spelling seen."""
    counts: Counter[str] = Counter()
    label: dict[str, str] = {}
    for m in metas:
        k = m.get(f"f_{key}") or norm_key(m.get(key))
        label.setdefault(k, str(m.get(key, "")))
        counts[k] += 1
    return {label[k]: n for k, n in counts.most_common()}
