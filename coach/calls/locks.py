"""Mutual exclusion that holds across API replicas: a thread lock for this process plus,
on PostgreSQL, a session-level advisory lock (``pg_advisory_lock``) on a dedicated
connection, so two replicas receiving the same upload at the same instant still create
one call. SQLite is single-machine: the thread lock is the whole story there."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (Python's hash() differs per process)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


@contextmanager
def cluster_lock(db: "Database", name: str, local: threading.Lock) -> Iterator[None]:
    with local:
        if db.engine.dialect.name != "postgresql":
            yield
            return
        from sqlalchemy import text

        key = advisory_key(name)
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
