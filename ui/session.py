"""Glue between Gradio handlers and the domain: who is logged in, and domain errors shown
as Gradio messages (never tracebacks)."""

from __future__ import annotations

import functools
import inspect
import logging
from typing import TYPE_CHECKING, Any, Callable

from coach.errors import DOMAIN_ERRORS, DomainError
from coach.auth.permissions import Principal

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

log = logging.getLogger(__name__)


def principal_of(services: "Services", request: Any) -> Principal:
    """The logged-in user of a Gradio event (``gr.Request.username``), fresh from the DB."""
    import gradio as gr

    from coach.auth.users import get_principal

    username = getattr(request, "username", None) if request is not None else None
    if not username:
        raise gr.Error("You are not logged in.", title="Login required", print_exception=False)
    p = get_principal(services.db, username)
    if p is None:
        raise gr.Error(f"The account {username} no longer exists.", title="Login required", print_exception=False)
    return p


def _to_gr_error(exc: DomainError) -> Exception:
    import gradio as gr

    text = exc.message if not exc.detail else f"{exc.message} ({exc.detail})"
    return gr.Error(text, title=exc.code.replace("_", " "), print_exception=False)


def ui_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors (``coach.errors.DOMAIN_ERRORS``) into ``gr.Error``; log anything unexpected.

    Keeps the signature (Gradio injects ``gr.Request``/``gr.Progress`` by it) and the
    generator-ness (Gradio streams generator handlers).
    """
    import gradio as gr

    def translate(exc: BaseException) -> BaseException:
        if isinstance(exc, gr.Error):
            exc.print_exception = False  # an expected, user-facing message: no traceback in the log
            return exc
        if isinstance(exc, DOMAIN_ERRORS):
            log.info("%s in %s: %s", exc.code, fn.__name__, exc)
            return _to_gr_error(exc)
        log.exception("unexpected error in UI handler %s", fn.__name__)
        return gr.Error("Something went wrong; the server log has the details.", print_exception=False)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001
                raise translate(exc) from exc

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc) from exc

    return wrapper
