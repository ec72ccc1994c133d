"""FastAPI dependencies: the services, the job queue and the authenticated principal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from coach.auth.permissions import Principal
from coach.errors import AuthenticationError

if TYPE_CHECKING:  # pragma: no cover
    from coach.calls.backends import JobBackend
    from coach.services import Services

bearer = HTTPBearer(auto_error=False, description="token from POST /api/v1/auth/token")


def get_services(request: Request) -> "Services":
    return request.app.state.services


def get_jobs(request: Request) -> "JobBackend":
    return request.app.state.jobs


def current_user(
    request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    """The principal of a valid bearer token, loaded fresh from the database."""
    from coach.auth.tokens import principal_from_token

    if creds is None or not creds.credentials:
        raise AuthenticationError("missing bearer token", detail="get one at POST /api/v1/auth/token")
    services = get_services(request)
    return principal_from_token(services.settings, services.db, creds.credentials)


def principal_dict(p: Principal) -> dict[str, Any]:
    return {"id": p.id, "username": p.username, "role": p.role, "team_id": p.team_id, "display_name": p.display_name}
