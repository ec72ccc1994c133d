"""Small language-aware text helpers shared by the text-analysis stages.

English is tokenised on letters/apostrophes; Chinese (no spaces) is segmented with jieba
for word counts, and is matched by substring elsewhere.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

log = logging.getLogger(__name__)

#: CJK Unified Ideographs (+ extension A, compatibility) - the script of Chinese text
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD_RE = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['\u2019][A-Za-z]+)*")
SENTENCE_END_RE = re.compile(r"(?<=[.?!。？！])\s*|(?<=[;；])\s+")
TERMINAL_PUNCT = ".?!。？！…"

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})


def normalize(text: str) -> str:
    """Typographic quotes to ASCII, collapse whitespace (for matching and scoring)."""
    return " ".join(text.translate(_QUOTES).split())


def cjk_share(text: str) -> float:
    """Share of CJK characters among the letters/ideographs of ``text`` (0 if none)."""
    cjk = len(CJK_RE.findall(text))
    latin = sum(len(w) for w in LATIN_WORD_RE.findall(text))
    # one ideograph carries roughly a word; weigh latin letters by ~5 per word
    total = cjk + latin / 5.0
    return cjk / total if total else 0.0


def detect_language(texts: list[str]) -> str | None:
    """Rough script-based language guess: "zh" when CJK dominates, "en" when Latin text
    dominates, None when there is no text to judge."""
    joined = " ".join(texts)
    cjk = len(CJK_RE.findall(joined))
    latin_words = len(LATIN_WORD_RE.findall(joined))
    if cjk == 0 and latin_words == 0:
        return None
    return "zh" if cjk >= latin_words else "en"


@lru_cache(maxsize=1)
def _jieba():
    try:
        import jieba  # noqa: PLC0415 - heavy, lazy
    except ImportError as exc:  # pragma: no cover - jieba is a core dependency
        from speech.errors import DependencyMissingError

        raise DependencyMissingError("jieba", "counting Chinese words") from exc
    jieba.setLogLevel(logging.WARNING)
    return jieba


def count_words(text: str) -> int:
    """Words in ``text``: Latin tokens plus jieba-segmented Chinese words."""
    n = len(LATIN_WORD_RE.findall(text))
    runs = re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", text)
    if runs:
        jieba = _jieba()
        n += sum(len([w for w in jieba.lcut(run) if w.strip()]) for run in runs)
    return n


def split_sentences(text: str) -> list[str]:
    """Split on terminal punctuation (English and Chinese); keeps the punctuation."""
    parts = [p.strip() for p in SENTENCE_END_RE.split(text)]
    return [p for p in parts if p]


def fmt_ts(seconds: float) -> str:
    """``02:13`` or ``1:02:13``."""
    s = int(round(max(seconds, 0.0)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def quote(text: str, limit: int = 80) -> str:
    """Shorten ``text`` for an evidence string."""
    t = normalize(text)
    return t if len(t) <= limit else t[: limit - 1].rstrip() + "\u2026"
