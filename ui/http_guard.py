"""Outermost ASGI middleware of the server: refuses oversized request headers (431) and
adds security headers to every response (API, web pages, files)."""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

#: total size of the request line's headers accepted (browsers send a few KB)
MAX_HEADER_BYTES = 32 * 1024

#: set on every response; the web pages need inline scripts/styles (Gradio) and blob:/data:
#: media, nothing from other origins
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), geolocation=(), microphone=(self)"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data: blob:; media-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
        b"frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    ),
]


class HttpGuard:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = sum(len(k) + len(v) + 4 for k, v in scope.get("headers") or [])
        if size > MAX_HEADER_BYTES:
            body = json.dumps(
                {"error": "headers_too_large", "detail": f"request headers may total at most {MAX_HEADER_BYTES // 1024} KB"}
            ).encode()
            await send({"type": "http.response.start", "status": 431,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                        + SECURITY_HEADERS})
            await send({"type": "http.response.body", "body": body})
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers") or []}
                message["headers"] = list(message.get("headers") or []) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in present
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
