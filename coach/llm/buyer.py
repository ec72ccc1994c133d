"""Buyer lines from a decided act: the role-play policy decides WHAT the buyer says (the
act and its content: what to reveal, what to withhold, the price step); the model only
says it in the persona's voice.

    req = BuyerLineRequest(act="raise_objection", content="Your price is too high for us.",
                           voice=BuyerVoice(name="Li Na", role="head of procurement", ...),
                           rep_text="Our scanner costs 1.8 million.",
                           required=["¥1,650,000"],                    # must be said exactly
                           withheld=["we must replace the old scanner before the audit"],
                           withheld_numbers=["2000000"])               # the budget ceiling
    line = phrase_buyer_line(model, req)       # BuyerLine(text, source="llm"|"template", reason)

The prompt holds the voice, the rep's words (in a data block) and the content: never the
hidden agenda. ``withheld`` and ``withheld_numbers`` are only used by
:func:`check_buyer_line`, which rejects a line that is empty, too long, off-role (speaks as
the seller or as an AI), names hidden state, says a withheld fact or number, names a
number the buyer has not seen (not in the content or the rep's words), drops a required
string, or does not say the content. A rejected line is replaced by ``content`` (the
template line) and the reason is returned for the trace.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any, Literal

from pydantic import BaseModel, Field

from scripts_gen.prompt_safety import SAFETY_INSTRUCTION, data_block

log = logging.getLogger(__name__)


class BuyerVoice(BaseModel):
    name: str
    role: str
    company: str
    product: str = ""
    personality: str = ""
    #: en | zh
    language: str = "en"
    #: whom the buyer is talking to
    seller_company: str = "Meridian Group"


class BuyerLineRequest(BaseModel):
    #: the act the policy chose (greet, answer, raise_objection, reveal_need, counter_offer, agree, ...)
    act: str
    #: what the buyer says, decided by code (the template line): the ONLY facts the model may use
    content: str = Field(min_length=1)
    voice: BuyerVoice
    rep_text: str = ""
    #: strings the line must contain exactly (an offer price, a date)
    required: list[str] = Field(default_factory=list)
    #: facts the buyer still withholds (unrevealed needs, budget, decision criteria): never sent
    #: to the model, only checked against its line
    withheld: list[str] = Field(default_factory=list)
    #: numbers the buyer withholds (budget ceiling, walk-away price), normalised or not
    withheld_numbers: list[str] = Field(default_factory=list)


class BuyerLine(BaseModel):
    text: str
    source: Literal["llm", "template"]
    #: why the model's line was not used (None when it was)
    reason: str | None = None
    #: the model's line when it was rejected (for the trace)
    rejected: str | None = None
    latency_s: float = 0.0


_OFF_ROLE = re.compile(
    r"\b(as an ai|language model|i am an assistant|i'm an assistant|as a (sales )?rep|our (product|solution|platform)|"
    r"i('d| would) (like to )?(sell|offer you)|buyer:|rep:|salesperson:|assistant:|user:|how (can|may) i (help|assist)|"
    r"happy to (help|assist)|i('m| am) here to help|let me know if|feel free to)|作为(一个)?(AI|人工智能|助手)|我们的产品|有什么可以帮|很高兴为您",
    re.IGNORECASE,
)
_HIDDEN_WORDS = re.compile(
    r"\b(patience|trust (level|score)|interest (level|score)|hidden|agenda|walk[- ]away|system prompt|persona|"
    r"instructions?|data block)\b|耐心值|隐藏|议程|提示词",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_STOP = set(
    "the and that this with have from they what your you our for are was were will would could should about into "
    "than then them there their been just like some more most very also only over such even much well".split())
#: share of the content's key words the line must keep (a paraphrase, not a new line)
MIN_OVERLAP = 0.25
#: share of a withheld fact's key words that make a line a leak (when the content lacks them)
LEAK_OVERLAP = 0.6


def _keys(text: str) -> set[str]:
    low = text.lower()
    words = {w for w in re.findall(r"[a-z]{4,}", low) if w not in _STOP}
    cjk = re.findall(r"[\u4e00-\u9fff]", text)
    return words | {a + b for a, b in zip(cjk, cjk[1:])}


def _has(keys: set[str], key: str) -> bool:
    return key in keys or any(k[:5] == key[:5] for k in keys if len(k) >= 5 and len(key) >= 5)


def _numbers(text: str) -> set[str]:
    out = set()
    for n in _NUMBER.findall(text or ""):
        n = n.replace(",", "")
        out.add(n.rstrip("0").rstrip(".") if "." in n else n)
    return out


def content_overlap(content: str, text: str) -> float:
    """Share of the content's key words found in ``text`` (1.0 when it has none)."""
    keys = _keys(content)
    if not keys:
        return 1.0
    got = _keys(text)
    return sum(1 for k in keys if _has(got, k)) / len(keys)


