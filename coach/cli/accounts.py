"""``salescoach accounts import|list|show``: the CRM import and the account views."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from coach.accounts.service import AccountService
from coach.cli.common import JSON_HELP, emit_json, services

accounts_app = typer.Typer(help="Accounts, contacts, opportunities and interactions (CRM import).", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.add_typer(accounts_app, name="accounts")


def emit_json_to(data: Any, target: str | None = "-") -> None:
    emit_json(target, data)


@accounts_app.command("import")
def accounts_import(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="A directory with accounts.csv, contacts.csv, ... or CSV files."),
    as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
) -> None:
    """Import (upsert) accounts, contacts, opportunities and interactions from CSV.

    Rows with problems are reported and skipped; the rest is imported. Exit code 1 when
    any row or file failed."""
    report = AccountService(services(ctx).db).import_paths(paths)
    if as_json:
        emit_json_to(report.model_dump(mode="json"), as_json)
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
    rows = AccountService(services(ctx).db).list_accounts()
    if as_json:
        emit_json_to([r.model_dump(mode="json") for r in rows], as_json)
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
    acc = AccountService(services(ctx).db).get_account_context(name)
    if as_json:
        emit_json_to(acc.model_dump(mode="json"), as_json)
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
