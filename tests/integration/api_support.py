"""Shared set-up of the REST API tests: a temp data dir, an org of five users, the app
(without the Gradio UI, workers off unless asked) and their bearer tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

TRANSCRIPT = (
    "Rep: Good morning, thanks for making time today. How is the imaging department doing?\n"
    "Customer: Busy. We are short of staff and the old scanners keep breaking down.\n"
    "Rep: What happens to your schedule when a scanner is down?\n"
    "Customer: Patients wait for hours and my team works overtime. It is frustrating.\n"
    "Rep: Our service contract guarantees a technician within four hours.\n"
    "Customer: Honestly the price you quoted last time is far too expensive for us.\n"
    "Rep: I understand. Could we look at the cost of downtime together next week?\n"
    "Customer: Yes, that sounds useful. Let's meet on Tuesday.\n"
)


@dataclass
class ApiEnv:
    services: Any
    app: Any
    client: Any
    users: dict[str, Any]
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def jobs(self):
        return self.app.state.jobs

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def upload(self, who: str, name: str = "call.txt", data: bytes | None = None, **form: str):
        payload = TRANSCRIPT.encode() if data is None else data
        return self.client.post(
            "/api/v1/calls", headers=self.h(who), files={"file": (name, payload)}, data=form or None
        )

    def analysed_call(self, who: str, name: str = "call.txt", data: bytes | None = None) -> str:
        r = self.upload(who, name, data)
        assert r.status_code == 202, r.text
        self.jobs.run_pending()
        return r.json()["call_id"]


@pytest.fixture
def cheap_hashing(monkeypatch):
    from argon2 import PasswordHasher

    monkeypatch.setattr("coach.auth.passwords._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def make_env(services, *, start_jobs: bool = False) -> tuple[Any, dict[str, Any]]:
    from coach.auth.users import create_user
    from ui.app import build_app

    # reports are requested explicitly in the report tests (they load the embedding model)
    services.settings.server.report_after_analysis = False

    people = {
        "rep1": create_user(services.db, "rep1", "rep1-demo", role="rep", team="A"),
        "rep2": create_user(services.db, "rep2", "rep2-demo", role="rep", team="A"),
        "rep3": create_user(services.db, "rep3", "rep3-demo", role="rep", team="B"),
        "manager1": create_user(services.db, "manager1", "manager1-demo", role="manager", team="A"),
        "admin": create_user(services.db, "admin", "admin-demo", role="admin"),
    }
    return build_app(services, with_ui=False, start_jobs=start_jobs), people


@pytest.fixture
def api(services, cheap_hashing):
    from fastapi.testclient import TestClient

    from coach.auth.tokens import create_token

    app, people = make_env(services)
    with TestClient(app) as client:
        env = ApiEnv(services, app, client, people)
        env.tokens = {name: create_token(services.settings, p) for name, p in people.items()}
        yield env
