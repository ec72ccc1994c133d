"""`salescoach jobs list|retry`: a failed job is retried from the CLI with its kept file."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from coach.cli import app


def test_jobs_list_and_retry_runs_it_here(tmp_path, monkeypatch):
    from coach.calls import jobs as jobmod
    from coach.db.models import Call
    from coach.services import Services
    from coach.settings import Settings

    services = Services(Settings(data_dir=tmp_path))
    original = services.settings.uploads_dir / "c1" / "call.txt"
    original.parent.mkdir(parents=True)
    original.write_text("Rep: Hello, how are things?\nCustomer: Fine, thanks.\n")
    with services.db.session() as s:
        s.add(Call(id="c1", status="failed", stored_path=str(original), error="interrupted"))
    jid = jobmod.submit(services.db, "analyze", call_id="c1")
    with services.db.session() as s:
        from coach.db.models import Job

        job = s.get(Job, jid)
        job.status, job.error, job.attempts = "failed", "interrupted 3 times", 3

    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["--data-dir", str(tmp_path), "jobs", "list", "--status", "failed", "--json"]).output)
    assert [j["id"] for j in listed] == [jid]

    calls = []

    def fake_analyze(services, ctx):  # the real analyzer is covered by the API tests
        calls.append(ctx.call_id)
        from coach.calls.store import CallStore

        CallStore(services.db, services.settings).set_status(ctx.call_id, "analyzed")
        return {}

    monkeypatch.setitem(jobmod.DEFAULT_HANDLERS, "analyze", fake_analyze)
    res = runner.invoke(app, ["--data-dir", str(tmp_path), "jobs", "retry", jid])
    assert res.exit_code == 0, res.output
    assert f"job {jid} done" in res.output and calls == ["c1"]
    assert jobmod.get_job(services.db, jid)["status"] == "done"
    res = runner.invoke(app, ["--data-dir", str(tmp_path), "jobs", "retry", jid])
    assert "already finished" in str(res.exception)


def test_jobs_retry_queue_only_and_failure_exit_code(tmp_path, monkeypatch):
    from coach.calls import jobs as jobmod
    from coach.errors import CorruptInputError
    from coach.services import Services
    from coach.settings import Settings

    services = Services(Settings(data_dir=tmp_path))
    jid = jobmod.submit(services.db, "analyze")
    jobmod.JobQueue(services, handlers={"analyze": lambda s, c: (_ for _ in ()).throw(CorruptInputError("bad file"))}).run_pending()
    runner = CliRunner()
    res = runner.invoke(app, ["--data-dir", str(tmp_path), "jobs", "retry", jid, "--queue-only"])
    assert res.exit_code == 0 and "queued again" in res.output
    assert jobmod.get_job(services.db, jid)["status"] == "queued"

    def still_bad(services, ctx):
        raise CorruptInputError("still bad")

    monkeypatch.setitem(jobmod.DEFAULT_HANDLERS, "analyze", still_bad)
    res = runner.invoke(app, ["--data-dir", str(tmp_path), "jobs", "retry", jid])
    # queued (not failed) jobs can be retried too: they run here
    assert res.exit_code == 1 and "failed again" in res.output and "still bad" in res.output
