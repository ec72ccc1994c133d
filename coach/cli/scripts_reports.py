"""``salescoach script``, ``salescoach report`` and ``salescoach retro``.

    salescoach script --account "Westlake Riverside Hospital" --goal "agree a trial" --json s.json --markdown s.md
    salescoach script --notes "hospital ER, they said Norvale is cheaper" --json s.json
    salescoach report CALL_ID|analysis.json|call.wav|call.txt --json r.json --markdown r.md
    salescoach retro [CASE_OR_CALL_ID] --json retro.json

Domain errors exit with status 2 and a one-line message (unknown account with close
matches, unknown call, invalid analysis JSON, ...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markdown import Markdown

from coach.cli.common import JSON_HELP, emit_json
from coach.cli.common import fail, services, write_atomic
from coach.errors import DOMAIN_ERRORS, InputError

out = Console()
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("script")(script)
    app.command("report")(report)
    app.command("retro")(retro)


def _dump(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"


def _write_outputs(doc: Any, md: str, json_out: str | None, markdown_out: Path | None, quiet: bool) -> bool:
    """Write the requested files; print the Markdown when no file is asked for (unless
    ``quiet``). True when the caller should print its summary lines. ``--json -``
    prints the JSON alone on standard output."""
    if json_out is not None:
        emit_json(json_out, doc)
        if json_out == "-":
            return False
    if markdown_out is not None:
        write_atomic(markdown_out, md)
    if quiet:
        return False
    if json_out is None and markdown_out is None:
        out.print(Markdown(md))
    return True


def script(
    ctx: typer.Context,
    account: Optional[str] = typer.Option(None, "--account", help="Account name (as imported)."),
    notes: Optional[str] = typer.Option(None, "--notes", help="The situation in your words (instead of or with an account)."),
    goal: Optional[str] = typer.Option(None, "--goal", help="What you want from this visit."),
    json_out: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
    markdown_out: Optional[Path] = typer.Option(None, "--markdown", help="Write the script as Markdown here."),
    no_llm: bool = typer.Option(False, "--no-llm", help="Only the grounded plan (no LLM phrasing)."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Write a cited pre-visit script from the account, similar won deals and the playbook."""
    from scripts_gen import generate_script
    from scripts_gen.markdown import script_markdown

    try:
        if not account and not notes:
            raise InputError("give --account NAME or --notes TEXT")
        doc = generate_script(services(ctx), account=account, notes=notes, goal=goal, use_llm=not no_llm)
    except DOMAIN_ERRORS as exc:
        raise fail(exc) from None
    if _write_outputs(doc, script_markdown(doc), json_out, markdown_out, quiet):
        v = doc["validation"]
        out.print(f"{len(doc['sections'])} sections, {len(doc['citations'])} cases cited; validation kept "
                  f"{v['kept']}/{v['claims']} claims, dropped {v['dropped']}; model {doc['model']}"
                  + ("" if doc["llm_ok"] else " (grounded plan used)"), highlight=False)
        for w in doc["warnings"][:5]:
            err.print(f"note: {w}", highlight=False, soft_wrap=True)


def report(
    ctx: typer.Context,
    source: str = typer.Argument(..., metavar="INPUT|CALL_ID",
                                 help="Analysis JSON (from analyze), a recording or transcript, or a stored call id."),
    json_out: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
    markdown_out: Optional[Path] = typer.Option(None, "--markdown", help="Write the report as Markdown here."),
    no_llm: bool = typer.Option(False, "--no-llm", help="Computed summary only (no LLM phrasing)."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not store a recording/transcript or the report."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Post-call improvement report: strengths and improvements with timestamps, metrics
    against benchmarks, suggestions from won cases and the persona to practise next."""
    from coach.reports.postcall import generate_report
    from coach.reports.markdown import report_markdown

    try:
        doc = generate_report(services(ctx), source, use_llm=not no_llm, store=not no_store)
    except DOMAIN_ERRORS as exc:
        raise fail(exc) from None
    if _write_outputs(doc, report_markdown(doc), json_out, markdown_out, quiet):
        if doc.get("call_id"):
            out.print(f"report stored with call {doc['call_id']}", highlight=False)


def retro(
    ctx: typer.Context,
    target: Optional[str] = typer.Argument(None, metavar="[CASE_OR_CALL_ID]",
                                           help="A lost case id or a stored call id; omit for the team view."),
    json_out: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
    top: int = typer.Option(3, "--top", min=1, max=20, help="Reasons per industry."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Lost-deal retrospective: likely causes with evidence, or the team's top reasons by industry."""
    from coach.reports.markdown import retro_markdown
    from coach.reports.retro import retro_all, retro_one

    try:
        svc = services(ctx)
        doc = retro_one(svc, target) if target else retro_all(svc, top=top)
    except DOMAIN_ERRORS as exc:
        raise fail(exc) from None
    if json_out is not None:
        emit_json(json_out, doc)
        quiet = quiet or json_out == "-"
    if not quiet:
        out.print(Markdown(retro_markdown(doc)))
