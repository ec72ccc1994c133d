"""The scale-out topology for real, on loopback: PostgreSQL + Redis + 2 ``salescoach
worker`` processes + 2 ``salescoach serve`` replicas sharing one storage root, exactly
what deploy/docker-compose.yml runs.

Transcripts are real negotiations (CraigslistBargain dev dialogues, shared data) where
audio is not the point; the kill and shutdown tests use a real 11 s speech clip. Timings are shortened (heartbeat stale after 4 s, sweep every second)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import MODEL_CACHE, SHARED_DATA
from helpers.servers import Proc, free_port, salescoach_cmd, start_postgres, start_redis, wait_port

pytestmark = pytest.mark.slow

PASSWORD = "scaleout-pass-1"
SECRET = "test-shared-secret-for-all-replicas"
DIALOGUES = SHARED_DATA / "dialogues" / "craigslistbargain" / "dev.json"
SPEECH = SHARED_DATA / "audio" / "wer" / "jfk.flac"  # 11 s of real speech


def real_transcripts(n: int, skip: int = 0) -> list[tuple[str, bytes]]:
    """``n`` negotiation transcripts (Seller:/Buyer: lines) from real dialogues."""
    out: list[tuple[str, bytes]] = []
    for i, d in enumerate(json.loads(DIALOGUES.read_text())):
        roles = {str(a): kb["personal"]["Role"].capitalize() for a, kb in enumerate(d["scenario"]["kbs"])}
        lines = [f"{roles[str(e['agent'])]}: {e['data'].strip()}" for e in d["events"]
                 if e["action"] == "message" and isinstance(e["data"], str) and e["data"].strip()]
        if len(lines) < 8:
            continue
        if skip:
            skip -= 1
            continue
        out.append((f"negotiation-{i}.txt", ("\n".join(lines) + "\n").encode()))
        if len(out) == n:
            return out
    raise AssertionError("not enough dialogues")


@dataclass
class Cluster:
    root: Path
    db: Any
    env: dict[str, str]
    apis: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)
    redis: Any = None

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.apis[i].port}"

    def node_env(self, name: str) -> dict[str, str]:
        data = self.root / name
        data.mkdir(exist_ok=True)
        if not (data / "models").exists():  # models assembled once per machine, shared read-only
            MODEL_CACHE.mkdir(parents=True, exist_ok=True)
            (data / "models").symlink_to(MODEL_CACHE)
        return {**self.env, "SALESCOACH_DATA_DIR": str(data)}

    def start_worker(self, name: str) -> Proc:
        p = Proc(salescoach_cmd("--log-level", "INFO", "worker", "--concurrency", "1"), self.node_env(name),
                 self.root / f"{name}.log").start()
        self.workers.append(p)
        return p

    def start_api(self, name: str) -> Proc:
        port = free_port()
        p = Proc(salescoach_cmd("serve", "--host", "127.0.0.1", "--port", str(port)), self.node_env(name),
                 self.root / f"{name}.log", port=port).start()
        self.apis.append(p)
        return p

    def workers_alive(self) -> int:
        from coach.calls.lease import _now
        from coach.db.models import WorkerHeartbeat

        with self.db.session() as s:
            rows = s.query(WorkerHeartbeat).all()
            return sum(1 for w in rows if (_now() - w.seen_at.replace(tzinfo=_now().tzinfo)).total_seconds() < 3)

    def wait_workers(self, n: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while self.workers_alive() < n:
            if time.monotonic() > deadline:
                raise TimeoutError("workers did not come up:\n" + "\n".join(w.tail() for w in self.workers))
            time.sleep(0.3)

    def job(self, job_id: str) -> dict[str, Any]:
        from coach.calls.jobs import get_job

        return get_job(self.db, job_id)

    def wait_jobs(self, job_ids: list[str], timeout: float = 120) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            jobs = [self.job(j) for j in job_ids]
            if all(j["status"] in ("done", "failed") for j in jobs):
                return jobs
            if time.monotonic() > deadline:
                logs = "\n".join(p.tail(1500) for p in self.workers)
                raise TimeoutError(f"jobs not finished: {[(j['id'], j['status'], j['stage']) for j in jobs]}\n{logs}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from coach.auth.users import create_user
    from coach.db.engine import Database

    if not DIALOGUES.exists():
        pytest.skip("shared dialogues not found")
    root = tmp_path_factory.mktemp("scaleout")
    pg = start_postgres()
    redis = start_redis()
    storage = root / "storage"
    storage.mkdir()
    env = {
        **os.environ,
        "SALESCOACH_DATABASE_URL": pg.url,
        "SALESCOACH_QUEUE_URL": redis.url,
        "SALESCOACH_STORAGE_ROOT": str(storage),
        "SALESCOACH_SERVER__SECRET_KEY": SECRET,
        "SALESCOACH_SERVER__REPORT_AFTER_ANALYSIS": "false",
        "SALESCOACH_LLM__PROVIDER": "fake",
        "SALESCOACH_QUEUE__STALE_AFTER_S": "4",
        "SALESCOACH_QUEUE__SWEEP_INTERVAL_S": "1",
        "SALESCOACH_QUEUE__REPUBLISH_AFTER_S": "3",
        "OMP_NUM_THREADS": "1",
    }
    db = Database(pg.url)
    for name, role in (("rep1", "rep"), ("admin", "admin")):
        create_user(db, name, PASSWORD, role=role)
    c = Cluster(root, db, env, redis=redis)
    try:
        for i in range(2):
            c.start_worker(f"worker{i}")
        for i in range(2):
            c.start_api(f"api{i}")
        for p in c.apis:
            wait_port(p.port, 120, p.proc)
        c.wait_workers(2)
        yield c
    finally:
        for p in c.apis + c.workers:
            p.stop(10)
        redis.stop()
        c.db.engine.dispose()
        pg.stop()


def token(base: str, user: str = "rep1") -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", json={"username": user, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def upload(base: str, tok: str, name: str, data: bytes) -> dict[str, Any]:
    r = httpx.post(f"{base}/api/v1/calls", headers={"Authorization": f"Bearer {tok}"}, files={"file": (name, data)}, timeout=60)
    assert r.status_code == 202, r.text
    return r.json()


def analyses_of(db, call_id: str) -> list[dict[str, Any]]:
    from coach.db.models import Analysis

    with db.session() as s:
        return [a.document for a in s.query(Analysis).filter_by(call_id=call_id).all()]


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("timings", "source")}


def test_uploads_through_both_replicas_each_job_done_once_same_as_embedded(cluster, tmp_path):
    files = real_transcripts(6)
    toks = [token(cluster.url(0)), token(cluster.url(1))]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda ix: upload(cluster.url(ix[0] % 2), toks[ix[0] % 2], *ix[1]), enumerate(files)))
    jobs = cluster.wait_jobs([r["job_id"] for r in results])
    assert [j["status"] for j in jobs] == ["done"] * 6, [j["error"] for j in jobs]
    assert all(j["attempts"] == 1 for j in jobs), "a job was claimed twice"
    assert len({j["worker"] for j in jobs}) == 2, "both workers should have taken jobs"

    # the same files through the embedded runner (default settings, in this process)
    from coach.calls.intake import submit_upload
    from coach.services import Services
    from coach.settings import Settings

    settings = Settings.for_tests(tmp_path / "embedded")
    settings.server.report_after_analysis = False
    settings.ensure_dirs()
    settings.models_cache_dir.rmdir()
    settings.models_cache_dir.symlink_to(MODEL_CACHE)
    embedded = Services(settings)
    assert embedded.jobs.name == "embedded"
    for (name, data), r in zip(files, results):
        import io

        res = submit_upload(embedded, embedded.jobs, io.BytesIO(data), filename=name, principal=None)
        [done] = embedded.jobs.run_pending(res.job_id)
        assert done["status"] == "done"
        [mine] = analyses_of(embedded.db, res.call_id)
        [theirs] = analyses_of(cluster.db, r["call_id"])  # exactly one analysis row
        assert _comparable(theirs) == _comparable(mine)


def test_same_file_on_both_replicas_at_once_makes_one_call(cluster):
    name, data = real_transcripts(1, skip=20)[0]
    toks = [token(cluster.url(0)), token(cluster.url(1))]

    def post(i: int) -> httpx.Response:
        return httpx.post(f"{cluster.url(i % 2)}/api/v1/calls", headers={"Authorization": f"Bearer {toks[i % 2]}"},
                          files={"file": (name, data)}, timeout=60)

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(post, range(6)))
    assert sorted(r.status_code for r in responses) == [200] * 5 + [202], [r.text for r in responses]
    assert len({r.json()["call_id"] for r in responses}) == 1
    assert cluster.wait_jobs([responses[0].json()["job_id"]])[0]["status"] == "done"


def test_session_from_replica_a_works_on_replica_b(cluster):
    a, b = cluster.url(0), cluster.url(1)
    tok = token(a)
    assert httpx.get(f"{b}/api/v1/calls", headers={"Authorization": f"Bearer {tok}"}, timeout=30).status_code == 200
    # the web login: Gradio's form on A, the cookie on B
    r = httpx.post(f"{a}/login", data={"username": "rep1", "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    cookies = {c.name: c.value for c in r.cookies.jar}
    assert cookies
    assert httpx.get(f"{b}/gradio_api/login_check", timeout=30).status_code == 401
    assert httpx.get(f"{b}/gradio_api/login_check", cookies=cookies, timeout=30).status_code == 200
    # logging out on B ends the session on A too
    httpx.get(f"{b}/logout", cookies=cookies, timeout=30)
    assert httpx.get(f"{a}/gradio_api/login_check", cookies=cookies, timeout=30).status_code == 401


def test_health_ready_and_status(cluster):
    base = cluster.url(1)
    assert httpx.get(f"{base}/api/v1/health", timeout=30).json()["backend"] == "celery"
    r = httpx.get(f"{base}/api/v1/ready", timeout=30)
    assert r.status_code == 200 and r.json()["checks"]["queue"]["broker"] == "reachable", r.text
    st = httpx.get(f"{base}/api/v1/status", headers={"Authorization": f"Bearer {token(base, 'admin')}"}, timeout=30)
    assert st.status_code == 200 and len(st.json()["workers_alive"]) == 2
    assert httpx.get(f"{base}/api/v1/status", headers={"Authorization": f"Bearer {token(base)}"}, timeout=30).status_code == 403
    out = subprocess.run(salescoach_cmd("status", "--json"), env=cluster.node_env("cli"), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    cli = json.loads(out.stdout)
    assert cli["backend"] == "celery" and set(cli["queues"]) == {"analysis", "reports"}


def test_worker_killed_mid_transcription_job_finishes_on_the_other(cluster):
    data = SPEECH.read_bytes()
    res = upload(cluster.url(0), token(cluster.url(0)), "speech.flac", data)
    deadline = time.monotonic() + 90
    while True:  # wait until a worker is transcribing
        job = cluster.job(res["job_id"])
        if job["status"] == "running" and job["stage"] == "transcribe":
            break
        assert job["status"] in ("queued", "running"), job
        assert time.monotonic() < deadline, "never saw the job transcribing"
        time.sleep(0.05)
    pid = int(job["worker"].rsplit(":", 1)[-1])
    [victim] = [w for w in cluster.workers if w.pid == pid]
    victim.kill9()
    cluster.workers.remove(victim)

    [done] = cluster.wait_jobs([res["job_id"]], timeout=150)
    assert done["status"] == "done", done["error"]
    assert done["attempts"] == 2 and done["worker"] != job["worker"]
    assert len(analyses_of(cluster.db, res["call_id"])) == 1
    from coach.calls.store import CallStore
    from coach.settings import Settings

    stored = CallStore(cluster.db, Settings(storage_root=Path(cluster.env["SALESCOACH_STORAGE_ROOT"]))).get_call(res["call_id"])
    assert stored["status"] == "analyzed"
    assert hashlib.sha256(Path(stored["stored_path"]).read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()


def test_redis_restart_during_backlog_loses_nothing_runs_nothing_twice(cluster):
    for w in cluster.workers:  # hold the workers so a backlog builds up in the broker
        os.killpg(w.pid, signal.SIGSTOP)
    try:
        files = real_transcripts(6, skip=6)
        tok = token(cluster.url(1))
        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda f: upload(cluster.url(1), tok, *f), files))
        assert all(cluster.job(r["job_id"])["status"] == "queued" for r in results)
        cluster.redis.kill()  # no persistence: every message is gone
        cluster.redis.start()
    finally:
        for w in cluster.workers:
            os.killpg(w.pid, signal.SIGCONT)
    jobs = cluster.wait_jobs([r["job_id"] for r in results], timeout=120)
    assert [j["status"] for j in jobs] == ["done"] * 6
    assert all(j["attempts"] == 1 for j in jobs), [(j["id"], j["attempts"]) for j in jobs]
    assert all(len(analyses_of(cluster.db, r["call_id"])) == 1 for r in results)


def test_sigterm_lets_the_worker_finish_its_job(cluster):
    # the same recording from another user: not a duplicate upload
    res = upload(cluster.url(0), token(cluster.url(0), "admin"), "speech.flac", SPEECH.read_bytes())
    deadline = time.monotonic() + 90
    while (job := cluster.job(res["job_id"]))["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pid = int(job["worker"].rsplit(":", 1)[-1])
    [w] = [w for w in cluster.workers if w.pid == pid]
    # to the main process only, as `docker stop` and systemd's KillMode=mixed do (a
    # signal to the whole group would also kill the audio decoder's child process)
    os.kill(w.pid, signal.SIGTERM)
    assert w.proc.wait(120) == 0, w.tail()
    done = cluster.job(res["job_id"])
    assert done["status"] == "done" and done["attempts"] == 1 and done["worker"] == job["worker"], (done["error"], w.tail())
