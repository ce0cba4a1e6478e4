"""Users and access: argon2 password hashes, signed session cookies and bearer tokens, roles.

A session cookie (HttpOnly, SameSite=Lax) and a bearer token are the same signed value:
``base64(user id, session epoch, expiry, session id) . HMAC-SHA256``. Signing out ends that
session (its id is recorded as ended); bumping the user's session epoch (sign-out everywhere,
password change, deactivation, role change) ends every session and token at once. Requests authenticated by
the cookie must also pass the CSRF check (double-submit token + Origin), so another site
cannot make a signed-in browser write. Every write is checked here, on the server.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Request

from landrelease.api.problems import ApiProblem
from landrelease.domain.user import Role, User
from landrelease.services.register import Register
from landrelease.storage import users as user_store

log = logging.getLogger(__name__)

SESSION_COOKIE = "lr_session"
CSRF_COOKIE = "lr_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_TTL_S = 12 * 3600
TOKEN_TTL_S = 30 * 24 * 3600
_USER_CACHE_S = 2.0  # how long a looked-up user is trusted before the database is asked again
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, and how they proved it (the CSRF check applies to cookies only)."""

    user: User
    via: str  # "cookie" | "bearer" | "basic"


class Authenticator:
    """Password hashing, token signing and user look-up for one application."""

    def __init__(
        self, register: Register, secret: str | None, hasher: PasswordHasher | None = None, hash_workers: int = 2
    ) -> None:
        self.register = register
        # argon2 costs ~64 MiB and tens of milliseconds per hash: at most ``hash_workers`` run at
        # once, in their own threads, whatever the number of sign-ins waiting.
        self._hash_pool = ThreadPoolExecutor(max_workers=hash_workers, thread_name_prefix="argon2")
        self._key = hashlib.sha256((secret or secrets.token_hex(32)).encode()).digest()
        self.hasher = hasher or PasswordHasher()
        self._users: dict[int, tuple[float, User | None]] = {}
        self._basic: dict[str, tuple[float, int]] = {}
        self._ended_here: set[str] = set()
        self._lock = threading.Lock()

    # --- passwords
    def hash_password(self, password: str) -> str:
        return self._hash_pool.submit(self.hasher.hash, password).result()

    def _verify(self, stored: str, password: str) -> bool:
        """argon2 verification in the bounded pool; raises the hasher's errors like ``verify``."""
        return bool(self._hash_pool.submit(self.hasher.verify, stored, password).result())

    def check_password(self, name: str, password: str) -> User | None:
        """The active user with this name and password, or None (same answer for both failures)."""
        with self.register.reading() as conn:
            found = user_store.find_user(conn, name)
        if found is None:
            # Spend the same time as a real check so names cannot be probed by timing.
            with contextlib.suppress(VerificationError, InvalidHashError):
                self._verify(self._dummy_hash(), password)
            return None
        user, stored = found
        try:
            self._verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return user if user.active else None

    _dummy: str | None = None

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self.hash_password(secrets.token_hex(8))
        return self._dummy

    # --- tokens
    def issue(self, user: User, ttl_s: int = SESSION_TTL_S) -> str:
        assert user.id is not None
        # the last element names this session, so that it alone can be ended (sign-out)
        sid = secrets.token_hex(12)
        body = _b64(json.dumps([user.id, user.session_epoch, int(time.time()) + ttl_s, sid]).encode())
        sig = _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())
        return f"{body}.{sig}"

    def _claims(self, token: str) -> tuple[int, int, int, str] | None:
        """(user id, session epoch, expiry, session id) of a token signed here, else None."""
        try:
            body, sig = token.split(".", 1)
            good = _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(sig, good):
                return None
            claims = json.loads(_unb64(body))
            uid, epoch, exp, sid = claims if len(claims) == 4 else (*claims, "")
            if not (isinstance(uid, int) and isinstance(epoch, int) and isinstance(exp, int) and isinstance(sid, str)):
                return None
        except (ValueError, TypeError, UnicodeError):
            return None
        return uid, epoch, exp, sid

    def verify(self, token: str) -> User | None:
        claims = self._claims(token)
        if claims is None:
            return None
        uid, epoch, exp, sid = claims
        if exp < time.time():
            return None
        user = self.user(uid)
        if user is None or not user.active or user.session_epoch != epoch:
            return None
        if sid and self._ended(sid):
            return None
        return user

    def _ended(self, sid: str) -> bool:
        if sid in self._ended_here:
            return True
        with self.register.reading() as conn:
            return user_store.session_ended(conn, sid)

    def end_session(self, token: str) -> bool:
        """End the one session (or token) ``token`` belongs to; False if it names none."""
        claims = self._claims(token)
        if claims is None or not claims[3]:
            return False
        uid, _, exp, sid = claims
        with self.register.unit_of_work(actor=f"user {uid}") as uow:
            user_store.end_session(uow.conn, uid, sid, datetime.fromtimestamp(exp, UTC))
        with self._lock:
            self._ended_here.add(sid)
        return True

    def user(self, uid: int) -> User | None:
        now = time.monotonic()
        with self._lock:
            hit = self._users.get(uid)
        if hit and now - hit[0] < _USER_CACHE_S:
            return hit[1]
        with self.register.reading() as conn:
            user = user_store.user_by_id(conn, uid)
        with self._lock:
            self._users[uid] = (now, user)
        return user

    def forget(self, uid: int) -> None:
        with self._lock:
            self._users.pop(uid, None)
            self._basic = {k: v for k, v in self._basic.items() if v[1] != uid}

    def basic(self, header_value: str) -> User | None:
        """HTTP Basic credentials (for GIS clients such as QGIS); verified once, then remembered briefly."""
        try:
            name, password = base64.b64decode(header_value, validate=True).decode().split(":", 1)
        except (ValueError, UnicodeError):
            return None
        key = hashlib.sha256(self._key + header_value.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._basic.get(key)
        if hit and now - hit[0] < 60:
            user = self.user(hit[1])
            return user if user and user.active else None
        user = self.check_password(name, password)
        if user is not None and user.id is not None:
            with self._lock:
                self._basic[key] = (now, user.id)
        return user

    def end_sessions(self, user: User) -> None:
        assert user.id is not None
        with self.register.unit_of_work(actor=user.name) as uow:
            user_store.end_sessions(uow.conn, user.id)
        self.forget(user.id)

    # --- request side
    def principal(self, request: Request) -> Principal | None:
        if hasattr(request.state, "principal"):
            cached: Principal | None = request.state.principal
            return cached
        found: Principal | None = None
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value:
            user = self.verify(value.strip())
            found = Principal(user, "bearer") if user else None
        elif scheme.lower() == "basic" and value:
            user = self.basic(value.strip())
            found = Principal(user, "basic") if user else None
        else:
            cookie = request.cookies.get(SESSION_COOKIE)
            if cookie:
                user = self.verify(cookie)
                found = Principal(user, "cookie") if user else None
        request.state.principal = found
        return found


def ensure_admin(register: Register, auth: Authenticator, password: str | None = None) -> tuple[str, str | None] | None:
    """Create an ``admin`` user whenever the register has no active admin (also when other users
    exist, e.g. operators added before the first ``serve``; named ``admin-2``… when ``admin`` is
    taken). Returns None when an active admin exists, else (name, password if generated here).

    With ``password`` given (e.g. from LANDRELEASE_ADMIN_PASSWORD) that one is used and None
    is returned, so a password is only ever printed when it was made here.
    """
    with register.reading() as conn:
        if user_store.count_active_admins(conn) > 0:
            return None
        taken = {u.name for u in user_store.list_users(conn)}
    name = next(n for n in ("admin", *(f"admin-{i}" for i in range(2, 1000))) if n not in taken)
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    with register.unit_of_work(actor="system") as uow:
        user_store.add_user(uow.conn, "system", name, Role.ADMIN, auth.hash_password(password))
    log.warning("no active admin: created the admin user %r", name)
    return name, (password if generated else None)


# ---------------------------------------------------------------- dependencies


def _auth(request: Request) -> Authenticator:
    return request.app.state.auth


def same_origin(request: Request) -> bool:
    """True unless the request says it comes from another origin (Origin, else Referer)."""
    origin = request.headers.get("origin") or ""
    if not origin:
        referer = request.headers.get("referer") or ""
        if not referer:
            return True
        parts = referer.split("/")
        origin = "/".join(parts[:3]) if len(parts) >= 3 else referer
    if origin == "null":
        return False
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def check_csrf(request: Request, principal: Principal, form_token: str | None = None) -> None:
    """Writes authenticated by the session cookie need the double-submit token and a same origin."""
    if principal.via != "cookie" or request.method in _SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER) or form_token or ""
    if not cookie or not hmac.compare_digest(cookie, sent):
        raise ApiProblem(
            403, "missing or wrong CSRF token (send the lr_csrf cookie's value in X-CSRF-Token)", field=CSRF_HEADER
        )
    if not same_origin(request):
        raise ApiProblem(403, "cross-origin write refused", field="origin")


