"""Knowledge page (admins): upload cases, personas and rubrics; see per-file ingest errors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ui.session import principal_of, ui_errors

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services


def build(services: "Services", demo: "gr.Blocks") -> None:
    from coach.knowledge.views import ingest_uploads, search_cases
    from coach.auth.permissions import require_role

    with gr.Row():
        kind = gr.Radio(["cases", "personas", "rubrics"], value="cases", label="What are you uploading?")
        files = gr.File(label="Files", file_count="multiple", type="filepath")
    go = gr.Button("Upload and ingest", variant="primary")
    result = gr.Markdown()
    errors = gr.Dataframe(headers=["file", "error"], interactive=False, wrap=True, label="Errors")
    gr.Markdown("### Search the case base")
    with gr.Row():
        q = gr.Textbox(label="Query", scale=4, max_lines=1)
        outcome = gr.Dropdown(["", "won", "lost"], value="", label="Outcome", scale=1)
        search = gr.Button("Search", scale=1)
    hits = gr.Dataframe(headers=["id", "title", "outcome", "industry", "score", "snippet"], interactive=False, wrap=True)

    @ui_errors
    def upload(k: str, paths: list[str] | None, request: gr.Request) -> Any:
        p = principal_of(services, request)
        require_role(p, "admin")
        if not paths:
            raise gr.Error("Choose files to upload.")
        out = ingest_uploads(services, p, k, [(Path(x).name, Path(x)) for x in paths])
        rep = out.get("report") or {}
        summary = f"Saved {len(out['saved'])} {k} file(s): {', '.join(out['saved']) or '-'}."
        if rep:
            summary += " Index: " + ", ".join(f"{key} {val if not isinstance(val, list) else len(val)}" for key, val in rep.items() if key != "errors")
        return summary, [[e.get("file", ""), e.get("error", "")] for e in out["errors"]]

    @ui_errors
    def do_search(query: str, oc: str, request: gr.Request) -> Any:
        principal_of(services, request)
        items = search_cases(services, query, k=10, outcome=oc or None)
        return [[h.get("id"), h.get("title"), h.get("outcome"), h.get("industry"), h.get("score"), h.get("snippet")] for h in items]

    go.click(upload, [kind, files], [result, errors])
    search.click(do_search, [q, outcome], hits)
    q.submit(do_search, [q, outcome], hits)
