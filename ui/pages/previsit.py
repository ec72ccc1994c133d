"""Pre-visit page: pick an account (or describe the situation), get a grounded script,
copy it or download it as Markdown."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

import gradio as gr

from ui.session import principal_of, ui_errors

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services


def build(services: "Services", demo: "gr.Blocks") -> None:
    from coach.scripts.views import generate_script, list_account_names
    from ui.document_html import script_md

    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            account = gr.Dropdown(label="Account", choices=[], value=None, allow_custom_value=True, elem_id="sc-script-account")
            notes = gr.Textbox(label="Situation / notes", lines=4, placeholder="Who you meet, what happened last time...")
            goal = gr.Textbox(label="Goal of the visit", max_lines=2)
            go = gr.Button("Write the script", variant="primary")
        with gr.Column(scale=2):
            script = gr.Markdown(buttons=["copy"], elem_id="sc-script")
            download = gr.DownloadButton("Download (.md)", visible=False)

    @ui_errors
    def on_load(request: gr.Request) -> Any:
        principal_of(services, request)
        return gr.Dropdown(choices=list_account_names(services), value=None)

    @ui_errors
    def write(acct: str | None, note: str, aim: str, request: gr.Request, progress: gr.Progress = gr.Progress()) -> Any:
        p = principal_of(services, request)
        progress(0.1, desc="finding similar won deals and writing")
        result = generate_script(services, p, account=acct, notes=note, goal=aim)
        md = script_md(result)
        folder = services.settings.data_dir / "gradio" / "scripts" / uuid.uuid4().hex
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", acct or "visit").strip("-") or "visit"
        path = folder / f"previsit-{name}.md"
        path.write_text(md, encoding="utf-8")
        from coach.auth import audit

        audit.record(services.db, "export", username=p.username, target=f"pre-visit script: {acct or 'notes'}", channel="web")
        return md, gr.DownloadButton(value=str(path), visible=True)

    demo.load(on_load, None, account)
    go.click(write, [account, notes, goal], [script, download], concurrency_limit=2, api_name="previsit_script")
