"""Chroma as the store of record: one collection of chunks (vector search, filters) and
one of whole cases (full body + all metadata, for ``get_case``/``list_cases``).

Embedded ``PersistentClient`` at ``settings.chroma_dir`` by default; ``HttpClient`` when
``chroma_url`` is set. Telemetry is off in both. The chunk collection's metadata records
which embedder built it (a different model needs a re-embed) and a revision that changes
on every write (other processes use it to refresh their BM25 cache).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from retrieval.errors import ConfigurationError, DependencyMissingError
from retrieval.cases import Case

log = logging.getLogger(__name__)
PAGE = 2000


@dataclass
class ChunkRecord:
    id: str
    document: str
    metadata: dict[str, Any]
    distance: float | None = None
    embedding: Any = None


def chunk_id(case_id: str, index: int) -> str:
    return f"{case_id}#{index}"


def case_metadata(case: Case, content_hash: str) -> dict[str, Any]:
    meta = case.filter_metadata()
    meta["content_hash"] = content_hash
    meta["case_json"] = json.dumps(case.model_dump(exclude={"body"}), ensure_ascii=False)
    return meta


def case_from_record(body: str, meta: dict[str, Any]) -> Case:
    return Case(**json.loads(meta["case_json"]), body=body)


class ChromaStore:
    def __init__(self, *, path: Path | None, url: str = "", collection: str = "cases") -> None:
        self.path = path
        self.url = url
        self.name = collection
        self._client = None
        self._chunks = None
        self._cases = None
        self._lock = threading.RLock()
        self._revision_cache: tuple[float, str] | None = None

    # ---- connection ------------------------------------------------------------------------
    def _connect(self):
        if self._client is None:
            try:
                import chromadb
                from chromadb.config import Settings as ChromaSettings
            except ImportError:
                raise DependencyMissingError("chromadb", "the case vector store") from None
            cfg = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            try:
                if self.url:
                    u = urlparse(self.url)
                    if u.scheme not in ("http", "https") or not u.hostname:
                        raise ConfigurationError(f"chroma_url must be http(s)://host:port, got {self.url!r}")
                    self._client = chromadb.HttpClient(
                        host=u.hostname, port=u.port or (443 if u.scheme == "https" else 8000),
                        ssl=u.scheme == "https", settings=cfg,
                    )
                else:
                    assert self.path is not None
                    self.path.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(self.path), settings=cfg)
            except ConfigurationError:
                raise
            except Exception as exc:
                where = self.url or str(self.path)
                raise ConfigurationError(f"cannot open the Chroma store at {where}: {exc}") from None
        return self._client

    def collections(self, embedder_name: str) -> tuple[Any, Any]:
        """(chunks, cases) collections, created for this embedder when missing."""
        with self._lock:
            if self._chunks is None:
                client = self._connect()
                conf = {"hnsw": {"space": "cosine"}}
                self._chunks = client.get_or_create_collection(
                    self.name, embedding_function=None, configuration=conf,
                    metadata={"embedder": embedder_name, "revision": uuid.uuid4().hex},
                )
                self._cases = client.get_or_create_collection(
                    f"{self.name}-cases", embedding_function=None, configuration=conf, metadata={"kind": "cases"}
                )
            return self._chunks, self._cases

    def embedder_name(self, default: str) -> str:
        chunks, _ = self.collections(default)
        return str((chunks.metadata or {}).get("embedder", default))

    def reset(self, embedder_name: str) -> None:
        """Drop both collections (used when the embedding model changed)."""
        with self._lock:
            client = self._connect()
            for name in (self.name, f"{self.name}-cases"):
                try:
                    client.delete_collection(name)
                except Exception:  # noqa: BLE001 - absent collection
                    pass
            self._chunks = self._cases = None
            self.collections(embedder_name)

    # ---- revision ----------------------------------------------------------------------------
    def bump_revision(self, embedder_name: str) -> str:
        chunks, _ = self.collections(embedder_name)
        rev = uuid.uuid4().hex
        chunks.modify(metadata={"embedder": embedder_name, "revision": rev})
        self._revision_cache = (time.monotonic(), rev)
        return rev

    def revision(self, embedder_name: str, *, max_age_s: float = 2.0) -> str:
        """The current revision; re-read from the server at most every ``max_age_s``."""
        now = time.monotonic()
        if self._revision_cache and now - self._revision_cache[0] < max_age_s:
            return self._revision_cache[1]
        self.collections(embedder_name)
        fresh = self._client.get_collection(self.name)  # type: ignore[union-attr]
        rev = str((fresh.metadata or {}).get("revision", ""))
        self._revision_cache = (now, rev)
        return rev

    # ---- writes ------------------------------------------------------------------------------
    def upsert_case(self, case: Case, content_hash: str, chunks: list[str], vectors: np.ndarray, embedder: str) -> None:
        """Replace a case and all its chunks."""
        col_chunks, col_cases = self.collections(embedder)
        col_chunks.delete(where={"case_id": case.id})
        meta = case.filter_metadata()
        for start in range(0, len(chunks), PAGE):
            idx = range(start, min(start + PAGE, len(chunks)))
            col_chunks.add(
                ids=[chunk_id(case.id, i) for i in idx],
                embeddings=vectors[start : idx.stop].tolist(),
                documents=chunks[start : idx.stop],
                metadatas=[{**meta, "chunk": i} for i in idx],
            )
        mean = vectors.mean(axis=0)
        mean = mean / (np.linalg.norm(mean) or 1.0)
        col_cases.upsert(
            ids=[case.id], embeddings=[mean.tolist()], documents=[case.body],
            metadatas=[case_metadata(case, content_hash)],
        )

    def delete_cases(self, case_ids: list[str], embedder: str) -> int:
        if not case_ids:
            return 0
        col_chunks, col_cases = self.collections(embedder)
        present = col_cases.get(ids=list(case_ids), include=[])["ids"]
        for i in range(0, len(case_ids), PAGE):
            part = list(case_ids[i : i + PAGE])
            col_chunks.delete(where={"case_id": {"$in": part}})
        if present:
            col_cases.delete(ids=present)
        return len(present)

    # ---- reads -------------------------------------------------------------------------------
    def query(self, vector: np.ndarray, n: int, where: dict[str, Any] | None, embedder: str) -> list[ChunkRecord]:
        col_chunks, _ = self.collections(embedder)
        if n <= 0:
            return []
        res = col_chunks.query(
            query_embeddings=[vector.tolist()], n_results=n, where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            ChunkRecord(i, d or "", m or {}, dist)
            for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])
        ]

    def get_chunks(self, ids: list[str], embedder: str) -> dict[str, ChunkRecord]:
        if not ids:
            return {}
        col_chunks, _ = self.collections(embedder)
        res = col_chunks.get(ids=list(ids), include=["documents", "metadatas"])
        return {i: ChunkRecord(i, d or "", m or {}) for i, d, m in zip(res["ids"], res["documents"], res["metadatas"])}

    def iter_chunks(self, embedder: str, *, embeddings: bool = False) -> Iterator[ChunkRecord]:
        col_chunks, _ = self.collections(embedder)
        include = ["documents", "metadatas"] + (["embeddings"] if embeddings else [])
        offset = 0
        while True:
            res = col_chunks.get(include=include, limit=PAGE, offset=offset)
            if not res["ids"]:
                return
            vecs = res["embeddings"] if embeddings else [None] * len(res["ids"])
            for i, d, m, v in zip(res["ids"], res["documents"], res["metadatas"], vecs):
                yield ChunkRecord(i, d or "", m or {}, embedding=v)
            offset += len(res["ids"])

    def get_cases(self, embedder: str, *, ids: list[str] | None = None, where: dict[str, Any] | None = None) -> list[Case]:
        _, col_cases = self.collections(embedder)
        out: list[Case] = []
        offset = 0
        while True:
            res = col_cases.get(ids=ids, where=where, include=["documents", "metadatas"], limit=PAGE, offset=offset)
            out.extend(case_from_record(d or "", m) for d, m in zip(res["documents"], res["metadatas"]))
            if ids is not None or len(res["ids"]) < PAGE:
                return out
            offset += PAGE

    def case_hashes(self, ids: list[str], embedder: str) -> dict[str, tuple[str, str]]:
        """case id -> (content hash, source) for the ids that exist."""
        if not ids:
            return {}
        _, col_cases = self.collections(embedder)
        res = col_cases.get(ids=list(ids), include=["metadatas"])
        return {i: (str(m.get("content_hash", "")), str(m.get("source", ""))) for i, m in zip(res["ids"], res["metadatas"])}

    def case_facets(self, embedder: str) -> list[dict[str, Any]]:
        _, col_cases = self.collections(embedder)
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            res = col_cases.get(include=["metadatas"], limit=PAGE, offset=offset)
            out.extend(res["metadatas"])
            if len(res["ids"]) < PAGE:
                return out
            offset += PAGE

    def counts(self, embedder: str) -> tuple[int, int]:
        col_chunks, col_cases = self.collections(embedder)
        return col_cases.count(), col_chunks.count()

    def disk_bytes(self) -> int | None:
        if self.url or self.path is None or not self.path.exists():
            return None
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())
