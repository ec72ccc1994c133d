"""Keyword retrieval building blocks: the tokeniser and the bm25s model factory
(bm25s precomputes scores in a sparse matrix, so a query costs a few column sums even at
100k chunks; rank-bm25 rescans every document in Python per query term, see
benchmarks/retrieval_latency.py). The index itself lives in ``chunk_index``.

Tokenisation: lower-cased Latin words and numbers, English stop words removed, Snowball
stems (PyStemmer); runs of Chinese characters cut by jieba in search mode (overlapping
words, better recall).
"""

from __future__ import annotations

import logging
import re
import threading

from retrieval.errors import DependencyMissingError

log = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r"[a-z0-9]+|[\u3400-\u9fff\uf900-\ufaff]+")
_CJK_START = "\u3400"
STOPWORDS_EN = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her his how i if in into is
    it its me my no not of on or our she so than that the their them then there these they this those to too us
    was we were what when where which who why will with would you your s t d ll re ve m""".split()
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


_local = threading.local()


def _stem(words: list[str]) -> list[str]:
    """English Snowball stems (PyStemmer; its objects are not thread-safe: one per thread)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        try:
            import Stemmer
        except ImportError:
            raise DependencyMissingError("PyStemmer", "stemming English words for keyword search") from None
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer.stemWords(words)


#: bump when tokenisation changes (invalidates cached BM25 indexes)
TOKENIZER_VERSION = "2-snowball-jieba"


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop words out, English words stemmed, Chinese cut by jieba."""
    tokens: list[str] = []
    for match in _TOKEN_RE.findall(text.lower()):
        if match[0] >= _CJK_START:
            tokens.extend(w for w in _get_jieba().lcut_for_search(match) if w.strip() and w not in STOPWORDS_ZH)
        elif match not in STOPWORDS_EN:
            tokens.append(match)
    return _stem(tokens) if tokens else tokens


def new_bm25():
    try:
        import bm25s
    except ImportError:
        raise DependencyMissingError("bm25s", "keyword (BM25) search") from None
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s.BM25()
