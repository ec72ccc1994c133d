"""The web server: the REST API under ``/api/v1`` and the Gradio app at ``/``, one FastAPI
application built from the services passed in (nothing is built at import time).

``salescoach serve`` runs :func:`build_app` under uvicorn. The lifespan starts the
background job workers (recovering jobs interrupted by a previous stop or crash) and
stops them on shutdown.
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

if TYPE_CHECKING:  # pragma: no cover
    from coach.jobs import JobQueue
    from coach.services import Services

log = logging.getLogger(__name__)


def build_app(
    services: "Services",
    *,
    with_ui: bool = True,
    start_jobs: bool = True,
    jobs: "JobQueue | None" = None,
) -> FastAPI:
    """The FastAPI app serving the API and (``with_ui``) the Gradio web app.

    ``start_jobs=False`` leaves the worker threads off (tests drive the queue by hand
    with ``app.state.jobs.run_pending()``).
    """
    from coach.jobs import JobQueue
    from coach.services import disable_telemetry
    from ui.api import API_PREFIX, build_api

    disable_telemetry()
    jobs = jobs or JobQueue(services)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        if start_jobs:
            jobs.start()
        try:
            yield
        finally:
            if start_jobs:
                jobs.stop()

    app = FastAPI(title="Sales Coach", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    app.state.jobs = jobs
    app.mount(API_PREFIX, build_api(services, jobs))
    if with_ui:
        _mount_ui(app, services, jobs)
    return app


def _mount_ui(app: FastAPI, services: "Services", jobs: "JobQueue") -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    gradio_tmp = services.settings.data_dir / "gradio"
    gradio_tmp.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("GRADIO_TEMP_DIR", str(gradio_tmp))
    import gradio as gr

    from ui.render import CSS
    from ui.web import build_blocks, login_check

    blocks = build_blocks(services, jobs)
    settings = services.settings
    blocked = [str(settings.uploads_dir), str(settings.data_dir / "secret.key")]
    if settings.db_url.startswith("sqlite:///"):
        blocked.append(settings.db_url.removeprefix("sqlite:///"))
    gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        auth=login_check(services),
        auth_message="Sales Coach - log in with your account (demo: rep1 / rep1-demo)",
        max_file_size=f"{settings.server.max_upload_mb}mb",
        footer_links=[],
        run_history=False,
        show_error=True,
        blocked_paths=blocked,
        ssr_mode=False,
        mcp_server=False,
        css=CSS,
    )


def uvicorn_config(app: Any, host: str, port: int) -> dict[str, Any]:
    return {"app": app, "host": host, "port": port, "log_level": "warning", "access_log": False}
