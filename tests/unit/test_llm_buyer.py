"""The buyer-line seam (coach.llm.buyer): the prompt never holds withheld state, and the
checker rejects lines that leak it, name unseen numbers or say something else."""

from __future__ import annotations

import pytest

from coach.llm.buyer import BuyerLineRequest, BuyerVoice, buyer_messages, check_buyer_line, phrase_buyer_line
from coach.llm.fake import FakeChatModel

VOICE = BuyerVoice(name="Helen Park", role="CFO", company="Tideway Logistics", product="LedgerLine",
                   personality="blunt and busy")
REQ = BuyerLineRequest(
    act="raise_objection", content="Your price is well above what the other supplier quoted us.", voice=VOICE,
    rep_text="The package is 120,000 dollars a year.",
    withheld=["we have to replace the old system before the audit in March", "a board mandate to cut closing time"],
    withheld_numbers=["150000", "140,000"])


def test_the_prompt_holds_the_voice_and_content_but_nothing_withheld() -> None:
    text = " ".join(str(m.content) for m in buyer_messages(REQ))
    assert "Helen Park" in text and "CFO" in text and REQ.content in text and "120,000" in text
    for secret in ("audit", "board mandate", "150000", "140,000", "150,000"):
        assert secret not in text


@pytest.mark.parametrize("line, why", [
    ("", "empty"),
    ("As an AI language model I think the price is high.", "off-role"),
    ("How can I help you with our product today?", "off-role"),
    ("My patience is running out with this price.", "hidden state"),
    ("We could go to 150,000 but your price is above the other supplier.", "withheld number"),
    ("Your price is 20% above the other supplier's quote.", "not seen"),
    ("Honestly we must replace the old system before the audit, but the price is above the other quote.", "withheld fact"),
    ("Let's talk about the weather in Hamburg this week instead.", "decided content"),
    ("x" * 400, "too long"),
])
def test_the_checker_rejects(line, why) -> None:
    reason = check_buyer_line(line, REQ)
    assert reason is not None and why in reason, reason


def test_the_checker_accepts_a_faithful_paraphrase_and_numbers_the_rep_said() -> None:
    assert check_buyer_line("Frankly, your price is well above the other supplier's quote.", REQ) is None
    assert check_buyer_line("At 120,000 a year your price is well above what the other supplier quoted.", REQ) is None


def test_a_required_offer_must_be_said_exactly() -> None:
    req = REQ.model_copy(update={"act": "counter_offer", "content": "The most we can do is $102,000.",
                                 "required": ["$102,000"]})
    assert "exactly" in check_buyer_line("The most we can do is a lower price.", req)
    assert check_buyer_line("Look, the most we can do is $102,000.", req) is None


def test_phrase_uses_the_model_line_when_it_passes_and_the_content_otherwise() -> None:
    good = phrase_buyer_line(FakeChatModel(responses=['Helen: "Frankly, your price is well above the other supplier\'s quote."']), REQ)
    assert good.source == "llm" and good.text.startswith("Frankly") and good.reason is None
    leak = phrase_buyer_line(FakeChatModel(responses=["We could pay 150,000, but your price is above the other quote."]), REQ)
    assert leak.source == "template" and leak.text == REQ.content and "withheld" in leak.reason
    assert leak.rejected and "150,000" in leak.rejected
    down = phrase_buyer_line(FakeChatModel(error="connection refused"), REQ)
    assert down.source == "template" and down.text == REQ.content and "failed" in down.reason
