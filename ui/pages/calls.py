"""Calls page: upload with a progress bar, list with filters, and the call view (audio
player, transcript with speakers and roles, emotion timeline with the shifts marked,
metrics against benchmarks, moments, the report and its review comments)."""

from __future__ import annotations

import logging
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ui.session import principal_of, ui_errors

if TYPE_CHECKING:  # pragma: no cover
    from coach.calls.jobs import JobQueue
    from coach.services import Services

log = logging.getLogger(__name__)

LIST_COLUMNS = ["id", "title", "user", "account", "status", "duration_s", "talk_ratio", "neg_shifts", "flags", "created"]
#: what the list's columns are called on the page (same order)
LIST_HEADERS = ["Call id", "Title", "Rep", "Account", "Status", "Length", "Rep talk", "Customer cooled", "Flag", "Created"]
#: how long the upload handler follows its job before telling the user to check later
WAIT_LIMIT_S = 30 * 60
#: upload / re-analyse handlers following their job at once (more wait in Gradio's queue)
FOLLOWERS = 8
#: "Number of speakers" on re-analyse: auto-detect by default (never a 0 that fails validation)
SPEAKER_CHOICES = [("auto-detect", "auto")] + [(str(n), str(n)) for n in range(1, 7)]


def list_rows(services: "Services", principal: Any, status: str, user: str, query: str) -> list[list[Any]]:
    from coach.calls import views
    from ui.document_html import table

    rows = views.list_calls(
        services, principal, status=status or None, user=user or None, query=query or None, limit=200
    )
    from coach.reports.labels import clock, metric_value, when

    for r in rows:
        r["created"] = when(r["created_at"])
        r["neg_shifts"] = r["negative_shifts"]
        r["flags"] = "yes" if r["flagged"] else ""
        r["status"] = STATUS_WORDS.get(r["status"], r["status"])
        if r["duration_s"] is not None:
            r["duration_s"] = clock(r["duration_s"])
        if r["talk_ratio"] is not None:
            r["talk_ratio"] = metric_value("talk_ratio", r["talk_ratio"])
    return table(rows, LIST_COLUMNS)


def _unguessable(services: "Services", call_id: str) -> str:
    """A folder name for a call's files in Gradio's temp dir that nobody can derive from
    the call id (Gradio serves that dir to any logged-in user who names a path in it)."""
    import hashlib
    import hmac

    from coach.auth.tokens import secret_key

    return hmac.new(secret_key(services.settings).encode(), call_id.encode(), hashlib.sha256).hexdigest()[:32]


def _playable_copy(services: "Services", call_id: str, path: Path) -> str:
    """A copy of the original in Gradio's temp dir (the uploads store itself is never
    served), made once per call and remade after Gradio's cache clean-up."""
    dest = services.settings.data_dir / "gradio" / "calls" / _unguessable(services, call_id) / path.name
    if not dest.exists() or dest.stat().st_size != path.stat().st_size:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{uuid.uuid4().hex}.part")
        shutil.copyfile(path, tmp)
        tmp.replace(dest)
    return str(dest)


