"""Keyword retrieval: BM25 over chunks with bm25s (scores precomputed in a sparse
matrix, so a query costs a few column sums even at 100k chunks; rank-bm25 rescans every
document in Python per query term, see benchmarks/retrieval_latency.py).

Tokenisation: lower-cased Latin words and numbers, English stop words removed; runs of
Chinese characters cut by jieba in search mode (overlapping words, better recall).
Metadata filters become a boolean mask over the chunks, matching Chroma's semantics.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from coach.errors import DependencyMissingError
from retrieval.filters import Filters

log = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?|[\u3400-\u9fff\uf900-\ufaff]+")
_CJK_START = "\u3400"
STOPWORDS_EN = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her his how i if in into is
    it its me my no not of on or our she so than that the their them then there these they this those to too us
    was we were what when where which who why will with would you your i'm it's we're don't""".split()
)
STOPWORDS_ZH = frozenset("的 了 是 在 和 与 及 也 就 都 而 或 我 你 他 她 它 我们 你们 他们 这 那 这个 那个 一个 有 对 把 被 让 给 吗 呢 吧 啊".split())
_jieba_lock = threading.Lock()
_jieba = None


def _get_jieba():
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                try:
                    import warnings

                    with warnings.catch_warnings():  # jieba imports the deprecated pkg_resources
                        warnings.simplefilter("ignore")
                        import jieba
                except ImportError:
                    raise DependencyMissingError("jieba", "tokenising Chinese for keyword search") from None
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for match in _TOKEN_RE.findall(text.lower()):
        if match[0] >= _CJK_START:
            tokens.extend(w for w in _get_jieba().lcut_for_search(match) if w.strip() and w not in STOPWORDS_ZH)
        elif match not in STOPWORDS_EN:
            tokens.append(match)
    return tokens


FILTER_KEYS = ("outcome", "f_industry", "f_product", "f_region")


@dataclass
class BM25Hit:
    chunk_id: str
    case_id: str
    score: float


class BM25Index:
    """BM25 over chunk texts, with per-chunk filter columns."""

    def __init__(self) -> None:
        self.chunk_ids: list[str] = []
        self.case_ids: list[str] = []
        self.codes: dict[str, np.ndarray] = {}
        self.vocab: dict[str, dict[str, int]] = {}
        self.deal_size = np.zeros(0)
        self._model = None

    def __len__(self) -> int:
        return len(self.chunk_ids)

    @classmethod
    def build(cls, records: Iterable[tuple[str, str, dict[str, Any]]]) -> "BM25Index":
        """records: (chunk_id, text to index, chunk metadata)."""
        self = cls()
        corpus: list[list[str]] = []
        values: dict[str, list[str]] = {k: [] for k in FILTER_KEYS}
        sizes: list[float] = []
        for chunk_id, text, meta in records:
            self.chunk_ids.append(chunk_id)
            self.case_ids.append(str(meta.get("case_id", "")))
            corpus.append(tokenize(text))
            for key in FILTER_KEYS:
                values[key].append(str(meta.get(key, "")))
            size = meta.get("deal_size")
            sizes.append(float(size) if isinstance(size, (int, float)) else np.nan)
        for key in FILTER_KEYS:
            vocab: dict[str, int] = {}
            self.codes[key] = np.fromiter((vocab.setdefault(v, len(vocab)) for v in values[key]), dtype=np.int32, count=len(values[key]))
            self.vocab[key] = vocab
        self.deal_size = np.asarray(sizes, dtype=np.float64)
        if corpus:
            self._model = _new_bm25()
            self._model.index(corpus, show_progress=False)
        return self

    def mask(self, filters: Filters) -> np.ndarray | None:
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

    def search(self, query: str, n: int, filters: Filters = Filters()) -> list[BM25Hit]:
        if self._model is None or n <= 0:
            return []
        ids = self._model.get_tokens_ids(tokenize(query))
        if not ids:
            return []
        scores = self._model.get_scores_from_ids(ids)
        mask = self.mask(filters)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [BM25Hit(self.chunk_ids[i], self.case_ids[i], float(scores[i])) for i in top if scores[i] > 0]

    # ---- persistence (a cache: the store is the source of truth) ------------------------
    def save(self, directory: Path, revision: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "revision.txt").unlink(missing_ok=True)
        if self._model is not None:
            self._model.save(str(directory / "bm25s"), show_progress=False)
        np.savez(directory / "filters.npz", deal_size=self.deal_size, **{k: v for k, v in self.codes.items()})
        meta = {"chunk_ids": self.chunk_ids, "case_ids": self.case_ids, "vocab": self.vocab, "empty": self._model is None}
        (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        (directory / "revision.txt").write_text(revision, encoding="utf-8")  # written last: marks a complete cache

    @classmethod
    def load(cls, directory: Path, revision: str) -> "BM25Index | None":
        """The cached index if it was saved for ``revision``; None otherwise."""
        if not (directory / "revision.txt").is_file():
            return None
        try:
            if (directory / "revision.txt").read_text(encoding="utf-8") != revision:
                return None
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
            arrays = np.load(directory / "filters.npz")
            self = cls()
            self.chunk_ids, self.case_ids, self.vocab = meta["chunk_ids"], meta["case_ids"], meta["vocab"]
            self.codes = {k: arrays[k] for k in FILTER_KEYS}
            self.deal_size = arrays["deal_size"]
            if not meta["empty"]:
                import bm25s

                self._model = bm25s.BM25.load(str(directory / "bm25s"), show_progress=False)
            return self
        except (OSError, ValueError, KeyError) as exc:
            log.info("BM25 cache not usable (%s); rebuilding", exc)
            return None


def _new_bm25():
    try:
        import bm25s
    except ImportError:
        raise DependencyMissingError("bm25s", "keyword (BM25) search") from None
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s.BM25()
