"""The REST API (``/api/v1``), a FastAPI sub-application built from the services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

if TYPE_CHECKING:  # pragma: no cover
    from coach.jobs import JobQueue
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
    from ui.api import auth, calls, chat, jobs as jobs_api, kb, roleplay, scripts, team
    from ui.api.errors import install_error_handlers
    from ui.api.limits import BodyLimitMiddleware

    api = FastAPI(
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
    for mod in (auth, calls, jobs_api, kb, chat, scripts, roleplay, team):
        api.include_router(mod.router)

    @api.get("/health", tags=["meta"], summary="Liveness and job-queue state")
    def health() -> dict:
        return {"status": "ok", "workers": jobs.workers, "queue_running": jobs.running}

    return api
