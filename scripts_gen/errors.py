"""Errors of the grounded-writing floor. ``scripts_gen`` imports nothing of ``coach``, so it
has its own small hierarchy; the classes carry the same ``http_status`` and ``code`` as the
same-named classes of :mod:`coach.errors`, and the edges (CLI, API, UI) treat
:class:`ScriptsGenError` like any other domain error (``coach.errors.DOMAIN_ERRORS``).
"""

from __future__ import annotations


class ScriptsGenError(Exception):
    """Base of every script-writing error a user should see as a clear message."""

    #: HTTP status the API maps this error to.
    http_status: int = 400
    #: short machine-readable code used in JSON error bodies.
    code: str = "error"

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message if not self.detail else f"{self.message} ({self.detail})"


class InputError(ScriptsGenError):
    """The request (account, notes, goal) is invalid."""

    http_status = 422
    code = "invalid_input"


class ValidationFailed(InputError):
    """A knowledge file (the objection playbook) does not match its schema."""

    code = "validation_failed"
