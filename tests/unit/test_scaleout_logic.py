"""The logic of the scale-out pieces on SQLite: claims and conditional finishes, the
sweep that recovers dead workers' jobs and lost messages, the web-session store, the
storage root's relative paths, and the queue routing. The real servers are exercised in
tests/integration/test_scaleout.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from coach.calls import jobs as jobmod
from coach.calls.backends import build_job_backend
from coach.calls.queues import ANALYSIS_QUEUE, SHORT_QUEUE, queue_for
from coach.calls.lease import Heartbeat, sweep
from coach.settings import QueueSettings


def _age(db, job_id: str, seconds: float) -> None:
    from coach.db.models import Job

    with db.session() as s:
        s.get(Job, job_id).updated_at = datetime.now(timezone.utc) - timedelta(seconds=seconds)


def test_routing_and_default_backend(services):
    assert queue_for("analyze") == ANALYSIS_QUEUE
    assert {queue_for(k) for k in ("report", "rerole", "ingest")} == {SHORT_QUEUE}
    assert build_job_backend(services).name == "embedded"
    assert services.jobs.name == "embedded" and services.jobs.ready()["backend"] == "embedded"


def test_only_the_current_claim_finishes_a_job(services):
    db = services.db
    job_id = jobmod.submit(db, "ok")
    first = jobmod._claim(db, job_id, worker="a:1")
    assert first["attempts"] == 1 and first["worker"] == "a:1" and first["started_at"]
    assert jobmod._claim(db, job_id, worker="b:2") is None  # already running: nobody else claims it
    # worker a is presumed dead: the sweep re-queues, worker b claims attempt 2
    _age(db, job_id, 120)
    res = sweep(db, QueueSettings(stale_after_s=60))
    assert res.requeued == [job_id] and res.republish == [(job_id, "ok")]
    second = jobmod._claim(db, job_id, worker="b:2")
    assert second["attempts"] == 2
    # a comes back and finishes: not recorded; b's finish is
    late = jobmod.run_claimed(services, first, {"ok": lambda s, c: {"by": "a"}})
    assert late["status"] == "running" and late["attempts"] == 2
    done = jobmod.run_claimed(services, second, {"ok": lambda s, c: {"by": "b"}})
    assert done["status"] == "done" and done["params"]["result"] == {"by": "b"}


def test_sweep_leaves_fresh_jobs_alone_and_gives_up_after_max_attempts(services):
    db = services.db
    fresh = jobmod.submit(db, "ok")
    jobmod._claim(db, fresh, worker="a:1")
    queued = jobmod.submit(db, "report")
    out = sweep(db, QueueSettings(stale_after_s=60, republish_after_s=120))
    assert out.requeued == [] and out.republish == []
    tired = jobmod.submit(db, "ok")
    for _ in range(3):
        jobmod._claim(db, tired, worker="a:1")
        _age(db, tired, 120)
        sweep(db, QueueSettings(stale_after_s=60))
    job = jobmod.get_job(db, tired)
    assert job["status"] == "failed" and "salescoach jobs retry" in job["error"]
    # a queued job the broker may have lost is republished once per republish period
    _age(db, queued, 300)
    qs = QueueSettings(republish_after_s=120)
    assert (queued, "report") in sweep(db, qs).republish
    assert (queued, "report") not in sweep(db, qs).republish
    # ... but not when the broker still holds enough messages for its queue (plain backlog)
    _age(db, queued, 300)
    assert sweep(db, qs, lost_in=lambda q: False).republish == []


def test_heartbeat_keeps_a_long_job_from_being_swept(services):
    import time

    db = services.db
    job_id = jobmod.submit(db, "ok")
    job = jobmod._claim(db, job_id, worker="a:1")
    _age(db, job_id, 120)
    with Heartbeat(db, job_id, job["attempts"], interval=0.2):
        time.sleep(0.6)
        assert sweep(db, QueueSettings(stale_after_s=60)).requeued == []


def test_web_sessions_shared_through_the_database(services):
    from coach.auth.web_sessions import SessionTokenMap, WebSessionStore

    a = SessionTokenMap(WebSessionStore(services.db))
    b = SessionTokenMap(WebSessionStore(services.db))  # another replica
    a["tok-1"] = "rep1"
    a["tok-2"] = "rep1"
    a["tok-3"] = "manager1"
    assert b.get("tok-1") == "rep1" and "tok-3" in b and b.get("nope") is None and b.get(None) is None
    # Gradio's "log out everywhere": iterate, compare, delete
    for key in list(b.keys()):
        if b[key] == "rep1":
            del b[key]
    assert a.get("tok-1") is None and a.get("tok-2") is None and a.get("tok-3") == "manager1"
    store = WebSessionStore(services.db, ttl_minutes=-1)
    token = store.create("rep2")
    assert store.username(token) is None and store.purge_expired() >= 1
    from sqlalchemy import select

    from coach.db.models import WebSession

    with services.db.session() as s:
        assert "tok-3" not in set(s.scalars(select(WebSession.token_hash))), "raw tokens are never stored"


def test_storage_root_paths_are_relative(tmp_path):
    from coach.settings import Settings

    s = Settings.for_tests(tmp_path / "data", storage_root=tmp_path / "shared")
    f = s.uploads_dir / "c1" / "call.wav"
    assert s.uploads_dir == tmp_path / "shared" / "uploads"
    assert s.stored_relative(f) == "uploads/c1/call.wav"
    assert s.stored_absolute("uploads/c1/call.wav") == f
    assert s.stored_absolute("/old/absolute/row.wav").as_posix() == "/old/absolute/row.wav"


def test_worker_without_a_queue_url_says_what_to_set(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from coach.cli import app

    monkeypatch.delenv("SALESCOACH_QUEUE_URL", raising=False)
    res = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "worker"])
    assert res.exit_code != 0
    assert "SALESCOACH_QUEUE_URL" in (res.output + str(res.exception))
    res = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "status", "--json"])
    assert res.exit_code == 0 and '"backend": "embedded"' in res.output


@pytest.mark.parametrize("queues", ["analysis,bogus", ""])
def test_worker_rejects_unknown_queues(tmp_path, monkeypatch, queues):
    from typer.testing import CliRunner

    from coach.cli import app

    monkeypatch.setenv("SALESCOACH_QUEUE_URL", "redis://127.0.0.1:1/0")
    res = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "worker", "--queues", queues])
    assert res.exit_code != 0 and "queue" in (res.output + str(res.exception))


def test_a_queue_url_that_is_not_redis_is_refused(tmp_path):
    from coach.errors import ConfigurationError
    from coach.services import Services
    from coach.settings import Settings

    s = Settings.for_tests(tmp_path)
    s.queue.url = "amqp://guest@localhost//"
    with pytest.raises(ConfigurationError, match="redis://"):
        Services(s).jobs
