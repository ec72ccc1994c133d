"""Examples from won cases for coaching feedback.

Reads ``knowledge/cases/*.md`` (YAML front matter + Markdown body) directly, so it works
without the vector index; picks the won case whose objections overlap most with the
ones in question (same industry first, then the playbook's ``example_cases``) and
quotes the matching part of its "Objections and how they were handled" section.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

_SECTION = "objections and how they were handled"


@dataclass
class CaseExample:
    case_id: str
    title: str
    objection: str | None
    quote: str

    def to_dict(self) -> dict:
        return {"case_id": self.case_id, "title": self.title, "objection": self.objection, "quote": self.quote}


@dataclass
class _Case:
    id: str
    title: str
    industry: str
    outcome: str
    objections: list[str]
    body: str


def _parse_case(path: Path) -> _Case | None:
    text = path.read_text(encoding="utf-8")
    m = re.match(r"^---\s*\n(.*?)\n---\s*\n(.*)$", text, re.DOTALL)
    if not m:
        log.warning("case %s has no front matter; skipped for examples", path.name)
        return None
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        log.warning("case %s has malformed front matter (%s); skipped for examples", path.name, exc)
        return None
    if not isinstance(meta, dict) or not meta.get("id"):
        return None
    objections = meta.get("objections") or []
    return _Case(
        id=str(meta["id"]),
        title=str(meta.get("title", meta["id"])),
        industry=str(meta.get("industry", "")),
        outcome=str(meta.get("outcome", "")),
        objections=[str(o) for o in objections] if isinstance(objections, list) else [],
        body=m.group(2),
    )


def objections_section(body: str) -> str:
    """The "Objections and how they were handled" section of a case body."""
    lines = body.splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        h = re.match(r"^(#{1,3})\s+(.*)$", line)
        if h and len(h.group(1)) <= 2:
            if inside:
                break
            inside = h.group(2).strip().lower().startswith(_SECTION)
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip()


def objection_block(section: str, objection: str) -> str:
    """The ``### <objection>`` block inside the objections section ('' if none)."""
    m = re.search(rf"^###\s+{re.escape(objection)}\s*$(.*?)(?=^###\s|\Z)", section, re.MULTILINE | re.DOTALL)
    return m.group(1).strip() if m else ""


def _shorten(text: str, limit: int = 420) -> str:
    text = re.sub(r"\s*\n\s*", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


class CaseLibrary:
    """Won/lost cases from a knowledge directory, loaded once."""

    def __init__(self, knowledge_dir: Path) -> None:
        self.knowledge_dir = Path(knowledge_dir)
        self._cases: list[_Case] | None = None
        self._playbook: dict[str, list[str]] | None = None

    @property
    def cases(self) -> list[_Case]:
        if self._cases is None:
            cases = []
            for p in sorted((self.knowledge_dir / "cases").glob("*.md")):
                c = _parse_case(p)
                if c is not None:
                    cases.append(c)
            self._cases = cases
        return self._cases

    @property
    def playbook_examples(self) -> dict[str, list[str]]:
        if self._playbook is None:
            self._playbook = {}
            path = self.knowledge_dir / "playbook" / "objections.yaml"
            if path.is_file():
                try:
                    data = yaml.safe_load(path.read_text(encoding="utf-8"))
                    entries = data.get("objections", data) if isinstance(data, dict) else data
                    for e in entries or []:
                        if isinstance(e, dict) and e.get("id"):
                            self._playbook[str(e["id"])] = [str(x) for x in e.get("example_cases") or []]
                except (yaml.YAMLError, AttributeError) as exc:
                    log.warning("playbook %s unreadable for examples: %s", path, exc)
        return self._playbook

    def example(
        self, objections: list[str], industry: str | None = None, *, avoid: set[str] | frozenset[str] = frozenset()
    ) -> CaseExample | None:
        """The best won-case example for these objections (None when no won case fits).
        Ranking: shares an objection, same industry, a playbook example, not in
        ``avoid`` (cases already quoted), then the number of shared objections."""
        won = [c for c in self.cases if c.outcome == "won"]
        if not won:
            return None
        preferred = {cid for o in objections for cid in self.playbook_examples.get(o, [])}

        def key(c: _Case) -> tuple:
            overlap = [o for o in objections if o in c.objections]
            return (not overlap, c.industry != industry, c.id in avoid, c.id not in preferred, -len(overlap), c.id)

        best = min(won, key=key)
        overlap = [o for o in objections if o in best.objections]
        section = objections_section(best.body)
        objection = overlap[0] if overlap else (best.objections[0] if best.objections else None)
        block = objection_block(section, objection) if objection else ""
        quote = _shorten(block or section or best.body)
        if not quote:
            return None
        return CaseExample(best.id, best.title, objection, quote)
