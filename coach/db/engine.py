"""Engine and session factory; schema created/upgraded with Alembic."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from coach.errors import ConfigurationError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    kwargs: dict = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - driver hook
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url != "sqlite://":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    return engine


def upgrade_schema(engine: Engine) -> None:
    """Bring the database to the latest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _corrupt(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "malformed" in text or "not a database" in text or "file is encrypted" in text


class DatabaseCorruptError(ConfigurationError):
    """The SQLite file is damaged: the server refuses to start instead of losing more."""

    def __init__(self, url: str) -> None:
        path = url.removeprefix("sqlite:///")
        super().__init__(
            f"the database file {Path(path).name} is damaged and cannot be read",
            detail=f"stop the server, keep a copy of {path}, then restore the last backup "
            "(or salvage with: sqlite3 BROKEN.db '.recover' | sqlite3 NEW.db)",
        )


def _owner_only(url: str) -> None:
    """A SQLite database file (and its WAL/SHM files) readable by the server's user only:
    it holds transcripts, customer names and password hashes."""
    import os

    if not url.startswith("sqlite:///") or ":memory:" in url:
        return
    path = url.removeprefix("sqlite:///")
    for p in (path, path + "-wal", path + "-shm"):
        try:
            os.chmod(p, 0o600)
        except OSError:  # not created yet (WAL files appear later with the same mode)
            pass


class Database:
    """Owns the engine and hands out transactional sessions."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            try:
                upgrade_schema(self.engine)
            except DBAPIError as exc:
                if _corrupt(exc):
                    raise DatabaseCorruptError(url) from exc
                raise
        _owner_only(url)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back everything on error."""
        s = self._factory()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()
