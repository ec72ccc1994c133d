"""Rep vs customer from talk evidence, names and hints."""

from __future__ import annotations

from speech.phrases import load_phrases
from speech.roles import assign_roles, name_role
from speech.types import Utterance


def conv(lines):
    return [Utterance(id=f"u{k}", speaker=s, start=k * 5.0, end=k * 5.0 + 4, text=t) for k, (s, t) in enumerate(lines, 1)]


EN = [
    ("S2", "Hi, thanks for taking the time today."),
    ("S1", "Sure, no problem."),
    ("S2", "Tell me about how you currently handle scheduling?"),
    ("S1", "We currently use spreadsheets and it's painful."),
    ("S2", "Our platform automates that. We offer a free pilot."),
    ("S1", "How much does it cost?"),
]
ZH = [
    ("A", "王主任您好，感谢您抽出时间。"),
    ("B", "你好。"),
    ("A", "您现在科室的影像数据是怎么管理的？"),
    ("B", "我们现在用的是老系统，我们需要更快的。"),
    ("A", "我们的产品可以帮您把速度提高一倍，我们的客户都很满意。"),
    ("B", "多少钱？"),
]


def test_english_roles_from_evidence():
    roles, warnings = assign_roles(conv(EN), load_phrases("en"))
    assert roles["S2"].role == "rep" and roles["S1"].role == "customer"
    assert "opens the call" in roles["S2"].evidence and "presents the product" in roles["S2"].evidence
    assert "we currently use" in roles["S1"].evidence
    assert warnings == []


def test_chinese_roles_from_evidence():
    roles, _ = assign_roles(conv(ZH), load_phrases("zh"))
    assert roles["A"].role == "rep" and roles["B"].role == "customer"
    assert "我们的产品" in roles["A"].evidence


def test_speaker_names():
    p = load_phrases("en")
    assert name_role("Sales Rep (Dana)", p) == "rep"
    assert name_role("Customer", p) == "customer"
    assert name_role("客户", load_phrases("zh")) == "customer"
    assert name_role("Dana", p) is None
    roles, _ = assign_roles(conv([("Agent", "hello"), ("Client", "hi")]), p)
    assert roles["Agent"].role == "rep" and roles["Client"].role == "customer"


def test_hints_override_evidence():
    roles, _ = assign_roles(conv(EN), load_phrases("en"), role_hints={"S1": "rep:enrolled voice, similarity 0.81"})
    assert roles["S1"].role == "rep" and "enrolled voice" in roles["S1"].evidence
    assert roles["S2"].role == "customer"


def test_bad_hints_warn():
    _, warnings = assign_roles(conv(EN), load_phrases("en"), role_hints={"S9": "rep", "S1": "boss"})
    assert any("S9" in w for w in warnings) and any("boss" in w for w in warnings)


def test_no_evidence_gives_unknown_and_warning():
    roles, warnings = assign_roles(conv([("A", "The weather is nice."), ("B", "Indeed it is.")]), load_phrases("en"))
    assert {d.role for d in roles.values()} == {"unknown"}
    assert any("choose which speaker is the rep" in w for w in warnings)


def test_three_speakers_one_rep():
    lines = EN + [("S3", "I'm from finance; our budget is fixed this year."), ("S3", "Can you send me a quote?")]
    roles, _ = assign_roles(conv(lines), load_phrases("en"))
    assert [roles[s].role for s in ("S1", "S2", "S3")] == ["customer", "rep", "customer"]


def test_one_speaker_by_evidence_with_warning():
    roles, warnings = assign_roles(conv([("X", "Our solution helps hospitals. We offer a pilot.")]), load_phrases("en"))
    assert roles["X"].role == "rep" and roles["X"].evidence.startswith("only speaker")
    assert any("only one speaker" in w for w in warnings)
