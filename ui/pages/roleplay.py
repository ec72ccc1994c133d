"""Role-play page: pick a persona, talk to the AI buyer by text or microphone, get the
scorecard with evidence at the end; history and open practice assignments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from ui.session import principal_of, ui_errors

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

HISTORY_COLUMNS = ["id", "user", "persona_id", "status", "score_total", "outcome", "turn_count", "created_at"]
ASSIGN_COLUMNS = ["id", "persona_id", "note", "assigned_by", "status", "created_at"]
PROGRESS_COLUMNS = ["Check", "Passed", "Applied", "First time", "Last time"]


def _progress_rows(progress: dict) -> list[list[Any]]:
    checks = ((progress or {}).get("overall") or {}).get("checks") or {}
    return [
        [text, r["passed"], r["applied"], r["first"] or "not applicable", r["last"] or "not applicable"]
        for text, r in checks.items()
    ]


def _voice(text: str) -> str | None:
    """The buyer's line spoken (espeak-ng), or None when it is not installed."""
    import tempfile

    from coach.roleplay.voice import speak_reply

    path = speak_reply(text, tempfile.gettempdir())
    return str(path) if path else None


def _buyer_text(buyer: Any) -> str:
    if isinstance(buyer, dict):
        return str(buyer.get("text") or buyer.get("line") or buyer.get("content") or "")
    return str(buyer or "")


def _buyer_message(buyer: Any) -> dict[str, str]:
    text = _buyer_text(buyer)
    if isinstance(buyer, dict) and buyer.get("ended"):
        text += f"\n\n_The buyer ended the conversation ({buyer.get('outcome') or 'no decision'}). Press **Finish and score**._"
    return {"role": "assistant", "content": text}


def build(services: "Services", demo: "gr.Blocks") -> None:
    from coach.roleplay import views as rv
    from coach.team.views import list_assignments
    from ui.document_html import scorecard_md, table

    session = gr.State(None)
    with gr.Row():
        persona = gr.Dropdown(label="Buyer persona", choices=[], scale=3, allow_custom_value=True, elem_id="sc-persona")
        seed = gr.Number(
            label="Scenario variant",
            value=0,
            precision=0,
            minimum=0,
            scale=1,
            info="The same variant plays the same way; try another for a different conversation.",
        )
        start = gr.Button("Start", variant="primary", scale=1)
    persona_info = gr.Markdown()
    chat = gr.Chatbot(label="Conversation", height=380, elem_id="sc-roleplay-chat")
    buyer_voice = gr.Audio(label="The buyer's voice", autoplay=True, interactive=False, elem_id="sc-buyer-voice")
    with gr.Row():
        text = gr.Textbox(placeholder="What do you say?", show_label=False, scale=5, max_lines=4)
        say = gr.Button("Say", scale=1)
    with gr.Row():
        mic = gr.Audio(sources=["microphone", "upload"], type="filepath", label="Or speak", scale=4)
        say_voice = gr.Button("Send voice", scale=1)
        finish = gr.Button("Finish and score", variant="secondary", scale=1)
    scorecard = gr.Markdown(elem_id="sc-scorecard")
    debrief = gr.Markdown(elem_id="sc-debrief")
    progress = gr.Dataframe(headers=PROGRESS_COLUMNS, interactive=False, label="Your progress by check")
    with gr.Accordion("History and assignments", open=False):
        history = gr.Dataframe(headers=HISTORY_COLUMNS, interactive=False)
        assignments = gr.Dataframe(headers=ASSIGN_COLUMNS, interactive=False)

    def _tables(p: Any) -> tuple[Any, Any]:
        return (
            table(rv.history(services, p, limit=50), HISTORY_COLUMNS),
            table(list_assignments(services, p), ASSIGN_COLUMNS),
        )

    @ui_errors
    def on_load(request: gr.Request) -> Any:
        p = principal_of(services, request)
        try:
            personas = rv.list_personas(services)
        except Exception:  # noqa: BLE001 - the page stays usable; starting explains
            personas = []
        choices = [(f"{x['name']} - {x['role']}, {x['company']} ({x['difficulty']})", x["id"]) for x in personas]
        return (gr.Dropdown(choices=choices, value=choices[0][1] if choices else None), *_tables(p))

    @ui_errors
    def describe(pid: str | None) -> str:
        if not pid:
            return ""
        for x in rv.list_personas(services):
            if x["id"] == pid:
                return f"**{x['name']}**, {x['role']} at {x['company']} - {x['industry']}, {x['product']}. {x['personality']}"
        return ""

    @ui_errors
    def do_start(pid: str | None, sd: float | None, request: gr.Request) -> Any:
        p = principal_of(services, request)
        if not pid:
            raise gr.Error("Choose a persona.")
        out = rv.start(services, p, pid, int(sd or 0))
        return out["session_id"], [{"role": "assistant", "content": _buyer_text(out["buyer"])}], "", "", *_tables(p)

    def _turn(services_: Any, p: Any, sid: str | None, said: str, hist: list[dict]) -> list[dict]:
        if not sid:
            raise gr.Error("Start a role-play first.")
        out = rv.rep_turn(services_, p, sid, said)
        return list(hist or []) + [{"role": "user", "content": said}, _buyer_message(out["buyer"])], _voice(_buyer_text(out["buyer"]))

    @ui_errors
    def do_say(said: str, sid: str | None, hist: list[dict], request: gr.Request) -> Any:
        p = principal_of(services, request)
        return "", *_turn(services, p, sid, said, hist)

    @ui_errors
    def do_voice(path: str | None, sid: str | None, hist: list[dict], request: gr.Request) -> Any:
        p = principal_of(services, request)
        if not path:
            raise gr.Error("Record or upload something first.")
        if not sid:
            raise gr.Error("Start a role-play first.")
        out = rv.rep_audio(services, p, sid, path)
        msgs = list(hist or []) + [{"role": "user", "content": out["rep_text"]}, _buyer_message(out["buyer"])]
        return None, msgs, _voice(_buyer_text(out["buyer"]))

    @ui_errors
    def do_finish(sid: str | None, request: gr.Request) -> Any:
        p = principal_of(services, request)
        if not sid:
            raise gr.Error("Start a role-play first.")
        out = rv.finish(services, p, sid)
        from coach.roleplay.debrief import debrief_md

        card = out["scorecard"] or {}
        brief = debrief_md(card["debrief"]) if card.get("debrief") else ""
        return scorecard_md(card), brief, _progress_rows(rv.progress(services, p)), *_tables(p)

    demo.load(on_load, None, [persona, history, assignments])
    persona.change(describe, persona, persona_info)
    start.click(do_start, [persona, seed], [session, chat, scorecard, debrief, history, assignments])
    say.click(do_say, [text, session, chat], [text, chat, buyer_voice], concurrency_limit=2)
    text.submit(do_say, [text, session, chat], [text, chat, buyer_voice], concurrency_limit=2)
    say_voice.click(do_voice, [mic, session, chat], [mic, chat, buyer_voice], concurrency_limit=2)
    finish.click(do_finish, session, [scorecard, debrief, progress, history, assignments])
