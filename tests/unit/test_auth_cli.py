"""`salescoach users add|list|set-password` and `init` (no demo)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coach.cli import app


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch):
    from argon2 import PasswordHasher

    monkeypatch.setattr("coach.auth.passwords._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def run(tmp_path, *args, env=None, input=None):
    res = CliRunner().invoke(app, ["--data-dir", str(tmp_path), *args], env=env, input=input)
    return res


def test_users_add_list_set_password(tmp_path):
    assert run(tmp_path, "init").exit_code == 0
    res = run(tmp_path, "users", "add", "alice", "--role", "manager", "--team", "A", env={"SALESCOACH_NEW_PASSWORD": "alice-pass"})
    assert res.exit_code == 0, res.output
    res = run(tmp_path, "users", "add", "bob", "--team", "A", input="bob-password\nbob-password\n")
    assert res.exit_code == 0, res.output
    rows = json.loads(run(tmp_path, "users", "list", "--json").output)
    assert [(r["username"], r["role"], r["team"]) for r in rows] == [("alice", "manager", "A"), ("bob", "rep", "A")]
    assert all("password" not in json.dumps(r) for r in rows)
    res = run(tmp_path, "users", "set-password", "bob", env={"SALESCOACH_NEW_PASSWORD": "new-password"})
    assert res.exit_code == 0
    from coach.auth.passwords import authenticate
    from coach.services import Services
    from coach.settings import Settings

    assert authenticate(Services(Settings(data_dir=tmp_path)).db, "bob", "new-password").username == "bob"


def test_users_bad_input_is_a_clear_error(tmp_path):
    from coach.errors import InputError, NotFoundError

    res = run(tmp_path, "users", "add", "x y", env={"SALESCOACH_NEW_PASSWORD": "password1"})
    assert isinstance(res.exception, InputError) and "invalid username" in str(res.exception)
    res = run(tmp_path, "users", "add", "carol", "--role", "king", env={"SALESCOACH_NEW_PASSWORD": "password1"})
    assert isinstance(res.exception, InputError)
    res = run(tmp_path, "users", "add", "carol", env={"SALESCOACH_NEW_PASSWORD": "short"})
    assert isinstance(res.exception, InputError) and "at least 8" in str(res.exception)
    res = run(tmp_path, "users", "set-password", "ghost", env={"SALESCOACH_NEW_PASSWORD": "password1"})
    assert isinstance(res.exception, NotFoundError)
