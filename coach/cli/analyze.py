"""``salescoach analyze``, ``salescoach calls list|show`` and ``salescoach reps enroll``.

``analyze`` stores the call first (the original is copied into the uploads store), then
runs the pipeline with a progress bar, writes the ``--json``/``--markdown`` outputs and
prints a summary. A domain error exits with status 2 and a one-line message; the failed
call stays recorded with its error and original file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markdown import Markdown

from coach.cli.common import fail as _fail
from coach.cli.common import services as _services
from coach.cli.common import write_atomic as _write_atomic
from coach.cli.common import JSON_HELP, emit_json, keep_ids_whole
from coach.errors import DOMAIN_ERRORS, InputError, NotFoundError
from speech.types import AnalyzeOptions, CallAnalysis

log = logging.getLogger(__name__)
out = Console()
err = Console(stderr=True)

calls_app = typer.Typer(help="Stored calls and their analyses.", no_args_is_help=True)
reps_app = typer.Typer(help="Sales reps: voice enrolment for rep/customer detection.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("analyze")(analyze)
    app.add_typer(calls_app, name="calls")
    app.add_typer(reps_app, name="reps")


def _find_user(services: Any, name: str) -> Any | None:
    from sqlalchemy import func, select

    from coach.db.models import User

    with services.db.session() as s:
        return s.scalars(select(User).where(func.lower(User.username) == name.strip().lower())).first()


def _resolve_account(services: Any, name: str | None) -> int | None:
    if not name:
        return None
    from sqlalchemy import func, select

    from coach.db.models import Account

    with services.db.session() as s:
        found = s.scalars(select(Account.id).where(func.lower(Account.name) == name.strip().lower())).first()
    if found is None:
        raise InputError(f"unknown account {name!r}", detail="import accounts first (salescoach kb ingest / demo load) or omit --account")
    return found


class _Bar:
    """rich progress bar driven by the pipeline's ``on_progress(stage, fraction)``."""

    def __init__(self, enabled: bool) -> None:
        self.progress = None
        self.task = None
        if enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("{task.description:<12}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(), console=err, transient=True,
            )

    def __enter__(self) -> "_Bar":
        if self.progress is not None:
            self.progress.__enter__()
            self.task = self.progress.add_task("starting", total=1.0)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def __call__(self, stage: str, fraction: float) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=stage, completed=fraction)


