"""Domain errors. Raised anywhere in the core; turned into messages only at the edges
(CLI exit codes, HTTP status codes, UI notices).

The floors below ``coach`` (:mod:`speech`, :mod:`retrieval`, :mod:`scripts_gen`) import
nothing of ours, so each has its own small hierarchy (``speech.errors.SpeechError``, ...)
whose classes carry the same ``http_status`` and ``code`` as the same-named classes here
(tests/unit/test_architecture.py checks it). The edges catch :data:`DOMAIN_ERRORS`, so a
user sees the same message, exit code and HTTP status wherever an error was raised.
"""

from __future__ import annotations

from retrieval.errors import RetrievalError
from scripts_gen.errors import ScriptsGenError
from speech.errors import SpeechError


class SalesCoachError(Exception):
    """Base of every error a user should see as a clear message, never a traceback."""

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


class InputError(SalesCoachError):
    """The user's input (file, argument, field) is invalid."""

    http_status = 422
    code = "invalid_input"


class UnsupportedMediaError(InputError):
    """A file whose type we do not accept (e.g. a text file named .wav)."""

    http_status = 415
    code = "unsupported_media"


class EmptyInputError(InputError):
    """An empty file, zero-length audio or a transcript with no lines."""

    code = "empty_input"


class CorruptInputError(InputError):
    """A truncated or undecodable file."""

    code = "corrupt_input"


class TooLargeError(InputError):
    http_status = 413
    code = "too_large"


class NotFoundError(SalesCoachError):
    http_status = 404
    code = "not_found"


class PermissionDeniedError(SalesCoachError):
    http_status = 403
    code = "forbidden"


class AuthenticationError(SalesCoachError):
    http_status = 401
    code = "unauthorized"


class TooManyAttemptsError(AuthenticationError):
    """Logins refused for a while after repeated wrong passwords."""

    http_status = 429
    code = "too_many_attempts"


class StorageFullError(SalesCoachError):
    """The server's disk (or quota) is full: nothing was stored, nothing stored was lost."""

    http_status = 507
    code = "storage_full"


class ConfigurationError(SalesCoachError):
    """Settings point at something that is missing (model path, package, endpoint)."""

    http_status = 500
    code = "configuration"


class DependencyMissingError(ConfigurationError):
    """A heavy optional library is not installed."""

    def __init__(self, package: str, purpose: str) -> None:
        super().__init__(
            f"{package} is needed for {purpose} but is not installed",
            detail=f"run ./setup.sh or pip install {package}",
        )


class LLMError(SalesCoachError):
    """The configured LLM failed (down, timed out, returned garbage)."""

    http_status = 502
    code = "llm_error"


class ValidationFailed(InputError):
    """A knowledge file (case, persona, rubric) does not match its schema."""

    code = "validation_failed"


#: what the edges catch and turn into messages: ours and the floors' errors, which all carry
#: ``message``, ``detail``, ``http_status`` and ``code``.
DOMAIN_ERRORS: tuple[type[Exception], ...] = (SalesCoachError, SpeechError, RetrievalError, ScriptsGenError)
#: the type of any of :data:`DOMAIN_ERRORS` (for annotations).
DomainError = SalesCoachError | SpeechError | RetrievalError | ScriptsGenError
