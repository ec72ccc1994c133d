"""The same schema and unit of work on a real PostgreSQL server (started on loopback).

Skipped only where no PostgreSQL server binaries exist on the machine."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from coach.db.engine import Database
from coach.db.models import Analysis, Call, UtteranceRow, User

PG_BIN = Path("/usr/local/bin") if Path("/usr/local/bin/initdb").exists() else None
if PG_BIN is None:
    for cand in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        PG_BIN = cand
        break


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_url():
    if PG_BIN is None or not (PG_BIN / "initdb").exists():
        pytest.skip("no PostgreSQL server binaries on this machine")
    # not under pytest's tmp dir: that one is private to root, and the server runs as another user
    root = Path(tempfile.mkdtemp(prefix="salescoach-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        user = "postgres" if shutil.which("runuser") and _user_exists("postgres") else "nobody"
        run_as = ["runuser", "-u", user, "--"]
        shutil.chown(root, user=user)
    data, port = root / "db", _free_port()
    subprocess.run([*run_as, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "sc"], check=True, capture_output=True)
    subprocess.run(
        [*run_as, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w",
         "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start"],
        check=True, capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://sc@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


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