def call_view(services: "Services", principal: Any, call_id: str, *, with_audio: bool = True) -> tuple[Any, ...]:
    """All outputs of the call view for one call (see ``_view_outputs`` for the order)."""
    from coach.calls import views
    from ui import plots
    from ui import document_html as render

    detail = views.get_call_detail(services, principal, call_id)
    doc = detail.get("analysis")
    job = detail.get("job") or {}
    facts = [f"Rep: {render.esc(detail['user'] or 'no owner')}"]
    if detail["account"]:
        facts.append(f"Account: {render.esc(detail['account'])}")
    facts.append(STATUS_WORDS.get(detail["status"], detail["status"]))
    head = f"### {render.esc(detail['title'] or detail['id'])}\n" + " · ".join(facts) + f" · call `{detail['id']}`"
    if detail["status"] == "failed":
        head += f"\n\n**Analysis failed:** {render.esc(detail['error'] or job.get('error') or '')} - the original file is kept; press **Retry failed analysis** above."
    elif detail["status"] in ("pending", "analyzing"):
        head += f"\n\nJob `{job.get('id', '')}` is {job.get('status', 'queued')} ({job.get('stage') or 'waiting'}, {round(100 * (job.get('progress') or 0))}%)."
    audio = gr.Audio(value=None, visible=False)
    if with_audio and detail["kind"] == "audio":
        try:
            audio = gr.Audio(value=_playable_copy(services, call_id, views.call_file(services, principal, call_id)), visible=True)
        except Exception as exc:  # a missing original must not hide the analysis
            log.warning("no playable audio for %s: %s", call_id, exc)
    if not doc:
        empty = "<p>No analysis yet.</p>"
        return (
            call_id, head, audio, empty, None, [], "", [], "_No report yet._",
            _comments_md(services, principal, call_id), gr.Dropdown(choices=[], value=None),
            *roles_outputs(None),
        )
    if doc.get("audio"):
        a = doc["audio"]
        head += f" · {render.mmss(a.get('duration_s'))} long, {'stereo' if a.get('channels') == 2 else 'mono' if a.get('channels') == 1 else str(a.get('channels')) + ' channels'}"
    if doc.get("language"):
        head += f" · language: {LANGUAGES.get(doc['language'], doc['language'])}"
    from coach.calls.roles import roles_state

    roles = roles_state(doc)
    report = views._stored_report(services, call_id) if roles["known"] else None
    stamp = re.sub(r"[^0-9A-Za-z]", "", detail.get("analyzed_at") or "")
    png = services.settings.data_dir / "gradio" / "plots" / f"{_unguessable(services, call_id)}-{stamp}.png"
    if not png.exists():
        plots.timeline_png(doc, png)
    return (
        call_id,
        head,
        audio,
        render.transcript_html(doc),
        str(png),
        render.metrics_rows(doc),
        render.flags_md(doc),
        render.moments_rows(doc),
        render.report_md(report["document"], call_id=call_id) if report else (
            "_No report yet - press **Write report**._" if roles["known"]
            else "_No score or report while the roles are unknown: answer **Which speaker is the rep?** above._"),
        _comments_md(services, principal, call_id),
        gr.Dropdown(
            choices=[(f"{sp['id']} ({sp.get('role', 'unknown')}, {sp.get('talk_s', 0):.0f} s)", sp["id"]) for sp in doc.get("speakers") or []],
            value=next((sp["id"] for sp in doc.get("speakers") or [] if sp.get("role") == "rep"), None),
        ),
        *roles_outputs(roles),
    )


STATUS_WORDS = {"pending": "waiting for analysis", "analyzing": "being analysed", "analyzed": "analysed", "failed": "analysis failed"}
LANGUAGES = {"en": "English", "zh": "Chinese"}


def roles_outputs(roles: dict[str, Any] | None) -> tuple[Any, Any, Any]:
    """The "Which speaker is the rep?" panel: (panel visibility, question text, choices).
    Shown open when the roles are unknown or doubtful; otherwise the guess and a way to
    change it."""
    from ui.document_html import esc

    if not roles or len(roles["speakers"]) < 2:
        return gr.Accordion(visible=False), "", gr.Radio(choices=[], value=None)
    choices = []
    for sp in roles["speakers"]:
        lines = " / ".join(f"\u201c{esc(t[:90])}\u201d" for t in sp["first_lines"][:2]) or "(no words)"
        choices.append((f"{sp['id']} ({sp['talk_s']:.0f} s): {lines}", sp["id"]))
    if not roles["known"]:
        text = ("**Which speaker is the rep?** The roles could not be told apart from the talk, so no score is "
                "shown yet. Pick the rep below: roles, metrics and shifts are recomputed at once, without "
                "transcribing again.")
    else:
        conf = roles["confidence"]
        sure = "" if conf is None else f" ({'given' if conf >= 1 else 'fairly sure' if conf >= 0.75 else 'not sure'}, {conf:.0%})"
        text = f"**{esc(roles['rep'])} is taken as the rep{sure}.** Wrong? Pick the rep below."
    return (gr.Accordion(visible=True, open=roles["ask"], label="Which speaker is the rep?"), text,
            gr.Radio(choices=choices, value=roles["rep"]))


