"""The one gate for files coming from the browser into a Gradio event handler.

Gradio hands an event handler the *server path* the browser names in its request
(``{"path": ..., "meta": {"_type": "gradio.FileData"}}``). Gradio's own check of that path
(``processing_utils._check_allowed``) only runs for apps started with ``launch()``; under
``mount_gradio_app`` it is skipped, so a browser could name any file the server can read
(another rep's upload, the database, ``kb/manifest-cases.json``) and get it back as its own
call. And even Gradio's check would accept any file in the shared cache folder, where the
files of every user lie.

:class:`UploadGate` is ASGI middleware in front of the mounted Gradio app:

* ``POST /gradio_api/upload``: the paths Gradio answers are recorded for the logged-in
  user (:class:`UploadRegistry`, entries expire with Gradio's cache clean-up);
* every other ``POST /gradio_api/...``: the JSON body is read (capped at
  :data:`MAX_EVENT_BODY`), every file object in it is looked up, and the request is answered
  403 unless each named path was uploaded by this same user.

The check happens before Gradio copies anything, so no page handler can receive a file
the user did not upload, whatever page or component it belongs to.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any, Awaitable, Callable

log = logging.getLogger(__name__)

#: event requests carry JSON (file *references*, text fields); files go through /upload
MAX_EVENT_BODY = 1024 * 1024
#: how long an uploaded file may be used in an event (Gradio deletes its cache after 1 h)
UPLOAD_TTL_S = 2 * 3600.0
#: most live uploads remembered per user (the oldest are forgotten first)
MAX_PER_USER = 1000

_PREFIX = "/gradio_api/"
_UPLOAD = "/gradio_api/upload"

Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def _norm(path: str) -> str:
    return os.path.realpath(path)


class UploadRegistry:
    """Which server-side upload paths belong to which user (thread-safe, bounded)."""

    def __init__(self, ttl_s: float = UPLOAD_TTL_S, max_per_user: int = MAX_PER_USER) -> None:
        self.ttl_s = ttl_s
        self.max_per_user = max_per_user
        self._by_user: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def add(self, user: str, paths: list[str]) -> None:
        now = time.monotonic()
        with self._lock:
            self._purge(now)
            own = self._by_user.setdefault(user, {})
            for p in paths:
                own[_norm(p)] = now + self.ttl_s
            while len(own) > self.max_per_user:
                own.pop(next(iter(own)))

    def owns(self, user: str, path: str) -> bool:
        now = time.monotonic()
        with self._lock:
            expiry = self._by_user.get(user, {}).get(_norm(path))
            return expiry is not None and expiry > now

    def __len__(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._by_user.values())

    def _purge(self, now: float) -> None:
        for user in list(self._by_user):
            live = {p: t for p, t in self._by_user[user].items() if t > now}
            if live:
                self._by_user[user] = live
            else:
                del self._by_user[user]


def file_paths(data: Any) -> list[str]:
    """Every local ``path`` of a file object anywhere in a Gradio event payload."""
    found: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            p = x.get("path")
            if isinstance(p, str) and p and not p.startswith(("http://", "https://", "data:")):
                found.append(p)
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(data)
    return found


class UploadGate:
    """ASGI middleware; ``user_of(scope)`` names the logged-in Gradio user (or None)."""

    def __init__(self, app: Any, user_of: Callable[[dict], str | None], registry: UploadRegistry) -> None:
        self.app = app
        self.user_of = user_of
        self.registry = registry

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] != "http" or scope["method"] != "POST" or not path.startswith(_PREFIX):
            await self.app(scope, receive, send)
            return
        if path.rstrip("/") == _UPLOAD:
            await self._record_upload(scope, receive, send)
            return
        body, over = await _read_body(receive, MAX_EVENT_BODY)
        if over:
            await _deny(send, 413, "too_large", f"a web request may carry at most {MAX_EVENT_BODY // 1024} KB of data; upload files with the file picker")
            return
        paths = _paths_in(body)
        if paths:
            user = self.user_of(scope)
            foreign = [p for p in paths if user is None or not self.registry.owns(user, p)]
            if foreign:
                log.warning("refused a web request from %r naming %d file(s) it did not upload", user, len(foreign))
                await _deny(send, 403, "forbidden", "that file was not uploaded in your session; choose it again with the file picker")
                return
        await self.app(scope, _replay(body, receive), send)

    async def _record_upload(self, scope: dict, receive: Receive, send: Send) -> None:
        user = self.user_of(scope)
        chunks: list[bytes] = []
        status = {"code": 0}

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                await send(message)
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks)
                if status["code"] == 200 and user is not None:
                    try:
                        paths = json.loads(body)
                    except ValueError:
                        paths = []
                    if isinstance(paths, list):
                        self.registry.add(user, [p for p in paths if isinstance(p, str)])
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, capture)


def _paths_in(body: bytes) -> list[str]:
    if b'"path"' not in body:
        return []
    try:
        return file_paths(json.loads(body))
    except ValueError:
        return []


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    parts: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            return b"", True
        parts.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(parts), False


def _replay(body: bytes, receive_rest: Receive) -> Receive:
    sent = {"done": False}

    async def receive() -> dict:
        if not sent["done"]:
            sent["done"] = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive_rest()  # waits for the client to go away, as before

    return receive


async def _deny(send: Send, status: int, code: str, detail: str) -> None:
    body = json.dumps({"error": code, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
