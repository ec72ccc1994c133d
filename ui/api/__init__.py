"""The REST API (``/api/v1``), a FastAPI sub-application built from the services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

if TYPE_CHECKING:  # pragma: no cover
    from coach.calls.jobs import JobQueue
    from coach.services import Services

API_PREFIX = "/api/v1"

DESCRIPTION = """Sales Coach REST API.

Authenticate with `POST /auth/token` (`{username, password}`) and send
`Authorization: Bearer <access_token>`. Errors are JSON `{error, detail}`:
401 bad or expired token, 404 a record that does not exist **or that you may not see**
(other reps' calls are reported as missing so their ids cannot be probed), 403 a feature
your role lacks, 413 upload over the size limit, 415 not audio / not a transcript,
422 invalid input, 503 a feature not installed.
"""


def build_api(services: "Services", jobs: "JobQueue") -> FastAPI:
    from ui.api import auth, calls, chat, jobs as jobs_api, kb, meta, roleplay, scripts, team
    from ui.api.errors import install_error_handlers
    from ui.api.limits import BodyLimitMiddleware

    from fastapi_offline import FastAPIOffline

    api = FastAPIOffline(  # Swagger UI served from the package, not a CDN
        title="Sales Coach API",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    api.state.services = services
    api.state.jobs = jobs
    install_error_handlers(api)
    api.add_middleware(BodyLimitMiddleware, limit_bytes=lambda: services.settings.server.max_upload_mb * 1024 * 1024)
    for mod in (auth, calls, jobs_api, kb, chat, scripts, roleplay, team, meta):
        api.include_router(mod.router)
    _document_error_bodies(api)

    return api


#: every error answer is ``{error, detail[, message]}`` (ui/api/errors.py); ``detail`` is a
#: sentence for domain errors and a list of field problems for request validation
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "title": "Error code"},
        "detail": {"title": "Detail", "anyOf": [{"type": "string"}, {"type": "array"}, {"type": "object"}, {"type": "null"}]},
        "message": {"type": "string", "title": "Message"},
    },
}


def _document_error_bodies(api: FastAPI) -> None:
    """The schema FastAPI documents for 422 (``HTTPValidationError``) becomes ours, so the
    documented response matches what every 422 carries (schemathesis checks it)."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict:
        if api.openapi_schema is None:
            spec = get_openapi(title=api.title, version=api.version, description=api.description, routes=api.routes)
            schemas = spec.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = ERROR_SCHEMA
            api.openapi_schema = spec
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