def _comments_md(services: "Services", principal: Any, call_id: str) -> str:
    from coach.calls import views
    from ui.document_html import esc

    items = views.list_comments(services, principal, call_id)
    if not items:
        return "_No comments yet._"
    return "\n".join(f"- **{esc(c['author'])}** ({(c['created_at'] or '')[:16]}): {esc(c['text'])}" for c in items)


def build(services: "Services", jobs: "JobQueue", demo: "gr.Blocks") -> None:
    from coach.calls import views
    from coach.calls.intake import AUDIO_EXTS, TRANSCRIPT_EXTS

    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            gr.Markdown("### Upload a call")
            upload = gr.File(
                label="Recording or transcript",
                file_types=sorted(AUDIO_EXTS | TRANSCRIPT_EXTS),
                type="filepath",
                elem_id="sc-upload",
            )
            account = gr.Dropdown(label="Account (optional)", choices=[], value=None, allow_custom_value=True)
            title = gr.Textbox(label="Title (optional)", max_lines=1)
            upload_btn = gr.Button("Upload and analyse", variant="primary", elem_id="sc-upload-btn")
            upload_status = gr.Markdown(elem_id="sc-upload-status")
        with gr.Column(scale=3):
            gr.Markdown("### Calls")
            with gr.Row():
                f_status = gr.Dropdown(["", "pending", "analyzing", "analyzed", "failed"], value="", label="Status")
                f_user = gr.Dropdown(choices=[""], value="", label="Rep", allow_custom_value=True)
                f_query = gr.Textbox(label="Search title", max_lines=1)
                refresh = gr.Button("Refresh", size="sm")
            calls_table = gr.Dataframe(
                headers=LIST_HEADERS,
                interactive=False,
                elem_id="sc-calls-table",
                max_height=360,
                column_widths=["14%", "18%", "6%", "12%", "9%", "8%", "7%", "9%", "6%", "11%"],
                wrap=True,
            )
            with gr.Row():
                open_id = gr.Textbox(label="Call id", max_lines=1, scale=3)
                open_btn = gr.Button("Open call", scale=1)
                retry_btn = gr.Button("Retry failed analysis", scale=1, size="sm")

    current = gr.State(None)
    header = gr.Markdown(elem_id="sc-call-header")
    audio = gr.Audio(label="Recording", type="filepath", interactive=False, visible=False, elem_id="sc-audio")
    with gr.Accordion("Which speaker is the rep?", open=True, visible=False, elem_id="sc-roles") as roles_panel:
        roles_md = gr.Markdown(elem_id="sc-roles-question")
        roles_pick = gr.Radio(label="The rep is", choices=[], elem_id="sc-roles-pick")
    with gr.Tabs(overflow_behavior="wrap"):
        with gr.Tab("Transcript"):
            show_all_shifts = gr.Checkbox(label="Also show the rep's shifts and the customer's weaker ones", value=False,
                                          elem_id="sc-show-all-shifts")
            transcript = gr.HTML(elem_id="sc-transcript")
        with gr.Tab("Emotion timeline"):
            timeline = gr.Image(
                label="Sentiment per speaker, shifts marked", type="filepath", interactive=False, elem_id="sc-timeline",
                buttons=["download"],
            )
        with gr.Tab("Metrics"):
            flags = gr.Markdown()
            metrics = gr.Dataframe(headers=["Metric", "This call", "Target"], interactive=False, wrap=True,
                                   elem_id="sc-metrics")
        with gr.Tab("Moments"):
            moments = gr.Dataframe(headers=["Moment", "Time", "Utterance", "What was said"], interactive=False, wrap=True)
        with gr.Tab("Report"):
            report = gr.Markdown(elem_id="sc-report")
            with gr.Row():
                report_btn = gr.Button("Write report", size="sm")
                export_btn = gr.Button("Prepare downloads", size="sm", elem_id="sc-report-export")
                report_md_dl = gr.DownloadButton("Download Markdown", visible=False, size="sm", elem_id="sc-report-md")
                report_pdf_dl = gr.DownloadButton("Download PDF", visible=False, size="sm", elem_id="sc-report-pdf")
            comments = gr.Markdown()
            comment = gr.Textbox(label="Add a review comment", lines=2)
            comment_btn = gr.Button("Post comment", size="sm")
        with gr.Tab("Re-analyse"):
            gr.Markdown("Transcribe and analyse the recording again from the kept original, e.g. when speakers "
                        "were split wrongly. (Rep and customer mixed up? Use **Which speaker is the rep?** above: "
                        "it takes a second.)")
            with gr.Row():
                rep_speaker = gr.Dropdown(label="The rep is", choices=[], value=None, allow_custom_value=True)
                n_speakers = gr.Dropdown(label="Number of speakers", choices=SPEAKER_CHOICES, value="auto",
                                         elem_id="sc-n-speakers")
                reanalyze_btn = gr.Button("Re-analyse", size="sm", elem_id="sc-reanalyze-btn")
    view_outputs = [current, header, audio, transcript, timeline, metrics, flags, moments, report, comments, rep_speaker,
                    roles_panel, roles_md, roles_pick]

    @ui_errors
    def refresh_list(status: str, user: str, query: str, request: gr.Request) -> Any:
        p = principal_of(services, request)
        return list_rows(services, p, status, user, query)

    @ui_errors
    def open_linked(request: gr.Request) -> Any:
        """``/?call=ID`` (links from the team view, reports, flags) opens that call."""
        call_id = (request.query_params.get("call") or "").strip() if request is not None else ""
        if not call_id:
            return (gr.skip(), *[gr.skip()] * len(view_outputs))
        return (call_id, *call_view(services, principal_of(services, request), call_id))

    @ui_errors
    def on_load(request: gr.Request) -> tuple[Any, Any, Any]:
        from coach.scripts.views import list_account_names
        from coach.auth.users import list_users

        p = principal_of(services, request)
        reps = [""]
        if p.role in ("manager", "admin"):
            team = None if p.is_admin else p.team_id
            if p.is_admin or team is not None:
                reps += [u["username"] for u in list_users(services.db, team_id=team)]
        return (
            list_rows(services, p, "", "", ""),
            gr.Dropdown(choices=[""] + list_account_names(services), value=""),
            gr.Dropdown(choices=reps, value="", visible=p.role != "rep"),
        )

    @ui_errors
    def do_upload(path: str | None, acct: str, ttl: str, request: gr.Request, progress: gr.Progress = gr.Progress()) -> Any:
        from coach.calls.intake import submit_upload

        p = principal_of(services, request)
        if not path:
            raise gr.Error("Choose a recording or transcript first.")
        name = Path(path).name
        with open(path, "rb") as fh:
            res = submit_upload(services, jobs, fh, filename=name, principal=p, account=acct or None, title=ttl or "")
        progress(0.0, desc="queued")
        job: dict[str, Any] = views.get_job(services, p, res.job_id) if res.job_id else {"status": "done"}
        t0 = time.monotonic()
        while job["status"] not in ("done", "failed") and time.monotonic() - t0 < WAIT_LIMIT_S:
            time.sleep(0.5)
            job = views.get_job(services, p, res.job_id)
            progress(float(job.get("progress") or 0.0), desc=f"{job['status']}: {job.get('stage') or 'waiting'}")
        if res.duplicate:
            msg = f"You uploaded this file before: showing call `{res.call_id}`."
        elif job["status"] == "done":
            msg = f"Analysed `{name}` as call `{res.call_id}`."
        elif job["status"] == "failed":
            msg = f"Analysis of `{name}` failed: {job.get('error')}. The file is kept (call `{res.call_id}`)."
        else:
            msg = f"`{name}` is still being analysed (job `{res.job_id}`); it will appear in the list."
        return (msg, list_rows(services, p, "", "", ""), *call_view(services, p, res.call_id))

    @ui_errors
    def toggle_shifts(call_id: str | None, show_all: bool, request: gr.Request) -> Any:
        from coach.calls import views
        from ui import document_html as render

        if not call_id:
            return gr.HTML()
        doc = views.get_call_detail(services, principal_of(services, request), call_id).get("analysis")
        return render.transcript_html(doc, show_all=bool(show_all)) if doc else gr.HTML()

    @ui_errors
    def open_call(call_id: str, request: gr.Request) -> Any:
        p = principal_of(services, request)
        if not (call_id or "").strip():
            raise gr.Error("Enter or select a call id.")
        return call_view(services, p, call_id.strip())

    @ui_errors
    def select_row(evt: gr.SelectData, request: gr.Request) -> Any:
        p = principal_of(services, request)
        row = evt.row_value or []
        if not row or not row[0]:
            raise gr.Error("Select a call row.")
        return (row[0], *call_view(services, p, str(row[0])))

    @ui_errors
    def set_rep(call_id: str | None, speaker: str | None, request: gr.Request) -> Any:
        from coach.calls.fix_roles import set_rep_speaker

        p = principal_of(services, request)
        if not call_id or not speaker:
            raise gr.Error("Open a call and pick the rep.")
        set_rep_speaker(services, jobs, p, call_id, speaker)
        gr.Info(f"{speaker} is now the rep: metrics, shifts and report recomputed.")
        return (list_rows(services, p, "", "", ""), *call_view(services, p, call_id, with_audio=False)[3:])

    @ui_errors
    def do_reanalyze(
        call_id: str | None, speaker: str | None, n: str | float | None, request: gr.Request, progress: gr.Progress = gr.Progress()
    ) -> Any:
        p = principal_of(services, request)
        if not call_id:
            raise gr.Error("Open a call first.")
        count = None if n in (None, "", "auto", 0) else int(n)
        job = views.reanalyze(services, jobs, p, call_id, rep_speaker=speaker, num_speakers=count)
        t0 = time.monotonic()
        while job["status"] not in ("done", "failed") and time.monotonic() - t0 < WAIT_LIMIT_S:
            time.sleep(0.5)
            job = views.get_job(services, p, job["id"])
            progress(float(job.get("progress") or 0.0), desc=f"{job['status']}: {job.get('stage') or 'waiting'}")
        return call_view(services, p, call_id)

    @ui_errors
    def retry(call_id: str, request: gr.Request) -> Any:
        from coach.calls.jobs import latest_job_for_call

        p = principal_of(services, request)
        views.get_call(services, p, call_id)
        job = latest_job_for_call(services.db, call_id)
        if job is None:
            raise gr.Error("This call has no analysis job.")
        views.retry_job(services, jobs, p, job["id"])
        gr.Info(f"Job {job['id']} queued again.")
        return list_rows(services, p, "", "", "")

    @ui_errors
    def write_report(call_id: str | None, request: gr.Request, progress: gr.Progress = gr.Progress()) -> Any:
        from ui.document_html import report_md

        from coach.calls.roles import roles_state

        p = principal_of(services, request)
        if not call_id:
            raise gr.Error("Open a call first.")
        doc = views.get_call_detail(services, p, call_id).get("analysis")
        if doc is not None and not roles_state(doc)["known"]:
            raise gr.Error("Choose which speaker is the rep first (above the tabs): there is no report while the roles are unknown.")
        out = views.get_report(services, jobs, p, call_id)
        t0 = time.monotonic()
        while out["status"] == "pending" and time.monotonic() - t0 < 600:
            progress(0.5, desc="writing the report")
            time.sleep(1.0)
            out = views.get_report(services, jobs, p, call_id)
        if out["status"] == "failed":
            raise gr.Error(f"The report failed: {out['job'].get('error')}")
        if out["status"] != "ready":
            return "_The report is still being written; open the call again later._"
        return report_md(out["report"])

    @ui_errors
    def export_report(call_id: str | None, request: gr.Request) -> Any:
        from coach.auth import audit
        from coach.calls.roles import roles_state
        from ui.document_html import report_md
        from ui.exports import export_files

        p = principal_of(services, request)
        if not call_id:
            raise gr.Error("Open a call first.")
        detail = views.get_call_detail(services, p, call_id)
        if not roles_state(detail.get("analysis"))["known"]:
            raise gr.Error("Choose which speaker is the rep first: there is no report while the roles are unknown.")
        stored = views._stored_report(services, call_id)
        if stored is None:
            raise gr.Error("Write the report first.")
        title = f"Post-call report: {detail['title'] or call_id}"
        head = f"Rep: {detail['user'] or '-'} · Account: {detail['account'] or '-'} · Call {call_id}\n\n"
        files = export_files(services.settings.data_dir / "gradio" / "reports", f"report-{call_id}",
                             head + report_md(stored["document"]), title)
        audit.record(services.db, "export", username=p.username, target=call_id, detail="report", channel="web")
        if files["pdf_error"]:
            gr.Warning(f"PDF unavailable: {files['pdf_error']}")
        return (gr.DownloadButton(value=str(files["markdown"]), visible=True),
                gr.DownloadButton(value=str(files["pdf"]), visible=True) if files["pdf"] else gr.DownloadButton(visible=False))

    @ui_errors
    def post_comment(call_id: str | None, text: str, request: gr.Request) -> Any:
        p = principal_of(services, request)
        if not call_id:
            raise gr.Error("Open a call first.")
        views.add_comment(services, p, call_id, text)
        return "", _comments_md(services, p, call_id)

    filters = [f_status, f_user, f_query]
    demo.load(on_load, None, [calls_table, account, f_user])
    demo.load(open_linked, None, [open_id, *view_outputs])
    refresh.click(refresh_list, filters, calls_table, api_name="calls_list")
    f_status.change(refresh_list, filters, calls_table)
    f_user.change(refresh_list, filters, calls_table)
    f_query.submit(refresh_list, filters, calls_table)
    upload_btn.click(
        do_upload,
        [upload, account, title],
        [upload_status, calls_table, *view_outputs],
        # it only follows the job (the work runs in the job workers), but each follower holds
        # a thread for up to WAIT_LIMIT_S: cap them so uploads cannot starve the pages
        concurrency_limit=FOLLOWERS,
        api_name="upload_call",
    )
    open_btn.click(open_call, open_id, view_outputs, api_name="open_call")
    show_all_shifts.change(toggle_shifts, [current, show_all_shifts], transcript)
    current.change(lambda: False, None, show_all_shifts)  # a newly opened call starts with the default view
    open_id.submit(open_call, open_id, view_outputs)
    calls_table.select(select_row, None, [open_id, *view_outputs])
    retry_btn.click(retry, open_id, calls_table)
    report_btn.click(write_report, current, report, concurrency_limit=2)
    export_btn.click(export_report, current, [report_md_dl, report_pdf_dl], concurrency_limit=2)
    current.change(lambda: (gr.DownloadButton(visible=False), gr.DownloadButton(visible=False)), None,
                   [report_md_dl, report_pdf_dl])
    comment_btn.click(post_comment, [current, comment], [comment, comments])
    reanalyze_btn.click(do_reanalyze, [current, rep_speaker, n_speakers], view_outputs, concurrency_limit=FOLLOWERS)
    # one click: picking the rep recomputes from the stored transcript (no new transcription)
    roles_pick.input(set_rep, [current, roles_pick], [calls_table, *view_outputs[3:]])
