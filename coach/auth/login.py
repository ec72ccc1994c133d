"""The one login check of the API and the web pages: throttled, audited, and meant to be
called off the event loop (argon2 takes tens of milliseconds of CPU by design)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coach.auth.permissions import Principal
from coach.errors import AuthenticationError

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services


def login(services: "Services", username: str, password: str, *, channel: str, client: str | None = None) -> Principal:
    """The principal behind the credentials; AuthenticationError (401) for wrong ones,
    TooManyAttemptsError (429) while the name or the client is locked out."""
    from coach.auth import audit
    from coach.auth import passwords
    from coach.errors import TooManyAttemptsError

    throttle = services.login_throttle
    name = (username or "").strip()
    try:
        throttle.check(name, client)
    except TooManyAttemptsError:
        audit.record(services.db, "login_locked", username=name, channel=channel, client=client or "")
        raise
    try:
        principal = passwords.authenticate(services.db, name, password)
    except AuthenticationError:
        started = throttle.failed(name, client, channel=channel)
        audit.record(
            services.db, "login_failed", username=name, channel=channel, client=client or "",
            detail="lockout started" if started else "",
        )
        raise
    throttle.succeeded(name)
    audit.record(services.db, "login", username=principal.username, channel=channel, client=client or "")
    return principal
