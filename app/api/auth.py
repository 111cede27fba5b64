"""`/api/v1/auth/*` and `/api/v1/me`: log in with a handle and password, log out, who am I, API tokens."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from ..security.tokens import SESSION_COOKIE
from .deps import CurrentUser, ServicesDep, bearer_token, client_address

router = APIRouter(prefix='/api/v1', tags=['auth'])


class LoginRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=4096)


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = 'bearer'
    user_id: str


class UserRead(BaseModel):
    id: str
    handle: str
    display_name: str
    role: str
    locale: str | None
    theme: str
    created_at: datetime


class ApiTokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64)


class ApiTokenRead(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenRead):
    token: str


def set_session_cookie(response: Response, token: str, max_age_days: int, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age_days * 86400, httponly=True, samesite='lax',
                        secure=secure, path='/')


@router.post('/auth/login', response_model=LoginResponse)
async def login(body: LoginRequest, request: Request, response: Response, services: ServicesDep) -> LoginResponse:
    """Check the credentials, start a session, set the session cookie and return the same token as a bearer."""
    user = await services.accounts.authenticate(body.username, body.password, client_address(request))
    token = await services.sessions.create_session(user, user_agent=request.headers.get('user-agent', ''),
                                                   address=client_address(request))
    set_session_cookie(response, token, services.settings.session_days, request.url.scheme == 'https')
    return LoginResponse(access_token=token, user_id=user.id)


@router.post('/auth/logout', status_code=204)
async def logout(request: Request, response: Response, services: ServicesDep, _user: CurrentUser) -> None:
    """End the session behind the cookie or bearer token used for this request."""
    token = bearer_token(request) or request.cookies.get(SESSION_COOKIE, '')
    await services.sessions.end_session(token)
    response.delete_cookie(SESSION_COOKIE, path='/')


@router.get('/me', response_model=UserRead)
async def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user, from_attributes=True)


@router.get('/me/tokens', response_model=list[ApiTokenRead])
async def list_tokens(user: CurrentUser, services: ServicesDep) -> list[ApiTokenRead]:
    return [ApiTokenRead.model_validate(t, from_attributes=True) for t in await services.sessions.list_api_tokens(user)]


@router.post('/me/tokens', response_model=ApiTokenCreated, status_code=201)
async def create_token(body: ApiTokenCreate, user: CurrentUser, services: ServicesDep) -> ApiTokenCreated:
    """Create a personal API token; the plain token is shown only in this response."""
    record, token = await services.sessions.create_api_token(user, body.name)
    return ApiTokenCreated(**ApiTokenRead.model_validate(record, from_attributes=True).model_dump(), token=token)


@router.delete('/me/tokens/{token_id}', status_code=204)
async def revoke_token(token_id: str, user: CurrentUser, services: ServicesDep) -> None:
    await services.sessions.revoke_api_token(user, token_id)
