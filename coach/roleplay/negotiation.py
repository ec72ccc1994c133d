"""The buyer's price logic, part of every persona's budget.

The buyer opens at ``aim * opening_ratio`` and concedes towards its limit in
``max_rounds`` steps (linear in the round), but only half as much when the rep did not
move since the last round (reciprocity). It accepts a rep price at or below its own
next counter (or at or below its aim), walks away when the rep holds a price above its
limit for two rounds or the rounds are used up, and never offers more than the rep
asks. The limit stretches with interest: ``amount * (1 + flexibility * s)``, where
``s`` grows from 0 at interest 50 to 1 at interest 90 (value shown buys room).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from coach.roleplay.personas import Budget

Decision = Literal["accept", "counter", "walk"]


@dataclass
class PriceMove:
    decision: Decision
    #: the buyer's counter (``counter``), or the agreed price (``accept``)
    price: float | None
    reason: str


def nice(value: float) -> float:
    """Round an offer the way people say it (3 significant digits, whole units)."""
    if value <= 0:
        return value
    step = max(1.0, 10 ** (math.floor(math.log10(value)) - 2))
    return round(value / step) * step


def limit(budget: Budget, interest: float) -> float:
    stretch = min(1.0, max(0.0, (interest - 50.0) / 40.0))
    return budget.amount * (1.0 + budget.flexibility * stretch)


def opening(budget: Budget) -> float:
    return budget.aim * budget.opening_ratio


def counter_at(budget: Budget, round_k: int, interest: float, rep_moved: bool, last_offer: float | None) -> float:
    """The buyer's offer in round ``round_k`` (0 = opening)."""
    lo = opening(budget)
    if round_k <= 0 or last_offer is None:
        return lo
    target = lo + (limit(budget, interest) - lo) * min(1.0, round_k / budget.max_rounds)
    step = target - last_offer
    if not rep_moved:
        step *= 0.5
    return max(last_offer, last_offer + step)


def respond_to_price(
    budget: Budget,
    price: float,
    *,
    rounds_done: int,
    interest: float,
    rep_prices: list[float],
    buyer_offers: list[float],
    stuck_rounds: int,
) -> PriceMove:
    """Decide on a rep's price. ``rep_prices`` excludes ``price``; ``buyer_offers`` are
    the buyer's previous counters."""
    lim = limit(budget, interest)
    last_offer = buyer_offers[-1] if buyer_offers else None
    rep_moved = not rep_prices or price < rep_prices[-1] - 1e-9
    nxt = counter_at(budget, rounds_done, interest, rep_moved, last_offer)
    if price <= budget.aim:
        return PriceMove("accept", price, f"price {price:g} is within the aim {budget.aim:g}")
    if price <= nxt + 1e-9:
        return PriceMove("accept", price, f"price {price:g} is at or below the next counter {nxt:g}")
    if price > lim and (stuck_rounds >= 2 or rounds_done >= budget.max_rounds):
        return PriceMove("walk", None, f"price {price:g} stays above the limit {lim:g}")
    if rounds_done >= budget.max_rounds:
        return PriceMove("accept", price, f"last round and {price:g} is within the limit {lim:g}")
    offer = min(nice(nxt), price)
    if buyer_offers and offer < buyer_offers[-1]:
        offer = buyer_offers[-1]
    return PriceMove("counter", offer, f"counter {offer:g} (limit {lim:g})")
