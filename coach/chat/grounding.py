"""Sentence-by-sentence support of a chat answer by the passages it was written from.

A chat answer may only say what the retrieved passages (case snippets, account facts)
support. Each sentence of the model's text is checked on its own:

* a *claim* is a sentence with a number, a name (a capitalised word that is not the
  first of its sentence, or an acronym) or a ``[case-id]`` citation;
* a claim is kept only when one passage it cites (or, without a citation, any one
  passage, whose id is then added) contains every number and every name of it and most
  of its content words;
* a plain sentence (no claim) is kept when most of its content words occur in the
  passages: generic but on-topic coaching, not a story;
* questions, echoes of the prompt and sentences of fewer than three content words are
  no answer and are dropped;
* template debris ("A) ... B) ...", "<<<Question", "Answer:", role labels) is removed
  before anything is checked and never reaches the user.

What survives is the answer. When nothing does, :func:`extractive_answer` quotes the
best passages with their case ids under a one-line lead, so the rep still gets the
evidence, word for word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from scripts_gen.casefacts import number_set, numbers_in, split_sentences

CITE_RE = re.compile(r"\[([A-Za-z0-9][\w.:\-]{0,119})\]")
_DEBRIS_LINE = re.compile(
    r"^\s*(?:[A-D][).:]\s|\(?[a-d]\)\s|<<<|>>>|#{1,6}\s|(?:question|answer|q|a|user|assistant|coach|rep|"
    r"system|note|options?|choices?)\s*[:：])", re.IGNORECASE)
_DEBRIS_INLINE = re.compile(r"<<<[^>\n]*>>>|<<<\w*|\w*>>>|<\|[^|>]*\|>|</?s>")
_NAME_RE = re.compile(r"\b(?:[A-Z][a-z]+(?:[-'][A-Za-z]+)?|[A-Z]{2,}[a-z]?)\b")
_WORD_RE = re.compile(r"[A-Za-z]{4,}|[\u4e00-\u9fff]")
#: capitalised words that are not names (sentence starters, pronouns, months are names: kept)
_NOT_NAMES = set(
    "I A An The This That These Those It Its If When While After Before Then So But And Or Also Yes No Not "
    "We You They He She Our Your Their His Her My Me Us Them What Which Who How Why Where Here There "
    "For From With Without In On At To By Of As Be Do Does Did Is Are Was Were Has Have Had Can Could Should "
    "Would Will May Might Must Try Ask Use Offer Show Focus Start Keep Make Give Tell Let Consider Remember "
    "First Second Third Finally Next Last Both Each Every All Any Some One Two Three Sources".split())
_STOP = set(
    "that this with have from they what your you our for are was were will would could should about into "
    "than then them there their been just like some more most very also only over such even much well when "
    "which while where these those each other make sure".split())
#: share of a sentence's content words that must occur in the passages (the cited one, for a claim)
MIN_PLAIN_OVERLAP = 0.5
#: a sentence with fewer content words says nothing checkable ("The answer is: [id].")
MIN_WORDS = 3
#: the prompt's own instructions echoed back
_ECHO = re.compile(r"(?i)^(?:cite|answer the question|use only|using only|based on the (?:data|cases|information)|"
                   r"the answer is|"
                   r"here is|here's|sources?\b|question\b)")
EXTRACTIVE_LEAD = "I could not write an answer that the cases fully support, so here is what they say:"
QUOTE_CHARS = 280


@dataclass(frozen=True)
class Passage:
    """A text the model was shown: ``ref`` is a case id (cited as ``[ref]``) or an
    account name (``citable`` False: account facts are quoted, not bracket-cited)."""

    ref: str
    text: str
    title: str = ""
    citable: bool = True


@dataclass
class SentenceCheck:
    text: str
    ok: bool
    reason: str | None = None
    cited: list[str] = field(default_factory=list)
    #: ids the model cited that were not retrieved (removed from ``text``)
    foreign: list[str] = field(default_factory=list)


def _is_case_id(token: str) -> bool:
    """``[won-price-1]`` is a citation; ``[PHONE]`` (a redaction placeholder) or ``[Note]`` is not."""
    return bool(re.search(r"[-_.:\d]", token))


@dataclass
class Grounded:
    text: str
    kept: list[SentenceCheck] = field(default_factory=list)
    dropped: list[SentenceCheck] = field(default_factory=list)

    @property
    def cited(self) -> list[str]:
        return list(dict.fromkeys(c for s in self.kept for c in s.cited))


def clean_debris(text: str) -> str:
    """Remove quiz options, data-block markers, role labels and headings."""
    text = _DEBRIS_INLINE.sub("", text or "")
    lines = []
    for line in text.splitlines():
        if _DEBRIS_LINE.match(line):
            continue
        lines.append(line)
    return "\n".join(lines).strip()


def _names(sentence: str) -> set[str]:
    body = CITE_RE.sub("", sentence).strip()
    first = re.match(r"\W*(\w+)", body)
    start = first.start(1) if first else -1
    out = set()
    for m in _NAME_RE.finditer(body):
        if m.start() == start or m.group(0) in _NOT_NAMES:
            continue
        out.add(m.group(0))
    return out


def _content_words(text: str) -> list[str]:
    return [w.lower() for w in _WORD_RE.findall(text) if w.lower() not in _STOP]


class SupportChecker:
    """Checks answer sentences against the passages of one chat turn."""

    def __init__(self, passages: Iterable[Passage], question: str = "") -> None:
        self.passages = {p.ref: p for p in passages}
        self._lower = {ref: p.text.lower() + " " + p.title.lower() for ref, p in self.passages.items()}
        self._numbers = {ref: number_set(p.text + " " + p.title) for ref, p in self.passages.items()}
        self._question = set(_content_words(question))
        self._words = {ref: set(_content_words(text)) for ref, text in self._lower.items()}
        # plain sentences are measured against the passages only: echoing the question is no answer
        self._vocab = set().union(*self._words.values()) if self._words else set()
        self._stems = {w[:5] for w in self._vocab}

    def _supports(self, ref: str, numbers: list[str], names: set[str]) -> bool:
        return (all(n in self._numbers[ref] for n in numbers)
                and all(name.lower() in self._lower[ref] for name in names))

    def _on_topic(self, ref: str, words: list[str]) -> bool:
        """Most of the sentence's content words occur in passage ``ref``."""
        got = self._words[ref]
        stems = {w[:5] for w in got}
        return sum(1 for w in words if w in got or w[:5] in stems) / len(words) >= MIN_PLAIN_OVERLAP

    def check(self, sentence: str) -> SentenceCheck:
        # a citation of a case that was not retrieved is removed (and reported), the rest is checked
        foreign = [c for c in dict.fromkeys(CITE_RE.findall(sentence)) if _is_case_id(c) and c not in self.passages]
        for c in foreign:
            sentence = re.sub(r"\s*,?\s*(?:as in\s*)?\[" + re.escape(c) + r"\]", "", sentence)
        cited = [c for c in dict.fromkeys(CITE_RE.findall(sentence)) if _is_case_id(c)]
        body = CITE_RE.sub(lambda m: "" if _is_case_id(m.group(1)) else m.group(0), sentence)
        numbers, names = numbers_in(body), _names(sentence)
        result = self._check(sentence, body, cited, numbers, names)
        result.foreign = foreign
        return result

    def _check(self, sentence: str, body: str, cited: list[str], numbers: list[str], names: set[str]) -> SentenceCheck:
        words = _content_words(body)
        if len(words) < MIN_WORDS or _ECHO.match(body.strip()) or body.rstrip().endswith(("?", "？")):
            return SentenceCheck(sentence, False, "not an answer (too short, a question or an echo of the prompt)")
        if self._question and sum(1 for w in words if w in self._question) / len(words) >= 0.8:
            return SentenceCheck(sentence, False, "repeats the question")
        if cited or numbers or names:
            refs = cited or list(self.passages)
            support = [r for r in refs if self._supports(r, numbers, names) and self._on_topic(r, words)]
            if not support:
                what = ", ".join([*numbers, *sorted(names)]) or "its claim"
                return SentenceCheck(sentence, False, f"not supported by the cited passages ({what})")
            if cited:
                return SentenceCheck(sentence, True, None, cited)
            ref = support[0]
            p = self.passages[ref]
            if p.citable:  # say where it comes from
                sentence = _append_citation(sentence, ref)
                return SentenceCheck(sentence, True, None, [ref])
            return SentenceCheck(sentence, True, None, [])
        hit = sum(1 for w in words if w in self._vocab or w[:5] in self._stems)
        if hit / len(words) < MIN_PLAIN_OVERLAP:
            return SentenceCheck(sentence, False, f"off the passages (overlap {hit / len(words):.2f})")
        return SentenceCheck(sentence, True)

    def filter(self, text: str) -> Grounded:
        out = Grounded(text="")
        kept_lines: list[str] = []
        for line in clean_debris(text).splitlines():
            marker = re.match(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+", line)
            lead, body = (marker.group(0), line[marker.end():]) if marker else ("", line)
            parts = []
            for sentence in split_sentences(body):
                if not sentence.strip():
                    continue
                c = self.check(sentence.strip())
                (out.kept if c.ok else out.dropped).append(c)
                if c.ok:
                    parts.append(c.text)
            if parts:
                kept_lines.append(lead + " ".join(parts))
        out.text = "\n".join(kept_lines).strip()
        return out


def _append_citation(sentence: str, ref: str) -> str:
    m = re.search(r"([.!?。！？]+)\s*$", sentence)
    if m:
        return sentence[: m.start()].rstrip() + f" [{ref}]" + m.group(1)
    return sentence.rstrip() + f" [{ref}]"


def stream_sentences(tokens: Iterable[str]) -> Iterator[str]:
    """Regroup streamed tokens into whole sentences (and line breaks), so each can be
    checked before the user sees it."""
    buf = ""
    boundary = re.compile(r"(?<=[.!?。！？])\s+|\n")
    for tok in tokens:
        buf += tok
        while True:
            m = boundary.search(buf)
            if not m:
                break
            piece, buf = buf[: m.end()], buf[m.end():]
            if piece.strip() or piece == "\n":
                yield piece
    if buf.strip():
        yield buf


def extractive_answer(passages: list[Passage], question: str, limit: int = 3) -> str:
    """The best passages quoted word for word, with their ids, under a one-line lead."""
    q = set(_content_words(question))
    ranked = sorted(passages, key=lambda p: -len(q & set(_content_words(p.text))))[:limit]
    if not ranked:
        return ""
    lines = [EXTRACTIVE_LEAD]
    for p in ranked:
        quote = " ".join(p.text.split())
        if len(quote) > QUOTE_CHARS:
            cut = quote[:QUOTE_CHARS]
            quote = cut[: cut.rfind(" ")] + " ..."
        where = f"[{p.ref}]" if p.citable else p.ref
        lines.append(f"- {where} {p.title + ': ' if p.title else ''}\"{quote}\"")
    return "\n".join(lines)


@dataclass
class Piece:
    """A streamed sentence after checking: ``text`` is what the user sees when ``ok``
    (with its list marker and trailing space/newline), else the dropped sentence."""

    text: str
    ok: bool
    reason: str | None = None
    foreign: list[str] = field(default_factory=list)


def checked_pieces(sentences: Iterable[str], checker: SupportChecker) -> Iterator[Piece]:
    """Check streamed sentences (from :func:`stream_sentences`) one by one, dropping
    debris lines whole and keeping list markers and line breaks of kept sentences."""
    line_start, skip_line = True, False
    for raw in sentences:
        ends_line = raw.endswith("\n")
        body = raw.strip()
        if line_start:
            skip_line = bool(_DEBRIS_LINE.match(raw.lstrip("\n"))) or bool(_DEBRIS_INLINE.fullmatch(body or "x"))
        if body and not skip_line:
            marker = re.match(r"^(?:[-*•]|\d{1,2}[.)])\s+", body) if line_start else None
            lead = marker.group(0) if marker else ""
            sentence = _DEBRIS_INLINE.sub("", body[len(lead):]).strip()
            if sentence:
                c = checker.check(sentence)
                if c.ok:
                    sep = "\n" if ends_line else " "
                    prefix = "- " if lead else ""
                    yield Piece(prefix + c.text + sep, True, foreign=c.foreign)
                else:
                    yield Piece(sentence, False, c.reason, foreign=c.foreign)
        line_start = ends_line
        if ends_line:
            skip_line = False
