"""One place that turns errors into JSON ``{error, detail}`` bodies with the right status.

Domain errors (``coach.errors.DOMAIN_ERRORS``: ours and the floors') carry their ``http_status`` and ``code``; request
validation is 422 ``validation_error``; anything unexpected is logged with its traceback
and answered 500 ``internal_error`` without leaking internals.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from coach.errors import DOMAIN_ERRORS, AuthenticationError, DomainError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media",
    422: "invalid_input",
    503: "unavailable",
}


def error_body(code: str, detail: object, message: str | None = None) -> dict:
    body: dict = {"error": code, "detail": detail}
    if message is not None:
        body["message"] = message
    return body


def install_error_handlers(app: FastAPI) -> None:
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        detail = exc.message if not exc.detail else f"{exc.message} ({exc.detail})"
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationError) else None
        if exc.http_status >= 500:
            log.warning("%s: %s", exc.code, detail)
        return JSONResponse(error_body(exc.code, detail, exc.message), status_code=exc.http_status, headers=headers)

    for base in DOMAIN_ERRORS:
        app.add_exception_handler(base, _domain)  # type: ignore[arg-type]

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        return JSONResponse(error_body("validation_error", errors, "the request is invalid"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, exc.detail), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError) and "malformed" in str(exc.orig).lower():
            log.error("the database is damaged (%s %s): %s", request.method, request.url.path, exc.orig)
            return JSONResponse(
                error_body("database_damaged", "the database is damaged; an administrator must restore it from a backup"),
                status_code=503,
            )
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal_error", "an unexpected error occurred; the server log has the details"),
            status_code=500,
        )
