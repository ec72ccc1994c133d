"""The buyer's price logic (part of every persona's budget)."""

from coach.roleplay.engine import Simulation
from coach.roleplay.negotiation import counter_at, limit, nice, respond_to_price
from coach.roleplay.personas import Budget, get_persona
from coach.settings import DEFAULT_KNOWLEDGE_DIR

B = Budget(amount=120, target=100, currency="USD", flexibility=0.1, list_price=150, opening_ratio=0.9, max_rounds=4)


def test_opening_concessions_and_limits():
    assert counter_at(B, 0, 50, True, None) == 90
    offers = [90.0]
    for k in range(1, 5):
        offers.append(counter_at(B, k, 50, True, offers[-1]))
    assert offers == sorted(offers) and offers[-1] == limit(B, 50) == 120
    # the rep did not move: the buyer moves half as much
    assert counter_at(B, 1, 50, False, 90) - 90 == (counter_at(B, 1, 50, True, 90) - 90) / 2
    # value shown (interest) buys room up to amount * (1 + flexibility)
    assert limit(B, 90) == 132


def test_accept_counter_walk():
    kw = dict(interest=50, rep_prices=[], buyer_offers=[], stuck_rounds=0)
    assert respond_to_price(B, 100, rounds_done=0, **kw).decision == "accept"  # at the aim
    move = respond_to_price(B, 150, rounds_done=0, **kw)
    assert move.decision == "counter" and move.price == 90
    held = dict(interest=50, rep_prices=[150, 150], buyer_offers=[90, 95], stuck_rounds=2)
    assert respond_to_price(B, 150, rounds_done=2, **held).decision == "walk"
    last = dict(interest=50, rep_prices=[150, 140, 130, 125], buyer_offers=[90, 97, 105, 112], stuck_rounds=0)
    assert respond_to_price(B, 119, rounds_done=4, **last).decision == "accept"


def test_nice_rounding():
    assert nice(318788) == 319000 and nice(243.4) == 243 and nice(0) == 0


def test_persona_buyer_counters_and_closes_a_deal():
    sim = Simulation(get_persona(DEFAULT_KNOWLEDGE_DIR, "beauty-store-owner"), seed=0)
    b = sim.rep_turn("The price for three stores is $27,000.")
    assert b["act"] == "raise_objection" and b["objection"] == "price" and b["offer"] == 17100
    assert "$17,100" in b["text"]
    b = sim.rep_turn("Deal! $17,100 works for me.")
    assert b["act"] == "accept_offer" and sim.state.outcome == "deal" and sim.state.deal_price == 17100
