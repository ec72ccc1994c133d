"""A role-play session: opening line, rep turn -> buyer turn, finish -> scorecard.

Each turn draws from its own RNG seeded with ``(seed, turn index)``, so a session can
be stored after any turn and resumed (web, API) with exactly the same behaviour, and
the same seed with the template renderer gives the same run.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from coach.errors import InputError
from coach.roleplay.acts import TurnContext, classify
from coach.roleplay.examples import CaseLibrary
from coach.roleplay.need_match import Sheet, need_text
from coach.roleplay.personas import Persona
from coach.roleplay.policy import choose
from coach.roleplay.buyer_lines import Renderer, TemplateRenderer
from coach.roleplay.scoring import Rubric, score
from coach.roleplay.state import BuyerState, apply_rep_turn, end

log = logging.getLogger(__name__)

#: longest rep turn accepted (characters); longer input is almost surely a paste error
MAX_REP_CHARS = 5000


class SessionEnded(InputError):
    code = "session_ended"


class Simulation:
    def __init__(
        self,
        persona: Persona,
        *,
        seed: int = 0,
        renderer: Renderer | None = None,
        state: BuyerState | None = None,
        turns: list[dict] | None = None,
    ) -> None:
        self.persona = persona
        self.seed = int(seed)
        self.renderer = renderer or TemplateRenderer()
        self.state = state or BuyerState.initial(persona)
        self.turns: list[dict] = turns if turns is not None else []
        if not self.turns:
            self.turns.append(
                {"speaker": "buyer", "text": persona.opening_line, "act": "greeting", "renderer": "persona"}
            )

    # ------------------------------------------------------------------ properties --
    @property
    def ended(self) -> bool:
        return self.state.ended

    @property
    def opening(self) -> str:
        return self.turns[0]["text"]

    def _rng(self) -> random.Random:
        return random.Random(f"{self.seed}:{len(self.turns)}")

    def _context(self) -> TurnContext:
        p = self.persona
        extra = [k for a in p.objection_agenda if a.trigger.when == "competitor_mentioned" for k in a.trigger.keywords]
        return TurnContext(
            needs=[(n.id, n.cues, n.keywords) for n in p.hidden_needs],
            sheet=Sheet({n.id: need_text(n) for n in p.hidden_needs}, tuple(p.background)),
            revealed_needs=set(self.state.revealed_needs),
            ref_price=p.budget.list_price or p.budget.amount,
            prev_rep_price=self.state.rep_prices[-1] if self.state.rep_prices else None,
            buyer_offer=self.state.buyer_offers[-1] if self.state.buyer_offers else None,
            extra_competitor_words=extra,
            prev_rep_acts=set(next((t.get("acts", []) for t in reversed(self.turns) if t["speaker"] == "rep"), [])),
        )

    # ------------------------------------------------------------------------ turns --
    def rep_turn(self, text: str) -> dict:
        """Add a rep turn and return the buyer's answer (a turn dict)."""
        if self.state.ended:
            raise SessionEnded(
                "this role-play has ended", detail=f"outcome {self.state.outcome}: {self.state.end_reason}"
            )
        text = "" if text is None else str(text)
        if len(text) > MAX_REP_CHARS:
            raise InputError(f"rep turn too long ({len(text)} characters, at most {MAX_REP_CHARS})")
        acts = classify(text, self._context())
        rng = self._rng()
        apply_rep_turn(self.state, self.persona, acts, text)
        act = choose(self.persona, self.state, acts, rng)
        self.turns.append({"speaker": "rep", "text": text.strip(), **acts.to_dict()})
        t0 = time.perf_counter()
        said = "\n".join(t["text"] for t in self.turns)
        rendered = self.renderer.render(self.persona, self.state, act, text, rng, said=said)
        buyer = {
            "speaker": "buyer",
            "text": rendered.text,
            "act": act.kind,
            "objection": act.objection,
            "need": act.need,
            "offer": act.offer,
            "repeat": act.repeat,
            "then_objection": act.then_objection,
            "conceded": act.conceded,
            "reason": act.reason,
            "renderer": rendered.renderer,
            "fallback_reason": rendered.fallback_reason,
            "rejected_llm_line": rendered.rejected,
            "latency_s": round(time.perf_counter() - t0, 4),
            "state": {
                "interest": round(self.state.interest, 1),
                "trust": round(self.state.trust, 1),
                "patience": round(self.state.patience, 1),
            },
            "events": list(self.state.events),
            "words": len(rendered.text.split()),
        }
        self.turns.append(buyer)
        return buyer

    def finish(self, rubric: Rubric, library: CaseLibrary | None = None) -> dict[str, Any]:
        """End the session (if the buyer has not) and score it."""
        if not self.state.ended:
            end(self.state, "no_decision", "the rep ended the call without an agreed next step")
        from coach.roleplay.debrief import debrief

        card = score(rubric, self.turns, self.persona, self.state.outcome, library, self.state.raised_objections)
        card["debrief"] = debrief(self.persona, self.state, self.turns)
        return card

    # ------------------------------------------------------------------- documents --
    def transcript(self) -> list[dict]:
        return [{"speaker": t["speaker"], "text": t["text"]} for t in self.turns]

    def to_dict(self) -> dict:
        return {"seed": self.seed, "state": self.state.to_dict(), "turns": self.turns}

    @classmethod
    def from_dict(cls, persona: Persona, data: dict, renderer: Renderer | None = None) -> "Simulation":
        return cls(
            persona,
            seed=data.get("seed", 0),
            renderer=renderer,
            state=BuyerState.from_dict(data["state"]),
            turns=list(data["turns"]),
        )

    def result(self, scorecard: dict[str, Any]) -> dict[str, Any]:
        """The CLI JSON document (docs/contracts/cli.md, plus a trace for coaches)."""
        return {
            "persona": self.persona.id,
            "seed": self.seed,
            "renderer": self.renderer.name,
            "turns": self.transcript(),
            "outcome": self.state.outcome,
            "end_reason": self.state.end_reason,
            "deal_price": self.state.deal_price,
            "scorecard": scorecard,
            "final_state": {
                k: v
                for k, v in self.state.to_dict().items()
                if k in ("interest", "trust", "patience", "revealed_needs", "raised_objections", "open_objections", "resolved_objections", "turns")
            },
            "trace": self.turns,
        }


def run_script(sim: Simulation, rep_lines: list[str]) -> None:
    """Feed scripted rep lines until they run out or the buyer ends the call."""
    for line in rep_lines:
        if sim.ended:
            break
        sim.rep_turn(line)
