"""Coach page: a streaming chat with the coach agent; the cases it cites open in place."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import gradio as gr

from ui.session import principal_of, ui_errors

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

log = logging.getLogger(__name__)


def build(services: "Services", demo: "gr.Blocks") -> None:
    from coach.chat import views as chatviews

    gr.Markdown(
        "Ask the coach about an account, a deal or a tough moment. Answers cite the won and lost "
        "cases they draw on; pick a case below to read it."
    )
    session = gr.State(None)
    chat = gr.Chatbot(label="Coach", height=420, elem_id="sc-chat", buttons=["copy"])
    with gr.Row():
        msg = gr.Textbox(placeholder="e.g. I see the head of procurement at Renji Hospital tomorrow...", scale=5, show_label=False, max_lines=4)
        send = gr.Button("Send", variant="primary", scale=1)
        new = gr.Button("New chat", scale=1, size="sm")
    with gr.Row():
        cited = gr.Dropdown(label="Cited cases", choices=[], scale=3, allow_custom_value=True)
        show = gr.Button("Open case", scale=1, size="sm")
    case_view = gr.Markdown(elem_id="sc-case")

    from coach.llm.markdown_safety import strip_external

    @ui_errors
    def respond(text: str, history: list[dict], sid: str | None, request: gr.Request) -> Any:
        p = principal_of(services, request)
        text = (text or "").strip()
        if not text:
            raise gr.Error("Type a question first.")
        reply = chatviews.ask(services, p, sid, text)
        sid = reply.session_id
        history = list(history or []) + [{"role": "user", "content": text}, {"role": "assistant", "content": ""}]
        yield "", history, sid, gr.Dropdown()
        streamed = ""
        for piece in reply:
            streamed += piece
            history[-1]["content"] = strip_external(streamed)  # never render a link or image mid-stream
            yield "", history, sid, gr.Dropdown()
        answer = reply.answer
        ids: list[str] = []
        if answer is not None:
            history[-1]["content"] = answer.text or history[-1]["content"]  # invalid citations removed
            if answer.notes:
                history[-1]["content"] += "\n\n_" + "; ".join(answer.notes) + "_"
            ids = chatviews.citation_ids(answer)
        yield "", history, sid, gr.Dropdown(choices=ids, value=ids[0] if ids else None)

    @ui_errors
    def open_case(case_id: str | None, request: gr.Request) -> str:
        from coach.knowledge.views import get_case
        from ui.document_html import case_md

        principal_of(services, request)
        if not case_id:
            raise gr.Error("Pick a cited case first.")
        return case_md(get_case(services, case_id))

    def reset() -> tuple[list, None, Any, str]:
        return [], None, gr.Dropdown(choices=[], value=None), ""

    send.click(respond, [msg, chat, session], [msg, chat, session, cited], concurrency_limit=2)
    msg.submit(respond, [msg, chat, session], [msg, chat, session, cited], concurrency_limit=2)
    @ui_errors
    def open_linked_case(request: gr.Request) -> Any:
        """``/?case=ID`` (citations on the script and report pages) opens that case here."""
        case_id = (request.query_params.get("case") or "").strip() if request is not None else ""
        if not case_id:
            return gr.skip()
        return open_case(case_id, request)

    demo.load(open_linked_case, None, case_view)
    show.click(open_case, cited, case_view)
    cited.change(open_case, cited, case_view)
    new.click(reset, None, [chat, session, cited, case_view])
