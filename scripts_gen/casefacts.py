"""Facts read from a case file's body (Markdown sections) and number handling shared by
the plan, the validator, the post-call report and the retrospective.

Case bodies follow the sample knowledge base layout (``## Pains``, ``## Objections and
how they were handled`` with one ``### <objection-id>`` block of ``Customer said`` /
``Rep response`` / ``Result`` bullets, ``## Proof points``, ``## Decision process``,
``## Outcome``), in English or Chinese (``客户说`` / ``销售应对`` / ``结果``). Missing
sections simply give empty lists: a free-form case yields no proof points rather than
invented ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scripts_gen.prompt_safety import neutralise

#: a number that is not part of an identifier (P5, HL7, DC120 are names, not claims)
_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9_.,\-])\d+(?:[.,]\d+)*")
_SECTION_RE = re.compile(r"^##\s+(.+?)\s*$", re.M)
_SUB_RE = re.compile(r"^###\s+(.+?)\s*$", re.M)
_BULLET_RE = re.compile(r"^\s*[-*•]\s+(.*)$", re.M)
#: sentence boundaries: ". " (not after an abbreviation such as "Dr.") or a CJK stop
_BOUNDARY_RE = re.compile(r"[.!?]\s+|[。！？]\s*")
_ABBREV = ("dr.", "mr.", "ms.", "mrs.", "vs.", "e.g.", "i.e.", "no.", "approx.")

_SAID = ("customer said", "客户说")
_RESPONSE = ("rep response", "销售应对")
_RESULT = ("result", "结果")
_WORKED = ("worked", "有效")
_FAILED = ("did not work", "didn't work", "无效", "未奏效")


def numbers_in(text: str) -> list[str]:
    """Numbers in ``text``, normalised ("1,600" -> "1600", "6.0" -> "6")."""
    out = []
    for raw in _NUMBER_RE.findall(text or ""):
        n = raw.replace(",", "")
        if n.count(".") > 1:
            n = n.replace(".", "")
        if "." in n:
            n = n.rstrip("0").rstrip(".") or "0"
        out.append(n)
    return out


def number_set(text: str) -> set[str]:
    return set(numbers_in(text))


@dataclass
class HandledObjection:
    objection: str
    said: str = ""
    response: str = ""
    result: str = ""

    @property
    def worked(self) -> bool | None:
        low = self.result.lower()
        if any(f in low for f in _FAILED):
            return False
        if any(w in low for w in _WORKED):
            return True
        return None


@dataclass
class CaseFacts:
    sections: dict[str, str] = field(default_factory=dict)
    pains: list[str] = field(default_factory=list)
    proof_points: list[str] = field(default_factory=list)
    objections: list[HandledObjection] = field(default_factory=list)
    decision_process: str = ""
    outcome: str = ""

    def handled(self, objection: str) -> HandledObjection | None:
        return next((o for o in self.objections if o.objection == objection), None)


def _sections(body: str) -> dict[str, str]:
    parts = _SECTION_RE.split(body or "")
    return {parts[i].strip().lower(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def _bullets(text: str) -> list[str]:
    return [" ".join(b.split()) for b in _BULLET_RE.findall(text or "") if b.strip()]


def _field(line: str, names: tuple[str, ...]) -> str | None:
    low = line.lower()
    for name in names:
        if low.startswith(name):
            rest = line[len(name):]
            # "Customer said (legal counsel): ..." -> after the first colon
            m = re.match(r"^[^:：]{0,40}[:：]\s*(.*)$", rest)
            return (m.group(1) if m else rest).strip()
    return None


def parse_case_facts(body: str) -> CaseFacts:
    secs = _sections(body)
    facts = CaseFacts(sections=secs)
    facts.pains = _bullets(secs.get("pains", ""))
    facts.proof_points = _bullets(secs.get("proof points", ""))
    facts.decision_process = secs.get("decision process", "")
    facts.outcome = secs.get("outcome", "")
    handled = secs.get("objections and how they were handled", "")
    parts = _SUB_RE.split(handled)
    for i in range(1, len(parts) - 1, 2):
        obj = HandledObjection(objection=parts[i].strip().lower())
        for line in _bullets(parts[i + 1]):
            for attr, names in (("said", _SAID), ("response", _RESPONSE), ("result", _RESULT)):
                value = _field(line, names)
                if value is not None and not getattr(obj, attr):
                    setattr(obj, attr, value)
                    break
        facts.objections.append(obj)
    return facts


def first_sentence(text: str) -> str:
    text = " ".join((text or "").split())
    return split_sentences(text)[0] if text else ""


def split_sentences(text: str) -> list[str]:
    """Sentences of one line of text (citations like ``[id]`` stay with their sentence)."""
    text = text or ""
    parts, start = [], 0
    for m in _BOUNDARY_RE.finditer(text):
        head = text[start:m.end()].rstrip()
        if head.lower().endswith(_ABBREV) and not head.endswith(("。", "！", "？")):
            last_word = head.rsplit(None, 1)[-1].lower()
            if last_word in _ABBREV:
                continue
        parts.append(text[start:m.end()].strip())
        start = m.end()
    parts.append(text[start:].strip())
    parts = [p for p in parts if p]
    out: list[str] = []
    for p in parts:
        lead = re.match(r"^(?:\[[^\]\s]+\]\s*)+[.;,]?\s*", p)
        if out and lead:  # "... hospital. [case-id] Next" -> the citation ends the previous one
            out[-1] = out[-1] + " " + lead.group(0).strip()
            p = p[lead.end():].strip()
        if p:
            out.append(p)
    return out or ([text.strip()] if text and text.strip() else [])


def is_clean(text: str) -> bool:
    """False when ``text`` holds instruction-like or control content (prompt injection):
    such sentences are never copied into a plan, a report or a prompt."""
    n = neutralise(text)
    return n.removed == 0 and n.defused == 0
