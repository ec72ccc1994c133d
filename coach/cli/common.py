"""Helpers shared by the command modules: the invocation's services, one way to turn a
domain error into a clear message and exit code, and atomic output files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from coach.errors import DomainError, NotFoundError

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


def print_error(exc: DomainError) -> None:
    err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
    if exc.detail:
        err_console.print(f"  {exc.detail}", highlight=False, soft_wrap=True)


def fail(exc: DomainError) -> typer.Exit:
    """Print ``exc`` for the user and return the exit to raise (code 2)."""
    print_error(exc)
    return typer.Exit(2)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file + rename: never a half-written output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


#: ``--json PATH|-`` on every command: a file, or ``-`` (or a bare ``--json``, see
#: :func:`normalize_json_flag`) for standard output
JSON_HELP = "Write JSON to PATH, or to standard output with '-' (a bare --json means '-')."


def normalize_json_flag(argv: list[str]) -> list[str]:
    """``--json`` given without a value (last, or followed by another option) becomes
    ``--json -``, so ``--json`` means the same on every command."""
    out: list[str] = []
    for i, a in enumerate(argv):
        out.append(a)
        if a == "--json":
            nxt = argv[i + 1] if i + 1 < len(argv) else None
            if nxt is None or (nxt.startswith("-") and nxt != "-"):
                out.append("-")
    return out


def emit_json(target: str | Path | None, data: Any) -> None:
    """``data`` as JSON to ``target``: ``-`` is standard output, anything else a file
    (written atomically)."""
    import json
    import sys

    text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    if target is None or str(target) == "-":
        sys.stdout.write(text)
    else:
        write_atomic(Path(target), text)


def keep_ids_whole(table: Any, *headers: str) -> Any:
    """Never truncate the columns named ``headers`` (ids you type back): they keep their
    full width and other columns wrap instead, at any terminal width."""
    for col in table.columns:
        if str(col.header) in headers:
            col.no_wrap = True
            col.overflow = "ignore"
            col.min_width = max((len(str(c)) for c in col._cells), default=0) or None
    return table
