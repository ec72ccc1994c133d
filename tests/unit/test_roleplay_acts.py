"""Rep-turn act classification (English and Chinese), prices and bad input."""

from coach.roleplay.acts import TurnContext, classify, extract_prices, is_gibberish

NEEDS = [("alarm-fatigue", ["alarm", "alarms"], ["alarm", "alarms"]), ("charting", ["charting"], ["charting"])]


def test_open_and_closed_discovery_and_need_cues():
    r = classify("How do the alarms affect your nurses during a shift?", TurnContext(needs=NEEDS))
    assert "discovery_open" in r.acts and r.needs_asked == ["alarm-fatigue"]
    r = classify("Do you chart by hand?")
    assert r.acts == ["discovery_closed"]


def test_need_linked_value_only_for_revealed_needs():
    text = "Our smart alarms cut non-actionable alarms by 60% at a hospital like yours."
    unrevealed = classify(text, TurnContext(needs=NEEDS))
    assert "need_linked_value" not in unrevealed.acts and unrevealed.needs_linked == []
    revealed = classify(text, TurnContext(needs=NEEDS, revealed_needs={"alarm-fatigue"}))
    assert "need_linked_value" in revealed.acts and revealed.needs_linked == ["alarm-fatigue"]
    assert "evidence" in revealed.acts


def test_objection_handling_steps():
    r = classify("That's a fair concern, I understand. What specifically worries you?")
    assert {"acknowledge", "clarify"} <= set(r.acts)
    # a check that the answer landed follows an answer (this turn's or the previous one's)
    r = classify("A plant like yours cut rework by 30% with the same sensors. Does that address it?")
    assert {"evidence", "confirm"} <= set(r.acts)
    assert "confirm" in classify("Does that address it?", TurnContext(prev_rep_acts={"evidence"})).acts
    assert "confirm" not in classify("Is this something your team raised?").acts


def test_pushy_close_next_step_and_monologue():
    assert "pushy_close" in classify("This offer is only valid today, so let's sign the contract today.").acts
    r = classify("Could we set up a pilot review with your CIO next Tuesday at 10am?")
    assert {"next_step", "next_step_specific"} <= set(r.acts) and "discovery_closed" not in r.acts
    assert "monologue" in classify(" ".join(["our platform helps"] * 40)).acts


def test_chinese_acts():
    r = classify("我理解您的顾虑。您具体担心什么？数据显示货损降低了40%，一年就回本。")
    assert {"acknowledge", "clarify"} <= set(r.acts) and {"evidence", "roi"} & set(r.acts)
    assert "confirm" in classify("这样回答了您的问题吗？", TurnContext(prev_rep_acts={"roi"})).acts
    assert "pushy_close" in classify("这个优惠仅限今天，我们今天就签合同吧？").acts
    assert "next_step" in classify("我们下周三安排两周试用，可以吗？").acts


def test_empty_and_gibberish():
    assert classify("").acts == ["empty"]
    assert classify("   ").acts == ["empty"]
    for junk in ("asdf qwer zxcv", "hjkl", "???", "!!!! ...."):
        assert classify(junk).acts == ["gibberish"], junk
    assert not is_gibberish("Pricing?") and not is_gibberish("ok") and not is_gibberish("价格呢")


def test_prices_are_not_savings_or_quantities():
    assert extract_prices("The price is $560,000 for the fleet", 600000) == [560000.0]
    assert extract_prices("We can do 1.3 million", 1400000) == [1300000.0]
    assert extract_prices("整单3150万", 33000000) == [31500000.0]
    assert extract_prices("it saves you $300k a year", 600000) == []
    assert extract_prices("roughly $900,000 a year in nursing time", 600000) == []
    assert extract_prices("12 wards, 3 weeks, 40% fewer alarms", 600000) == []


def test_concession_and_accepting_the_buyers_offer():
    r = classify("I can do $240 for it.", TurnContext(ref_price=265, prev_rep_price=265))
    assert r.prices == [240.0] and "concession" in r.acts
    r = classify("Deal! $230 works for me.", TurnContext(ref_price=265, buyer_offer=230))
    assert "accept_offer" in r.acts
    assert "accept_offer" not in classify("三成首付我们可以接受", TurnContext(buyer_offer=2.3e7)).acts
