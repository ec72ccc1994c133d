"""Real servers on loopback for integration tests: PostgreSQL, Redis, Chroma, and our
own ``salescoach`` processes. Each start function returns a handle whose ``stop()``
ends what it started; tests skip (never fake) when a server binary is missing."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def _pg_bin() -> Path | None:
    if Path("/usr/local/bin/initdb").exists():
        return Path("/usr/local/bin")
    for cand in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (cand / "initdb").exists():
            return cand
    return None


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@dataclass
class Postgres:
    url: str
    root: Path
    run_as: list[str]
    bin: Path

    def stop(self) -> None:
        subprocess.run([*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.root / "db"), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> Postgres:
    pg = _pg_bin()
    if pg is None:
        pytest.skip("no PostgreSQL server binaries on this machine (setup.sh installs them)")
    # not under pytest's tmp dir: that one is private to root, and the server runs as another user
    root = Path(tempfile.mkdtemp(prefix="salescoach-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        user = "postgres" if shutil.which("runuser") and _user_exists("postgres") else "nobody"
        run_as = ["runuser", "-u", user, "--"]
        shutil.chown(root, user=user)
    port = free_port()
    subprocess.run([*run_as, str(pg / "initdb"), "-D", str(root / "db"), "-A", "trust", "-U", "sc"], check=True, capture_output=True)
    subprocess.run(
        [*run_as, str(pg / "pg_ctl"), "-D", str(root / "db"), "-l", str(root / "log"), "-w",
         "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200", "start"],
        check=True, capture_output=True,
    )
    return Postgres(f"postgresql+psycopg://sc@127.0.0.1:{port}/postgres", root, run_as, pg)


@dataclass
class Redis:
    port: int
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Redis":
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.skip("redis-server is not installed (setup.sh installs it)")
        # no persistence: a restart loses every message, the worst case for the queue
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_port(self.port, 15, self.proc)
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    stop = kill


def start_redis() -> Redis:
    return Redis(free_port()).start()


@dataclass
class Proc:
    """A ``salescoach`` (or other) child process in its own process group."""

    args: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen | None = None
    port: int | None = None
    extra: dict = field(default_factory=dict)

    def start(self) -> "Proc":
        fh = self.log.open("ab")
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO,
                                     start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL the whole process group (a worker and its pool children)."""
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive():
            return
        os.killpg(self.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()

    def tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


def salescoach_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "coach.cli", *args]


@dataclass
class Chroma:
    port: int
    proc: Proc

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.stop()


def start_chroma(path: Path, log: Path) -> Chroma:
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        pytest.skip("the chroma CLI (chromadb) is not installed")
    port = free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = Proc([str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)], env, log).start()
    wait_port(port, 60, proc.proc)
    return Chroma(port, proc)
