"""Scale-out throughput: audio hours analysed per wall hour by 1 vs 2 ``salescoach worker``
processes on this machine (Celery on Redis, PostgreSQL, both started on loopback), and the
queueing model that turns the measured rate into workers needed for a team.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/scaleout_throughput.py [--copies 6]

Workload: ``--copies`` uploads of the real 30 s two-person phone call
(shared/data/audio/diarization/sample.wav), each a separate call, submitted at once after
one warm-up job per worker (model loading is excluded: workers load models once per
process). Baseline: 1 worker. Writes ``benchmarks/results/scaleout_throughput.json``.

Queueing model: each rep records 4 calls of 30 min a day, uploaded over an 8-hour working
day (Poisson arrivals); one worker is one M/M/c server slot whose service time is the
measured wall time per 30-min call with 2 workers sharing a 2-core machine. Workers are
the smallest c with mean wait (Erlang C) under 15 minutes; machines = c / 2.
"""

from __future__ import annotations

import argparse
import shutil
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from benchmarks.common import machine, md_table, write_results  # noqa: E402

CLIP = REPO.parent / "shared" / "data" / "audio" / "diarization" / "sample.wav"
WARMUP = REPO.parent / "shared" / "data" / "audio" / "wer" / "jfk.flac"


def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue (hours) of M/M/c with arrival ``lam`` and service rate ``mu`` per hour."""
    a = lam / mu
    if a >= c:
        return math.inf
    erlang_b = 1.0
    for k in range(1, c + 1):  # the stable recursion (no a**k / k! overflow for big teams)
        erlang_b = a * erlang_b / (k + a * erlang_b)
    p_wait = erlang_b / (1 - (a / c) * (1 - erlang_b))
    return p_wait / (c * mu - lam)


def workers_needed(reps: int, wall_h_per_call: float, max_wait_h: float = 0.25) -> dict[str, Any]:
    calls_per_day = reps * 4
    lam = calls_per_day / 8.0  # calls per hour over an 8-hour working day
    mu = 1.0 / wall_h_per_call
    c = max(1, math.ceil(lam / mu))
    while erlang_c_wait(c, lam, mu) > max_wait_h:
        c += 1
    return {
        "reps": reps,
        "calls_per_day": calls_per_day,
        "audio_hours_per_day": calls_per_day * 0.5,
        "arrivals_per_hour": round(lam, 1),
        "workers": c,
        "machines_2_cores": math.ceil(c / 2),
        "utilisation": round(lam / (c * mu), 2),
        "mean_wait_min": round(60 * erlang_c_wait(c, lam, mu), 1),
    }


def run(n_workers: int, copies: int, cluster: Any, services: Any) -> dict[str, Any]:
    from coach.calls.store import CallStore

    store = CallStore(services.db, services.settings)
    workers = [cluster.start_worker(f"w{n_workers}-{i}") for i in range(n_workers)]
    try:
        cluster.wait_workers(n_workers)
        warm = [services.jobs.submit("analyze", call_id=store.create_call(WARMUP)) for _ in range(n_workers)]
        cluster.wait_jobs(warm, timeout=600)
        t0 = time.perf_counter()
        ids = [services.jobs.submit("analyze", call_id=store.create_call(CLIP)) for _ in range(copies)]
        jobs = cluster.wait_jobs(ids, timeout=1800)
        wall = time.perf_counter() - t0
    finally:
        for w in workers:
            w.stop(60)
            cluster.workers.remove(w)
    assert all(j["status"] == "done" for j in jobs), [j["error"] for j in jobs]
    import soundfile as sf

    audio_s = copies * sf.info(str(CLIP)).duration
    row = {
        "workers": n_workers,
        "jobs": copies,
        "audio_s": round(audio_s, 1),
        "wall_s": round(wall, 1),
        "audio_hours_per_wall_hour": round(audio_s / wall, 2),
        "per_worker_rate": round(audio_s / wall / n_workers, 2),
        "distinct_workers_used": len({j["worker"] for j in jobs}),
    }
    print(f"{n_workers} worker(s): {row}", file=sys.stderr)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=6)
    args = ap.parse_args()
    from conftest import MODEL_CACHE  # noqa: F401 - the shared model cache of the tests
    from helpers.servers import start_postgres, start_redis
    from integration.test_scaleout import Cluster

    from coach.db.engine import Database
    from coach.services import Services
    from coach.settings import Settings

    root = Path(tempfile.mkdtemp(prefix="salescoach-scaleout-bench-"))
    pg, redis = start_postgres(), start_redis()
    storage = root / "storage"
    env = {**os.environ, "SALESCOACH_DATABASE_URL": pg.url, "SALESCOACH_QUEUE_URL": redis.url,
           "SALESCOACH_STORAGE_ROOT": str(storage), "SALESCOACH_SERVER__REPORT_AFTER_ANALYSIS": "false",
           "SALESCOACH_LLM__PROVIDER": "fake", "SALESCOACH_QUEUE__SWEEP_INTERVAL_S": "1"}
    settings = Settings(data_dir=root / "bench", database_url=pg.url, storage_root=storage)
    settings.queue.url = redis.url
    settings.server.report_after_analysis = False
    services = Services(settings)
    cluster = Cluster(root, Database(pg.url), env, redis=redis)
    try:
        rows = [run(n, args.copies, cluster, services) for n in (1, 2)]
    finally:
        redis.stop()
        cluster.db.engine.dispose()
        services.db.engine.dispose()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
    one, two = rows
    wall_h_per_call = 0.5 / two["per_worker_rate"]  # a 30-min call on one of 2 workers per machine
    model = [workers_needed(r, wall_h_per_call) for r in (50, 300, 2000)]
    result = {
        "benchmark": "scaleout_throughput",
        "machine": machine(),
        "clip": str(CLIP.relative_to(REPO.parent)),
        "runs": rows,
        "speedup_2_vs_1": round(two["audio_hours_per_wall_hour"] / one["audio_hours_per_wall_hour"], 2),
        "queueing_model": {"assumptions": __doc__.split("Queueing model:")[1].strip(), "wall_h_per_call": round(wall_h_per_call, 3), "rows": model},
    }
    write_results("scaleout_throughput", result)
    print(md_table(["workers", "jobs", "audio s", "wall s", "audio h / wall h", "per worker"],
                   [[r["workers"], r["jobs"], r["audio_s"], r["wall_s"], r["audio_hours_per_wall_hour"], r["per_worker_rate"]] for r in rows]))
    print()
    print(md_table(["reps", "calls/day", "audio h/day", "workers", "2-core machines", "utilisation", "mean wait min"],
                   [[m["reps"], m["calls_per_day"], m["audio_hours_per_day"], m["workers"], m["machines_2_cores"], m["utilisation"], m["mean_wait_min"]] for m in model]))


if __name__ == "__main__":
    main()
