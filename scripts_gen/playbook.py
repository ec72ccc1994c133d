"""The objection playbook (``knowledge/playbook/objections.yaml``): loading and
detecting which objections a text raises (English and Chinese trigger phrases)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from scripts_gen.errors import ValidationFailed

log = logging.getLogger(__name__)


#: words of objection ids written as acronyms in labels
ACRONYMS = {"roi": "ROI", "it": "IT", "ev": "EV", "er": "ER", "icu": "ICU", "crm": "CRM", "erp": "ERP", "api": "API"}


@dataclass(frozen=True)
class PlaybookEntry:
    id: str
    category: str = ""
    summary: str = ""
    steps: tuple[str, ...] = ()
    answer: str = ""
    pitfalls: tuple[str, ...] = ()
    example_cases: tuple[str, ...] = ()
    triggers: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        """The id in words: ``roi-proof`` -> ``ROI proof``."""
        return " ".join(ACRONYMS.get(w, w) for w in self.id.replace("_", "-").split("-"))

    def text(self) -> str:
        """Everything the entry says (numbers in a playbook-backed claim must appear here)."""
        return "\n".join([self.summary, *self.steps, self.answer, *self.pitfalls])

    def questions(self) -> list[str]:
        """The steps that tell the rep to ask something."""
        return [s for s in self.steps if s.lower().startswith(("ask", "confirm"))]


class Playbook:
    def __init__(self, entries: list[PlaybookEntry]) -> None:
        self.entries = {e.id: e for e in entries}

    def get(self, objection_id: str) -> PlaybookEntry | None:
        return self.entries.get((objection_id or "").strip().lower())

    def detect(self, text: str) -> list[str]:
        """Objection ids whose trigger phrases (or the id itself) occur in ``text``, in
        playbook order."""
        low = (text or "").lower()
        found = []
        for e in self.entries.values():
            probes = (*e.triggers, e.id, e.label)
            if any(_contains(low, p.lower()) for p in probes if p):
                found.append(e.id)
        return found


def _contains(low: str, phrase: str) -> bool:
    if re.search(r"[\u4e00-\u9fff]", phrase):
        return phrase in low
    return re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", low) is not None


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Playbook:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"the objection playbook {path} cannot be read", detail=str(exc)[:200]) from exc
    if not isinstance(data, list):
        raise ValidationFailed(f"the objection playbook {path} must be a list of entries")
    entries = []
    for raw in data:
        if not isinstance(raw, dict) or not raw.get("id"):
            log.warning("playbook entry without id skipped in %s", path)
            continue
        trig = raw.get("triggers") or {}
        triggers = [t for lang in (trig.values() if isinstance(trig, dict) else [trig]) for t in (lang or [])]
        entries.append(PlaybookEntry(
            id=str(raw["id"]).strip().lower(), category=str(raw.get("category") or ""),
            summary=str(raw.get("summary") or ""), steps=tuple(str(s) for s in raw.get("steps") or []),
            answer=str(raw.get("answer") or ""), pitfalls=tuple(str(s) for s in raw.get("pitfalls") or []),
            example_cases=tuple(str(s) for s in raw.get("example_cases") or []),
            triggers=tuple(str(t) for t in triggers),
        ))
    return Playbook(entries)


def load_playbook(knowledge_dir: Path) -> Playbook:
    """The playbook of ``knowledge_dir`` (an empty one, with a warning, when missing)."""
    path = Path(knowledge_dir) / "playbook" / "objections.yaml"
    if not path.is_file():
        log.warning("no objection playbook at %s", path)
        return Playbook([])
    return _load(str(path), path.stat().st_mtime)
