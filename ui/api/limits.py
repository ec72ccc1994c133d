"""ASGI middleware that answers 413 for request bodies over their limit: file uploads
(``multipart/form-data``) up to ``server.max_upload_mb``, every other body (JSON, forms,
including the unauthenticated login) up to :data:`SMALL_BODY_BYTES`.

A declared ``Content-Length`` over the limit is refused before a byte is read; a chunked
body is counted as it streams and cut off at the limit (the parser then sees the end of
the body and whatever the route would have answered is replaced by the 413).
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

#: room for multipart boundaries and form fields on top of the file itself
_SLACK = 64 * 1024
#: JSON and form bodies (questions, turns, comments, logins) are small
SMALL_BODY_BYTES = 1024 * 1024


class BodyLimitMiddleware:
    def __init__(self, app: Any, limit_bytes: Callable[[], int]) -> None:
        self.app = app
        self.limit_bytes = limit_bytes

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = self.limit_bytes() + _SLACK if multipart else SMALL_BODY_BYTES
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(send, limit)
            return
        state = {"seen": 0, "over": False, "started": False}

        async def counting_receive() -> dict:
            if state["over"]:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                state["seen"] += len(message.get("body", b""))
                if state["seen"] > limit:
                    state["over"] = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: dict) -> None:
            if state["over"]:
                if message["type"] == "http.response.start" and not state["started"]:
                    state["started"] = True
                    await _send_413(send, limit)
                return
            await send(message)

        await self.app(scope, counting_receive, guarded_send)


async def _send_413(send: Callable[[dict], Awaitable[None]], limit: int) -> None:
    if limit <= SMALL_BODY_BYTES:
        detail = f"the request body is larger than {limit // 1024} KB; send files as multipart/form-data uploads"
    else:
        mb = (limit - _SLACK) // (1024 * 1024)
        detail = (f"the request body is larger than the upload limit of {mb} MB "
                  "(raise SALESCOACH_SERVER__MAX_UPLOAD_MB to accept bigger files)")
    body = json.dumps({"error": "too_large", "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