def check_buyer_line(text: str, req: BuyerLineRequest) -> str | None:
    """Why the model's line must not be used (None = fine)."""
    if not text.strip():
        return "empty output"
    limit = max(260, int(len(req.content) * 2.5))
    if len(text) > limit:
        return f"too long ({len(text)} > {limit} characters)"
    if _OFF_ROLE.search(text):
        return "off-role (speaks as the seller or as an AI)"
    if _HIDDEN_WORDS.search(text):
        return "mentions hidden state"
    said = _numbers(text)
    hidden_numbers = {n for raw in req.withheld_numbers for n in _numbers(raw)}
    leaked = said & hidden_numbers - _numbers(req.content)
    if leaked:
        return "says a withheld number"
    unseen = said - _numbers(req.content) - _numbers(req.rep_text)
    if unseen:
        return f"names a number the buyer has not seen: {', '.join(sorted(unseen))}"
    missing = [r for r in req.required if r not in text]
    if missing:
        return "leaves out what it must say exactly: " + ", ".join(missing)
    got, content_keys = _keys(text), _keys(req.content)
    for fact in req.withheld:
        keys = _keys(fact) - content_keys
        if len(keys) >= 2 and sum(1 for k in keys if _has(got, k)) / len(keys) >= LEAK_OVERLAP:
            return "reveals a withheld fact"
    overlap = content_overlap(req.content, text)
    if overlap < MIN_OVERLAP:
        return f"does not say the decided content (overlap {overlap:.2f} < {MIN_OVERLAP})"
    return None


def buyer_messages(req: BuyerLineRequest) -> list[Any]:
    """System rule with the voice and the content; the rep's words as data. Nothing
    withheld is in here (tests assert it)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    v = req.voice
    lang = "Chinese" if v.language == "zh" else "English"
    system = (
        f"You are {v.name}, {v.role} at {v.company}, a buyer talking to a sales rep from {v.seller_company}"
        + (f" about {v.product}" if v.product else "") + ". "
        + (f"Your manner: {v.personality} " if v.personality else "")
        + f"Reply in {lang} with one or two short spoken sentences, as the buyer, never as the seller. "
        f"Say this in your own words and add no facts, names or numbers: \"{req.content}\""
        + (" Say these exactly: " + "; ".join(req.required) + "." if req.required else "")
        + " " + SAFETY_INSTRUCTION
    )
    rep = data_block(req.rep_text, kind="rep-said") if req.rep_text.strip() else "(the call starts)"
    return [SystemMessage(content=system), HumanMessage(content=rep)]


def clean_line(text: str, max_sentences: int = 2) -> str:
    """Strip quotes and a speaker label; keep the first paragraph's first sentences."""
    text = re.sub(r"<{2,3}[^<>\n]*(?:>+|$)", "", text or "").strip().strip('"“”').strip()
    text = re.sub(r"^(buyer|customer|[A-Z][\w. ]{0,30})\s*[:：]\s*", "", text)
    text = text.split("\n\n")[0].strip()
    sentences = re.findall(r".+?(?:[.!?](?=\s|$)|[。！？]|$)", text, re.DOTALL)
    out = "".join(sentences[:max_sentences]).strip() if sentences else text
    return out.strip('"“”').strip()


def phrase_buyer_line(model: Any, req: BuyerLineRequest, *, max_tokens: int = 64, timeout_s: float = 30.0) -> BuyerLine:
    """The buyer's line in the persona's voice, or ``req.content`` when the model's line
    fails :func:`check_buyer_line` (or the model fails). Never raises for model failures."""
    from coach.llm.generate import generate

    t0 = time.perf_counter()
    res = generate(model, buyer_messages(req), max_tokens=max_tokens, timeout_s=timeout_s)
    dt = time.perf_counter() - t0
    text = clean_line(res.text) if res.ok else ""
    reason = (f"the model failed: {res.error}" if not res.ok else None) or check_buyer_line(text, req)
    if reason:
        log.info("buyer line from template (%s)", reason)
        return BuyerLine(text=req.content, source="template", reason=reason, rejected=text or None, latency_s=dt)
    return BuyerLine(text=text, source="llm", latency_s=dt)
