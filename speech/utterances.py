"""Group diarized words into utterances.

Consecutive words of one speaker form an utterance; it is closed at a speaker change, at
a pause longer than ``max_pause_s`` and, once it is longer than ``max_len_s``, at the
next sentence end (so one long monologue does not become a single 3-minute utterance).
"""

from __future__ import annotations

from speech.phrases.text import CJK_RE, TERMINAL_PUNCT
from speech.types import Utterance, Word

MAX_PAUSE_S = 1.0
MAX_LEN_S = 20.0
#: hard cap when a long utterance never reaches a sentence end
HARD_MAX_LEN_S = 60.0
UNKNOWN_SPEAKER = "S?"


def join_words(tokens: list[str]) -> str:
    """Join Whisper word tokens: English tokens carry their own leading space, Chinese
    tokens have none; a space is added only between two Latin/digit tokens that lack
    one."""
    out = ""
    for tok in tokens:
        if not tok:
            continue
        if not out:
            out = tok.lstrip()
            continue
        if tok[0].isspace():
            piece = tok.lstrip()
            # no space before CJK or CJK punctuation even if the token carried one
            if CJK_RE.match(piece) and CJK_RE.search(out[-1:]):
                out += piece
            else:
                out += " " + piece
        elif _needs_space(out[-1], tok[0]):
            out += " " + tok
        else:
            out += tok
    return " ".join(out.split()) if not CJK_RE.search(out) else out.strip()


def _needs_space(prev: str, nxt: str) -> bool:
    latin = lambda c: c.isascii() and c.isalnum()  # noqa: E731
    return latin(prev) and latin(nxt)


def build_utterances(
    words: list[Word],
    *,
    max_pause_s: float = MAX_PAUSE_S,
    max_len_s: float = MAX_LEN_S,
) -> list[Utterance]:
    """Utterances ``u1, u2, ...`` in time order from diarized words (speaker None ->
    ``"S?"``)."""
    ordered = sorted((w for w in words if w.text and w.text.strip()), key=lambda w: (w.start, w.end))
    groups: list[list[Word]] = []
    for w in ordered:
        spk = w.speaker or UNKNOWN_SPEAKER
        if groups:
            cur = groups[-1]
            last = cur[-1]
            same = (last.speaker or UNKNOWN_SPEAKER) == spk
            pause = w.start - last.end
            length = last.end - cur[0].start
            sentence_end = last.text.strip()[-1:] in TERMINAL_PUNCT
            if (
                same
                and pause <= max_pause_s
                and not (length >= max_len_s and sentence_end)
                and length < HARD_MAX_LEN_S
            ):
                cur.append(w)
                continue
        groups.append([w])
    out: list[Utterance] = []
    for k, g in enumerate(groups, start=1):
        out.append(
            Utterance(
                id=f"u{k}",
                speaker=g[0].speaker or UNKNOWN_SPEAKER,
                start=round(g[0].start, 3),
                end=round(max(x.end for x in g), 3),
                text=join_words([x.text for x in g]),
            )
        )
    return out
