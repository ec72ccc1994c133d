"""Split case bodies into chunks for embedding and BM25 (langchain-text-splitters).

Lengths are measured in *Latin-character equivalents*: a CJK character counts as 3,
because one Chinese character costs about one MiniLM word piece while ~4 Latin
characters do. So ``chunk_size=800`` means roughly 200 word pieces in either language,
inside MiniLM's 256-token window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.errors import ConfigurationError, DependencyMissingError

_CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
#: paragraph, line, sentence (Latin and CJK punctuation), clause, word, character
SEPARATORS = ["\n\n", "\n", "。", "！", "？", ". ", "! ", "? ", "；", "; ", "，", ", ", " ", ""]


def weighted_len(text: str) -> int:
    return len(text) + 2 * len(_CJK_RE.findall(text))


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str


class Chunker:
    def __init__(self, chunk_size: int = 800, chunk_overlap: int = 100) -> None:
        if chunk_size <= 0 or not 0 <= chunk_overlap < chunk_size:
            raise ConfigurationError(
                f"retrieval chunking needs chunk_size > 0 and 0 <= chunk_overlap < chunk_size, "
                f"got {chunk_size} and {chunk_overlap}"
            )
        try:
            from langchain_text_splitters import RecursiveCharacterTextSplitter
        except ImportError:  # pragma: no cover
            raise DependencyMissingError("langchain-text-splitters", "chunking case text") from None
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            length_function=weighted_len,
            separators=SEPARATORS,
            keep_separator="end",
            strip_whitespace=True,
        )

    def split(self, text: str) -> list[Chunk]:
        pieces = [p for p in self._splitter.split_text(text) if p.strip()]
        return [Chunk(i, p) for i, p in enumerate(pieces)]
