"""The LLM renderer: the persona template is used whenever the LLM output is empty,
too long, off-role, leaks hidden state or invents numbers (fake LLM)."""

import pytest

from coach.llm.fake import FakeChatModel
from coach.roleplay.engine import Simulation
from coach.roleplay.personas import get_persona
from coach.llm.buyer import content_overlap
from coach.roleplay.buyer_lines import LLMRenderer
from coach.settings import DEFAULT_KNOWLEDGE_DIR as K

Q = "How do the alarms on the current monitors affect your nurses during a shift?"


def sim_with(responses=None, **kw) -> Simulation:
    model = FakeChatModel(responses=responses or [], **kw)
    return Simulation(get_persona(K, "icu-nurse-manager"), seed=0, renderer=LLMRenderer(model, timeout_s=5))


def test_good_llm_line_is_used():
    line = "Honestly, the alarms are the real problem: hundreds per bed a day, most of them meaningless, and my nurses tune them out."
    sim = sim_with([line])
    b = sim.rep_turn(Q)
    assert b["renderer"] == "llm" and b["text"] == line and b["fallback_reason"] is None


@pytest.mark.parametrize(
    "output, reason",
    [
        ("", "empty"),
        ("alarms " * 200, "too long"),
        ("As an AI language model, I think the alarms are the real problem for nurses.", "off-role"),
        ("Our product cuts alarms; we at Meridian can help your nurses with the alarms problem.", "off-role"),
        ("My patience is low, but the alarms are the real problem, hundreds per bed a day, meaningless.", "hidden"),
        ("The alarms are the real problem, 350 per bed a day, most of them meaningless, nurses tune them out.", "number"),
        ("I enjoy gardening on weekends and reading novels.", "content"),
        ("How can I assist you today? Alarms are the real problem, hundreds per bed, meaningless.", "off-role"),
    ],
)
def test_bad_llm_lines_fall_back_to_the_template(output, reason):
    sim = sim_with([output])
    b = sim.rep_turn(Q)
    assert b["renderer"] == "template" and reason in b["fallback_reason"]
    assert b["text"] == get_persona(K, "icu-nurse-manager").need("alarm-fatigue").reveal_line


def test_provider_failure_falls_back():
    sim = sim_with(error="connection refused")
    b = sim.rep_turn(Q)
    assert b["renderer"] == "template" and "model failed" in b["fallback_reason"]


def test_counter_offer_must_keep_the_number():
    sim = Simulation(
        get_persona(K, "beauty-store-owner"),
        seed=0,
        renderer=LLMRenderer(FakeChatModel(responses=["Ooh, that's steep for a little shop like mine. Could you do less?"])),
    )
    b = sim.rep_turn("The price for three stores is $27,000.")
    assert b["renderer"] == "template" and "$17,100" in b["text"]


def test_llm_line_naming_a_clause_nobody_said_falls_back():
    line = "Honestly, the alarms are the real problem, with an exit clause, hundreds per bed, meaningless alarms."
    b = sim_with([line]).rep_turn(Q)
    assert b["renderer"] == "template" and "exit clause" in b["fallback_reason"]


def test_prompt_carries_the_act_content_not_the_hidden_state():
    model = FakeChatModel(responses=["fine"])
    sim = Simulation(get_persona(K, "icu-nurse-manager"), seed=0, renderer=LLMRenderer(model))
    sim.rep_turn(Q)
    prompt = " ".join(str(m.content) for m in model.calls[-1])
    assert "hundreds per bed" in prompt
    assert "560000" not in prompt and "charting" not in prompt.lower()  # budget, unrevealed need


def test_content_overlap():
    assert content_overlap("the alarms are the real problem", "alarm problems are real") >= 0.5
    assert content_overlap("货损是最头疼的", "最头疼的就是货损") > 0.5
    assert content_overlap("alarms problem", "gardening weekend") == 0