def analyze(
    ctx: typer.Context,
    input_path: Path = typer.Argument(..., metavar="INPUT", help="Recording (wav flac mp3 m4a ogg/opus webm) or transcript (vtt srt json txt)."),
    json_out: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
    speakers: Optional[int] = typer.Option(None, "--speakers", min=1, max=20, help="Number of speakers (overrides the estimate)."),
    language: Optional[str] = typer.Option(None, "--language", help="ISO language code, e.g. en or zh (default: detect)."),
    rep_speaker: Optional[str] = typer.Option(None, "--rep-speaker", help="Speaker id that is the rep (overrides detection)."),
    rep: Optional[str] = typer.Option(None, "--rep", help="Rep username: owner of the call; their enrolled voice finds them."),
    account: Optional[str] = typer.Option(None, "--account", help="Account (customer) the call belongs to."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not store the call and its analysis."),
    markdown_out: Optional[Path] = typer.Option(None, "--markdown", help="Also write a Markdown report here."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
) -> None:
    """Analyse a call: transcript, speakers, rep vs customer, emotion shifts, metrics, moments."""
    try:
        analysis, call_id = _run_analyze(
            ctx, input_path, speakers, language, rep_speaker, rep, account, no_store, show_bar=not quiet and err.is_terminal
        )
    except DOMAIN_ERRORS as exc:
        raise _fail(exc) from None
    if json_out is not None:
        emit_json(json_out, analysis.to_json_dict())
        quiet = quiet or json_out == "-"  # standard output carries the JSON alone
    if markdown_out is not None:
        from coach.calls.analysis_markdown import to_markdown

        _write_atomic(markdown_out, to_markdown(analysis))
    if not quiet:
        from coach.calls.analysis_markdown import summary_markdown

        out.print(Markdown(summary_markdown(analysis)))
        if call_id:
            out.print(f"stored as call [bold]{call_id}[/] (salescoach calls show {call_id})", highlight=False, soft_wrap=True)
        if json_out is not None:
            out.print(f"analysis JSON written to {json_out}", highlight=False, soft_wrap=True)


def _run_analyze(
    ctx: typer.Context,
    input_path: Path,
    speakers: int | None,
    language: str | None,
    rep_speaker: str | None,
    rep: str | None,
    account: str | None,
    no_store: bool,
    *,
    show_bar: bool,
) -> tuple[CallAnalysis, str | None]:
    if not input_path.exists():
        raise InputError(f"{input_path} does not exist")
    if not input_path.is_file():
        raise InputError(f"{input_path} is not a file")
    services = _services(ctx)
    rep_voice = None
    user_id = None
    if rep:
        user = _find_user(services, rep)
        if user is not None:
            user_id = user.id
            if user.voice_embedding:
                import numpy as np

                rep_voice = np.asarray(user.voice_embedding, dtype=np.float32)
        from speech.pipeline import is_transcript

        if rep_voice is None and not is_transcript(input_path):
            err.print(f"note: no enrolled voice for {rep!r} (salescoach reps enroll {rep} SAMPLE)", highlight=False)
    opts = AnalyzeOptions(num_speakers=speakers, language=language, rep_speaker=rep_speaker, rep_voice=rep_voice, rep_name=rep)
    if no_store:
        with _Bar(show_bar) as bar:
            return services.analyzer.analyze(input_path, opts, on_progress=bar), None

    from coach.calls.store import CallStore

    account_id = _resolve_account(services, account)
    store = CallStore(services.db, services.settings)
    call_id = store.create_call(input_path, user_id=user_id, account_id=account_id, original_filename=input_path.name)
    with _Bar(show_bar) as bar:
        try:
            analysis = store.analyze_call(call_id, services.analyzer, opts, on_progress=bar)
        except DOMAIN_ERRORS as exc:
            exc.detail = f"{exc.detail + '; ' if exc.detail else ''}recorded as failed call {call_id}, original kept"
            raise
    return analysis, call_id


# ------------------------------------------------------------------------ calls --
@calls_app.command("list")
def calls_list(
    ctx: typer.Context,
    as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
    status: Optional[str] = typer.Option(None, "--status", help="pending | analyzing | analyzed | failed"),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    """List stored calls, newest first."""
    from coach.calls.store import CallStore

    services = _services(ctx)
    try:
        rows = CallStore(services.db, services.settings).list_calls(status=status, limit=limit)
    except DOMAIN_ERRORS as exc:
        raise _fail(exc) from None
    if as_json:
        emit_json(as_json, rows)
        return
    if not rows:
        out.print("no calls stored yet (salescoach analyze INPUT)")
        return
    from rich.table import Table

    from coach.calls.analysis_markdown import clock

    table = Table("id", "created", "status", "file", "duration", "lang", "talk ratio", "neg. shifts")
    for r in rows:
        table.add_row(
            r["id"],
            (r["created_at"] or "")[:16].replace("T", " "),
            r["status"] + (f" ({r['error'][:40]})" if r["error"] else ""),
            r["original_filename"],
            clock(r["duration_s"]),
            r["language"] or "-",
            "-" if r["talk_ratio"] is None else f"{r['talk_ratio'] * 100:.0f}%",
            str(r["negative_shifts"]),
        )
    out.print(keep_ids_whole(table, "id"))


@calls_app.command("show")
def calls_show(
    ctx: typer.Context,
    call_id: str = typer.Argument(..., help="Call id (from calls list)."),
    as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
    transcript: bool = typer.Option(False, "--transcript", help="Include the transcript in the terminal view."),
) -> None:
    """Show one stored call and its analysis."""
    from coach.calls.store import CallStore

    services = _services(ctx)
    store = CallStore(services.db, services.settings)
    try:
        call = store.get_call(call_id)
        try:
            analysis = store.get_analysis(call_id)
        except NotFoundError:
            analysis = None
    except DOMAIN_ERRORS as exc:
        raise _fail(exc) from None
    if as_json:
        doc = {"call": call, "analysis": analysis.to_json_dict() if analysis else None}
        emit_json(as_json, doc)
        return
    out.print(
        f"call [bold]{call['id']}[/] · {call['original_filename']} · status {call['status']}"
        + (f" · error: {call['error']}" if call["error"] else ""),
        highlight=False,
    )
    out.print(f"original: {call['stored_path']}", highlight=False)
    if analysis is None:
        out.print("no analysis stored for this call")
        return
    from coach.calls.analysis_markdown import summary_markdown, to_markdown

    out.print(Markdown(to_markdown(analysis) if transcript else summary_markdown(analysis)))


# ------------------------------------------------------------------------- reps --
@reps_app.command("enroll")
def reps_enroll(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Rep username (created if missing)."),
    sample: Path = typer.Argument(..., help="Recording of the rep speaking alone (10-30 s is plenty)."),
) -> None:
    """Store the rep's voiceprint so `analyze --rep NAME` finds them among the speakers."""
    services = _services(ctx)
    try:
        if not sample.is_file():
            raise InputError(f"{sample} does not exist")
        embedding = services.analyzer.embed_voice(sample)
        created = _store_voice(services, name, [round(float(x), 6) for x in embedding])
    except DOMAIN_ERRORS as exc:
        raise _fail(exc) from None
    verb = "created rep" if created else "updated rep"
    out.print(f"{verb} [bold]{name}[/] with a {len(embedding)}-dim voiceprint from {sample.name}", highlight=False)


def _store_voice(services: Any, name: str, embedding: list[float]) -> bool:
    """Save the voiceprint on the user row, creating a rep (no password) if missing."""
    import re

    from sqlalchemy import func, select

    from coach.db.models import User

    name = name.strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.@-]{1,79}", name):
        raise InputError(f"invalid rep name {name!r}", detail="2-80 letters, digits or _ . @ -")
    with services.db.session() as s:
        user = s.scalars(select(User).where(func.lower(User.username) == name.lower())).first()
        created = user is None
        if user is None:
            user = User(username=name, display_name=name, role="rep", password_hash=None)
            s.add(user)
        user.voice_embedding = embedding
    return created
