"""PII redaction: phone numbers, e-mail addresses, card numbers and national ID numbers
(Chinese formats included), replaced by placeholders such as ``[PHONE]``.

Used (1) by :mod:`coach.llm.redacting` before any text goes to a non-local LLM and
(2) optionally for stored transcripts (``settings.redact_stored_transcripts``) through
:func:`redact_analysis` / :func:`redact_for_storage`.

Precision over recall where a pattern could eat business numbers: amounts ("3,600,000"),
dates ("2023-05-12") and plain 9-digit numbers are left alone; card numbers must pass the
Luhn check and Chinese resident ID numbers their ISO 7064 checksum.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Callable

PLACEHOLDERS: dict[str, str] = {
    "email": "[EMAIL]",
    "national_id": "[NATIONAL_ID]",
    "card": "[CARD]",
    "phone": "[PHONE]",
}

_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?![A-Za-z0-9-])")
# Chinese resident ID: 6-digit area, 8-digit birth date, 3-digit sequence, check char
_CN_ID_RE = re.compile(r"(?<![\dA-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])")
_SSN_RE = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
# 13-19 digits, optionally in groups separated by one space or dash
_CARD_RE = re.compile(r"(?<![\d+-])\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE_RES: tuple[re.Pattern[str], ...] = (
    # Chinese mobile, optionally +86 / 86, optionally grouped 3-4-4
    re.compile(r"(?<![\d+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)"),
    # international: +CC then 6-14 more digits in groups
    re.compile(r"(?<![A-Za-z0-9+])(?:\+|00)[1-9]\d{0,2}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}(?!\d)"),
    # North American (555) 123-4567 / 555-123-4567 / 555.123.4567
    re.compile(r"(?<![\d-])(?:\(\d{3}\)\s?|\d{3}[.-])\d{3}[.-]\d{4}(?![\d-])"),
    # Chinese landline 021-12345678 / 0755-1234567
    re.compile(r"(?<![\d-])0\d{2,3}-\d{7,8}(?![\d-])"),
)

_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK = "10X98765432"


def luhn_ok(digits: str) -> bool:
    """Luhn checksum of a digit string (card numbers)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def cn_id_ok(number: str) -> bool:
    """ISO 7064 MOD 11-2 check character of an 18-character Chinese resident ID."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    s = sum(int(c) * w for c, w in zip(number[:17], _CN_ID_WEIGHTS))
    return _CN_ID_CHECK[s % 11] == number[17].upper()


@dataclass
class RedactionResult:
    text: str
    #: kind -> number of replacements (kinds: email, national_id, card, phone)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _sub(pattern: re.Pattern[str], kind: str, text: str, counts: dict[str, int],
         accept: Callable[[str], bool] | None = None) -> str:
    def repl(m: re.Match[str]) -> str:
        value = m.group(0)
        if accept is not None and not accept(value):
            return value
        counts[kind] = counts.get(kind, 0) + 1
        return PLACEHOLDERS[kind]

    return pattern.sub(repl, text)


def _phone_digits_ok(value: str) -> bool:
    n = sum(ch.isdigit() for ch in value)
    return 7 <= n <= 15


def redact(text: str) -> RedactionResult:
    """Replace PII in ``text`` by placeholders; returns the new text and counts per kind."""
    counts: dict[str, int] = {}
    if not text:
        return RedactionResult(text or "", counts)
    out = _sub(_EMAIL_RE, "email", text, counts)
    out = _sub(_CN_ID_RE, "national_id", out, counts, accept=cn_id_ok)
    out = _sub(_SSN_RE, "national_id", out, counts)
    # Chinese mobiles before cards: "86 138..." must not be read as a card number
    out = _sub(_PHONE_RES[0], "phone", out, counts, accept=_phone_digits_ok)
    out = _sub(_CARD_RE, "card", out, counts, accept=lambda v: luhn_ok(re.sub(r"\D", "", v)))
    for pattern in _PHONE_RES[1:]:
        out = _sub(pattern, "phone", out, counts, accept=_phone_digits_ok)
    return RedactionResult(out, counts)


def merge_counts(*many: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for counts in many:
        for k, v in counts.items():
            out[k] = out.get(k, 0) + v
    return out


def redact_analysis(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """Redact the free-text fields of a ``CallAnalysis`` JSON document (utterance text,
    moment text, shift evidence, source file name is kept). Returns a redacted copy and
    the counts; the input is not modified."""
    doc = copy.deepcopy(document)
    counts: dict[str, int] = {}
    for key, text_field in (("utterances", "text"), ("moments", "text"), ("emotion_shifts", "evidence")):
        for item in doc.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get(text_field), str):
                r = redact(item[text_field])
                item[text_field] = r.text
                counts = merge_counts(counts, r.counts)
    return doc, counts


def redact_for_storage(settings: Any, document: dict[str, Any]) -> dict[str, Any]:
    """What the call-storage code calls before saving an analysis: the document redacted
    when ``settings.redact_stored_transcripts`` is on, unchanged otherwise."""
    if not getattr(settings, "redact_stored_transcripts", False):
        return document
    return redact_analysis(document)[0]
