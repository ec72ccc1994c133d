"""Helpers shared by the command modules: the invocation's services, one way to turn a
domain error into a clear message and exit code, and atomic output files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from coach.errors import NotFoundError, SalesCoachError

err_console = Console(stderr=True)


def services(ctx: typer.Context) -> Any:
    """The lazily-built ``Services`` of this invocation."""
    return ctx.find_root().obj.get()


def user_id_for(services: Any, username: str | None) -> int | None:
    """The id of the user named ``username`` (``None`` when no name is given)."""
    if not username:
        return None
    from sqlalchemy import select

    from coach.db.models import User

    with services.db.session() as s:
        uid = s.scalars(select(User.id).where(User.username == username)).first()
    if uid is None:
        raise NotFoundError(f"unknown user {username!r}")
    return uid


def print_error(exc: SalesCoachError) -> None:
    err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
    if exc.detail:
        err_console.print(f"  {exc.detail}", highlight=False, soft_wrap=True)


def fail(exc: SalesCoachError) -> typer.Exit:
    """Print ``exc`` for the user and return the exit to raise (code 2)."""
    print_error(exc)
    return typer.Exit(2)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file + rename: never a half-written output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
