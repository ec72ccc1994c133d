"""Chat answers are kept sentence by sentence only where the retrieved passages support
them (coach.chat.grounding); debris never reaches the user."""

from __future__ import annotations

from coach.chat.grounding import (
    EXTRACTIVE_LEAD, Passage, SupportChecker, checked_pieces, clean_debris, extractive_answer, stream_sentences,
)

PASSAGES = [
    Passage("won-hospital-price", "Portable ultrasound for a hospital (outcome: won)\nThe hospital said a competitor "
            "quoted 20% less. The rep rebuilt the comparison as five-year total cost of ownership and PortaScan came "
            "out 6% cheaper.", "Portable ultrasound for a hospital"),
    Passage("lost-clinic-service", "Patient monitors for a clinic group (outcome: lost)\nThe clinic group worried about "
            "service response time outside Shanghai. The rep promised a 48-hour response.", "Patient monitors"),
    Passage("Westlake Riverside Hospital", "Westlake Riverside Hospital: medical-devices, East China", citable=False),
]
QUESTION = "Which won deals had a CFO pushing back on price?"


def check(sentence: str):
    return SupportChecker(PASSAGES, QUESTION).check(sentence)


def test_supported_claims_are_kept_and_cited() -> None:
    c = check("The rep rebuilt the comparison as five-year total cost of ownership [won-hospital-price].")
    assert c.ok and c.cited == ["won-hospital-price"]
    c = check("PortaScan came out 6% cheaper after the comparison was rebuilt.")
    assert c.ok and c.text.endswith("[won-hospital-price].") and c.cited == ["won-hospital-price"]


def test_invented_numbers_names_and_cases_are_dropped() -> None:
    assert not check("A luxury glass bottle of 200 ml sold at $89 won the deal.").ok
    assert not check("The CFO pushed back on the price of the scanner [won-hospital-price].").ok, "no CFO in the case"
    assert not check("The rep promised a 48-hour response [won-hospital-price].").ok, "supported by another case only"
    assert not check("The hospital signed after a trial [won-imaginary-2030].").ok
    assert not check("Which won deals had a CFO pushing back on price?").ok, "echoing the question is no answer"
    assert not check("The answer is: [won-hospital-price].").ok


def test_a_plain_sentence_must_stay_on_the_passages() -> None:
    assert check("Rebuild the comparison as total cost of ownership before you discuss discounts.").ok
    assert not check("Sunny weather makes customers happier and more generous with budgets.").ok


def test_debris_is_removed() -> None:
    text = "<<<Question>>> A) cheaper B) faster C) both\nAnswer: yes\nThe rep rebuilt the comparison [won-hospital-price]."
    assert clean_debris(text) == "The rep rebuilt the comparison [won-hospital-price]."


def test_streamed_sentences_are_checked_one_by_one() -> None:
    tokens = ["- The rep rebuilt ", "the comparison as five-year total cost of ownership. ",
              "A) quiz\n", "Our scanner is 87% faster.\n", "- PortaScan came out 6% cheaper [won-hospital-price].\n"]
    pieces = list(checked_pieces(stream_sentences(tokens), SupportChecker(PASSAGES, QUESTION)))
    shown = "".join(p.text for p in pieces if p.ok)
    assert "87%" not in shown and "quiz" not in shown
    assert shown.startswith("- The rep rebuilt") and "[won-hospital-price]" in shown
    assert "Our scanner is 87% faster." in [p.text for p in pieces if not p.ok]


def test_extractive_answer_quotes_passages_with_their_ids() -> None:
    text = extractive_answer(PASSAGES[:2], "How did we handle the price objection at the hospital?")
    lines = text.splitlines()
    assert lines[0] == EXTRACTIVE_LEAD and lines[1].startswith("- [won-hospital-price]") and "20% less" in lines[1]
