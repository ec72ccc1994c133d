"""API latency with 2 ``salescoach serve`` replicas against 1 (the baseline) under the
20-client load test of ``benchmarks/web_latency.py``: the REST endpoints of that test,
each client pinned to one replica (round robin, as a load balancer does per connection).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/scaleout_api.py [--per-client 5]

Topology: PostgreSQL on loopback seeded with the demo organisation (``init --demo``),
Redis as the job broker (so replicas run no job threads), replicas sharing one data dir
on this machine. Writes ``benchmarks/results/scaleout_api.json``.
"""

from __future__ import annotations

import argparse
import shutil
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from benchmarks.common import machine, md_table, write_results  # noqa: E402
from benchmarks.web_latency import free_port, run_load  # noqa: E402


def start_replica(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "coach.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, cwd=REPO, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/ready", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"replica did not start; see {log}")


def endpoints(bases: list[str], tokens: dict[str, str], call_id: str) -> dict[str, Callable[[], Callable[[], None]]]:
    import itertools

    import httpx

    def http(method: str, path: str, who: str | None = None, **kw: Any) -> Callable[[], Callable[[], None]]:
        rr = itertools.count()

        def make() -> Callable[[], None]:
            client = httpx.Client(base_url=bases[next(rr) % len(bases)], timeout=120)
            headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}

            def call() -> None:
                r = client.request(method, path, headers=headers, **kw)
                if r.status_code >= 400:
                    raise RuntimeError(f"{r.status_code} {r.text[:100]}")

            return call

        return make

    return {
        "POST /api/v1/auth/token": http("POST", "/api/v1/auth/token", json={"username": "rep1", "password": "rep1-demo"}),
        "GET /api/v1/calls": http("GET", "/api/v1/calls", "rep1"),
        "GET /api/v1/calls/{id}": http("GET", f"/api/v1/calls/{call_id}", "rep1"),
        "GET /api/v1/team/overview": http("GET", "/api/v1/team/overview", "manager1"),
        "GET /api/v1/kb/search": http("GET", "/api/v1/kb/search", "rep1", params={"q": "hospital pushes back on price", "k": 5}),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--per-client", type=int, default=5)
    args = ap.parse_args()
    import httpx

    from helpers.servers import start_postgres, start_redis

    from coach.demo.seed import init_demo
    from coach.services import Services
    from coach.settings import Settings

    root = Path(tempfile.mkdtemp(prefix="salescoach-api-bench-"))
    pg, redis = start_postgres(), start_redis()
    procs: list[subprocess.Popen] = []
    results: dict[str, Any] = {}
    try:
        settings = Settings(data_dir=root / "data", database_url=pg.url)
        settings.llm.provider = "fake"
        t0 = time.perf_counter()
        services = Services(settings)
        init_demo(services)
        services.db.engine.dispose()
        print(f"seeded the demo organisation on PostgreSQL in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        env = {**os.environ, "SALESCOACH_DATA_DIR": str(root / "data"), "SALESCOACH_DATABASE_URL": pg.url,
               "SALESCOACH_QUEUE_URL": redis.url, "SALESCOACH_SERVER__SECRET_KEY": "bench-shared-secret",
               "SALESCOACH_LLM__PROVIDER": "fake"}
        ports = [free_port(), free_port()]
        for i, port in enumerate(ports):
            procs.append(start_replica(env, port, root / f"replica{i}.log"))
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        tokens = {u: httpx.post(f"{bases[0]}/api/v1/auth/token", json={"username": u, "password": f"{u}-demo"}).json()["access_token"]
                  for u in ("rep1", "manager1")}
        call_id = httpx.get(f"{bases[0]}/api/v1/calls", headers={"Authorization": f"Bearer {tokens['rep1']}"}).json()["items"][0]["id"]
        for label, use in (("1 replica", bases[:1]), ("2 replicas", bases)):
            rows = {}
            for name, make in endpoints(use, tokens, call_id).items():
                run_load(make, len(use), 2)  # warm-up
                rows[name] = run_load(make, args.clients, args.per_client)
                print(f"{label} {name}: p50 {rows[name]['p50_ms']} p95 {rows[name]['p95_ms']} ms", file=sys.stderr)
            results[label] = rows
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        redis.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
    one, two = results["1 replica"], results["2 replicas"]
    table = [[name, one[name]["p50_ms"], one[name]["p95_ms"], two[name]["p50_ms"], two[name]["p95_ms"],
              round(two[name]["p95_ms"] / one[name]["p95_ms"], 2), one[name]["errors"] + two[name]["errors"]] for name in one]
    write_results("scaleout_api", {"benchmark": "scaleout_api", "machine": machine(), "clients": args.clients,
                                   "per_client": args.per_client, "results": results,
                                   "p95_ratio_2_vs_1": {r[0]: r[5] for r in table}})
    print(md_table(["endpoint", "1 replica p50", "1 replica p95", "2 replicas p50", "2 replicas p95", "p95 2/1", "errors"], table))


if __name__ == "__main__":
    main()
