"""Turning a chosen buyer act into words.

``TemplateRenderer`` fills the persona's templates (deterministic with a seeded RNG),
choosing among the act's lines only those that refer to nothing unseen
(``respond.unseen_references``: a price, clause or number neither said so far nor in the
persona's sheet); an answer comes first and an agenda objection due that turn after it.
``LLMRenderer`` asks the chat model to say the same content in the persona's voice
through the LLM seam (``coach.llm.buyer``: prompt + checker) and falls back to the
template line when the checker rejects it (empty, too long, off-role, hidden state,
invented numbers) or when it refers to something nobody has said.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass
from typing import Any, Protocol

from coach.roleplay.personas import Persona
from coach.roleplay.policy import BuyerAct
from coach.roleplay.respond import unseen_references
from coach.roleplay.state import BuyerState

log = logging.getLogger(__name__)

_CURRENCY = {"USD": "$", "CNY": "¥", "RMB": "¥", "EUR": "€", "GBP": "£", "SGD": "S$"}


def format_price(value: float, currency: str, language: str) -> str:
    if language == "zh" and currency in ("CNY", "RMB") and value >= 10000:
        return f"{value / 1e4:g}万元"
    sym = _CURRENCY.get(currency, "")
    text = f"{value:,.0f}" if value >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{sym}{text}" if sym else f"{text} {currency}"


def _authority_fact(persona: Persona) -> str:
    others = ", ".join(persona.authority.others)
    if persona.language == "zh":
        if persona.authority.decision_maker:
            return "最后是我拍板，但我会让团队先把关。" + (f"{others}也会参与意见。" if others else "")
        return f"这不是我一个人能定的，{others or '上面的领导'}都要签字。"
    if persona.authority.decision_maker:
        return "I make the final call" + (f", though {others} will weigh in." if others else ".")
    return f"It isn't only my decision; {others or 'my management'} will have to sign off too."


def slots(persona: Persona, st: BuyerState, act: BuyerAct) -> dict[str, str]:
    """Values for the template placeholders of ``act``."""
    item = persona.agenda_item(act.objection) if act.objection else None
    need = persona.need(act.need) if act.need else None
    fact = ""
    if act.fact is not None:
        fact = _authority_fact(persona) if act.fact < 0 else persona.background[act.fact]
    elif act.kind == "answer" and item is not None:
        fact = item.detail or item.line
    offer = format_price(act.offer, persona.budget.currency, persona.language) if act.offer else ""
    return {
        "name": persona.name,
        "company": persona.company,
        "product": persona.product,
        "others": ", ".join(persona.authority.others) or ("领导" if persona.language == "zh" else "my management"),
        "fact": fact,
        "need_line": need.reveal_line if need else "",
        "objection_line": item.line if item else "",
        "offer": offer,
    }


def _fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template).strip()


class Renderer(Protocol):
    name: str

    def render(
        self, persona: Persona, st: BuyerState, act: BuyerAct, rep_text: str, rng: random.Random, said: str = ""
    ) -> "Rendered": ...


@dataclass
class Rendered:
    text: str
    renderer: str
    #: why the LLM output was replaced by the template (None when it was used)
    fallback_reason: str | None = None
    latency_s: float = 0.0
    #: the LLM's own line when it was rejected (kept in the trace for review)
    rejected: str | None = None


class TemplateRenderer:
    name = "template"

    def line(self, persona: Persona, st: BuyerState, act: BuyerAct, rng: random.Random, said: str = "") -> str:
        """The act's template line (``said``: every turn so far, for the unseen check)."""
        values = slots(persona, st, act)
        allowed = " ".join(values.values())
        options = [_fill(t, values) for t in persona.lines(act.kind)]
        clean = [o for o in options if not unseen_references(o, said, persona, allowed=allowed)]
        if not clean:
            log.warning("every %s line of %s refers to something unseen; using the first", act.kind, persona.id)
        text = rng.choice(clean or options)
        if act.kind == "answer" and act.objection and "{fact}" not in "".join(persona.templates["answer"]):
            text = values["fact"]
        if act.kind == "refuse_close" and act.fact is not None:
            text = values["fact"]  # the reason to refuse: who else decides
        if act.repeat and act.kind in ("raise_objection", "answer"):
            text = ("我刚才也说了，" if persona.language == "zh" else "As I said, ") + text[0].lower() + text[1:]
        if act.offer is not None and act.kind == "raise_objection":
            text = f"{text} {_fill(rng.choice(persona.templates['counter_offer']), values)}"
        if act.conceded:
            text = f"{_fill(rng.choice(persona.templates['concede_point']), values)} {text}"
        if act.then_objection:
            item = persona.agenda_item(act.then_objection)
            if item is not None:
                text = f"{text} {item.line}"
        return text

    def render(
        self, persona: Persona, st: BuyerState, act: BuyerAct, rep_text: str, rng: random.Random, said: str = ""
    ) -> Rendered:
        return Rendered(self.line(persona, st, act, rng, said), self.name)


# ----------------------------------------------------------------------------- LLM --
def buyer_request(persona: Persona, st: BuyerState, act: BuyerAct, content: str, rep_text: str) -> Any:
    """The LLM seam's request (``coach.llm.buyer``): the decided content, the voice, what
    must be said exactly (a counter-offer) and what must not (unrevealed needs, budget)."""
    from coach.llm.buyer import BuyerLineRequest, BuyerVoice

    b = persona.budget
    withheld = [
        t
        for n in persona.hidden_needs
        if n.id not in st.revealed_needs and n.id != act.need
        for t in (n.reveal_line, n.description)
    ]
    numbers = [f"{x:g}" for x in (b.amount, b.target) if x]
    required = [format_price(act.offer, b.currency, persona.language)] if act.offer else []
    return BuyerLineRequest(
        act=act.kind,
        content=content,
        rep_text=rep_text,
        required=required,
        withheld=withheld,
        withheld_numbers=numbers,
        voice=BuyerVoice(
            name=persona.name,
            role=persona.role,
            company=persona.company,
            product=persona.product,
            personality=persona.personality,
            language=persona.language,
        ),
    )


class LLMRenderer:
    """The chat model says the decided content in the persona's voice (``coach.llm.buyer``
    phrases and checks it); a line that refers to anything nobody has said is rejected
    too. Any rejection falls back to the template line."""

    name = "llm"

    def __init__(self, model: Any, *, max_tokens: int = 64, timeout_s: float = 30.0) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.fallback = TemplateRenderer()

    def render(
        self, persona: Persona, st: BuyerState, act: BuyerAct, rep_text: str, rng: random.Random, said: str = ""
    ) -> Rendered:
        from coach.llm.buyer import phrase_buyer_line

        content = self.fallback.line(persona, st, act, rng, said)
        line = phrase_buyer_line(
            self.model, buyer_request(persona, st, act, content, rep_text), max_tokens=self.max_tokens, timeout_s=self.timeout_s
        )
        if line.source == "llm":
            unseen = unseen_references(line.text, said, persona, allowed=content)
            if unseen:
                reason = "refers to what nobody said: " + ", ".join(unseen)
                log.info("buyer line from template (%s)", reason)
                return Rendered(content, "template", reason, line.latency_s, rejected=line.text)
            return Rendered(line.text, self.name, None, line.latency_s)
        return Rendered(content, "template", line.reason, line.latency_s, rejected=line.rejected)
