"""Case file format: front matter parsing and validation (every bad input has a test)."""

from __future__ import annotations

import pytest

from retrieval.errors import ValidationFailed
from retrieval.cases import Case, content_hash, norm_key, parse_case_text, slugify

GOOD = """---
id: renji-ultrasound
title: Renji Hospital buys ultrasound systems
industry: Medical Devices
product: ultrasound
outcome: Won
deal_size: "3,600,000"
currency: CNY
region: Shanghai
objections: price; service
tags: [tender]
date: 2023-05-12
champion: Dr. Li
---
The head of procurement pushed back on price.
"""


def test_parses_all_fields():
    case = parse_case_text(GOOD, source="a.md")
    assert case.id == "renji-ultrasound"
    assert case.outcome == "won"
    assert case.deal_size == 3_600_000.0
    assert case.objections == ["price", "service"]
    assert case.tags == ["tender"]
    assert case.date == "2023-05-12"
    assert case.extra == {"champion": "Dr. Li"}
    assert case.body == "The head of procurement pushed back on price."
    assert case.source == "a.md"


def test_roundtrip_through_markdown():
    case = parse_case_text(GOOD)
    again = parse_case_text(case.to_markdown())
    assert again == case
    assert content_hash(again) == content_hash(case)


def test_missing_front_matter():
    with pytest.raises(ValidationFailed, match="missing front matter"):
        parse_case_text("# Just a heading\n\nSome text")


def test_front_matter_not_yaml():
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        parse_case_text("---\nid: [unclosed\ntitle: x\n---\nbody")


def test_front_matter_not_a_mapping():
    with pytest.raises(ValidationFailed, match="must be a YAML mapping"):
        parse_case_text("---\n- a\n- b\n---\nbody")


def test_missing_required_fields_are_all_listed():
    with pytest.raises(ValidationFailed) as exc:
        parse_case_text("---\nid: x1\ntitle: T\n---\nbody")
    assert "industry" in exc.value.message and "product" in exc.value.message and "outcome" in exc.value.message


@pytest.mark.parametrize("value", ["stalled", "win?", "", "yes"])
def test_unknown_outcome(value):
    text = GOOD.replace("outcome: Won", f"outcome: '{value}'")
    with pytest.raises(ValidationFailed, match="outcome"):
        parse_case_text(text)


def test_bad_deal_size_and_id():
    text = GOOD.replace('deal_size: "3,600,000"', "deal_size: lots").replace("id: renji-ultrasound", "id: 'bad id!'")
    with pytest.raises(ValidationFailed) as exc:
        parse_case_text(text)
    assert "deal_size" in exc.value.message and "id" in exc.value.message


def test_negative_deal_size_rejected():
    with pytest.raises(ValidationFailed, match="deal_size"):
        parse_case_text(GOOD.replace('deal_size: "3,600,000"', "deal_size: -5"))


def test_empty_body_rejected():
    with pytest.raises(ValidationFailed, match="no body"):
        parse_case_text(GOOD.split("---\nThe head")[0] + "---\n\n")


def test_chinese_case_and_helpers():
    case = parse_case_text("---\nid: 新能源-车队\ntitle: 车队采购\nindustry: 新能源汽车\nproduct: 电动车\noutcome: lost\n---\n客户担心充电桩不足。")
    assert case.id == "新能源-车队" and case.outcome == "lost"
    assert norm_key(" Medical_Devices ") == norm_key("medical-devices") == "medical devices"
    assert slugify("Deal #42 / Renji") == "deal-42-renji"
    assert isinstance(Case.model_validate(case.model_dump()), Case)
