"""Sign-in, sign-out, tokens and user management under ``/api/auth`` and ``/api/users``."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from landrelease.api.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_TTL_S,
    TOKEN_TTL_S,
    Authenticator,
    Principal,
    current_principal,
    require,
    same_origin,
)
from landrelease.api.problems import ApiProblem
from landrelease.api.schemas import LoginIn, UserIn
from landrelease.domain.user import Role, User
from landrelease.storage import users as user_store

router = APIRouter(prefix="/api", tags=["users and access"])


def _auth(request: Request) -> Authenticator:
    return request.app.state.auth


def user_json(user: User) -> dict[str, Any]:
    return {"name": user.name, "role": user.role.value, "operator": user.operator}


def set_session(response: Any, request: Request, auth: Authenticator, user: User) -> str:
    """Set the signed session cookie (HttpOnly, SameSite=Lax) and the CSRF cookie; return the CSRF token."""
    secure = request.url.scheme == "https"
    csrf = secrets.token_urlsafe(24)
    response.set_cookie(
        SESSION_COOKIE,
        auth.issue(user, SESSION_TTL_S),
        max_age=SESSION_TTL_S,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=SESSION_TTL_S, httponly=False, samesite="lax", secure=secure, path="/"
    )
    return csrf


def clear_session(response: Any) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def _login(request: Request, body: LoginIn) -> User:
    if not same_origin(request):
        raise ApiProblem(403, "cross-origin sign-in refused", field="origin")
    user = _auth(request).check_password(body.name, body.password)
    if user is None:
        raise ApiProblem(401, "wrong name or password", field="password")
    return user


@router.post("/auth/login", summary="Sign in: sets the session cookie")
def login(request: Request, body: LoginIn) -> JSONResponse:
    user = _login(request, body)
    response = JSONResponse({"user": user_json(user)})
    csrf = set_session(response, request, _auth(request), user)
    response.headers["X-CSRF-Token"] = csrf
    return response


@router.post("/auth/token", summary="A bearer token for scripts and GIS clients")
def token(request: Request, body: LoginIn) -> dict[str, Any]:
    user = _login(request, body)
    return {
        "access_token": _auth(request).issue(user, TOKEN_TTL_S),
        "token_type": "bearer",
        "expires_in": TOKEN_TTL_S,
        "user": user_json(user),
    }


@router.post("/auth/logout", summary="Sign out: ends every session and token of this user")
def logout(request: Request, principal: Annotated[Principal, Depends(current_principal)]) -> JSONResponse:
    _auth(request).end_sessions(principal.user)
    response = JSONResponse({"signed_out": principal.user.name})
    clear_session(response)
    return response


@router.get("/auth/me", summary="Who is signed in")
def me(principal: Annotated[Principal, Depends(current_principal)]) -> dict[str, Any]:
    return {"user": user_json(principal.user), "via": principal.via}


@router.get("/users", summary="Users (admin)")
def list_users(request: Request, _: Annotated[User, Depends(require(Role.ADMIN))]) -> dict[str, Any]:
    with request.app.state.register.reading() as conn:
        items = [user_json(u) | {"active": u.active} for u in user_store.list_users(conn)]
    return {"items": items, "total": len(items)}


@router.post("/users", status_code=201, summary="Add a user (admin)")
def add_user(request: Request, body: UserIn, admin: Annotated[User, Depends(require(Role.ADMIN))]) -> dict[str, Any]:
    if body.role is Role.OPERATOR and not body.operator:
        raise ApiProblem(422, "an operator user must name its organisation", field="operator")
    auth = _auth(request)
    password_hash = auth.hash_password(body.password)
    with request.app.state.register.unit_of_work(actor=admin.name) as uow:
        if user_store.find_user(uow.conn, body.name):
            raise ApiProblem(409, f"a user named {body.name!r} exists", field="name")
        user = user_store.add_user(
            uow.conn,
            admin.name,
            body.name,
            body.role,
            password_hash,
            body.operator,
        )
    return user_json(user)
