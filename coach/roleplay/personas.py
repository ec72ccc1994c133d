"""Buyer personas: the pydantic schema of ``knowledge/personas/*.yaml`` and its loader.

A persona is everything the simulated buyer knows and wants: public facts it answers
with, hidden needs (and the discovery cues that reveal them), a budget with a
negotiation rule, authority, an agenda of objections with triggers, what moves it,
walk-away conditions and one template list per buyer act (the fallback renderer).
Validation errors name the file and the dotted field path.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coach.errors import NotFoundError, ValidationFailed

log = logging.getLogger(__name__)

OBJECTION_IDS: tuple[str, ...] = (
    "price",
    "budget-timing",
    "competitor",
    "clinical-evidence",
    "integration",
    "switching-cost",
    "authority",
    "procurement-process",
    "roi-proof",
    "service-coverage",
    "risk-safety",
    "contract-terms",
    "status-quo",
)
INDUSTRIES: tuple[str, ...] = (
    "medical-devices",
    "beauty-retail",
    "nev-fleet",
    "food-distribution",
    "b2b-software",
    "industrial-equipment",
    "consumer-marketplace",
)
Difficulty = Literal["easy", "medium", "hard"]
#: buyer acts the policy can choose; each needs at least one template
BUYER_ACTS: tuple[str, ...] = (
    "greeting",
    "answer",
    "reveal_need",
    "raise_objection",
    "ask_proof",
    "concede_point",
    "interested",
    "accept_next_step",
    "stall",
    "end_call",
    "confused",
    "counter_offer",
    "accept_offer",
)
#: buyer acts a persona may template; without its own lines the defaults below are used
OPTIONAL_BUYER_ACTS: tuple[str, ...] = ("refuse_close", "deflect", "ask_price")
DEFAULT_TEMPLATES: dict[str, dict[str, list[str]]] = {
    "en": {
        "refuse_close": [
            "No, I'm not committing to anything today.",
            "Not yet. You haven't given me enough to say yes to that.",
            "I won't decide on this call.",
        ],
        "deflect": [
            "I'd rather not go into that yet.",
            "That's internal for now. Ask me again once I know you better.",
        ],
        "ask_price": ["A discount off what? I haven't heard a price yet.", "Off which number? You haven't told me what it costs."],
    },
    "zh": {
        "refuse_close": ["今天我不会做任何承诺。", "还不行，您给我的理由还不够。", "这个电话里我不会做决定。"],
        "deflect": ["这个我暂时不方便多说。", "这是我们内部的事，先不谈。"],
        "ask_price": ["在什么价格上打折？您还没报价呢。"],
    },
}
#: rep acts that can resolve an objection (see acts.py)
RESOLVING_ACTS = ("evidence", "roi", "concession", "next_step", "need_linked_value", "value_statement", "clarify")
#: what can make the buyer raise an agenda objection
TriggerKind = Literal[
    "start",
    "after_turns",
    "price_mentioned",
    "pushy_close",
    "competitor_mentioned",
    "pitch_without_discovery",
    "next_step_proposed",
    "keyword",
]
TRIGGERS: tuple[str, ...] = get_args(TriggerKind)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HiddenNeed(_Strict):
    id: str
    description: str
    #: words in a rep's discovery question that make the buyer reveal this need
    cues: list[str] = Field(min_length=1)
    #: what the buyer says when the need is revealed
    reveal_line: str
    #: words that make a rep's value statement "linked" to this need (defaults to cues)
    value_keywords: list[str] = Field(default_factory=list)

    @property
    def keywords(self) -> list[str]:
        return self.value_keywords or self.cues


class Budget(_Strict):
    """Money and the negotiation rule the buyer follows.

    ``target`` is what the buyer aims to pay, ``amount`` the budget it has; with strong
    value shown (interest high) it stretches up to ``amount * (1 + flexibility)``. The
    buyer opens at ``target * opening_ratio`` and concedes towards its limit over
    ``max_rounds`` counter-offers; it accepts a price at or below its next counter.
    """

    amount: float = Field(gt=0)
    currency: str = "USD"
    target: float | None = Field(default=None, gt=0)
    flexibility: float = Field(default=0.1, ge=0, le=1)
    #: the vendor's list price for this deal (what a rep would quote first)
    list_price: float | None = Field(default=None, gt=0)
    opening_ratio: float = Field(default=0.85, gt=0, le=1.0)
    max_rounds: int = Field(default=5, ge=1, le=20)
    #: True: the buyer counter-offers; False: it only objects to price
    negotiable: bool = True

    @model_validator(mode="after")
    def _target_below_amount(self) -> "Budget":
        if self.target is not None and self.target > self.amount:
            raise ValueError("target must not exceed amount (the budget)")
        return self

    @property
    def aim(self) -> float:
        return self.target if self.target is not None else self.amount * 0.85


class Authority(_Strict):
    decision_maker: bool
    #: who else decides (titles); a next step that names one of them satisfies authority
    others: list[str] = Field(default_factory=list)


class Trigger(_Strict):
    when: TriggerKind
    turns: int | None = Field(default=None, ge=0)
    keywords: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _params(self) -> "Trigger":
        if self.when == "after_turns" and self.turns is None:
            raise ValueError("'after_turns' trigger needs 'turns'")
        if self.when == "keyword" and not self.keywords:
            raise ValueError("'keyword' trigger needs 'keywords'")
        return self


def _one_of(value: str, known: tuple[str, ...], what: str) -> str:
    """``value`` when it is in ``known``; otherwise a validation error listing the choices."""
    if value not in known:
        raise ValueError(f"unknown {what} {value!r}; known: {', '.join(known)}")
    return value


class AgendaItem(_Strict):
    objection: str
    trigger: Trigger
    line: str
    #: what the buyer adds when the rep asks what is behind the objection
    detail: str | None = None
    #: rep acts that count as a real answer (see RESOLVING_ACTS)
    resolved_by: list[str] = Field(min_length=1)

    @field_validator("objection")
    @classmethod
    def _known_objection(cls, v: str) -> str:
        return _one_of(v, OBJECTION_IDS, "objection id")

    @field_validator("resolved_by")
    @classmethod
    def _known_acts(cls, v: list[str]) -> list[str]:
        bad = [a for a in v if a not in RESOLVING_ACTS]
        if bad:
            raise ValueError(f"unknown act(s) {bad}; use: {', '.join(RESOLVING_ACTS)}")
        return v


class WalkAway(_Strict):
    #: hard limit on rep turns; the buyer ends the call in character at this point
    max_turns: int = Field(default=40, ge=4, le=150)
    #: pushy closes tolerated before the buyer walks away
    pushy_closes: int = Field(default=2, ge=1)
    #: human-readable conditions (shown to coaches, not used by code)
    conditions: list[str] = Field(default_factory=list)


class Persona(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    role: str
    company: str
    industry: str
    product: str
    difficulty: Difficulty
    personality: str
    language: Literal["en", "zh"] = "en"
    rubric: str = "discovery-call"
    opening_line: str
    #: public facts, answered in order to generic discovery questions
    background: list[str] = Field(min_length=1)
    hidden_needs: list[HiddenNeed] = Field(default_factory=list)
    budget: Budget
    authority: Authority
    objection_agenda: list[AgendaItem] = Field(default_factory=list)
    decision_criteria: list[str] = Field(min_length=1)
    moved_by: list[Literal["evidence", "roi", "references", "discovery", "concession"]] = Field(min_length=1)
    walk_away: WalkAway = Field(default_factory=WalkAway)
    templates: dict[str, list[str]]

    @field_validator("industry")
    @classmethod
    def _known_industry(cls, v: str) -> str:
        return _one_of(v, INDUSTRIES, "industry")

    @field_validator("templates")
    @classmethod
    def _all_acts_templated(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        missing = [a for a in BUYER_ACTS if not v.get(a)]
        if missing:
            raise ValueError(f"missing templates for buyer act(s): {', '.join(missing)}")
        unknown = [a for a in v if a not in BUYER_ACTS + OPTIONAL_BUYER_ACTS]
        if unknown:
            raise ValueError(f"unknown buyer act(s) {unknown}; known: {', '.join(BUYER_ACTS)}")
        return v

    def lines(self, act: str) -> list[str]:
        """Template lines of a buyer act (the built-in defaults for an optional act)."""
        return self.templates.get(act) or DEFAULT_TEMPLATES[self.language].get(act, [])

    def need(self, need_id: str) -> HiddenNeed | None:
        return next((n for n in self.hidden_needs if n.id == need_id), None)

    def agenda_item(self, objection: str) -> AgendaItem | None:
        return next((a for a in self.objection_agenda if a.objection == objection), None)

    def public_summary(self) -> dict:
        """What a rep may see before the call (no hidden state)."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "company": self.company,
            "industry": self.industry,
            "product": self.product,
            "difficulty": self.difficulty,
            "language": self.language,
            "rubric": self.rubric,
            "personality": self.personality,
        }


