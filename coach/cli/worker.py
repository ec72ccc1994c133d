"""CLI of the scale-out topology: ``salescoach worker`` (a Celery worker on the queue
of ``SALESCOACH_QUEUE_URL``) and ``salescoach status`` (queue depth, workers alive,
oldest waiting job)."""

from __future__ import annotations

import json
import logging
import socket

from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from coach.cli.common import JSON_HELP, emit_json
from coach.errors import InputError

console = Console()
log = logging.getLogger(__name__)


def _services(ctx: typer.Context):
    return ctx.find_root().obj.get()


def worker(
    ctx: typer.Context,
    concurrency: int = typer.Option(1, "--concurrency", "-c", help="Jobs run at once (one process each, models loaded once per process)."),
    queues: str = typer.Option("analysis,reports", "--queues", "-Q", help="Queues to take jobs from: analysis, reports or both."),
    name: str = typer.Option("", "--name", help="Worker name (default salescoach@HOST-PID)."),
) -> None:
    """Run background jobs (analyses, reports) from the Celery/Redis queue until stopped.

    SIGTERM finishes the running job first (a job cut off later is re-queued from the
    database); start as many workers, on as many machines, as the database and the
    shared storage root reach."""
    from celery.signals import worker_process_init

    from coach.calls import celery_app
    from coach.calls.queues import QUEUES
    from coach.calls.lease import Sweeper, worker_id

    services = _services(ctx)
    settings = services.settings
    if not settings.queue.url:
        raise InputError(
            "no job queue configured",
            detail="set SALESCOACH_QUEUE_URL=redis://host:6379/0; without it jobs run inside `salescoach serve`",
        )
    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in wanted if q not in QUEUES]
    if unknown or not wanted:
        raise InputError(f"unknown queue {', '.join(unknown) or '(none)'}", detail=f"choose from {', '.join(QUEUES)}")
    concurrency = max(1, concurrency)
    services.db  # noqa: B018 - create/upgrade the schema once, before any job
    app = celery_app.make_celery(settings)
    # the main process runs the jobs itself with one slot (no fork); prefork children
    # drop the parent's database connections and build their own services
    celery_app.configure_worker(services, type(services))
    worker_process_init.connect(lambda **_: celery_app.reset_after_fork(), weak=False)
    wid = worker_id()
    sweeper = Sweeper(
        services.db,
        settings.queue,
        lambda job_id, kind: celery_app.publish(app, job_id, kind),
        broker_depth=_depth_probe(settings.queue.url),
        wid=wid,
        queues=",".join(wanted),
        concurrency=concurrency,
    )
    sweeper.start()
    hostname = name or f"salescoach@{socket.gethostname()}-{wid.rsplit(':', 1)[-1]}"
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--queues={','.join(wanted)}",
        f"--pool={'solo' if concurrency == 1 else 'prefork'}",
        f"--hostname={hostname}",
        f"--loglevel={logging.getLevelName(logging.getLogger().level) or 'WARNING'}",
        "--without-gossip",
        "--without-mingle",
    ]
    console.print(f"worker {hostname} on {', '.join(wanted)} (concurrency {concurrency})", highlight=False)
    try:
        app.worker_main(argv)
    finally:
        sweeper.stop()


def _depth_probe(url: str):
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def depth(queue: str) -> int | None:
        try:
            return int(client.llen(queue))
        except Exception:  # noqa: BLE001 - broker down: unknown
            return None

    return depth


def status(ctx: typer.Context, as_json: Optional[str] = typer.Option(None, "--json", help=JSON_HELP)) -> None:
    """Queue depth, workers alive, the oldest waiting job and the running jobs."""
    from coach.calls.queue_status import queue_status

    st = queue_status(_services(ctx))
    if as_json:
        emit_json(as_json, st)
        return
    console.print(f"job backend: {st['backend']}", highlight=False)
    table = Table("queue", "waiting", "running")
    for q, d in st["queues"].items():
        table.add_row(q, str(d["queued"]), str(d["running"]))
    console.print(table)
    old = st["oldest_waiting"]
    console.print(
        "oldest waiting job: " + (f"{old['id']} ({old['kind']}), waiting {old['waiting_s']:.0f} s" if old else "none"),
        highlight=False,
    )
    if st["backend"] == "embedded":
        console.print("jobs run inside `salescoach serve` (set SALESCOACH_QUEUE_URL to use workers)", highlight=False)
    else:
        console.print(f"workers alive: {len(st['workers_alive'])}", highlight=False)
    for w in st["workers_alive"]:
        console.print(f"  {w['id']}  queues {w['queues']}  concurrency {w['concurrency']}  seen {w['seen_s_ago']:.0f} s ago", highlight=False)
    for j in st["running"]:
        console.print(f"  running {j['id']} ({j['kind']}) on {j['worker']}: {j['stage']} {j['progress']:.0%}", highlight=False)
    if st["failed_jobs"]:
        console.print(f"failed jobs: {st['failed_jobs']} (see `salescoach jobs list --status failed`)", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("status")(status)