def current_principal(request: Request) -> Principal:
    """Any signed-in user; writes by cookie are CSRF-checked here."""
    principal = _auth(request).principal(request)
    if principal is None:
        raise ApiProblem(
            401,
            "sign in first (session cookie, bearer token or HTTP Basic)",
            field="authorization",
            headers={"WWW-Authenticate": 'Bearer realm="landrelease"'},
        )
    check_csrf(request, principal)
    return principal


def current_user(request: Request) -> User:
    return current_principal(request).user


def require(*roles: Role) -> Callable[[Request], User]:
    """A dependency that lets only the given roles through (403 for the others)."""
    allowed = frozenset(roles)

    def dependency(request: Request) -> User:
        user = current_user(request)
        if user.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise ApiProblem(403, f"role '{user.role.value}' may not do this (allowed: {names})", field="role")
        return user

    return dependency


def require_own_operator(user: User, operator: str | None, what: str, field: str = "operator") -> None:
    """Operators edit only their own organisation's work; analysts and admins edit all."""
    if user.role in (Role.ADMIN, Role.ANALYST):
        return
    if user.role is Role.OPERATOR and operator is not None and operator == user.operator:
        return
    if user.role is Role.OPERATOR:
        raise ApiProblem(403, f"{what} belongs to operator {operator!r}, not to {user.operator!r}", field=field)
    raise ApiProblem(403, f"role '{user.role.value}' may not change {what}", field="role")


WRITERS = (Role.ADMIN, Role.ANALYST, Role.OPERATOR)
DATA_EDITORS = (Role.ADMIN, Role.ANALYST)
