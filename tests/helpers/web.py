"""What the browser suites share: Debian's Chromium (the ``browser`` fixture: import it
into the test module), a real `salescoach serve` on loopback, and a small JSON client for
its API. Not a conftest.py: other tests import ``conftest`` by name."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers.servers import free_port

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def require_browser() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    pytest.importorskip("playwright.sync_api")


def api(base: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


@contextmanager
def serve_app(env: dict[str, str], data: Path) -> Iterator[str]:
    """`salescoach serve` on a free loopback port until it answers /health; its base URL."""
    port = free_port()
    log = (data / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "coach.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if api(base, "/api/v1/health")["status"] == "ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("server did not start:\n" + (data / "serve.log").read_text()[-3000:])
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(request):
    """One Chromium per test module; screenshots go to the module's ``ARTIFACTS``."""
    from playwright.sync_api import sync_playwright

    request.module.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
