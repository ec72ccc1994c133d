"""``salescoach chat``: the coach chat in the terminal (streaming)."""

from __future__ import annotations

import sys
from typing import Any, Optional

import typer
from rich.console import Console

from coach.cli.common import JSON_HELP, emit_json, services, user_id_for
from coach.errors import DOMAIN_ERRORS

out = Console()
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("chat")(chat)


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

