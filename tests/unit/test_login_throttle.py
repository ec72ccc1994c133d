"""Login throttling keeps its state in the database (the audit log), so two API/web
replicas on one database share failure counts and lockouts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from coach.auth import audit
from coach.auth.throttle import LoginThrottle, ThrottlePolicy
from coach.errors import TooManyAttemptsError
from coach.services import Services


def _fail(t: LoginThrottle, db, name: str, client: str) -> bool:
    started = t.failed(name, client)
    audit.record(db, "login_failed", username=name, client=client)
    return started


def test_two_replicas_share_counts_and_lockouts(settings) -> None:
    db = Services(settings).db
    policy = ThrottlePolicy(max_failures=5, max_client_failures=20)
    a, b = LoginThrottle(db, policy), LoginThrottle(db, policy)
    started = [_fail(a if i % 2 else b, db, "rep1", "10.0.0.1") for i in range(5)]
    assert started == [False, False, False, False, True]
    for replica in (a, b):
        with pytest.raises(TooManyAttemptsError):
            replica.check("REP1", "10.0.0.9")  # the name is locked, whatever the address
    b.check("rep2", "10.0.0.1")  # the address alone is not locked yet (20 allowed)


def test_lockout_ends_and_a_success_resets_the_count(settings) -> None:
    db = Services(settings).db
    now = [datetime.now(timezone.utc)]
    t = LoginThrottle(db, ThrottlePolicy(max_failures=3, lockout_s=60), clock=lambda: now[0])
    for _ in range(2):
        _fail(t, db, "rep1", "c")
    audit.record(db, "login", username="rep1", client="c")  # a success resets
    assert not _fail(t, db, "rep1", "c") and not _fail(t, db, "rep1", "c")
    assert _fail(t, db, "rep1", "c")
    with pytest.raises(TooManyAttemptsError):
        t.check("rep1")
    now[0] += timedelta(seconds=61)
    t.check("rep1")  # the lockout is over
    assert not _fail(t, db, "rep1", "c")  # failures before the lockout no longer count
