"""Rep vs customer from evidence in the talk.

Evidence per speaker, weighted:

* the speaker label itself ("Rep", "Agent", "销售" vs "Customer", "Client", "客户"): 10
* opening the call ("thanks for taking the time", "calling from"): 3 per hit
* greeting and offering help ("how can I help", "thanks for calling"): 3 per hit
* presenting the product/company ("we offer", "our platform", "我们的产品"): 2 per hit
* discovery questions ("tell me about", "how do you currently"): 2 per hit
* price from the selling side ("we can offer", "our pricing"): 2 per hit
* any question asked: 0.25 each, at most 3 (reps ask more; weak alone)
* buyer language ("our budget", "we currently use", "send me"): -2 per hit

The speaker with the highest net score becomes the rep when it leads the next one by at
least ``MARGIN``; the others are customers (or ``unknown`` when they also talk like a
seller). Role hints (an enrolled voice, ``--rep-speaker``) override the evidence. A hint
value may carry its reason as ``"rep:enrolled voice, similarity 0.82"``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from speech.metrics import count_questions
from speech.phrases import Phrases
from speech.phrases.text import CJK_RE
from speech.types import Role, Utterance

log = logging.getLogger(__name__)

NAME_WEIGHT = 10.0
CUE_WEIGHTS = {"opening": 3.0, "offers_help": 3.0, "presentation": 2.0, "discovery": 2.0, "selling_price": 2.0}
CUE_WORDS = {
    "opening": "opens the call",
    "offers_help": "greets and offers help",
    "presentation": "presents the product/company",
    "discovery": "asks discovery questions",
    "selling_price": "talks price from the selling side",
}
CUSTOMER_WEIGHT = 2.0
QUESTION_WEIGHT, QUESTION_CAP = 0.25, 3.0
MARGIN = 1.0


@dataclass
class RoleDecision:
    role: Role
    evidence: str
    #: how sure the decision is, 0..1: 1 when given (enrolled voice, a person's choice),
    #: from the evidence lead of the rep over the next speaker otherwise, 0 when unknown
    confidence: float = 0.0


def lead_confidence(lead: float) -> float:
    """Confidence of a role guess from how far the rep's evidence leads (1 cue ~ 0.6,
    3 cues ~ 0.9)."""
    import math

    return round(min(0.97, 1.0 - 0.5 * math.exp(-max(lead, 0.0) / 2.0)), 2)


@dataclass
class _Evidence:
    rep: float = 0.0
    customer: float = 0.0
    rep_notes: list[str] = field(default_factory=list)
    customer_notes: list[str] = field(default_factory=list)

    @property
    def net(self) -> float:
        return self.rep - self.customer

    def summary(self, side: str) -> str:
        notes = self.rep_notes if side == "rep" else self.customer_notes
        return "; ".join(notes)


def _hits(texts: list[str], plist) -> Counter:
    c: Counter = Counter()
    for t in texts:
        for phrase, _, _ in plist.findall(t):
            c[phrase] += 1
    return c


def _fmt_hits(c: Counter, limit: int = 3) -> str:
    return ", ".join(f'"{p}"' + (f" x{n}" if n > 1 else "") for p, n in c.most_common(limit))


def name_role(speaker: str, phrases: Phrases) -> Role | None:
    """Role named by the speaker label itself, if any."""
    low = speaker.lower()
    tokens = set(re.findall(r"[a-z]+", low))
    for role in ("rep", "customer"):
        for name in phrases.speaker_names.get(role, []):
            if CJK_RE.search(name):
                if name in speaker:
                    return role  # type: ignore[return-value]
            elif (" " in name and name in low) or name in tokens:
                return role  # type: ignore[return-value]
    return None


def gather_evidence(speaker: str, texts: list[str], phrases: Phrases) -> _Evidence:
    ev = _Evidence()
    named = name_role(speaker, phrases)
    if named == "rep":
        ev.rep += NAME_WEIGHT
        ev.rep_notes.append(f"speaker label '{speaker}' names the seller")
    elif named == "customer":
        ev.customer += NAME_WEIGHT
        ev.customer_notes.append(f"speaker label '{speaker}' names the buyer")
    for cue, plist in phrases.rep_cues.items():
        hits = _hits(texts, plist)
        if hits:
            ev.rep += CUE_WEIGHTS.get(cue, 1.0) * sum(hits.values())
            ev.rep_notes.append(f"{CUE_WORDS.get(cue, cue)} ({_fmt_hits(hits)})")
    nq = sum(count_questions(t, phrases) for t in texts)
    if nq:
        ev.rep += min(QUESTION_WEIGHT * nq, QUESTION_CAP)
        ev.rep_notes.append(f"asks {nq} question(s)")
    hits = _hits(texts, phrases["customer_cues"])
    if hits:
        ev.customer += CUSTOMER_WEIGHT * sum(hits.values())
        ev.customer_notes.append(f"talks like the buyer ({_fmt_hits(hits)})")
    return ev


def _parse_hint(value: str) -> tuple[str, str]:
    role, _, reason = value.partition(":")
    return role.strip().lower(), reason.strip()


def assign_roles(
    utterances: list[Utterance],
    phrases: Phrases,
    role_hints: dict[str, str] | None = None,
) -> tuple[dict[str, RoleDecision], list[str]]:
    """Role and evidence string per speaker (in order of first appearance)."""
    warnings: list[str] = []
    texts: dict[str, list[str]] = {}
    for u in sorted(utterances, key=lambda u: u.start):
        texts.setdefault(u.speaker, []).append(u.text)
    speakers = list(texts)
    evidence = {s: gather_evidence(s, texts[s], phrases) for s in speakers}
    decisions: dict[str, RoleDecision] = {}

    for spk, value in (role_hints or {}).items():
        role, reason = _parse_hint(value)
        if role not in ("rep", "customer", "unknown"):
            warnings.append(f"ignored role hint '{value}' for speaker {spk}: role must be rep or customer")
        elif spk not in texts:
            warnings.append(f"role hint for speaker {spk} ignored: that speaker does not speak")
        else:
            decisions[spk] = RoleDecision(role, f"given: {reason or 'role hint (enrolled voice or a person chose it)'}", 1.0)  # type: ignore[arg-type]

    if len(speakers) == 1 and speakers[0] not in decisions:
        spk = speakers[0]
        ev = evidence[spk]
        role: Role = "rep" if ev.net > 0 else "customer" if ev.net < 0 else "unknown"
        why = ev.summary("rep" if role == "rep" else "customer") or "no seller or buyer cues"
        decisions[spk] = RoleDecision(role, f"only speaker; {why}", lead_confidence(abs(ev.net)) if role != "unknown" else 0.0)
    free = [s for s in speakers if s not in decisions]
    reps = [s for s, d in decisions.items() if d.role == "rep"]
    if free and not reps:
        ranked = sorted(free, key=lambda s: evidence[s].net, reverse=True)
        best = ranked[0]
        runner_up = evidence[ranked[1]].net if len(ranked) > 1 else 0.0
        others_named = [s for s, d in decisions.items() if d.role == "customer"]
        lead = evidence[best].net - runner_up
        if evidence[best].net > 0 and (lead >= MARGIN or len(ranked) == 1):
            reps = [best]
            decisions[best] = RoleDecision("rep", evidence[best].summary("rep"), lead_confidence(lead))
        elif len(ranked) >= 2 and evidence[best].net >= 0 and lead >= MARGIN and evidence[ranked[1]].net < 0:
            reps = [best]
            decisions[best] = RoleDecision("rep", f"the other speaker {ranked[1]} talks like the buyer", lead_confidence(lead))
        elif len(ranked) == 1 and others_named:
            reps = [best]
            decisions[best] = RoleDecision("rep", f"the only speaker besides the customer ({', '.join(others_named)})", 1.0)
        free = [s for s in speakers if s not in decisions]
    for spk in free:
        ev = evidence[spk]
        if not reps:
            decisions[spk] = RoleDecision("unknown", "no clear seller in this call")
            continue
        rep_net = max(evidence[r].net for r in reps if r in evidence)
        if ev.net > 0 and ev.rep >= max(2.0, 0.5 * rep_net) and len(speakers) > 2:
            decisions[spk] = RoleDecision("unknown", f"also talks like a seller ({ev.summary('rep')}); maybe a colleague of the rep")
        else:
            own = ev.summary("customer")
            decisions[spk] = RoleDecision("customer", own or f"not the rep ({', '.join(reps)})",
                                          min(decisions[r].confidence for r in reps))
    if len(speakers) >= 2 and not reps:
        warnings.append("could not tell the rep from the customer from the talk; choose which speaker is the rep")
    if len(speakers) == 1:
        warnings.append(f"only one speaker ({speakers[0]}) in this call; role decided from their words alone")
    return {s: decisions[s] for s in speakers}, warnings
