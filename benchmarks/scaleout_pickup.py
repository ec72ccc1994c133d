"""Job pick-up latency (queued -> running: ``jobs.started_at - jobs.created_at``), p50/p95,
of the embedded runner (baseline: worker threads in the submitting process) against
Celery (a ``salescoach worker`` process on a Redis broker). Both on the same PostgreSQL
server on loopback, idle system, one job at a time.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/scaleout_pickup.py [--jobs 30]

Jobs are analyses of a short real negotiation transcript (CraigslistBargain dev); each is
submitted after the previous one finished. Writes ``benchmarks/results/scaleout_pickup.json``.
"""

from __future__ import annotations

import argparse
import shutil
import io
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from benchmarks.common import machine, md_table, write_results  # noqa: E402
from benchmarks.web_latency import pct  # noqa: E402


def _latencies(db: Any, ids: list[str]) -> list[float]:
    from coach.calls.jobs import get_job

    out = []
    for j in (get_job(db, i) for i in ids):
        assert j["status"] == "done", j["error"]
        out.append((datetime.fromisoformat(j["started_at"]) - datetime.fromisoformat(j["created_at"])).total_seconds())
    return out


def measure(services: Any, transcripts: list[tuple[str, bytes]], wait: Any) -> list[float]:
    from coach.calls.store import CallStore

    store = CallStore(services.db, services.settings)
    tmp = Path(tempfile.mkdtemp(prefix="pickup-"))
    ids = []
    for i, (name, data) in enumerate(transcripts):
        path = tmp / f"{i}-{name}"
        path.write_bytes(data)
        ids.append(services.jobs.submit("analyze", call_id=store.create_call(path)))
        wait(ids[-1])
    return _latencies(services.db, ids[1:])  # the first job pays for loading the models


def summary(name: str, lat: list[float]) -> dict[str, Any]:
    return {"backend": name, "jobs": len(lat), "p50_ms": round(1000 * pct(lat, 0.5), 1),
            "p95_ms": round(1000 * pct(lat, 0.95), 1), "max_ms": round(1000 * max(lat), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=30)
    args = ap.parse_args()
    from helpers.servers import start_postgres, start_redis
    from integration.test_scaleout import Cluster, real_transcripts

    from coach.db.engine import Database
    from coach.services import Services
    from coach.settings import Settings

    transcripts = real_transcripts(args.jobs + 1)
    root = Path(tempfile.mkdtemp(prefix="salescoach-pickup-bench-"))
    pg, redis = start_postgres(), start_redis()
    rows = []
    try:
        # embedded: the default runner, threads polling the table and woken on submit
        s = Settings(data_dir=root / "embedded", database_url=pg.url)
        s.server.report_after_analysis = False
        s.llm.provider = "fake"
        emb = Services(s)
        emb.jobs.start()
        try:
            rows.append(summary("embedded (threads in-process)", measure(emb, transcripts, lambda j: emb.jobs.wait(j, 300, 0.02))))
        finally:
            emb.jobs.stop()
            emb.db.engine.dispose()
        # celery: one worker process, same database
        storage = root / "storage"
        env = {**os.environ, "SALESCOACH_DATABASE_URL": pg.url, "SALESCOACH_QUEUE_URL": redis.url,
               "SALESCOACH_STORAGE_ROOT": str(storage), "SALESCOACH_SERVER__REPORT_AFTER_ANALYSIS": "false",
               "SALESCOACH_LLM__PROVIDER": "fake", "SALESCOACH_QUEUE__SWEEP_INTERVAL_S": "1"}
        cluster = Cluster(root, Database(pg.url), env, redis=redis)
        cluster.start_worker("worker")
        try:
            cluster.wait_workers(1)
            s2 = Settings(data_dir=root / "client", database_url=pg.url, storage_root=storage)
            s2.queue.url = redis.url
            cel = Services(s2)
            rows.append(summary("celery (worker process, Redis)", measure(cel, transcripts, lambda j: cel.jobs.wait(j, 300, 0.02))))
            cel.db.engine.dispose()
        finally:
            for w in cluster.workers:
                w.stop(30)
            cluster.db.engine.dispose()
    finally:
        redis.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
    result = {"benchmark": "scaleout_pickup", "machine": machine(), "rows": rows,
              "p50_ratio_celery_vs_embedded": round(rows[1]["p50_ms"] / max(rows[0]["p50_ms"], 1e-3), 2)}
    write_results("scaleout_pickup", result)
    print(md_table(["backend", "jobs", "p50 ms", "p95 ms", "max ms"], [[r["backend"], r["jobs"], r["p50_ms"], r["p95_ms"], r["max_ms"]] for r in rows]))


if __name__ == "__main__":
    main()
