"""Per-language phrase lists (objections, pricing, competitors, next steps, fillers,
backchannels, seller/buyer cues, question words) and their matcher.

The bundled lists live beside this file as ``<language>.yaml``. ``load_phrases`` puts
the call's language first and merges the other bundled languages after it, so that
code-switching calls (a Chinese call naming an English product) still match; a
``phrases_file`` (setting ``speech.phrases_file``) replaces, key by key, what it defines.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from speech.errors import ConfigurationError
from speech.phrases.text import CJK_RE, normalize

log = logging.getLogger(__name__)

PHRASES_DIR = Path(__file__).resolve().parent
#: flat phrase lists every file may define
LIST_KEYS = (
    "objection",
    "pricing",
    "competitor",
    "competitors",
    "next_step",
    "filler",
    "backchannel",
    "customer_cues",
)
#: keys holding a mapping of name -> list
NESTED_KEYS = ("rep_cues", "speaker_names", "questions")


class PhraseList:
    """Compiled phrases. Latin entries match on word boundaries, case-insensitively;
    entries with Chinese characters match as substrings; ``re:`` entries are regexes."""

    def __init__(self, entries: list[str]) -> None:
        self.entries: list[str] = []
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        seen: set[str] = set()
        for raw in entries:
            entry = str(raw).strip()
            if not entry or entry.lower() in seen:
                continue
            seen.add(entry.lower())
            self.entries.append(entry)
            self._patterns.append((entry, _compile(entry)))

    def __len__(self) -> int:
        return len(self.entries)

    def findall(self, text: str) -> list[tuple[str, int, int]]:
        """Non-overlapping matches ``(phrase, start, end)`` in text order; where two
        entries overlap, the longer match wins."""
        t = normalize(text)
        hits: list[tuple[int, int, str]] = []
        for entry, pat in self._patterns:
            hits.extend((m.start(), m.end(), entry) for m in pat.finditer(t) if m.end() > m.start())
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        out: list[tuple[str, int, int]] = []
        last_end = -1
        for start, end, entry in hits:
            if start >= last_end:
                out.append((entry, start, end))
                last_end = end
        return out

    def find(self, text: str) -> str | None:
        """The first phrase (in text order) found in ``text``, or None."""
        hits = self.findall(text)
        return hits[0][0] if hits else None

    def count(self, text: str) -> int:
        return len(self.findall(text))

    def fullmatch(self, text: str) -> bool:
        """True when ``text`` consists only of these phrases (and punctuation/space)."""
        t = normalize(text)
        rest = t
        for _, start, end in sorted(self.findall(t), key=lambda h: -h[1]):
            rest = rest[:start] + " " + rest[end:]
        return bool(self.findall(t)) and not re.search(r"\w", rest)


def _compile(entry: str) -> re.Pattern[str]:
    if entry.startswith("re:"):
        try:
            return re.compile(entry[3:], re.IGNORECASE)
        except re.error as exc:
            raise ConfigurationError(f"bad regular expression in phrase list: {entry!r}", detail=str(exc)) from exc
    body = r"\s+".join(re.escape(part) for part in normalize(entry).split())
    if CJK_RE.search(entry):
        return re.compile(body, re.IGNORECASE)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


@dataclass
class Phrases:
    """All phrase lists for one call."""

    language: str | None
    lists: dict[str, PhraseList]
    rep_cues: dict[str, PhraseList]
    speaker_names: dict[str, list[str]]
    questions: dict[str, list[str]]
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> PhraseList:
        return self.lists[key]


def bundled_languages() -> list[str]:
    return sorted(p.stem for p in PHRASES_DIR.glob("*.yaml"))


def _read_yaml(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        raise ConfigurationError(f"phrases file not found: {p}", detail="check the setting speech.phrases_file")
    return _read_yaml_cached(path, p.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _read_yaml_cached(path: str, mtime_ns: int) -> dict:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"phrases file {p} is not valid UTF-8 YAML", detail=str(exc)) from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"phrases file {p} must be a mapping of list names to phrase lists")
    for key, value in data.items():
        if key in LIST_KEYS and not _is_str_list(value):
            raise ConfigurationError(f"phrases file {p}: '{key}' must be a list of strings")
        if key in NESTED_KEYS and not (
            isinstance(value, dict) and all(_is_str_list(v) for v in value.values())
        ):
            raise ConfigurationError(f"phrases file {p}: '{key}' must map names to lists of strings")
    return data


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value)


def load_phrases(
    language: str | None,
    phrases_file: str | None = None,
    extra_competitors: list[str] | None = None,
) -> Phrases:
    """Phrase lists for ``language`` (primary) merged with the other bundled languages,
    then overridden by ``phrases_file``; ``extra_competitors`` are added to the names."""
    warnings: list[str] = []
    langs = bundled_languages()
    primary = (language or "").split("-")[0].lower() or None
    if primary and primary not in langs:
        warnings.append(
            f"no phrase lists for language '{primary}'; moments and fillers use the "
            f"{'/'.join(langs)} lists and may be missed"
        )
    order = ([primary] if primary in langs else []) + [lang for lang in langs if lang != primary]
    flat: dict[str, list[str]] = {k: [] for k in LIST_KEYS}
    nested: dict[str, dict[str, list[str]]] = {k: {} for k in NESTED_KEYS}
    for lang in order:
        _merge(flat, nested, _read_yaml(str(PHRASES_DIR / f"{lang}.yaml")))
    if phrases_file:
        override = _read_yaml(str(Path(phrases_file).expanduser().resolve()))
        for key in LIST_KEYS:
            if key in override:
                flat[key] = [str(v) for v in override[key]]
        for key in NESTED_KEYS:
            for sub, values in (override.get(key) or {}).items():
                nested[key][sub] = [str(v) for v in values]
    if extra_competitors:
        flat["competitors"] = flat["competitors"] + [c for c in extra_competitors if c and c.strip()]
    return Phrases(
        language=primary,
        lists={k: PhraseList(v) for k, v in flat.items()},
        rep_cues={k: PhraseList(v) for k, v in nested["rep_cues"].items()},
        speaker_names={k: [str(x).lower() for x in v] for k, v in nested["speaker_names"].items()},
        questions={k: [str(x).lower() for x in v] for k, v in nested["questions"].items()},
        warnings=warnings,
    )


def _merge(flat: dict[str, list[str]], nested: dict[str, dict[str, list[str]]], data: dict) -> None:
    for key in LIST_KEYS:
        flat[key].extend(str(v) for v in data.get(key) or [])
    for key in NESTED_KEYS:
        for sub, values in (data.get(key) or {}).items():
            nested[key].setdefault(sub, []).extend(str(v) for v in values or [])
