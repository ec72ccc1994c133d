"""Classification of a rep turn into sales acts (English + Chinese).

What the rep is doing (asking, acknowledging, reflecting, pitching, proving, closing, ...)
comes from the embedding classifier (``act_model``: multilingual e5 + a head trained on
labelled turns, see ``act_training``), sentence by sentence. Patterns are kept only where
they are exact: money amounts and discounts, dates, the words "price"/"competitor", the
buyer's own number being accepted, and the persona's need cue words; which hidden need a
question is about is otherwise decided by meaning (``need_match``). A turn usually has
several acts ("Fair. Which two tools are those?" = acknowledge + clarify); each act keeps
the sentence or phrase that triggered it, which becomes scorecard evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from coach.roleplay.need_match import Sheet

#: rep acts, in the order they are reported
REP_ACTS: tuple[str, ...] = (
    "empty",
    "gibberish",
    "greeting",
    "discovery_open",
    "discovery_closed",
    "authority_question",
    "listening",
    "value_statement",
    "need_linked_value",
    "evidence",
    "roi",
    "acknowledge",
    "clarify",
    "confirm",
    "pushy_close",
    "next_step",
    "next_step_specific",
    "price_mention",
    "price_offer",
    "concession",
    "accept_offer",
    "competitor_mention",
    "monologue",
)

#: a rep turn longer than this (words; Chinese: characters / 1.6) is a monologue
MONOLOGUE_WORDS = 90


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


#: exact patterns only (the rest of the acts come from the embedding classifier)
PATTERNS: dict[str, re.Pattern[str]] = {
    "next_step_specific": _rx(
        r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|next week|this week|end of (the )?month)\b",
        r"\b(on|by|from|until|starting|the) (the )?\d{1,2}(st|nd|rd|th)?\b",
        r"\b\d{1,2}(st|nd|rd|th)\b|\b\d{1,2}/\d{1,2}\b",
        r"\b\d{1,2}(:\d\d)? ?(am|pm)\b|\bat \d{1,2}(:\d\d)?\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2}\b",
        r"下周[一二三四五六日天]?|明天|后天|周[一二三四五六日]|星期[一二三四五六日天]|\d+号|\d+点|月底|[一二三四五六七八九十]+号",
    ),
    "price_mention": _rx(
        r"\b(price|pricing|prices|quote|quotation|discount|fee|fees|list price)\b",
        r"\b(it|this|that|the (system|solution|platform|package|subscription|fleet|deal|license|licence)) costs?\b",
        r"\bcost (of|for) (the|our|it|this|that)\b|\binvestment (is|would be|comes to)\b",
        r"\bhow much (is|does|do|will|would) (it|this|that|they|the)\b",
        r"价格|报价|费用|成本|多少钱|折扣|价钱|优惠",
    ),
    "concession": _rx(
        r"\b(\d+ ?(%|percent) (off|discount))\b|\bdiscount\b|\blower (the|my|our) price\b|\breduce (the|my|our) price\b",
        r"\bbring (it|the price) down\b|\bmeet you (halfway|in the middle)\b|\bi can (do|go (down )?to|take)\b|\bhow about\b",
        r"打折|降价|让利|可以再低|折扣|便宜(一点|些)",
    ),
    "accept_offer": _rx(
        r"\b(it'?s a deal|we have a deal|you'?ve got (a|yourself a) deal|you got a deal|deal!)",
        r"\b(i|we)('ll| will| can)? accept (your|that|the) (offer|price|number)\b|\b(your|that) (offer|price|number) works\b",
        r"\b(ok|okay|fine|sure|alright),? [\$¥€£]?\d[\d,.]*\s?(k|m|million)? (it is|works|is fine|then)\b",
        r"成交|就按(这个|您的|你的)价|这个价(格)?(可以|行|没问题)|就这么定了",
    ),
    "deadline_close": _rx(
        r"\bif (you|we) (sign|commit|decide|order|close|buy|book)\b[^.?!]{0,30}\b(today|now|tonight|this (week|month|quarter)|before|by)\b",
        r"\b(sign|commit|decide|order|close)\b (it |this |the deal )?(today|now|tonight|this (week|month)) (and|for|to get)\b",
        r"\bonly (valid |good |available )?(today|until|till|this week)\b|\blimited[- ]time\b|\boffer expires\b|\bexpires (today|tonight|at)\b",
        r"(今天|本周|这个月|月底前)(就)?(签|下单|定)(的话|就)|仅限今天|限时",
    ),
    "competitor_mention": _rx(
        r"\bcompetitors?\b|\bother (vendors?|suppliers?|brands?|providers?)\b|\b(compared (to|with)|versus|vs\.?) (them|your current|the other)",
        r"竞品|竞争对手|其他(厂家|供应商|品牌)",
    ),
}

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_COMMON = set(
    """a an the and or but if to of in on at for with from by about as is are was were be been am i you he she we they
    it this that these those my your our their me us them what how why which who where when do does did can could will
    would should have has had not no yes ok okay so just very really more most some any all one two three get got go
    hi hello hey thanks thank please well sure good great fine right let lets time today tomorrow week month year
    price cost deal offer need needs want team call meeting demo next step help product service customer customers
    there here than then also too only like know think see look make take give tell say said work works""".split()
)
_PRICE_NUMBER = re.compile(
    r"(?P<cur>[\$¥￥€£]|usd|us\$|cny|rmb|eur)?\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"\s?(?P<unit>k\b|m\b|mn\b|thousand|million|万|亿|千)?"
    r"\s?(?P<after>dollars|bucks|usd|yuan|rmb|cny|元|块|%|percent|per ?cent|weeks?|months?|days?|years?|hours?|minutes?"
    r"|wards?|beds?|units?|pumps?|stores?|trucks?|vehicles?|people|staff|nurses|sites?|x|周|个月|月|天|年|小时|人|台|家|辆|个)?",
    re.IGNORECASE,
)
_NON_PRICE_UNITS = {
    "%", "percent", "per cent", "per cent", "x", "周", "个月", "月", "天", "年", "小时", "人", "台", "家", "辆", "个",
}
#: a number right after "saves you about" or followed by "in savings" is not a price
_SAVINGS_BEFORE = re.compile(
    r"(\bsav(e|es|ed|ing|ings)|\bcut|\breduc\w*|\bworth|\blos[et]|\blosing|\bwast\w*|\bspen[dt]|\bfree[sd]?|\brelease[sd]?|节省|省下|损失|浪费)"
    r"\s+((you|them|us|about|around|roughly|over|up to|of|an extra|another)\s+)*[\$¥￥€£]?$",
    re.IGNORECASE,
)
_SAVINGS_AFTER = re.compile(
    r"\s*((a|per|each|every) (year|month|week|shift|day) )?(in (savings|nursing|labou?r|staff|time|revenue|margin|inventory|overtime|fuel)|of (savings|inventory|margin|working capital|cash))"
    r"|\s*(的)?(损耗|货损|库存|节省)",
    re.IGNORECASE,
)
_DATE_AFTER = re.compile(r"(st|nd|rd|th)\b|\s?(am|pm|a\.m\.|p\.m\.)|:\d\d|/\d|\s?(号|点|日)", re.IGNORECASE)
_DATE_BEFORE = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s*$|\d/$|\b(on|by) the\s*$", re.IGNORECASE)
_UNIT_SCALE = {"k": 1e3, "thousand": 1e3, "千": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "万": 1e4, "亿": 1e8}


@dataclass
class TurnContext:
    """What the classifier may know about the conversation so far."""

    #: hidden needs as (id, cues, value keywords)
    needs: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    #: needs and public facts to compare a question with: by meaning, a question about a
    #: need reveals it too (need_match.py)
    sheet: Sheet | None = None
    revealed_needs: set[str] = field(default_factory=set)
    #: reference price for plausibility of extracted numbers (list price or budget)
    ref_price: float | None = None
    prev_rep_price: float | None = None
    buyer_offer: float | None = None
    extra_competitor_words: list[str] = field(default_factory=list)
    #: acts of the rep's previous turn (a check that an answer landed needs an answer first)
    prev_rep_acts: set[str] = field(default_factory=set)


@dataclass
class RepActs:
    acts: list[str]
    #: act -> the phrase that matched (scorecard evidence)
    matched: dict[str, str]
    words: int
    questions_open: int
    questions_closed: int
    prices: list[float]
    #: hidden needs a question of this turn asked about (cue word or meaning)
    needs_asked: list[str]
    #: revealed needs referenced by a value statement of this turn
    needs_linked: list[str]

    def has(self, *acts: str) -> bool:
        return any(a in self.acts for a in acts)

    def to_dict(self) -> dict:
        return {
            "acts": list(self.acts),
            "matched": dict(self.matched),
            "words": self.words,
            "questions_open": self.questions_open,
            "questions_closed": self.questions_closed,
            "prices": list(self.prices),
            "needs_asked": list(self.needs_asked),
            "needs_linked": list(self.needs_linked),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "RepActs":
        return cls(**d)


def word_count(text: str) -> int:
    return len(_LATIN_TOKEN.findall(text)) + round(len(_CJK.findall(text)) / 1.6)


def is_gibberish(text: str) -> bool:
    """No language in it: symbols only, keyboard mash, or no common word at all."""
    if _CJK.search(text):
        return False
    tokens = [t.lower() for t in _LATIN_TOKEN.findall(text)]
    if not tokens:
        return not re.search(r"\d", text) or len(re.findall(r"\d", text)) < 2
    if any(t in _COMMON for t in tokens):
        return False
    wordlike = [
        t
        for t in tokens
        if re.search(r"[aeiouy]", t) and not re.search(r"[^aeiouy]{5,}", t) and not re.search(r"(.)\1\1", t)
    ]
    if len(tokens) >= 3:
        return len(wordlike) / len(tokens) < 0.8 or not any(len(t) > 3 for t in wordlike) or _mashy(tokens)
    return not wordlike


def _mashy(tokens: list[str]) -> bool:
    """Keyboard rows ("asdf", "qwerty", "jkl") make up most tokens."""
    rows = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    mash = sum(1 for t in tokens if len(t) >= 3 and any(t in r or t[:3] in r for r in rows))
    return mash / len(tokens) >= 0.5


def _match(act: str, text: str) -> str | None:
    m = PATTERNS[act].search(text)
    return m.group(0).strip() if m else None


def _has_word(text_l: str, word: str) -> bool:
    w = word.lower()
    if _CJK.search(w):
        return w in text_l
    return re.search(rf"\b{re.escape(w)}", text_l) is not None


def extract_prices(text: str, ref_price: float | None = None) -> list[float]:
    """Money amounts in a turn: currency-marked numbers, or numbers with k/m/万 or in a
    sentence about price; implausible ones (vs ``ref_price``) are dropped."""
    out: list[float] = []
    price_context = PATTERNS["price_mention"].search(text) is not None or re.search(
        r"\b(pay|offer|take|asking|ask|sell|do it for|for|can do|go (down )?to|how about|let'?s say|meet (you )?at|at)\b|价|元", text, re.IGNORECASE
    )
    for m in _PRICE_NUMBER.finditer(text):
        num = float(m.group("num").replace(",", ""))
        unit = (m.group("unit") or "").lower()
        after = (m.group("after") or "").lower()
        cur = m.group("cur")
        if after in _NON_PRICE_UNITS or after.rstrip("s") in {"week", "month", "day", "year", "hour", "minute", "ward", "bed", "unit", "pump", "store", "truck", "vehicle", "site"} or after in {"people", "staff", "nurses"}:
            continue
        before = text[max(0, m.start() - 40) : m.start()].lower()
        following = text[m.end() : m.end() + 24].lower()
        if not cur and (_DATE_AFTER.match(text[m.end(): m.end() + 6]) or _DATE_BEFORE.search(before)):
            continue  # a date or a time ("the 15th", "9am", "March 3"), not a price
        if _SAVINGS_BEFORE.search(before) or _SAVINGS_AFTER.match(following):
            continue  # a saving or a cost of the problem, not a price
        value = num * _UNIT_SCALE.get(unit, 1.0)
        marked = bool(cur) or after in {"dollars", "bucks", "usd", "yuan", "rmb", "cny", "元", "块"}
        if not (marked or unit or price_context):
            continue
        if value < 1:
            continue
        if ref_price and not (0.1 * ref_price <= value <= 10 * ref_price):
            continue
        out.append(value)
    return out


#: acts that make a turn a question the buyer should answer
QUESTION_ACTS = ("discovery_open", "discovery_closed", "clarify", "authority_question")
#: other acts that are asked as a question (a check, a proposal, a price, a push)
_ASKS = ("confirm", "next_step", "pushy_close", "price_offer")
#: acts that answer something, so a check ("does that help?") may follow them
_ANSWERING = ("value_statement", "need_linked_value", "evidence", "roi", "price_offer", "listening", "next_step")
_QUESTION_MARK = re.compile(r"[?？]\s*$|吗[？?]?\s*$")
#: acts of a value claim (a need can be linked to these)
VALUE_ACTS = ("value_statement", "need_linked_value", "evidence", "roi", "listening")


def _nearest_need(sentence: str, needs: list[tuple[str, list[str], list[str]]], candidates: list[str]) -> str | None:
    """The revealed need whose cue words are closest in meaning to ``sentence``."""
    from coach.roleplay.act_model import embed

    pool = [(nid, " ".join(cues + kw)) for nid, cues, kw in needs if nid in candidates]
    if not pool:
        return None
    vecs = embed([sentence] + [t for _, t in pool])
    sims = vecs[1:] @ vecs[0]
    return pool[int(sims.argmax())][0]


def classify(text: str, ctx: TurnContext | None = None) -> RepActs:
    """Acts of one rep turn: the embedding classifier per sentence, plus exact patterns;
    ``ctx`` adds the persona's needs (cue words and descriptions) and the prices so far."""
    from coach.roleplay.act_model import classify_sentences
    from coach.roleplay.need_match import match_need  # noqa: PLC0415 - loads the encoder

    ctx = ctx or TurnContext()
    raw = (text or "").strip()
    if not raw:
        return RepActs(["empty"], {"empty": ""}, 0, 0, 0, [], [], [])
    if is_gibberish(raw):
        return RepActs(["gibberish"], {"gibberish": raw[:40]}, word_count(raw), 0, 0, [], [], [])

    acts: list[str] = []
    matched: dict[str, str] = {}
    low = raw.lower()

    def add(act: str, phrase: str) -> None:
        if act not in matched:
            matched[act] = phrase
            acts.append(act)

    q_open = q_closed = 0
    needs_asked: list[str] = []
    linked_sentences: list[str] = []
    answered = bool(ctx.prev_rep_acts & set(_ANSWERING))
    for sent in classify_sentences(raw):
        names = [a for a, _p in sent.acts]
        if "confirm" in names and not answered:
            # "does that answer it?" only follows an answer: with none before, it is a question
            best = max(QUESTION_ACTS, key=lambda a: sent.scores.get(a, 0.0))
            names = [best if a == "confirm" else a for a in names]
        answered = answered or bool(set(names) & set(_ANSWERING))
        if _QUESTION_MARK.search(sent.text) and not set(names) & set(QUESTION_ACTS + _ASKS):
            # the punctuation says it is a question; the head says which kind
            best = max(QUESTION_ACTS, key=lambda a: sent.scores.get(a, 0.0))
            names = [a for a in names if a not in ("greeting", "other")] + [best]
        for a in names:
            add(a, sent.text)
        q_open += "discovery_open" in names
        q_closed += "discovery_closed" in names
        s_low = sent.text.lower()
        if any(a in QUESTION_ACTS for a in names):
            for need_id, cues, _kw in ctx.needs:
                if need_id not in needs_asked and any(_has_word(s_low, c) for c in cues):
                    needs_asked.append(need_id)
            if ctx.sheet is not None:
                by_meaning = match_need(sent.text, ctx.sheet)
                if by_meaning and by_meaning not in needs_asked:
                    needs_asked.append(by_meaning)
        if any(a in VALUE_ACTS for a in names):
            linked_sentences.append(sent.text)

    for act in ("next_step_specific", "price_mention", "competitor_mention"):
        phrase = _match(act, raw)
        if phrase is not None:
            add(act, phrase)
    # a discount or deal tied to a deadline is pressure to close, however it is worded
    deadline = _match("deadline_close", raw)
    if deadline is not None and "next_step" not in matched:
        add("pushy_close", deadline)
    if "next_step_specific" in matched and "next_step" not in matched:
        # a date alone is not a proposal
        acts.remove("next_step_specific")
        del matched["next_step_specific"]
    for w in ctx.extra_competitor_words:
        if _has_word(low, w):
            add("competitor_mention", w)
            break

    # value tied to a need the buyer has already revealed: the need's own words, or the
    # classifier's "need-linked value" pointing at the closest revealed need
    needs_linked: list[str] = []
    if linked_sentences:
        for need_id, cues, kw in ctx.needs:
            if need_id in ctx.revealed_needs and any(_has_word(low, k) for k in (kw or cues)):
                needs_linked.append(need_id)
        if not needs_linked and "need_linked_value" in matched and ctx.revealed_needs:
            nearest = _nearest_need(matched["need_linked_value"], ctx.needs, sorted(ctx.revealed_needs))
            if nearest:
                needs_linked.append(nearest)
        if needs_linked:
            matched.pop("need_linked_value", None)
            if "need_linked_value" in acts:
                acts.remove("need_linked_value")
            add("need_linked_value", ", ".join(needs_linked))
    if not needs_linked and "need_linked_value" in matched:
        # tied to something the buyer never said: a plain value statement
        phrase = matched.pop("need_linked_value")
        acts.remove("need_linked_value")
        add("value_statement", phrase)

    prices = extract_prices(raw, ctx.ref_price)
    if prices:
        add("price_offer", str(prices[-1]))
        if "price_mention" not in matched:
            add("price_mention", str(prices[-1]))
    elif "price_offer" in matched and "price_mention" not in matched:
        add("price_mention", matched["price_offer"])
    concession = _match("concession", raw)
    if concession and (prices or "discount" in concession.lower() or "%" in concession or _CJK.search(concession)):
        add("concession", concession)
        if "price_offer" not in matched:
            add("price_offer", concession)
    elif prices and ctx.prev_rep_price and prices[-1] < ctx.prev_rep_price:
        add("concession", f"{ctx.prev_rep_price:g} -> {prices[-1]:g}")
    if ctx.buyer_offer is not None:
        acc = _match("accept_offer", raw)
        if acc or (prices and abs(prices[-1] - ctx.buyer_offer) < 0.005 * ctx.buyer_offer + 0.5):
            add("accept_offer", acc or str(prices[-1]))

    words = word_count(raw)
    if words > MONOLOGUE_WORDS:
        add("monologue", f"{words} words")
    order = {a: i for i, a in enumerate(REP_ACTS)}
    acts.sort(key=lambda a: order[a])
    return RepActs(acts, matched, words, q_open, q_closed, prices, needs_asked, needs_linked)
