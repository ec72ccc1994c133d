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
    from coach.calls.jobs import JobQueue
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
    from coach.services import disable_telemetry
    from ui.api import API_PREFIX, build_api

    disable_telemetry()
    jobs = jobs or services.jobs  # the configured backend: embedded threads or Celery

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
    from ui.http_guard import HttpGuard

    app.add_middleware(HttpGuard)  # added last: outermost
    return app


def _mount_ui(app: FastAPI, services: "Services", jobs: "JobQueue") -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    gradio_tmp = services.settings.data_dir / "gradio"
    gradio_tmp.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("GRADIO_TEMP_DIR", str(gradio_tmp))
    import gradio as gr

    from ui.document_html import CSS
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
    _share_web_sessions(app, services)
    _install_upload_gate(app)


def _share_web_sessions(app: FastAPI, services: "Services") -> None:
    """Web logins live in the database (:mod:`coach.auth.web_sessions`), not in this
    process, and the session cookie's name is derived from the signing secret instead of
    a per-process random id: any replica behind a load balancer accepts any session."""
    import hashlib

    from coach.auth.tokens import secret_key
    from coach.auth.web_sessions import SessionTokenMap, WebSessionStore

    gradio_app = _gradio_app(app)
    store = WebSessionStore(services.db, ttl_minutes=services.settings.server.token_ttl_minutes)
    gradio_app.tokens = SessionTokenMap(store)
    gradio_app.cookie_id = hashlib.sha256(("gradio-cookie:" + secret_key(services.settings)).encode()).hexdigest()[:32]
    app.state.web_sessions = store


def _gradio_app(app: FastAPI) -> Any:
    """The Gradio ``App`` that ``mount_gradio_app`` mounted at ``/``."""
    from gradio.routes import App

    for route in app.routes:
        sub = getattr(route, "app", None)
        if isinstance(sub, App):
            return sub
    raise RuntimeError("the Gradio app is not mounted")  # pragma: no cover - programming error


def _install_upload_gate(app: FastAPI) -> None:
    """Every file a web page receives must have been uploaded by the same user (see
    :mod:`ui.upload_gate`)."""
    from ui.upload_gate import UploadGate, UploadRegistry

    gradio_app = _gradio_app(app)

    def user_of(scope: dict) -> str | None:
        cookies: dict[str, str] = {}
        for name, value in scope.get("headers") or []:
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, val = part.strip().partition("=")
                    cookies[key] = val
        cid = gradio_app.cookie_id
        token = cookies.get(f"access-token-{cid}") or cookies.get(f"access-token-unsecure-{cid}")
        return gradio_app.tokens.get(token) if token else None

    app.state.upload_registry = UploadRegistry()
    app.add_middleware(UploadGate, user_of=user_of, registry=app.state.upload_registry)


def uvicorn_config(app: Any, host: str, port: int) -> dict[str, Any]:
    # h11 with a bounded header buffer: an endless header block is cut off at 64 KB
    return {"app": app, "host": host, "port": port, "log_level": "warning", "access_log": False,
            "http": "h11", "h11_max_incomplete_event_size": 64 * 1024}
