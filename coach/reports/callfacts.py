"""Findings computed from a :class:`CallAnalysis`, each with utterance evidence; shared
by the post-call report (:mod:`coach.reports.postcall`) and the lost-deal retrospective
(:mod:`coach.reports.retro`). Pure functions of the analysis: no LLM, no database.

Benchmarks: the team's won calls when at least ``MIN_WON_CALLS`` are analysed, else the
published conversation-intelligence defaults (docs/contracts/metrics.md). Every benchmark names its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from speech.shift_summary import RECOVERY_WINDOW, is_customer
from speech.types import CallAnalysis, Utterance

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database
    from scripts_gen.playbook import Playbook

MIN_WON_CALLS = 5
PUBLISHED_SOURCE = "published conversation-intelligence benchmark for won B2B calls"
PUBLISHED: dict[str, dict[str, Any]] = {
    "talk_ratio": {"low": 0.36, "high": 0.50, "target": 0.43,
                   "source": "published: ~43% rep talk time on won B2B calls"},
    "questions_rep": {"low": 11, "high": 14, "target": 12.5,
                      "source": "published: 11-14 questions per discovery call"},
    "longest_monologue_s": {"low": 0.0, "high": 150.0, "target": 90.0,
                            "source": "published: longest rep monologue under ~2.5 minutes"},
    "patience_s": {"low": 0.6, "high": 1.0, "target": 0.8,
                   "source": "published: ~0.6-1 s pause before answering the customer"},
}


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m:02d}:{s:02d}"


def ev(u: Utterance) -> dict[str, Any]:
    """Evidence pointing at one utterance (id + timestamp, both from the analysis)."""
    return {"utterance_id": u.id, "time": round(u.start, 1), "clock": clock(u.start)}


def short(text: str, n: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


@dataclass
class ObjectionFinding:
    objection: str
    utterance: Utterance
    reply: Utterance | None
    asked_question: bool
    cooled: bool

    @property
    def handled(self) -> bool:
        return self.reply is not None and self.asked_question and not self.cooled


@dataclass
class ShiftFinding:
    utterance: Utterance
    cause: Utterance | None
    recovered_by: Utterance | None
    evidence: str


@dataclass
class CallFacts:
    analysis: CallAnalysis
    rep: list[Utterance]
    customer: list[Utterance]
    questions: list[Utterance]
    monologue: list[Utterance]
    monologue_s: float
    objections: list[ObjectionFinding] = field(default_factory=list)
    negative_shifts: list[ShiftFinding] = field(default_factory=list)
    next_steps: list[Utterance] = field(default_factory=list)
    longest_story: Utterance | None = None

    @property
    def has_next_step(self) -> bool:
        return bool(self.next_steps)


def _is_question(u: Utterance) -> bool:
    return "?" in u.text or "？" in u.text


def _longest_rep_run(analysis: CallAnalysis) -> tuple[list[Utterance], float]:
    """The rep's longest monologue: the stored metric is the figure (every surface shows
    the same number), its utterances (same definition, ``speech.metrics.longest_run``)
    the evidence."""
    from speech.metrics import longest_run
    from speech.phrases import load_phrases

    roles = {u.speaker: u.role for u in analysis.utterances}
    run = longest_run(list(analysis.utterances), roles, "rep", load_phrases(analysis.language))
    return run, float(analysis.metrics.longest_monologue_s or 0.0)


def compute_facts(analysis: CallAnalysis, playbook: "Playbook") -> CallFacts:
    utts = list(analysis.utterances)
    index = {u.id: i for i, u in enumerate(utts)}
    rep = [u for u in utts if u.role == "rep"]
    customer = [u for u in utts if u.role == "customer"]
    run, run_s = _longest_rep_run(analysis)
    facts = CallFacts(analysis=analysis, rep=rep, customer=customer, questions=[u for u in rep if _is_question(u)],
                      monologue=run, monologue_s=run_s,
                      longest_story=max(customer, key=lambda u: u.end - u.start, default=None))
    # the customer's shifts as every surface counts them (speech.shift_summary)
    neg = [s for s in analysis.emotion_shifts if is_customer(s) and s.direction == "negative"]
    pos = [s for s in analysis.emotion_shifts if is_customer(s) and s.direction == "positive"]
    for sh in neg:
        u = analysis.utterance(sh.utterance_id)
        if u is None:
            continue
        i = index[u.id]
        rec = next((p for p in pos if i < index.get(p.utterance_id, -1) <= i + RECOVERY_WINDOW), None)
        facts.negative_shifts.append(ShiftFinding(
            u, analysis.utterance(sh.cause_utterance_id) if sh.cause_utterance_id else None,
            analysis.utterance(rec.utterance_id) if rec else None, sh.evidence))
    cooled_ids = {f.utterance.id for f in facts.negative_shifts}
    seen: set[str] = set()
    for m in analysis.moments:
        if m.type != "objection" or m.utterance_id in seen:
            continue
        u = analysis.utterance(m.utterance_id)
        if u is None or u.role == "rep":
            continue
        seen.add(u.id)
        i = index[u.id]
        reply = next((x for x in utts[i + 1:] if x.role == "rep"), None)
        window = utts[i + 1: i + 4]
        detected = playbook.detect(u.text)
        facts.objections.append(ObjectionFinding(
            objection=detected[0] if detected else "objection", utterance=u, reply=reply,
            asked_question=bool(reply and _is_question(reply)),
            cooled=any(x.id in cooled_ids for x in window if x.role == "customer"),
        ))
    cutoff = utts[int(len(utts) * 0.5)].start if utts else 0.0
    facts.next_steps = [analysis.utterance(m.utterance_id) for m in analysis.moments  # type: ignore[misc]
                        if m.type == "next_step" and m.time >= cutoff and analysis.utterance(m.utterance_id) is not None]
    return facts


# ---------------------------------------------------------------------- benchmarks --
def benchmarks(db: "Database | None") -> dict[str, dict[str, Any]]:
    """Targets per metric, from the team's won calls when there are enough, else published."""
    out = {k: dict(v) for k, v in PUBLISHED.items()}
    if db is None:
        return out
    try:
        from coach.reports.team_benchmarks import team_benchmarks

        won = team_benchmarks(db)["groups"]["won"]
    except Exception:  # noqa: BLE001 - fall back to the published figures
        return out
    n = int(won.get("calls") or 0)
    if n < MIN_WON_CALLS:
        for v in out.values():
            v["note"] = f"{n} analysed won calls in the team (< {MIN_WON_CALLS}): published figure used"
        return out
    med = won.get("median") or {}
    src = f"team: median of {n} analysed won calls"
    spans = {"talk_ratio": (-0.07, 0.07, "abs"), "questions_rep": (0.8, 1.2, "rel"),
             "longest_monologue_s": (0.0, 1.25, "rel"), "patience_s": (0.7, 1.3, "rel")}
    for name, (a, b, kind) in spans.items():
        m = med.get(name)
        if isinstance(m, (int, float)):
            low, high = (m + a, m + b) if kind == "abs" else (m * a, m * b)
            out[name] = {"low": round(low, 3), "high": round(high, 3), "target": m, "source": src}
    return out


def metric_score(value: float | None, bench: dict[str, Any]) -> int | None:
    """100 inside the benchmark range, falling off linearly with the distance outside."""
    if value is None:
        return None
    low, high = float(bench["low"]), float(bench["high"])
    width = max(high - low, abs(high) * 0.2, 1e-6)
    if low <= value <= high:
        return 100
    dist = (low - value) if value < low else (value - high)
    return max(0, int(round(100 - 100 * dist / (2 * width))))


def verdict(value: float | None, bench: dict[str, Any]) -> str:
    if value is None:
        return "n/a"
    if value < bench["low"]:
        return "below"
    if value > bench["high"]:
        return "above"
    return "within"


def transcript_excerpt(utts: list[Utterance], limit: int = 40) -> str:
    lines = [f"[{u.id} {clock(u.start)}] {u.role}: {short(u.text, 160)}" for u in utts[:limit]]
    return "\n".join(lines)



