"""CLI of the web area: ``serve``, ``init [--demo]``, ``users add|list|set-password``,
``jobs list|retry`` (registered by coach.cli)."""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from coach.cli.common import JSON_HELP, emit_json, keep_ids_whole

console = Console()

users_app = typer.Typer(help="Manage users (roles: rep, manager, admin).", no_args_is_help=True)
jobs_app = typer.Typer(help="Inspect and retry background analysis jobs.", no_args_is_help=True)


def _services(ctx: typer.Context):
    return ctx.find_root().obj.get()


def serve(
    ctx: typer.Context,
    host: Optional[str] = typer.Option(None, "--host", help="Interface to bind (default settings.server.host, 127.0.0.1)."),
    port: Optional[int] = typer.Option(None, "--port", help="Port (default settings.server.port, 7860)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Background analysis workers (default settings.server.workers)."),
) -> None:
    """Run the web app at / and the REST API at /api/v1 (OpenAPI at /api/v1/openapi.json)."""
    import uvicorn

    from ui.app import build_app, uvicorn_config

    services = _services(ctx)
    settings = services.settings
    if workers is not None:
        settings.server.workers = max(1, workers)
    host = host or settings.server.host
    port = port or settings.server.port
    from coach.auth.users import list_users

    if not list_users(services.db):
        console.print(
            "[yellow]no users yet:[/] run `salescoach init --demo` (demo users) or `salescoach users add NAME --role admin`",
            highlight=False,
        )
    elif host not in ("127.0.0.1", "localhost", "::1"):
        from coach.auth.users import demo_password_users

        weak = demo_password_users(services.db)
        if weak:
            console.print(
                f"[red]warning:[/] serving on {host} (reachable from other machines) while {', '.join(weak)} "
                "still use the demo passwords; change them with `salescoach users set-password NAME`",
                highlight=False,
            )
    app = build_app(services)
    console.print(f"Sales Coach on http://{host}:{port}/  (API: http://{host}:{port}/api/v1/docs)", highlight=False)
    uvicorn.run(**uvicorn_config(app, host, port))


def init(
    ctx: typer.Context,
    demo: bool = typer.Option(False, "--demo", help="Seed demo users, accounts, cases and analysed calls."),
    calls: bool = typer.Option(True, "--calls/--no-calls", help="With --demo: analyse the demo call transcripts."),
    reports: bool = typer.Option(False, "--reports", help="With --demo: also write the demo calls' reports (uses the LLM)."),
    as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
) -> None:
    """Create the database schema; with --demo, seed the demo organisation (idempotent)."""
    from coach.demo.seed import init_demo, init_schema

    services = _services(ctx)
    if not demo:
        init_schema(services)
        console.print(f"database ready at {services.settings.db_url}", highlight=False)
        return
    report = init_demo(services, calls=calls, reports=reports)
    if as_json:
        emit_json(as_json, report.to_dict())
        return
    console.print(f"users created: {', '.join(report.users_created) or 'none (already there)'}")
    acc = report.accounts or {}
    created = ", ".join(f"{k} {v}" for k, v in (acc.get("created") or {}).items()) or "nothing new"
    console.print(f"accounts imported: {created}; import errors: {len(acc.get('errors') or [])}", highlight=False)
    kb = report.kb or {}
    console.print(
        f"knowledge base: {kb.get('added', 0)} cases added, {kb.get('unchanged', 0)} unchanged, "
        f"{kb.get('chunks', 0)} chunks, errors: {len(kb.get('errors') or [])}",
        highlight=False,
    )
    console.print(f"calls analysed: {len(report.calls_added)} (already there: {report.calls_skipped})")
    if reports:
        console.print(f"reports written: {len(report.reports_added)}")
    for err in report.errors:
        console.print(f"[yellow]warning:[/] {err}", highlight=False)
    console.print("log in as rep1 / rep1-demo, manager1 / manager1-demo or admin / admin-demo; run `salescoach serve`")


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    role: str = typer.Option("rep", "--role", help="rep, manager or admin"),
    team: Optional[str] = typer.Option(None, "--team", help="team name (created when new)"),
    display_name: str = typer.Option("", "--display-name"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="SALESCOACH_NEW_PASSWORD"),
) -> None:
    """Create a user (password prompted, or from SALESCOACH_NEW_PASSWORD)."""
    from coach.auth.users import create_user

    p = create_user(_services(ctx).db, username, password, role=role, team=team, display_name=display_name)
    console.print(f"created {p.username} ({p.role})", highlight=False)


@users_app.command("list")
def users_list(ctx: typer.Context, as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP)) -> None:
    """List users with their role and team."""
    from coach.auth.users import list_users

    rows = list_users(_services(ctx).db)
    if as_json:
        emit_json(as_json, rows)
        return
    table = Table("username", "display name", "role", "team")
    for r in rows:
        table.add_row(r["username"], r["display_name"], r["role"], r["team"] or "")
    console.print(table)


@users_app.command("set-password")
def users_set_password(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="SALESCOACH_NEW_PASSWORD"),
) -> None:
    """Set a user's password."""
    from coach.auth.users import set_password

    set_password(_services(ctx).db, username, password)
    console.print(f"password of {username} changed", highlight=False)


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    status: Optional[str] = typer.Option(None, "--status", help="queued, running, done or failed"),
    limit: int = typer.Option(50, "--limit"),
    as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP),
) -> None:
    """Recent jobs, newest first."""
    from coach.calls.jobs import list_jobs

    rows = list_jobs(_services(ctx).db, status=status, limit=limit)
    if as_json:
        emit_json(as_json, rows)
        return
    table = Table("id", "kind", "call", "status", "stage", "attempts", "updated", "error")
    for r in rows:
        table.add_row(
            r["id"], r["kind"], r["call_id"] or "", r["status"], r["stage"], str(r["attempts"]),
            (r["updated_at"] or "")[:19], (r["error"] or "")[:80],
        )
    console.print(keep_ids_whole(table, "id", "call"))


@jobs_app.command("retry")
def jobs_retry(
    ctx: typer.Context,
    job_id: str = typer.Argument(...),
    queue_only: bool = typer.Option(
        False, "--queue-only", help="Only put it back in the queue (a running server picks it up); default runs it here."
    ),
) -> None:
    """Retry a failed job. Its original upload is still in the uploads store."""
    from coach.calls.jobs import JobQueue

    services = _services(ctx)
    if queue_only:  # through the configured backend: with Celery it is published to the workers
        services.jobs.retry(job_id)
        console.print(f"job {job_id} queued again", highlight=False)
        return
    queue = JobQueue(services, workers=1)
    queue.retry(job_id)
    done = queue.run_pending(job_id)
    if not done:  # a running server claimed it first
        console.print(f"job {job_id} queued; a running server picked it up", highlight=False)
        return
    job = done[0]
    if job["status"] == "done":
        console.print(f"job {job_id} done", highlight=False)
    else:
        console.print(f"[red]job {job_id} failed again:[/] {job['error']}", highlight=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("serve")(serve)
    app.command("init")(init)
    app.add_typer(users_app, name="users")
    app.add_typer(jobs_app, name="jobs")