# ------------------------------------------------------------------------ loading --
def format_validation_error(source: str, exc: ValidationError) -> ValidationFailed:
    """One ``ValidationFailed`` naming the file and every failing dotted field."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "<root>"
        parts.append(f"{loc}: {err['msg']}")
    first = parts[0] if parts else "invalid"
    return ValidationFailed(f"{source}: invalid field {first}", detail="; ".join(parts))


def read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"{path}: not valid YAML", detail=str(exc)) from exc
    except OSError as exc:
        raise NotFoundError(f"cannot read {path}", detail=str(exc)) from exc
    if not isinstance(data, dict):
        raise ValidationFailed(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def parse_persona(data: dict, source: str = "<persona>") -> Persona:
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(source, exc) from exc


def load_persona_file(path: Path) -> Persona:
    persona = parse_persona(read_yaml(path), str(path))
    if persona.id != path.stem:
        log.warning("persona id %r differs from file name %s", persona.id, path.name)
    return persona


_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def personas_dir(knowledge_dir: Path) -> Path:
    return Path(knowledge_dir) / "personas"


def load_personas(knowledge_dir: Path) -> dict[str, Persona]:
    """All personas; a malformed file raises ``ValidationFailed`` naming it."""
    out: dict[str, Persona] = {}
    for path in sorted(personas_dir(knowledge_dir).glob("*.yaml")):
        p = load_persona_file(path)
        if p.id in out:
            raise ValidationFailed(f"{path}: duplicate persona id {p.id!r}")
        out[p.id] = p
    return out


def get_persona(knowledge_dir: Path, persona_id: str) -> Persona:
    """One persona by id; unknown ids get an error that lists the available ones."""
    path = personas_dir(knowledge_dir) / f"{persona_id}.yaml"
    if _ID.match(persona_id or "") and path.is_file():
        p = load_persona_file(path)
        if p.id == persona_id:
            return p
    personas = load_personas(knowledge_dir)
    if persona_id in personas:
        return personas[persona_id]
    available = ", ".join(sorted(personas)) or "(none)"
    raise NotFoundError(f"unknown persona {persona_id!r}", detail=f"available: {available}")
