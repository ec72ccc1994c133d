"""The Gradio Blocks app: one tab per page, built from the services passed in.

Login is Gradio's own form wired to :func:`coach.auth.login.login` (the same check as
``POST /api/v1/auth/token``); every handler resolves ``gr.Request.username`` to a
:class:`coach.auth.permissions.Principal` and goes through the same permission-checked
functions as the REST API. Hiding the Team and Knowledge tabs from reps is cosmetic:
their handlers check the role again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable

import gradio as gr

if TYPE_CHECKING:  # pragma: no cover
    from coach.calls.jobs import JobQueue
    from coach.services import Services

log = logging.getLogger(__name__)


def login_check(services: "Services") -> Callable[[str, str], Awaitable[bool]]:
    """Gradio ``auth=`` hook: the same throttled, audited check as the API login
    (:func:`coach.auth.login.login`), run on a worker thread so argon2 never blocks the
    event loop. A locked-out user sees the same refusal as a wrong password."""
    import anyio

    from coach.auth.login import login
    from coach.errors import AuthenticationError

    def check_sync(username: str, password: str) -> bool:
        try:
            login(services, username, password, channel="web")
        except AuthenticationError as exc:
            log.info("refused web login for %r: %s", username, exc.code)
            return False
        return True

    async def check(username: str, password: str) -> bool:
        return await anyio.to_thread.run_sync(check_sync, username, password)

    return check


def build_blocks(services: "Services", jobs: "JobQueue") -> "gr.Blocks":
    from ui.pages import calls, coach_chat, knowledge, previsit, roleplay, team
    from ui.session import principal_of

    with gr.Blocks(title="Sales Coach", analytics_enabled=False, delete_cache=(1800, 3600)) as demo:
        with gr.Row():
            gr.Markdown("## Sales Coach", elem_id="sc-title")
            who = gr.Markdown(elem_id="sc-who")
            gr.Button("Log out", link="/logout", size="sm", scale=0)
        with gr.Tabs(overflow_behavior="wrap") as tabs:  # every page reachable on a phone
            with gr.Tab("Coach", id="coach"):
                coach_chat.build(services, demo)
            with gr.Tab("Pre-visit", id="previsit"):
                previsit.build(services, demo)
            with gr.Tab("Calls", id="calls"):
                calls.build(services, jobs, demo)
            with gr.Tab("Role-play", id="roleplay"):
                roleplay.build(services, demo)
            with gr.Tab("Team", id="team", visible=False) as team_tab:
                team.build(services, demo)
            with gr.Tab("Knowledge", id="knowledge", visible=False) as kb_tab:
                knowledge.build(services, demo)

        def on_load(request: gr.Request) -> tuple[Any, Any, Any, Any]:
            p = principal_of(services, request)
            # deep links: /?call=ID opens the call, /?case=ID the case (links on every page)
            params = request.query_params if request is not None else {}
            tab = "calls" if params.get("call") else "coach" if params.get("case") else None
            return (
                f"Logged in as **{p.display_name}** ({p.role})",
                gr.Tab(visible=p.role in ("manager", "admin")),
                gr.Tab(visible=p.role == "admin"),
                gr.Tabs(selected=tab) if tab else gr.Tabs(),
            )

        demo.load(on_load, None, [who, team_tab, kb_tab, tabs])
    # reads are cheap and thread-safe: let 8 run at once per event (Gradio's default is 1);
    # LLM-bound events set their own lower limits
    demo.queue(default_concurrency_limit=8)
    return demo
