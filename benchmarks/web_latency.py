"""Web latency: p50/p95 of the main pages and endpoints under 20 concurrent clients on
loopback, against 1 client (the baseline), and upload-to-analysis time of a 30 s clip
against the bare pipeline (``CallAnalyzer.analyze`` in-process, the baseline).

    .venv/bin/python benchmarks/web_latency.py                 # temp data dir, demo seed
    .venv/bin/python benchmarks/web_latency.py --data-dir D    # reuse a seeded dir

It starts ``salescoach serve`` as a separate process (1 job worker), so clients and
server do not share an interpreter. Prints a Markdown table and writes
``benchmarks/results/web_latency.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CLIP = REPO.parent / "shared" / "data" / "audio" / "diarization" / "sample.wav"
RESULTS = REPO / "benchmarks" / "results" / "web_latency.json"


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(data_dir: Path) -> None:
    from coach.demo.seed import init_demo
    from coach.services import Services
    from coach.settings import Settings
    from coach.auth.users import get_principal

    services = Services(Settings(data_dir=data_dir))
    if get_principal(services.db, "rep1") is None:
        t0 = time.perf_counter()
        init_demo(services)
        print(f"seeded demo data in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def start_server(data_dir: Path, port: int) -> subprocess.Popen:
    import httpx

    # reports off: the upload-to-analysis figure is compared with the bare pipeline
    env = {**os.environ, "SALESCOACH_DATA_DIR": str(data_dir), "SALESCOACH_SERVER__WORKERS": "1",
           "SALESCOACH_SERVER__REPORT_AFTER_ANALYSIS": "false", "HF_HUB_OFFLINE": "1"}
    log = (data_dir / "bench-serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("server did not start; see " + str(data_dir / "bench-serve.log"))


def run_load(make: Callable[[], Callable[[], None]], clients: int, per_client: int) -> dict[str, Any]:
    """``clients`` threads, each with its own session from ``make()``, ``per_client`` calls."""
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    calls = [make() for _ in range(clients)]
    barrier = threading.Barrier(clients)

    def worker(call: Callable[[], None]) -> None:
        barrier.wait()
        for _ in range(per_client):
            t0 = time.perf_counter()
            try:
                call()
            except Exception as exc:  # noqa: BLE001 - counted, reported
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "clients": clients,
        "requests": clients * per_client,
        "ok": len(lat),
        "errors": len(errors),
        "error_sample": errors[:3],
        "p50_ms": round(1000 * pct(lat, 0.5), 1),
        "p95_ms": round(1000 * pct(lat, 0.95), 1),
        "max_ms": round(1000 * max(lat), 1) if lat else None,
        "throughput_rps": round(len(lat) / wall, 1),
    }


def scenarios(base: str, tokens: dict[str, str], call_id: str) -> dict[str, Callable[[], Callable[[], None]]]:
    import httpx

    def http(method: str, path: str, who: str | None = None, **kw: Any) -> Callable[[], Callable[[], None]]:
        def make() -> Callable[[], None]:
            client = httpx.Client(base_url=base, timeout=120)
            headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}

            def call() -> None:
                r = client.request(method, path, headers=headers, **kw)
                if r.status_code >= 400:
                    raise RuntimeError(f"{r.status_code} {r.text[:100]}")

            return call

        return make

    def app_page() -> Callable[[], None]:
        client = httpx.Client(base_url=base, timeout=120)
        client.post("/login", data={"username": "rep1", "password": "rep1-demo"}).raise_for_status()

        def call() -> None:
            client.get("/").raise_for_status()
            client.get("/config").raise_for_status()

        return call

    def ui(api_name: str, user: str, *args: Any) -> Callable[[], Callable[[], None]]:
        def make() -> Callable[[], None]:
            from gradio_client import Client

            client = Client(base + "/", auth=(user, f"{user}-demo"), verbose=False)
            return lambda: client.predict(*args, api_name=api_name)

        return make

    return {
        "GET / (login page)": http("GET", "/"),
        "GET / + /config (app, logged in)": app_page,
        "POST /api/v1/auth/token": http("POST", "/api/v1/auth/token", json={"username": "rep1", "password": "rep1-demo"}),
        "GET /api/v1/calls": http("GET", "/api/v1/calls", "rep1"),
        "GET /api/v1/calls/{id}": http("GET", f"/api/v1/calls/{call_id}", "rep1"),
        "GET /api/v1/team/overview": http("GET", "/api/v1/team/overview", "manager1"),
        "GET /api/v1/kb/search": http("GET", "/api/v1/kb/search", "rep1", params={"q": "hospital pushes back on price", "k": 5}),
        "UI event: Calls list": ui("/calls_list", "rep1", "", "", ""),
        "UI event: open call (transcript + plot)": ui("/open_call", "rep1", call_id),
        "UI event: Team overview": ui("/team_overview", "manager1"),
    }


def upload_to_analysis(base: str, tokens: dict[str, str], runs: int) -> list[float]:
    """POST the 30 s clip then poll its job until done. The last sample is randomised per
    run so the server's de-duplication (same sha256) does not short-circuit it."""
    import httpx

    out = []
    clip = CLIP.read_bytes()
    h = {"Authorization": f"Bearer {tokens['rep1']}"}
    with httpx.Client(base_url=base, timeout=600) as client:
        for _ in range(runs):
            data = clip[:-2] + os.urandom(2)
            t0 = time.perf_counter()
            r = client.post("/api/v1/calls", headers=h, files={"file": (CLIP.name, data, "audio/wav")})
            r.raise_for_status()
            job = r.json()["job_id"]
            while True:
                st = client.get(f"/api/v1/jobs/{job}", headers=h).json()
                if st["status"] in ("done", "failed"):
                    break
                time.sleep(0.05)
            if st["status"] != "done":
                raise SystemExit(f"analysis failed: {st['error']}")
            out.append(time.perf_counter() - t0)
    return out


