"""The citation/number validator and the case-facts parser it relies on."""

from __future__ import annotations

from scripts_gen.casefacts import numbers_in, parse_case_facts, split_sentences
from scripts_gen.validate import Validator

CASE = "Scan wait fell from 26 minutes to 9 minutes. 1,200-bed hospital; PortaScan P5 cut triage by 18%."
PLAN = "- Last contact was 41 days ago. [case-a]"


def v() -> Validator:
    return Validator({"case-a": CASE}, lambda cid: cid in {"case-a", "case-b"})


def test_numbers_are_normalised_and_identifiers_ignored() -> None:
    assert numbers_in("1,200-bed, 18% and 6.0 points; PortaScan P5, HL7, DC120 [sw-x-2025]") == ["1200", "18", "6"]
    assert numbers_in("试运行两个月，准时率 99%，20 家门店") == ["99", "20"]


def test_valid_claims_are_kept_and_counted() -> None:
    f = v().filter("- Waits fell from 26 to 9 minutes [case-a].\n- Ask about triage.", source_text=PLAN)
    assert f.stats.claims == 1 and f.stats.kept == 1 and f.stats.dropped == 0
    assert f.citations == ["case-a"] and "Ask about triage." in f.text


def test_each_failure_reason() -> None:
    val = v()
    cases = {
        "unknown_case": "Cut costs by 18% [case-zzz].",
        "case_not_retrieved": "Waits fell 26 minutes [case-b].",
        "number_not_in_case": "Triage fell by 35% [case-a].",
        "number_without_case": "Triage fell by 18%.",
    }
    for reason, sentence in cases.items():
        ok, why, _ = val.check(sentence, source_text=PLAN, numbers_need_case=(reason == "number_without_case"))
        assert not ok and why == reason, (sentence, why)
    ok, why, _ = val.check("It has been 77 days.", source_text=PLAN)
    assert not ok and why == "number_not_in_plan"
    assert val.check("It has been 41 days.", source_text=PLAN)[0]


def test_filter_drops_only_the_bad_sentence_and_inherits_line_citations() -> None:
    f = v().filter("- Waits fell to 9 minutes. Costs fell 50%. [case-a]\n- Great product.", source_text="")
    assert "9 minutes" in f.text and "50%" not in f.text and "Great product." in f.text
    assert f.stats.claims == 2 and f.stats.kept == 1 and f.stats.dropped == 1
    assert f.stats.reasons == {"number_not_in_case": 1}


def test_a_broken_store_does_not_let_a_claim_through() -> None:
    def boom(_cid: str) -> bool:
        raise RuntimeError("store down")

    ok, why, _ = Validator({}, boom).check("See [x-1].", source_text="")
    assert not ok and why == "unknown_case"


def test_sentence_splitting_keeps_abbreviations_and_citations() -> None:
    assert split_sentences("Dr. Chen agreed. Trial ran 2 weeks. [c-1] Next.") == ["Dr. Chen agreed.", "Trial ran 2 weeks. [c-1]", "Next."]
    assert split_sentences("结果：有效。周总同意。") == ["结果：有效。", "周总同意。"]


def test_case_facts_english_and_chinese() -> None:
    body = """## Pains
- Waits of 26 minutes.

## Objections and how they were handled
### price
- Customer said: "Too expensive."
- Rep response: Rebuilt the comparison as five-year cost.
- Result: Worked. 6% cheaper.

### competitor
- 客户说：“老关系了。”
- 销售应对：提出试运行。
- 结果：无效。

## Proof points
- 310 scans in two weeks.
"""
    f = parse_case_facts(body)
    assert f.pains == ["Waits of 26 minutes."] and f.proof_points == ["310 scans in two weeks."]
    assert f.handled("price").worked is True and f.handled("price").response.startswith("Rebuilt")
    assert f.handled("competitor").worked is False and f.handled("competitor").response == "提出试运行。"
