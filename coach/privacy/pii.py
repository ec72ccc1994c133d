"""PII redaction: phone numbers, e-mail addresses, card numbers, IBANs and national ID
numbers (Chinese formats included; full-width digits; spoken forms such as "john dot
smith at acme dot com" or digits spelled out), replaced by placeholders such as ``[PHONE]``.

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
    "iban": "[IBAN]",
    "phone": "[PHONE]",
}

#: full-width digits, letters and ``@ + - . ( )`` read as their ASCII forms (one character
#: for one, so match positions in the folded text are positions in the original)
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20  # ideographic space
_FOLD[0x3002] = 0x2E  # 。 as a dot only inside spoken/e-mail forms is harmless: digits around it decide

_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")
# first-generation (15-digit) Chinese ID: area, yymmdd birth date, 3-digit sequence
_CN_ID15_RE = re.compile(r"(?<![\dA-Za-z])[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![\dA-Za-z])")
# spoken e-mail: "john dot smith at acme dot com", "zhang 艾特 hosp 点 com"
_SPOKEN_EMAIL_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9])[a-z0-9]+(?:\s*(?:dot|点|underscore|下划线|dash)\s*[a-z0-9]+)*"
    r"\s*(?:\bat\b|艾特|@)\s*[a-z0-9-]+(?:\s*(?:dot|点)\s*[a-z0-9-]+)*\s*(?:\bdot\b|点)\s*"
    r"(?:com|net|org|edu|gov|io|cn|co|uk|de|fr|jp|hk|tw|info|biz)(?![A-Za-z0-9])"
)
_DIGIT_WORD = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double\s+(?:zero|oh|one|two|three|four|five|six|seven|eight|nine))"
# seven or more spelled-out digits in a row ("five five five, one two three four ...")
_SPOKEN_DIGITS_RE = re.compile(rf"(?i)(?<![A-Za-z]){_DIGIT_WORD}(?:[\s,.-]+{_DIGIT_WORD}){{6,}}(?![A-Za-z])")
# seven or more Chinese digit characters (amounts use 十百千万 and are not matched)
_CN_DIGITS_RE = re.compile(r"[零〇一二三四五六七八九幺两]{7,}")

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
    # national format with a trunk 0: UK 020 7946 0958, 07700 900123; German 030 1234567
    re.compile(r"(?<![\d.,-])0\d{1,4}[ /]\d{3,8}(?:[ ]\d{3,4})?(?![\d.,])"),
    # North American, spaces or none: 555 123 4567 / 4155550132 (NANP: area and exchange start 2-9)
    re.compile(r"(?<![\d.,-])[2-9]\d{2}[ ]?[2-9]\d{2}[ ]?\d{4}(?![\d.,-])"),
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


def iban_ok(value: str) -> bool:
    """ISO 13616 MOD 97-10 check of an IBAN (spaces allowed)."""
    v = value.replace(" ", "").upper()
    if not 15 <= len(v) <= 34:
        return False
    digits = "".join(str(int(ch, 36)) for ch in v[4:] + v[:4])
    return int(digits) % 97 == 1


def cn_id15_ok(number: str) -> bool:
    """A 15-digit ID has a plausible birth date (19yy) in positions 7-12."""
    import datetime as dt

    try:
        dt.date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return False
    return True


def _national_digits_ok(value: str) -> bool:
    return 9 <= sum(ch.isdigit() for ch in value) <= 12


#: (pattern, kind, accept) in priority order: an earlier match wins an overlap
_RULES: tuple[tuple[re.Pattern[str], str, Callable[[str], bool] | None], ...] = (
    (_EMAIL_RE, "email", None),
    (_SPOKEN_EMAIL_RE, "email", None),
    (_IBAN_RE, "iban", iban_ok),
    (_CN_ID_RE, "national_id", cn_id_ok),
    (_CN_ID15_RE, "national_id", cn_id15_ok),
    (_SSN_RE, "national_id", None),
    # Chinese mobiles before cards: "86 138..." must not be read as a card number
    (_PHONE_RES[0], "phone", _phone_digits_ok),
    (_CARD_RE, "card", lambda v: luhn_ok(re.sub(r"\D", "", v))),
    *((p, "phone", _phone_digits_ok) for p in _PHONE_RES[1:4]),
    (_PHONE_RES[4], "phone", _national_digits_ok),
    (_PHONE_RES[5], "phone", None),
    (_SPOKEN_DIGITS_RE, "phone", None),
    (_CN_DIGITS_RE, "phone", None),
)


def redact(text: str) -> RedactionResult:
    """Replace PII in ``text`` by placeholders; returns the new text and counts per kind.

    Matching runs on a copy with full-width characters folded to ASCII (``１３８…``,
    ``ｊｏｈｎ＠…``); the replacements are applied to the original text by position.
    """
    counts: dict[str, int] = {}
    if not text:
        return RedactionResult(text or "", counts)
    folded = text.translate(_FOLD)
    taken = [False] * len(folded)
    spans: list[tuple[int, int, str]] = []
    for pattern, kind, accept in _RULES:
        for m in pattern.finditer(folded):
            a, b = m.span()
            if any(taken[a:b]) or (accept is not None and not accept(m.group(0))):
                continue
            taken[a:b] = [True] * (b - a)
            spans.append((a, b, kind))
            counts[kind] = counts.get(kind, 0) + 1
    out, last = [], 0
    for a, b, kind in sorted(spans):
        out.append(text[last:a])
        out.append(PLACEHOLDERS[kind])
        last = b
    out.append(text[last:])
    return RedactionResult("".join(out), counts)


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
