"""Sign-in, sign-out, tokens and user management under ``/api/auth`` and ``/api/users``."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
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
from landrelease.api.schemas import LoginIn, PasswordChange, PasswordReset, UserIn, UserPatch
from landrelease.domain.errors import ValidationError
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


@router.post("/auth/logout", summary="Sign out: ends this session (everywhere=true: every session and token)")
def logout(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    everywhere: Annotated[bool, Query(description="end every session and token of this user")] = False,
) -> JSONResponse:
    auth = _auth(request)
    if everywhere:
        auth.end_sessions(principal.user)
        ended = "every session"
    else:
        value = request.headers.get("authorization", "").partition(" ")[2]
        token = value.strip() if principal.via == "bearer" else request.cookies.get(SESSION_COOKIE, "")
        if principal.via == "basic" or not token:
            ended = "none (HTTP Basic credentials are not a session)"
        elif auth.end_session(token):
            ended = "this session"
        else:  # a token from before sessions had ids: end them all rather than none
            auth.end_sessions(principal.user)
            ended = "every session"
    response = JSONResponse({"signed_out": principal.user.name, "ended": ended})
    if principal.via == "cookie":
        clear_session(response)
    return response


@router.post("/auth/password", summary="Change your own password (the current one is needed); ends every session")
def change_password(
    request: Request, body: PasswordChange, principal: Annotated[Principal, Depends(current_principal)]
) -> JSONResponse:
    auth = _auth(request)
    user = principal.user
    if auth.check_password(user.name, body.current) is None:
        raise ApiProblem(403, "the current password is wrong", field="current")
    if body.new == body.current:
        raise ApiProblem(422, "the new password is the current one", field="new")
    with request.app.state.register.unit_of_work(actor=user.name) as uow:
        user_store.set_password_hash(uow.conn, user.name, user.name, auth.hash_password(body.new))
    assert user.id is not None
    auth.forget(user.id)
    response = JSONResponse({"changed": user.name, "sessions": "ended: sign in again"})
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


def _find(request: Request, name: str) -> User:
    with request.app.state.register.reading() as conn:
        found = user_store.find_user(conn, name)
    if found is None:
        raise ApiProblem(404, f"no user {name!r}", field="name")
    return found[0]


@router.patch("/users/{name}", summary="Deactivate, reactivate or change the role of a user (admin); ends its sessions")
def change_user(
    request: Request, name: str, body: UserPatch, admin: Annotated[User, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    target = _find(request, name)
    if not body.model_fields_set:
        raise ApiProblem(422, "nothing to change", field="body")
    for f in ("active", "role"):
        if f in body.model_fields_set and getattr(body, f) is None:
            raise ApiProblem(422, f"{f} cannot be null", field=f)
    try:
        with request.app.state.register.unit_of_work(actor=admin.name) as uow:
            user = user_store.change_user(
                uow.conn,
                admin.name,
                name,
                active=body.active,
                role=body.role,
                operator=body.operator,
                set_operator="operator" in body.model_fields_set,
            )
    except ValidationError as exc:
        p = exc.problems[0]
        raise ApiProblem(409 if "only active admin" in p.message else 422, p.message, field=p.field or "name") from None
    assert target.id is not None
    _auth(request).forget(target.id)  # its sessions end now in this process, not after the user cache
    return user_json(user) | {"active": user.active}


@router.post("/users/{name}/password", summary="Reset a user's password (admin); ends its sessions")
def reset_password(
    request: Request, name: str, body: PasswordReset, admin: Annotated[User, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    target = _find(request, name)
    auth = _auth(request)
    with request.app.state.register.unit_of_work(actor=admin.name) as uow:
        user_store.set_password_hash(uow.conn, admin.name, name, auth.hash_password(body.password))
    assert target.id is not None
    auth.forget(target.id)
    return {"reset": name, "sessions": "ended"}
