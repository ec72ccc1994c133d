"""``salescoach chat`` and ``salescoach accounts import|list|show``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from coach.cli.common import JSON_HELP, emit_json, services, user_id_for
from coach.errors import DOMAIN_ERRORS

accounts_app = typer.Typer(help="Accounts, contacts, opportunities and interactions (CRM import).", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("chat")(chat)
    app.add_typer(accounts_app, name="accounts")


def _emit_json(data: Any, target: str | None = "-") -> None:
    emit_json(target, data)


# --------------------------------------------------------------------------- chat --
def chat(
    ctx: typer.Context,
    session: Optional[str] = typer.Option(None, "--session", help="Continue this chat session."),
    message: Optional[str] = typer.Option(None, "--message", "-m", help="Ask one question and exit."),
    user: Optional[str] = typer.Option(None, "--user", help="Username the session belongs to."),
    as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
) -> None:
    """Chat with the coach (streaming). Interactive unless --message is given."""
    from coach.chat import ChatService

    svc = services(ctx)
    service = ChatService(svc)
    uid = user_id_for(svc, user)
    if message is not None:
        reply = service.ask(session, uid, message)
        if as_json:
            _emit_json(reply.collect().model_dump(mode="json"), as_json)
            return
        _print_reply(reply)
        return
    err.print("[dim]Sales Coach chat. Type your question; 'exit' or Ctrl-D to leave.[/]")
    sid = session
    while True:
        try:
            text = input("you> ").strip()
        except EOFError:
            break
        if text.lower() in ("exit", "quit", ":q"):
            break
        if not text:
            continue
        try:
            reply = service.ask(sid, uid, text)
        except DOMAIN_ERRORS as exc:
            err.print(f"[red]error:[/] {exc}")
            continue
        sid = reply.session_id
        sys.stdout.write("coach> ")
        _print_reply(reply)
    if sid:
        err.print(f"[dim]session {sid} (continue with --session {sid})[/]")


def _print_reply(reply: Any) -> None:
    for token in reply:
        sys.stdout.write(token)
        sys.stdout.flush()
    sys.stdout.write("\n")
    answer = reply.answer
    for note in answer.notes:
        err.print(f"[yellow]note:[/] {note}")
    if not answer.ok:
        err.print(f"[yellow]LLM problem:[/] {answer.error}")
    err.print(f"[dim]session {answer.session_id} · {answer.mode} · {answer.model} · {answer.elapsed_s:.1f}s[/]")


# ----------------------------------------------------------------------- accounts --
@accounts_app.command("import")
def accounts_import(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="A directory with accounts.csv, contacts.csv, ... or CSV files."),
    as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
) -> None:
    """Import (upsert) accounts, contacts, opportunities and interactions from CSV.

    Rows with problems are reported and skipped; the rest is imported. Exit code 1 when
    any row or file failed."""
    from coach.accounts.service import AccountService

    report = AccountService(services(ctx).db).import_paths(paths)
    if as_json:
        _emit_json(report.model_dump(mode="json"), as_json)
    else:
        kinds = sorted(set(report.created) | set(report.updated) | set(report.unchanged))
        table = Table("kind", "created", "updated", "unchanged")
        for k in kinds:
            table.add_row(k, str(report.created.get(k, 0)), str(report.updated.get(k, 0)), str(report.unchanged.get(k, 0)))
        out.print(table)
        for note in report.notes:
            err.print(f"[dim]{note}[/]")
        for e in report.errors:
            where = f"{e.file}:{e.line}" if e.line else e.file
            colour = "red" if e.level == "error" else "yellow"
            err.print(f"[{colour}]{e.level}[/] {where}: {e.message}")
    if any(e.level == "error" for e in report.errors):
        raise typer.Exit(1)


@accounts_app.command("list")
def accounts_list(ctx: typer.Context, as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP)) -> None:
    """List accounts with open opportunities and the last contact date."""
    from coach.accounts.service import AccountService

    rows = AccountService(services(ctx).db).list_accounts()
    if as_json:
        _emit_json([r.model_dump(mode="json") for r in rows], as_json)
        return
    if not rows:
        err.print("no accounts yet: run 'salescoach accounts import DIR'")
        return
    table = Table("name", "industry", "region", "owner", "open opps", "last contact")
    for r in rows:
        table.add_row(r.name, r.industry, r.region, r.owner or "-", str(r.open_opportunities), r.last_contact_date or "-")
    out.print(table)


@accounts_app.command("show")
def accounts_show(ctx: typer.Context, name: str = typer.Argument(...), as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP)) -> None:
    """An account's contacts, opportunities, open objections, past calls and recency."""
    from coach.accounts.service import AccountService

    acc = AccountService(services(ctx).db).get_account_context(name)
    if as_json:
        _emit_json(acc.model_dump(mode="json"), as_json)
        return
    out.print(f"[bold]{acc.name}[/]  {acc.industry} · {acc.region} · {acc.size} · owner {acc.owner or '-'}")
    if acc.notes:
        out.print(acc.notes)
    for c in acc.contacts:
        out.print(f"  contact: {c.name}" + (f", {c.title}" if c.title else ""))
    for o in acc.opportunities:
        amount = f"{o.amount:,.0f} {o.currency}" if o.amount is not None else "-"
        out.print(f"  opportunity: {o.name} [{o.status}] {o.stage} {amount}")
    if acc.open_objections:
        out.print("  open objections: " + "; ".join(acc.open_objections))
    if acc.last_contact_date:
        out.print(f"  last contact {acc.last_contact_date} ({acc.days_since_last_contact} days ago), "
                  f"{acc.interactions_last_90d} interactions in the last 90 days")
    for call in acc.past_calls:
        ratio = f"{call.talk_ratio:.0%}" if call.talk_ratio is not None else "-"
        out.print(f"  call {call.call_id} {call.date} [{call.status}] talk ratio {ratio}, "
                  f"{call.negative_shifts} negative shifts, {len(call.moments)} moments")
