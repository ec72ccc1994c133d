"""Pre-visit page: pick an account (or describe the situation); the grounded plan shows
at once, then the model's phrasing replaces it section by section with visible progress;
copy it or download it as Markdown or PDF."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from ui.session import principal_of, ui_errors

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services


def build(services: "Services", demo: "gr.Blocks") -> None:
    from coach.scripts.views import list_account_names
    from ui.document_html import script_md

    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            account = gr.Dropdown(label="Account", choices=[], value=None, allow_custom_value=True, elem_id="sc-script-account")
            notes = gr.Textbox(label="Situation / notes", lines=4, placeholder="Who you meet, what happened last time...")
            goal = gr.Textbox(label="Goal of the visit", max_lines=2)
            go = gr.Button("Write the script", variant="primary")
        with gr.Column(scale=2):
            status = gr.Markdown(elem_id="sc-script-status")
            script = gr.Markdown(buttons=["copy"], elem_id="sc-script")
            with gr.Row():
                download = gr.DownloadButton("Download Markdown", visible=False, elem_id="sc-script-md")
                download_pdf = gr.DownloadButton("Download PDF", visible=False, elem_id="sc-script-pdf")

    @ui_errors
    def on_load(request: gr.Request) -> Any:
        principal_of(services, request)
        return gr.Dropdown(choices=list_account_names(services), value=None)

    @ui_errors
    def write(acct: str | None, note: str, aim: str, request: gr.Request) -> Any:
        from coach.scripts.views import stream_script_events
        from ui.exports import export_files

        p = principal_of(services, request)
        hidden = gr.DownloadButton(visible=False)
        yield "Finding the account, similar won deals and the playbook...", "", hidden, hidden
        events = stream_script_events(services, p, account=acct, notes=note, goal=aim)
        final: dict[str, Any] | None = None
        k = 0  # sections phrased so far
        for event in events:
            doc = event.script
            n = len(doc.get("sections") or [])
            if event.kind == "plan":
                msg = (f"Grounded plan ready in {event.at_s:.1f} s." + (
                    f" Now the model ({doc.get('model')}) phrases it, section 1 of {n}..." if not doc.get("complete") else ""))
            elif event.kind == "section":
                k += 1
                msg = f"Phrased {k} of {n} sections ({event.at_s:.0f} s)" + (f"; section {k + 1} of {n}..." if k < n else "...")
            else:
                final = doc
                msg = f"Done in {event.at_s:.1f} s: {doc.get('phrased_sections', 0)} of {n} sections phrased by the model, the rest is the grounded plan."
            yield msg, script_md(doc), hidden, hidden
        if final is None:  # pragma: no cover - the stream always ends with "done"
            return
        name = acct or "visit"
        files = export_files(services.settings.data_dir / "gradio" / "scripts", f"previsit-{name}", script_md(final),
                             f"Pre-visit script: {name}")
        from coach.auth import audit

        audit.record(services.db, "export", username=p.username, target=f"pre-visit script: {acct or 'notes'}", channel="web")
        note_pdf = f" (PDF unavailable: {files['pdf_error']})" if files["pdf_error"] else ""
        yield (msg + note_pdf, script_md(final), gr.DownloadButton(value=str(files["markdown"]), visible=True),
               gr.DownloadButton(value=str(files["pdf"]), visible=True) if files["pdf"] else hidden)

    demo.load(on_load, None, account)
    go.click(write, [account, notes, goal], [status, script, download, download_pdf], concurrency_limit=2,
             api_name="previsit_script")
