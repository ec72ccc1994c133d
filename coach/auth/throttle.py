"""Login throttling with lockout, shared by the API and the web login.

After ``max_failures`` wrong passwords within ``window_s`` for one user name, or
``max_client_failures`` from one client address (higher: an office shares one address),
logins for it are refused for ``lockout_s`` - the right password too - with
a 429 that says when to try again. A success clears the user's count. State is in memory
(per server process) and bounded: old entries are dropped as new ones come in.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from coach.errors import TooManyAttemptsError


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    max_client_failures: int = 20
    window_s: float = 15 * 60.0
    lockout_s: float = 15 * 60.0
    #: most user names / addresses tracked at once
    max_keys: int = 10_000


class LoginThrottle:
    def __init__(self, policy: ThrottlePolicy | None = None, clock=time.monotonic) -> None:
        self.policy = policy or ThrottlePolicy()
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, client: str | None) -> list[str]:
        keys = ["u:" + (username or "").strip().lower()]
        if client:
            keys.append("c:" + client)
        return keys

    def check(self, username: str, client: str | None = None) -> None:
        """TooManyAttemptsError while the user name or the client is locked out."""
        now = self.clock()
        with self._lock:
            for key in self._keys(username, client):
                until = self._locked_until.get(key)
                if until is not None and until > now:
                    minutes = max(1, round((until - now) / 60))
                    raise TooManyAttemptsError(
                        "too many failed logins; try again later",
                        detail=f"locked for about {minutes} more minute(s)",
                    )
                if until is not None:
                    del self._locked_until[key]

    def failed(self, username: str, client: str | None = None) -> bool:
        """Count a wrong password; True when this failure started a lockout."""
        now = self.clock()
        p = self.policy
        locked = False
        with self._lock:
            self._shrink(now)
            for key in self._keys(username, client):
                q = self._failures.setdefault(key, deque())
                q.append(now)
                while q and q[0] <= now - p.window_s:
                    q.popleft()
                if len(q) >= (p.max_failures if key.startswith("u:") else p.max_client_failures):
                    self._locked_until[key] = now + p.lockout_s
                    q.clear()
                    locked = True
        return locked

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(username, None)[0], None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._failures) + len(self._locked_until)

    def _shrink(self, now: float) -> None:
        p = self.policy
        if len(self._failures) + len(self._locked_until) < p.max_keys:
            return
        for key in [k for k, q in self._failures.items() if not q or q[-1] <= now - p.window_s]:
            del self._failures[key]
        for key in [k for k, t in self._locked_until.items() if t <= now]:
            del self._locked_until[key]
        while len(self._failures) >= p.max_keys:  # still full: forget the oldest
            self._failures.pop(next(iter(self._failures)))
