"""The same schema and unit of work on a real PostgreSQL server (started on loopback).

Skipped only where no PostgreSQL server binaries exist on the machine."""

from __future__ import annotations

import pytest

from coach.db.engine import Database
from coach.db.models import Analysis, Call, UtteranceRow, User
from helpers.servers import start_postgres


@pytest.fixture(scope="module")
def pg_url():
    pg = start_postgres()  # skips where no PostgreSQL server binaries exist
    try:
        yield pg.url
    finally:
        pg.stop()


@pytest.mark.slow
def test_migrations_and_unit_of_work_on_postgres(pg_url):
    db = Database(pg_url)
    with db.session() as s:
        u = User(username="rep1", role="rep")
        s.add(u)
        s.flush()
        call = Call(user_id=u.id, title="pg call", status="analyzed")
        s.add(call)
        s.flush()
        s.add(Analysis(call_id=call.id, document={"schema_version": "1.0", "utterances": []}))
        s.add(UtteranceRow(call_id=call.id, idx=0, uid="u1", speaker="S1", role="rep", start=0.0, end=1.0, text="hi"))
        call_id = call.id
    with pytest.raises(RuntimeError):
        with db.session() as s:
            s.add(User(username="ghost"))
            s.flush()
            raise RuntimeError("crash mid-transaction")
    with db.session() as s:
        assert s.get(Call, call_id).analysis.document["schema_version"] == "1.0"
        assert s.query(User).filter_by(username="ghost").count() == 0
    # a second start runs the migrations again as a no-op
    Database(pg_url)
