"""Turning a chosen buyer act into words.

``TemplateRenderer`` fills the persona's templates (deterministic with a seeded RNG),
choosing among the act's lines only those that refer to nothing unseen
(``respond.unseen_references``: a price, clause or number neither said so far nor in the
persona's sheet); an answer comes first and an agenda objection due that turn after it.
``LLMRenderer`` asks the chat model to say the same content in the persona's voice and
falls back to the template line when the output is empty, too long, off-role (speaks
as the seller or as an AI) or leaks hidden state (budget, needs not yet revealed,
numbers that are not in the content, words like "patience" or "agenda").
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
        if act.repeat and act.kind in ("raise_objection", "answer"):
            text = ("我刚才也说了，" if persona.language == "zh" else "As I said, ") + text[0].lower() + text[1:]
        if act.offer is not None and act.kind == "raise_objection":
            text = f"{text} {_fill(rng.choice(persona.templates['counter_offer']), values)}"
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
def llm_generate(model: Any, messages: list[Any], *, max_tokens: int, timeout_s: float) -> tuple[str, bool, str | None]:
    """The one call into the LLM layer (``coach.llm.generate``, which never raises on
    provider failures): ``(text, ok, error)``."""
    from coach.llm.generate import generate

    res = generate(model, messages, max_tokens=max_tokens, timeout_s=timeout_s)
    return (res.text or ""), bool(res.ok), res.error


_OFF_ROLE = re.compile(
    r"\b(as an ai|language model|i am an assistant|i'm an assistant|as a (sales )?rep|our (product|solution|pumps?|platform)|we at meridian|i('d| would) (like to )?(sell|offer you)|"
    r"buyer:|rep:|salesperson:|assistant:|user:|how (can|may) i (help|assist)|happy to (help|assist)|any confusion|"
    r"i('m| am) here to help|let me know if|feel free to)|作为(一个)?(AI|人工智能|助手)|我们的产品|有什么可以帮|很高兴为您",
    re.IGNORECASE,
)
_HIDDEN_WORDS = re.compile(
    r"\b(patience|trust (level|score)|interest (level|score)|hidden|agenda|walk[- ]away|system prompt|persona|instructions?)\b|耐心值|隐藏|议程|提示词",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


#: share of the content's key words (Chinese: character pairs) the LLM line must keep
MIN_OVERLAP = 0.25
_STOP = set(
    "the and that this with have from they what your you our for are was were will would could should about into "
    "than then them there their been just like some more most very also only over such even much well".split()
)


def _keys(text: str) -> set[str]:
    low = text.lower()
    words = {w for w in re.findall(r"[a-z]{4,}", low) if w not in _STOP}
    cjk = re.findall(r"[\u4e00-\u9fff]", text)
    return words | {a + b for a, b in zip(cjk, cjk[1:])}


def content_overlap(content: str, text: str) -> float:
    """Share of the content's key words found in ``text`` (1.0 when it has none)."""
    keys = _keys(content)
    if not keys:
        return 1.0
    got = _keys(text)
    # a paraphrase may inflect ("alarms" -> "alarm"): compare 5-letter stems too
    stems = {k[:5] for k in got}
    return sum(1 for k in keys if k in got or k[:5] in stems) / len(keys)


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def check_llm_line(text: str, content: str, rep_text: str, persona: Persona, st: BuyerState, act: BuyerAct) -> str | None:
    """Why an LLM line must not be used (None = fine)."""
    if not text.strip():
        return "empty output"
    limit = max(260, int(len(content) * 2.5))
    if len(text) > limit:
        return f"too long ({len(text)} > {limit} characters)"
    if _OFF_ROLE.search(text):
        return "off-role (speaks as the seller or as an AI)"
    if _HIDDEN_WORDS.search(text):
        return "mentions hidden state"
    overlap = content_overlap(content, text)
    if overlap < MIN_OVERLAP:
        return f"does not say the act's content (overlap {overlap:.2f} < {MIN_OVERLAP})"
    invented = _numbers(text) - _numbers(content) - _numbers(rep_text)
    if invented:
        return f"numbers not in the content: {', '.join(sorted(invented))}"
    low = text.lower()
    for need in persona.hidden_needs:
        if need.id in st.revealed_needs or need.id == act.need:
            continue
        if need.reveal_line.lower()[:40] in low or need.description.lower() in low:
            return f"leaks the unrevealed need {need.id!r}"
    return None


def _clean(text: str, max_sentences: int = 2) -> str:
    """Strip quotes and a speaker label; keep the first paragraph's first sentences
    (the prompt asks for one or two)."""
    text = text.strip().strip('"').strip()
    text = re.sub(r"^(buyer|customer|[A-Z][\w. ]{0,30})\s*[:：]\s*", "", text)
    text = text.split("\n\n")[0].strip()
    sentences = re.findall(r".+?(?:[.!?](?=\s|$)|[。！？]|$)", text, re.DOTALL)
    return "".join(sentences[:max_sentences]).strip() if sentences else text


class LLMRenderer:
    """The chat model says the template content in the persona's voice."""

    name = "llm"

    def __init__(self, model: Any, *, max_tokens: int = 64, timeout_s: float = 30.0) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.fallback = TemplateRenderer()

    def messages(self, persona: Persona, content: str, rep_text: str) -> list[Any]:
        from langchain_core.messages import HumanMessage, SystemMessage

        lang = "Chinese" if persona.language == "zh" else "English"
        system = (
            f"You are {persona.name}, {persona.role} at {persona.company}, a buyer talking to a sales rep "
            f"from Meridian Group about {persona.product}. Personality: {persona.personality} "
            f"Reply in {lang}, in one or two short spoken sentences, as the buyer. "
            f"Say exactly this in your own words and add no facts, names or numbers: \"{content}\""
        )
        return [SystemMessage(content=system), HumanMessage(content=rep_text or "(the call starts)")]

    def render(
        self, persona: Persona, st: BuyerState, act: BuyerAct, rep_text: str, rng: random.Random, said: str = ""
    ) -> Rendered:
        import time

        content = self.fallback.line(persona, st, act, rng, said)
        t0 = time.perf_counter()
        text, ok, error = llm_generate(
            self.model, self.messages(persona, content, rep_text), max_tokens=self.max_tokens, timeout_s=self.timeout_s
        )
        dt = time.perf_counter() - t0
        text = _clean(text) if ok else ""
        reason = (f"LLM error: {error}" if not ok else None) or check_llm_line(text, content, rep_text, persona, st, act)
        if reason is None:
            unseen = unseen_references(text, said, persona, allowed=content)
            if unseen:
                reason = "refers to what nobody said: " + ", ".join(unseen)
        if act.offer is not None and reason is None:
            # the offer is a number the buyer must state exactly
            offer = format_price(act.offer, persona.budget.currency, persona.language)
            if not _numbers(offer) <= _numbers(text):
                reason = "the counter-offer is missing"
        if reason:
            log.info("buyer line from template (%s)", reason)
            return Rendered(content, "template", reason, dt, rejected=text or None)
        return Rendered(text, self.name, None, dt)
