"""analyze_conversation end to end on text (no audio models)."""

from __future__ import annotations

from speech.analysis import analyze_conversation
from speech.types import CallAnalysis, Utterance


def conv(rows, arousal=None):
    return [
        Utterance(id=f"u{k}", speaker=s, start=k * 5.0, end=k * 5.0 + 4.0, text=t, arousal=(arousal or {}).get(k))
        for k, (s, t) in enumerate(rows, 1)
    ]


CALL = [
    ("S1", "Hi, thanks for taking the time. I'm calling from Acme."),
    ("S2", "Sure, happy to talk, things are going well."),
    ("S1", "Tell me about how you currently track orders?"),
    ("S2", "We currently use spreadsheets, it works okay."),
    ("S1", "Our platform automates that. Our price is fixed at 40k per year."),
    ("S2", "That's far too expensive, I'm really disappointed."),
    ("S1", "I understand. Can we schedule a call next week with your manager?"),
]


def test_two_speakers_full_contract():
    a = analyze_conversation(conv(CALL, arousal={6: 1.8}), language=None)
    assert isinstance(a, CallAnalysis) and a.language == "en"
    roles = {s.id: s.role for s in a.speakers}
    assert roles == {"S1": "rep", "S2": "customer"}
    assert all(s.role_evidence for s in a.speakers)
    assert a.speakers[0].talk_s == 16.0
    u6 = a.utterance("u6")
    assert u6.role == "customer" and u6.sentiment < -0.5 and u6.arousal == 1.8 and u6.emotion == "tense"
    cust = [s for s in a.emotion_shifts if s.role == "customer"]
    assert any(s.utterance_id == "u6" and s.direction == "negative" and s.cause_utterance_id == "u5" for s in cust)
    types = {(m.type, m.utterance_id) for m in a.moments}
    assert {("objection", "u6"), ("pricing", "u5"), ("next_step", "u7")} <= types
    assert a.metrics.talk_ratio == 0.571 and a.metrics.questions_rep == 2
    d = a.to_json_dict()
    assert set(d["emotion_shifts"][0]) >= {"from", "to", "cause_utterance_id", "evidence"}
    assert a.warnings == []
    assert "text_analysis" in a.timings


def test_one_speaker_warns():
    a = analyze_conversation(conv([("S1", "Our solution helps clinics."), ("S1", "We offer a free pilot.")]), language="en")
    assert len(a.speakers) == 1 and a.speakers[0].role == "rep"
    assert any("only one speaker" in w for w in a.warnings)
    assert a.metrics.talk_ratio == 1.0 and a.metrics.patience_s is None


def test_three_speakers():
    rows = CALL + [("S3", "I'm in procurement. Our budget is limited, send me a quote.")]
    a = analyze_conversation(conv(rows), language="en")
    roles = {s.id: s.role for s in a.speakers}
    assert roles == {"S1": "rep", "S2": "customer", "S3": "customer"}
    assert all(u.role == roles[u.speaker] for u in a.utterances)


def test_role_hints_override():
    a = analyze_conversation(conv(CALL), language="en", role_hints={"S2": "rep"})
    roles = {s.id: s.role for s in a.speakers}
    assert roles == {"S1": "customer", "S2": "rep"}


def test_no_customer_warning():
    a = analyze_conversation(conv([("Rep", "hello"), ("Agent", "hi")]), language="en")
    assert any("no customer speech" in w for w in a.warnings)


def test_chinese_gets_sentiment_from_the_multilingual_head():
    rows = [("A", "王主任您好，感谢您抽出时间，我们的产品可以帮您。"), ("B", "太贵了，我们没有预算。"), ("A", "那我下周把方案发给您？")]
    a = analyze_conversation(conv(rows), language=None)
    assert a.language == "zh"
    assert all(u.sentiment is not None for u in a.utterances) and a.warnings == []
    assert a.utterances[1].sentiment < 0 < a.utterances[0].sentiment  # "too expensive, no budget" vs thanks
    assert {s.id: s.role for s in a.speakers} == {"A": "rep", "B": "customer"}
    assert {m.type for m in a.moments} >= {"objection", "pricing", "next_step"}
    assert a.metrics.questions_rep == 1


def test_empty_and_duplicate_ids():
    a = analyze_conversation([], language="en")
    assert a.utterances == [] and any("no speech" in w for w in a.warnings)
    utts = conv([("A", "one"), ("B", "two")])
    for u in utts:
        u.id = "x"
    a = analyze_conversation(utts, language="en")
    assert [u.id for u in a.utterances] == ["u1", "u2"]
    assert utts[0].id == "x"  # input not mutated
