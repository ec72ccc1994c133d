"""``POST /auth/token`` (JSON or OAuth2 form) and ``GET /me``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from coach.auth.login import login
from coach.auth.permissions import Principal
from coach.auth.tokens import create_token
from coach.errors import InputError
from ui.api.deps import current_user, get_services, principal_dict
from ui.api.schemas import User

router = APIRouter(tags=["auth"])


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: dict[str, Any]


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    summary="Exchange username and password for a bearer token",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": TokenRequest.model_json_schema()},
                "application/x-www-form-urlencoded": {"schema": TokenRequest.model_json_schema()},
            },
            "required": True,
        }
    },
)
async def token(request: Request) -> TokenResponse:
    """JSON ``{username, password}`` (or the OAuth2 password form) -> ``{access_token}``."""
    from starlette.concurrency import run_in_threadpool


    ctype = request.headers.get("content-type", "")
    try:
        if ctype.startswith("application/x-www-form-urlencoded") or ctype.startswith("multipart/form-data"):
            form = await request.form()
            raw: Any = {"username": form.get("username"), "password": form.get("password")}
        else:
            raw = await request.json()
    except ValueError as exc:
        raise InputError("the body must be JSON {username, password}") from exc
    from pydantic import ValidationError

    try:
        creds = TokenRequest.model_validate(raw)
    except ValidationError as exc:
        from fastapi.exceptions import RequestValidationError

        raise RequestValidationError(exc.errors()) from exc
    services = get_services(request)
    client = request.client.host if request.client else None
    principal = await run_in_threadpool(login, services, creds.username, creds.password, channel="api", client=client)
    ttl = services.settings.server.token_ttl_minutes
    return TokenResponse(
        access_token=create_token(services.settings, principal), expires_in=int(ttl * 60), user=principal_dict(principal)
    )


@router.get("/me", response_model=User, response_model_exclude_unset=True, summary="The authenticated user")
def me(principal: Principal = Depends(current_user)) -> dict[str, Any]:
    return principal_dict(principal)
