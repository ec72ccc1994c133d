"""``salescoach`` command line. Each area registers its commands from its own module;
this file only wires global options and turns domain errors into clear messages."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from typer.core import TyperGroup

from coach.cli.common import err_console, normalize_json_flag, print_error, services  # noqa: F401  (services: re-export)
from coach.errors import DOMAIN_ERRORS
from coach.logging_setup import configure_logging

class _Root(TyperGroup):
    """The root command: a bare ``--json`` means ``--json -`` on every command (see
    :func:`coach.cli.common.normalize_json_flag`), however the CLI is invoked."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, normalize_json_flag(args))


app = typer.Typer(
    cls=_Root,
    name="salescoach",
    help="Sales Coach: call analysis, grounded pre-visit scripts, role-play and team coaching.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
log = logging.getLogger("coach.cli")


@app.callback()
def _global(
    ctx: typer.Context,
    data_dir: Optional[Path] = typer.Option(
        None, "--data-dir", envvar="SALESCOACH_DATA_DIR", help="Where the database, uploads and indexes live."
    ),
    log_level: str = typer.Option("WARNING", "--log-level", envvar="SALESCOACH_LOG_LEVEL"),
) -> None:
    configure_logging(log_level)
    ctx.obj = _ServicesHandle(data_dir)


class _ServicesHandle:
    """Builds ``Services`` on first use so ``--help`` and cheap commands stay instant."""

    def __init__(self, data_dir: Path | None) -> None:
        self._data_dir = data_dir
        self._services = None

    def get(self):
        if self._services is None:
            from coach.services import Services
            from coach.settings import Settings

            settings = Settings(data_dir=self._data_dir) if self._data_dir else Settings()
            self._services = Services(settings)
        return self._services


def _register_all() -> None:
    from coach.cli import accounts, analyze, chat, kb, roleplay, scripts_reports, server, worker

    for mod in (analyze, kb, chat, accounts, scripts_reports, roleplay, server, worker):
        mod.register(app)


_register_all()


def main() -> None:
    import warnings

    # jieba and Resemblyzer import pkg_resources, which setuptools marks deprecated; the
    # pin (setuptools<81) keeps it working, and a user cannot act on the warning
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

    try:
        app()
    except DOMAIN_ERRORS as exc:
        print_error(exc)
        sys.exit(2)
    except KeyboardInterrupt:  # pragma: no cover
        err_console.print("interrupted")
        sys.exit(130)