def bare_pipeline(runs: int) -> list[float]:
    from coach.settings import Settings
    from speech.pipeline import CallAnalyzer

    s = Settings()
    analyzer = CallAnalyzer(s.speech, cache_dir=s.models_cache_dir)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        analyzer.analyze(CLIP)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--per-client", type=int, default=5, help="requests per client (bounded load)")
    ap.add_argument("--baseline-requests", type=int, default=20)
    ap.add_argument("--uploads", type=int, default=3, help="uploads of the 30 s clip (the first is cold)")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import httpx

    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="salescoach-bench-")
        data_dir = Path(tmp.name)
    seed(data_dir)
    port = free_port()
    proc = start_server(data_dir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        tokens = {
            u: httpx.post(f"{base}/api/v1/auth/token", json={"username": u, "password": f"{u}-demo"}).json()["access_token"]
            for u in ("rep1", "rep2", "manager1", "admin")
        }
        call_id = httpx.get(f"{base}/api/v1/calls", headers={"Authorization": f"Bearer {tokens['rep1']}"}).json()["items"][0]["id"]
        rows = []
        for name, make in scenarios(base, tokens, call_id).items():
            run_load(make, 1, 2)  # warm-up (caches, first model use)
            single = run_load(make, 1, args.baseline_requests)
            loaded = run_load(make, args.clients, args.per_client)
            ratio = round(loaded["p50_ms"] / single["p50_ms"], 2) if single["p50_ms"] else None
            rows.append({"endpoint": name, "baseline_1_client": single, "concurrent": loaded, "p50_ratio": ratio})
            print(f"{name}: 1 client p50 {single['p50_ms']} ms; {args.clients} clients p50 {loaded['p50_ms']} p95 {loaded['p95_ms']} ms", file=sys.stderr)
        uploads = upload_to_analysis(base, tokens, args.uploads)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    bare = bare_pipeline(3)
    warm_upload = statistics.median(uploads[1:]) if len(uploads) > 1 else uploads[0]
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "clients": args.clients,
        "per_client": args.per_client,
        "endpoints": rows,
        "upload_to_analysis": {
            "clip": str(CLIP.relative_to(REPO.parent)),
            "clip_s": 30.0,
            "runs_s": [round(x, 2) for x in uploads],
            "cold_s": round(uploads[0], 2),
            "warm_median_s": round(warm_upload, 2),
            "bare_pipeline_runs_s": [round(x, 2) for x in bare],
            "bare_pipeline_warm_s": round(statistics.median(bare[1:]), 2),
            "overhead_ratio": round(warm_upload / statistics.median(bare[1:]), 2),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(f"| endpoint | 1 client p50 ms | {args.clients} clients p50 ms | p95 ms | max ms | req/s | errors | p50 ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        c, b = r["concurrent"], r["baseline_1_client"]
        print(f"| {r['endpoint']} | {b['p50_ms']} | {c['p50_ms']} | {c['p95_ms']} | {c['max_ms']} | {c['throughput_rps']} | {c['errors']} | {r['p50_ratio']} |")
    u = result["upload_to_analysis"]
    print()
    print("| upload-to-analysis, 30 s clip | seconds |")
    print("|---|---|")
    print(f"| first upload (cold models) | {u['cold_s']} |")
    print(f"| warm, median of {len(uploads) - 1} | {u['warm_median_s']} |")
    print(f"| bare pipeline in-process (baseline, warm median) | {u['bare_pipeline_warm_s']} |")
    print(f"| overhead ratio (web+job / bare) | {u['overhead_ratio']} |")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
