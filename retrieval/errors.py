"""Errors of the retrieval floor (knowledge base). ``retrieval`` imports nothing of the rest
of the product, so it has its own small hierarchy; the classes carry the same
``http_status`` and ``code`` as the same-named classes of :mod:`coach.errors`, and the
edges (CLI, API, UI) treat :class:`RetrievalError` like any other domain error
(``coach.errors.DOMAIN_ERRORS``), so users see the same message, exit code and HTTP status.
"""

from __future__ import annotations


class RetrievalError(Exception):
    """Base of every knowledge-base error a user should see as a clear message."""

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


class InputError(RetrievalError):
    """A file, query or filter given to the knowledge base is invalid."""

    http_status = 422
    code = "invalid_input"


class UnsupportedMediaError(InputError):
    """A file whose type we do not accept."""

    http_status = 415
    code = "unsupported_media"


class EmptyInputError(InputError):
    """An empty file."""

    code = "empty_input"


class CorruptInputError(InputError):
    """A truncated or undecodable file."""

    code = "corrupt_input"


class TooLargeError(InputError):
    http_status = 413
    code = "too_large"


class ValidationFailed(InputError):
    """A case file or CRM export does not match its schema."""

    code = "validation_failed"


class NotFoundError(RetrievalError):
    http_status = 404
    code = "not_found"


class ConfigurationError(RetrievalError):
    """Settings point at something that is missing (model, Chroma server, package)."""

    http_status = 500
    code = "configuration"


class DependencyMissingError(ConfigurationError):
    """A heavy optional library is not installed."""

    def __init__(self, package: str, purpose: str) -> None:
        super().__init__(
            f"{package} is needed for {purpose} but is not installed",
            detail=f"run ./setup.sh or pip install {package}",
        )
