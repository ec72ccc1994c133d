"""``RoleplayService``: the role-play API used by the web UI, the REST API and the CLI.

Sessions are stored after every turn (``RoleplaySession``: the engine snapshot, the
persona document and the annotated trace in ``state``; the public transcript
``[{speaker, text}]`` in ``turns``), so a session survives a restart and resumes with
the same behaviour, and the hidden state never shows in the transcript.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from coach.errors import InputError, PermissionDeniedError
from coach.roleplay import history
from coach.roleplay.engine import Simulation
from coach.roleplay.examples import CaseLibrary
from coach.roleplay.personas import Persona, get_persona, load_personas
from coach.roleplay.buyer_lines import LLMRenderer, Renderer, TemplateRenderer
from coach.roleplay.scoring import Rubric, load_rubric

log = logging.getLogger(__name__)

RendererName = Literal["auto", "llm", "template"]


class RoleplayService:
    def __init__(self, services: Any) -> None:
        self.services = services
        self.knowledge_dir = Path(services.settings.knowledge_dir)
        self._library: CaseLibrary | None = None

    # ------------------------------------------------------------------ catalogue --
    def list_personas(self) -> list[dict]:
        return [p.public_summary() for p in load_personas(self.knowledge_dir).values()]

    def persona(self, persona_id: str) -> Persona:
        return get_persona(self.knowledge_dir, persona_id)

    def rubric(self, rubric_id: str) -> Rubric:
        return load_rubric(self.knowledge_dir, rubric_id)

    @property
    def library(self) -> CaseLibrary:
        if self._library is None:
            self._library = CaseLibrary(self.knowledge_dir)
        return self._library

    def renderer(self, name: RendererName) -> Renderer:
        """``auto``: the LLM when an OpenAI-compatible endpoint is configured, else the
        persona templates (the bundled 135M model is slower and rarely better than them;
        see docs/roleplay.md)."""
        if name == "auto":
            name = "llm" if self.services.settings.llm.provider == "openai" else "template"
        if name == "template":
            return TemplateRenderer()
        if name == "llm":
            llm = self.services.settings.llm
            return LLMRenderer(self.services.llm, max_tokens=min(64, llm.max_new_tokens), timeout_s=llm.timeout_s)
        raise InputError(f"unknown renderer {name!r}", detail="use llm or template")

    # ------------------------------------------------------------------- sessions --
    def start(
        self,
        persona_id: str | None,
        user_id: int | None = None,
        seed: int = 0,
        *,
        renderer: RendererName = "auto",
        rubric_id: str | None = None,
        persona: Persona | None = None,
    ) -> tuple[str, str]:
        """Start a session; returns ``(session_id, the buyer's first line)``."""
        if persona is None:
            if not persona_id:
                raise InputError("a persona id is needed to start a role-play")
            persona = self.persona(persona_id)
        rubric = self.rubric(rubric_id or persona.rubric)  # fail early on a bad rubric
        self.renderer(renderer)
        sim = Simulation(persona, seed=seed)
        doc = {"engine": {"seed": sim.seed, "state": sim.state.to_dict()}, "persona": persona.model_dump(mode="json"), "rubric": rubric.id, "renderer": renderer}
        doc["trace"] = sim.turns
        sid = history.save_new(
            self.services.db, user_id=user_id, persona_id=persona.id, seed=seed, state=doc, turns=sim.transcript()
        )
        return sid, sim.opening

    def _load(self, session_id: str, user_id: int | None) -> tuple[Any, dict, Simulation]:
        row = history.load(self.services.db, session_id)
        if user_id is not None and row.user_id is not None and row.user_id != user_id:
            raise PermissionDeniedError("this role-play belongs to another user")
        doc = dict(row.state)
        persona = Persona.model_validate(doc["persona"])
        engine = dict(doc["engine"])
        engine["turns"] = list(doc["trace"])
        sim = Simulation.from_dict(persona, engine, self.renderer(doc.get("renderer", "auto")))
        return row, doc, sim

    def _store(self, session_id: str, doc: dict, sim: Simulation, **kw: Any) -> None:
        # the annotated trace (acts, hidden state) stays in ``state``; ``turns`` holds
        # only what the rep may see while the session runs
        doc["engine"] = {"seed": sim.seed, "state": sim.state.to_dict()}
        doc["trace"] = sim.turns
        history.update(
            self.services.db, session_id, state=doc, turns=sim.transcript(), outcome=sim.state.outcome, **kw
        )

    def rep_turn(self, session_id: str, text: str, *, user_id: int | None = None) -> dict:
        """One rep turn; returns the buyer's answer ``{text, ended, outcome, turn}``."""
        row, doc, sim = self._load(session_id, user_id)
        if row.status == "finished":
            raise InputError("this role-play is finished; start a new attempt")
        buyer = sim.rep_turn(text)
        self._store(session_id, doc, sim)
        return {"text": buyer["text"], "ended": sim.ended, "outcome": sim.state.outcome, "turn": len(sim.turns) - 1}

    def rep_audio(self, session_id: str, audio_path: str | Path, *, user_id: int | None = None) -> dict:
        """A spoken rep turn: transcribed, then played like a text turn."""
        from coach.roleplay.voice import transcribe_turn

        row, doc, _ = self._load(session_id, user_id)
        lang = doc.get("persona", {}).get("language")
        text = transcribe_turn(self.services.analyzer, audio_path, language=lang)
        out = self.rep_turn(session_id, text, user_id=user_id)
        out["rep_text"] = text
        return out

    def finish(self, session_id: str, *, user_id: int | None = None) -> dict:
        """End the session (if the buyer has not) and return its scorecard."""
        row, doc, sim = self._load(session_id, user_id)
        if row.status == "finished" and row.scorecard:
            return row.scorecard
        scorecard = sim.finish(self.rubric(doc["rubric"]), self.library)
        self._store(session_id, doc, sim, status="finished", scorecard=scorecard)
        return scorecard

    def get(self, session_id: str, *, user_id: int | None = None) -> dict:
        row, doc, sim = self._load(session_id, user_id)
        return {
            "session_id": row.id,
            "persona": row.persona_id,
            "status": row.status,
            "outcome": row.outcome,
            "turns": sim.transcript(),
            "scorecard": row.scorecard,
        }

    def result(self, session_id: str, *, user_id: int | None = None) -> dict:
        """The full document of a finished session (CLI ``--json`` contract + trace)."""
        row, _doc, sim = self._load(session_id, user_id)
        if row.status != "finished":
            raise InputError("this role-play is not finished yet")
        out = sim.result(row.scorecard or {})
        out["session_id"] = row.id
        return out

    def history(self, user_id: int | None) -> dict:
        items = history.attempts(self.services.db, user_id)
        return {"attempts": items, "progress": history.progress(items)}
