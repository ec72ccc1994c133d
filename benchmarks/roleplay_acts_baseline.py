"""BASELINE ONLY (for benchmarks/roleplay_acts.py): the phrase-pattern rep-act classifier
as it was before the embedding classifier (coach/roleplay/act_model.py), kept verbatim so
the benchmark can compare both in one run. Not used by the product.

Deterministic classification of a rep turn into sales acts (English + Chinese).

Phrase patterns plus a few simple features (length, question marks, prices, the
buyer's hidden-need cues). A turn usually has several acts ("I understand. What worries
you most about the price?" = acknowledge + clarify + discovery_open + price_mention).
Each act keeps the phrase that matched, which becomes scorecard evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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


PATTERNS: dict[str, re.Pattern[str]] = {
    "greeting": _rx(
        r"^\s*(hi|hello|hey|good (morning|afternoon|evening))\b",
        r"\bthanks? (you )?for (your time|meeting|taking)",
        r"\bnice to meet",
        r"你好|您好|感谢您抽(出)?时间|很高兴见到",
    ),
    "open_question": _rx(
        r"\b(what|how|why|which|where|who)\b",
        r"\btell me (about|more)\b",
        r"\b(describe|walk me through|help me understand|talk me through)\b",
        r"什么|怎么|为什么|如何|哪些|哪个|多少|多久|多长|多大|介绍一下|说说|讲讲|谈谈",
    ),
    "closed_question": _rx(
        r"^\s*(do|does|did|is|are|was|were|can|could|will|would|have|has|should|shall)\b",
        r"吗[？?]?\s*$|是不是|有没有|是否|能不能|可不可以",
    ),
    "authority_question": _rx(
        r"\bwho (else )?(will|would|should|is|are)? ?(be )?(involved|sign|approv|decid|make the (final )?(call|decision))",
        r"\bwho else\b",
        r"\bdecision[- ](process|maker|making)",
        r"\b(approval|buying|purchasing|procurement|sign[- ]off) process",
        r"\bbudget owner|\bsign[- ]off\b|\bwho (has|holds) the budget",
        r"决策|谁(来)?(拍板|决定|审批|签字)|审批流程|采购流程|还有谁|哪些人参与",
    ),
    "listening": _rx(
        r"\bso what i'?m hearing",
        r"\bif i (understand|heard) (you )?(correctly|right)",
        r"\byou (mentioned|said|told me)\b",
        r"\bit sounds like\b",
        r"\blet me make sure\b",
        r"\bto summari[sz]e\b|\bin other words\b|\bjust to recap\b",
        r"您刚才(说|提到)|我理解的是|听起来|总结一下|您提到|您说的",
    ),
    "value_statement": _rx(
        r"\bour (solution|product|platform|system|service|team|device|pumps?|software|offering|machines?|trucks?|line)\b",
        r"\bwe (offer|provide|deliver|help|can help|can|guarantee|include|support)\b",
        r"\bmeridian\b",
        r"\b(it|this|that|they) (reduces|saves|cuts|improves|increases|lowers|helps|prevents|speeds|reduce|save|cut|improve|help|prevent)\b",
        r"\bour [\w-]+( [\w-]+)? (cuts?|reduces?|saves?|improves?|helps?|lets?|gives?|lowers?|prevents?|warns?)\b",
        r"\b(helps you|lets you|allows you|so you can|which means you)\b",
        r"\b(in (great|excellent|good|perfect|mint) condition|barely used|like new|comes with|works perfectly|well maintained)\b",
        r"我们的(产品|方案|系统|服务|设备|团队|平台)|我们(可以|能够|提供|帮助)|帮助您|可以帮您|能够(降低|提升|减少|节省)",
    ),
    "evidence": _rx(
        r"\bcase stud(y|ies)\b",
        r"\bone of our (customers|clients)\b",
        r"\b(customers?|clients?|hospitals?|retailers?|fleets?|distributors?|plants?|companies|company|shops?|stores?|icus?) (like|similar to) yours\b",
        r"\breference (customer|site|call|account)s?\b",
        r"\b(study|studies|trial|audit|pilot) (shows?|showed|found|proved|demonstrated)\b",
        r"\bdata (shows?|from)\b|\bresults? (at|from)\b|\bpeer[- ]reviewed\b|\bpublished\b",
        r"\d+(\.\d+)? ?(%|percent) (reduction|fewer|less|lower|drop|increase|more|faster|improvement)",
        r"\b(reduced|cut|cuts|lowered|increased|improved|reduces|lowers) [\w -]{0,30}by \d+",
        r"\b(dropped|fell|rose|grew|improved|reduced|cut|down|up) (by )?\d+(\.\d+)? ?(%|percent|points?)",
        r"\bfor example, [\w ]*(customer|client|hospital|company|chain|fleet|plant)\b",
        r"案例|客户反馈|数据显示|研究(表明|显示)|临床数据|参考客户|实际数据|用户(案例|数据)",
    ),
    "roi": _rx(
        r"\broi\b|\breturn on (the )?investment\b|\bpayback\b|\bpays? (back|for (itself|themselves))\b",
        r"\bsaves? (you )?(about |around |roughly )?[\$¥€£]?\d",
        r"\btotal cost of ownership\b|\btco\b|\bbreak[- ]even\b|\bper year in savings\b",
        r"投资回报|回本|回收期|每年节省|(节省|省下?)(约|了)?[\d一二三四五六七八九十百千万]|总拥有成本",
    ),
    "acknowledge": _rx(
        r"\bi (completely |totally |fully )?(understand|hear you|get (that|it)|appreciate)\b",
        r"\bthat'?s (a )?(fair|valid|good|reasonable|great|important) (point|concern|question)\b",
        r"\b(makes sense|fair enough|understandable|you'?re right|good question|great question)\b",
        r"理解|明白|您说得对|这个顾虑|很正常|有道理|好问题",
    ),
    "clarify": _rx(
        r"\bwhat (specifically|exactly|in particular)\b",
        r"\bcan you (tell|say) (me )?(a bit )?more\b|\btell me more\b",
        r"\bhelp me understand\b|\bwhat do you mean\b|\bwhen you say\b",
        r"\bwhat'?s behind\b|\bwhich part\b|\bcompared (to|with) what\b|\bwhat would you need to see\b",
        r"具体|能(不能)?(详细)?说说|指的是|是指|哪方面|哪一部分|需要看到什么",
    ),
    "confirm": _rx(
        r"\bdoes (that|this) (address|answer|help|make sense|work|resolve|cover|ease)\b",
        r"\bwould (that|this) (work|help|address|resolve|be enough)\b",
        r"\bhave i answered\b|\bis (that|this) (helpful|clearer)\b|\bdid that answer\b",
        r"这样(可以|行)吗|解决(了)?您的(顾虑|问题)|您觉得(怎么样|如何|可以吗)|这能回答",
    ),
    "pushy_close": _rx(
        r"\bsign (it |this |the (contract|deal|order) )?(today|now|right now|this afternoon)\b",
        r"\bready to sign\b|\bjust sign\b|\bsign here\b",
        r"\blet'?s (close|sign|get (this|it) signed|do (the|this) deal|wrap (this|it) up today)\b",
        r"\b(send|sending) (you )?the contract (now|today)\b|\bpurchase order (today|now)\b",
        r"\bonly (valid )?(today|this week)\b|\blimited[- ]time\b|\boffer expires\b",
        r"\bcan we close (this|it|today)\b|\bcommit (today|now)\b|\bdon'?t miss (out|this)\b",
        r"\bbuy (it |now|today)|\bdecide (today|now|right now)\b",
        r"今天(就)?签|马上(下单|签|定)|签合同吧|限时|仅限今天|现在就(定|签|下单)",
    ),
    "next_step": _rx(
        r"\bnext steps?\b",
        r"\b(schedule|set up|book|arrange|organi[sz]e|plan|run|start|do|try|propose|suggest|offer you) (a |an |the )?([\w-]+ ){0,2}(call|meeting|demo|visit|pilot|trial|session|workshop|review|proof of concept)\b",
        r"\b(how about|what about|shall we do|could we do|let'?s do) (a |an )?([\w-]+ )?(pilot|trial|demo|visit|workshop)\b",
        r"\bfollow[- ]up (call|meeting)\b|\bmeet (again|with)\b|\bintroduce (me )?to\b|\blet'?s (meet|talk again|reconvene)\b",
        r"\b(review|go through|go over|walk through) (the )?(terms|proposal|numbers|contract|business case|plan|results)\b[^.?!]*\b(with|next|on|tomorrow)\b",
        r"\bsend (you )?(a |the )?(proposal|quote|summary|terms)\b|\bput (it|this|something) in (your|the) calendar\b",
        r"下一步|(安排|约|来|做|进行|开展|申请|提供|搞)(一次|一个|个|两周|一周|一下)?(的)?(试用|演示|试点|参观|测试|会议|交流)|约(个)?时间|下次(见面|沟通|再聊)|跟进会",
        r"(下周|明天|后天|周[一二三四五六日]|星期[一二三四五六日天]).{0,16}(一起|见面|过一遍|碰一下|开会|沟通|来一趟)",
    ),
    "next_step_specific": _rx(
        r"\b(monday|tuesday|wednesday|thursday|friday|tomorrow|next week|this week|on the \d+)",
        r"\b\d{1,2}(:\d\d)? ?(am|pm)\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2}\b",
        r"下周[一二三四五六日天]?|明天|后天|周[一二三四五六日]|星期[一二三四五六日天]|\d+号|\d+点",
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
    "competitor_mention": _rx(
        r"\bcompetitors?\b|\bother (vendors?|suppliers?|brands?|providers?)\b|\b(compared (to|with)|versus|vs\.?) (them|your current|the other)",
        r"竞品|竞争对手|其他(厂家|供应商|品牌)",
    ),
}

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。！？;；])\s*")
_QUESTION_END = re.compile(r"[?？]\s*$|吗\s*$|呢\s*$")
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
_UNIT_SCALE = {"k": 1e3, "thousand": 1e3, "千": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "万": 1e4, "亿": 1e8}


@dataclass
class TurnContext:
    """What the classifier may know about the conversation so far."""

    #: hidden needs as (id, cues, value keywords)
    needs: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    revealed_needs: set[str] = field(default_factory=set)
    #: reference price for plausibility of extracted numbers (list price or budget)
    ref_price: float | None = None
    prev_rep_price: float | None = None
    buyer_offer: float | None = None
    extra_competitor_words: list[str] = field(default_factory=list)


@dataclass
class RepActs:
    acts: list[str]
    #: act -> the phrase that matched (scorecard evidence)
    matched: dict[str, str]
    words: int
    questions_open: int
    questions_closed: int
    prices: list[float]
    #: hidden needs whose cue appeared in a question of this turn
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


def classify(text: str, ctx: TurnContext | None = None) -> RepActs:
    """Acts of one rep turn. Deterministic; ``ctx`` adds need cues and prices."""
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

    sentences = [s.strip() for s in _SENTENCE_SPLIT.split(raw) if s.strip()]
    q_open = q_closed = 0
    needs_asked: list[str] = []
    for s in sentences:
        is_q = bool(_QUESTION_END.search(s)) or bool(PATTERNS["closed_question"].search(s) and s.endswith("?"))
        if not is_q:
            continue
        if any(PATTERNS[p].search(s) for p in ("next_step", "pushy_close", "confirm")):
            continue  # a proposal or a check, not discovery
        if PATTERNS["open_question"].search(s):
            q_open += 1
            add("discovery_open", s)
        else:
            q_closed += 1
            add("discovery_closed", s)
        s_low = s.lower()
        for need_id, cues, _kw in ctx.needs:
            if need_id not in needs_asked and any(_has_word(s_low, c) for c in cues):
                needs_asked.append(need_id)

    for act in (
        "greeting",
        "authority_question",
        "listening",
        "value_statement",
        "evidence",
        "roi",
        "acknowledge",
        "clarify",
        "confirm",
        "pushy_close",
        "next_step",
        "next_step_specific",
        "price_mention",
        "competitor_mention",
    ):
        phrase = _match(act, raw)
        if phrase is not None:
            add(act, phrase)
    if "next_step_specific" in matched and "next_step" not in matched:
        # a date alone is not a proposal
        acts.remove("next_step_specific")
        del matched["next_step_specific"]
    for w in ctx.extra_competitor_words:
        if _has_word(low, w):
            add("competitor_mention", w)
            break

    # value tied to a need the buyer has already revealed
    needs_linked: list[str] = []
    if any(a in matched for a in ("value_statement", "evidence", "roi", "listening")):
        for need_id, cues, kw in ctx.needs:
            if need_id in ctx.revealed_needs and any(_has_word(low, k) for k in (kw or cues)):
                needs_linked.append(need_id)
        if needs_linked:
            add("need_linked_value", ", ".join(needs_linked))

    prices = extract_prices(raw, ctx.ref_price)
    if prices:
        add("price_offer", str(prices[-1]))
        if "price_mention" not in matched:
            add("price_mention", str(prices[-1]))
    concession = _match("concession", raw)
    if concession and (prices or "discount" in concession.lower() or _CJK.search(concession)):
        add("concession", concession)
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
