"""A tiny OpenAI-compatible chat-completions server for tests (stdlib http.server on
127.0.0.1, a free port, one thread per request).

It answers deterministically, RECORDS every request body (so tests can assert what left
the machine, e.g. that PII was redacted), and can misbehave on demand:

    server.mode = "ok" | "slow" | "garbage" | "empty" | "http500"
    server.delay_s = 3.0            # for "slow"

Answers: when the request offers tools and the conversation has no tool result after
the last user message, it calls ``search_cases`` (or the first tool) with the user's
text as query; otherwise it answers text citing every ``id="..."`` of the DATA blocks
it was sent (plus ``server.extra_citation`` if set, to test citation checking).
``server.answer`` overrides the text. Streaming (``"stream": true``) sends SSE chunks
word by word.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ID_RE = re.compile(r'<<<DATA[^\n]*? id="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StubState:
    def __init__(self) -> None:
        self.mode = "ok"
        self.delay_s = 3.0
        self.answer: str | None = None
        self.extra_citation: str | None = None
        self.model = "stub-model"
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def sent_text(self) -> str:
        """Every message content of every recorded request, joined (what left the machine)."""
        parts = []
        for req in self.requests:
            for m in req.get("messages", []):
                c = m.get("content")
                parts.append(c if isinstance(c, str) else json.dumps(c))
        return "\n".join(parts)


def _reply(state: StubState, body: dict[str, Any]) -> dict[str, Any]:
    """The assistant message: {"content": str} or {"tool_calls": [...]}."""
    messages = body.get("messages", [])
    tools = body.get("tools") or []
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    had_tool_result = any(m.get("role") == "tool" for m in messages[last_user + 1:])
    if tools and not had_tool_result and state.answer is None:
        names = [t.get("function", {}).get("name") for t in tools]
        name = "search_cases" if "search_cases" in names else names[0]
        query = str(messages[last_user].get("content", ""))[:300] if last_user >= 0 else ""
        return {"tool_calls": [{"id": f"call_{len(state.requests)}", "type": "function",
                                "function": {"name": name, "arguments": json.dumps({"query": query})}}]}
    text_in = "\n".join(str(m.get("content") or "") for m in messages)
    ids = list(dict.fromkeys(_ID_RE.findall(text_in)))
    if state.extra_citation:
        ids.append(state.extra_citation)
    content = state.answer if state.answer is not None else (
        "Stub coach answer. Lead with the proof from similar deals " + " ".join(f"[{i}]" for i in ids)
        + ". Ask for a pilot as the next step."
    )
    return {"content": content}


class _Handler(BaseHTTPRequestHandler):
    state: StubState  # set on the subclass

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, payload: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, json.dumps({"object": "list", "data": [{"id": self.state.model, "object": "model"}]}).encode())
        else:
            self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self) -> None:  # noqa: N802
        st = self.state
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        with st.lock:
            st.requests.append(body)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, b'{"error": {"message": "not found"}}')
            return
        if st.mode == "slow":
            time.sleep(st.delay_s)
        if st.mode == "http500":
            self._send(500, b'{"error": {"message": "model crashed", "type": "server_error"}}')
            return
        if st.mode == "garbage":
            self._send(200, b"\x00\x01<html>not json at all", "application/json")
            return
        msg = {"content": ""} if st.mode == "empty" else _reply(st, body)
        if body.get("stream"):
            self._stream(body, msg)
            return
        resp = {
            "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": st.model,
            "choices": [{"index": 0, "finish_reason": "tool_calls" if msg.get("tool_calls") else "stop",
                         "message": {"role": "assistant", "content": msg.get("content"), **({"tool_calls": msg["tool_calls"]} if msg.get("tool_calls") else {})}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
        self._send(200, json.dumps(resp).encode())

    def _stream(self, body: dict[str, Any], msg: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()

        def chunk(delta: dict[str, Any], finish: str | None = None) -> None:
            data = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0, "model": self.state.model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        chunk({"role": "assistant", "content": ""})
        if msg.get("tool_calls"):
            for i, tc in enumerate(msg["tool_calls"]):
                chunk({"tool_calls": [{"index": i, **tc}]})
            chunk({}, "tool_calls")
        else:
            for word in re.findall(r"\S+\s*", msg.get("content") or ""):
                chunk({"content": word})
            chunk({}, "stop")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout tests) closes the socket mid-answer: not an error."""


class OpenAIStubServer:
    """``with OpenAIStubServer() as srv: srv.url`` -> ``http://127.0.0.1:PORT/v1``."""

    def __init__(self) -> None:
        self.state = StubState()
        handler = type("StubHandler", (_Handler,), {"state": self.state})
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="openai-stub", daemon=True)

    def start(self) -> "OpenAIStubServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "OpenAIStubServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # conveniences
    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.state.requests

    _STATE_FIELDS = ("mode", "delay_s", "answer", "extra_citation", "model")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["state"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._STATE_FIELDS:
            setattr(self.state, name, value)
        else:
            super().__setattr__(name, value)
