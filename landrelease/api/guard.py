"""The request guard: an ASGI layer in front of the API that refuses what would cost too much
or could not be answered, before any route parses it.

- A JSON body must be UTF-8, nested at most ``MAX_DEPTH`` deep, hold no ``NaN``/``Infinity``
  (JSON has no such numbers; Python's parser accepts them and nothing after could encode
  them back), and no geometry with more than ``max_vertices`` positions. Each refusal is a
  problem-details body naming where: a byte offset, a line and column, or the field path
  (``released.0.geometry``). Submitted values are never echoed or logged here.
- Every body has a size limit chosen by route (sign-in and tokens 4 KiB, data routes 2 MiB,
  file imports their own larger cap): a declared ``Content-Length`` beyond it is refused
  with 413 before a byte of the body is read; a chunked body is cut off where it passes it.
- Sign-in (``/api/auth/login``, ``/api/auth/token``, the ``/login`` form, HTTP Basic) is
  throttled per account and per client address: after too many failures in a window the
  next attempt is a 429 with ``Retry-After``, without checking the password, so guessing
  costs no hashing. At most a few sign-ins are in flight at once, so a flood of them cannot
  take every worker thread. Failed sign-ins are logged (account, address, never a password).
  The counters are in memory, per worker process, and bounded.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.exceptions import HTTPException

from landrelease.api.problems import PROBLEM_JSON, TITLES
from landrelease.settings import Settings

access_log = logging.getLogger("landrelease.access")
SIGN_IN_PATHS = frozenset({"/api/auth/login", "/api/auth/token", "/login"})
AUTH_PREFIXES = ("/api/auth/", "/login", "/logout")
IMPORT_PREFIX = "/api/imports"
MULTIPART_OVERHEAD = 2**20  # form fields and part headers around an imported file
MAX_TRACKED = 50_000  # keys per throttle table (oldest forgotten first)
MAX_SIGNINS_IN_FLIGHT = 8

MAX_DEPTH = 32
DEFAULT_MAX_VERTICES = 50_000


class _NonFinite:
    """What ``NaN``, ``Infinity`` and ``-Infinity`` parse to here, so they can be found by path."""

    __slots__ = ()


_NON_FINITE = _NonFinite()


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a body is refused: status, a message and the field (``body`` for the body as a whole)."""

    status: int
    field: str
    message: str

    def body(self, instance: str) -> bytes:
        return json.dumps(
            {
                "type": "about:blank",
                "title": TITLES.get(self.status, "Error"),
                "status": self.status,
                "detail": f"input refused: {self.field}",
                "instance": instance,
                "errors": [{"field": self.field, "message": self.message}],
            }
        ).encode()


def _chain_path(chain: tuple[Any, Any] | None) -> str:
    parts: list[Any] = []
    while chain is not None:
        chain, key = chain
        parts.append(key)
    return _path(tuple(reversed(parts)))


def _path(parts: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in parts) or "body"


def _positions(coords: list[Any], limit: int, depth: int) -> tuple[int, int]:
    """How many positions a GeoJSON ``coordinates`` value holds (stops counting past ``limit``), and
    how deep it nests (counting from ``depth``). A ring (a list of positions) counts in one step."""
    count = 0
    deepest = depth
    stack: list[tuple[list[Any], int]] = [(coords, depth)]
    while stack and count <= limit:
        node, level = stack.pop()
        if level > deepest:
            deepest = level
        if not node:
            continue
        first = node[0]
        if not isinstance(first, list):
            count += 1  # a position
        elif first and not isinstance(first[0], list):
            count += len(node)  # a ring of positions (each one's shape is checked by the schemas)
            deepest = max(deepest, level + 1)
        else:
            stack.extend((child, level + 1) for child in node if isinstance(child, list))
    return count, deepest


def _find_non_finite(doc: Any) -> tuple[Any, ...] | None:
    """The path of the first NaN/Infinity (only looked for when the parser met one)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(doc, ())]
    while stack:
        node, where = stack.pop()
        if node is _NON_FINITE:
            return where
        if isinstance(node, dict):
            stack.extend((v, (*where, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*where, i)) for i, v in enumerate(node))
    return None


def check_json(raw: bytes, max_vertices: int = DEFAULT_MAX_VERTICES) -> Refusal | None:
    """None when ``raw`` is a JSON body the routes may parse; else why not, naming where."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Refusal(422, "body", f"the body is not UTF-8 (byte {exc.start}); send JSON in UTF-8")
    seen_non_finite = False

    def constant(_: str) -> _NonFinite:
        nonlocal seen_non_finite
        seen_non_finite = True
        return _NON_FINITE

    try:
        doc = json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as exc:
        return Refusal(422, "body", f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:
        return Refusal(422, "body", f"the body is nested deeper than {MAX_DEPTH} levels")
    if seen_non_finite:
        where = _find_non_finite(doc) or ()
        return Refusal(422, _path(where), "NaN and Infinity are not numbers in JSON; send a finite number")
    # Walk the containers without recursion: too-deep nesting and oversized geometries. Scalars and
    # the insides of ``coordinates`` (counted separately) are not visited one by one; a node's
    # path is a chain of (parent, key) pairs, spelled out only for a refusal.
    Chain = tuple[Any, Any] | None
    stack: list[tuple[Any, int, Chain]] = [(doc, 0, None)]
    while stack:
        node, depth, chain = stack.pop()
        if depth > MAX_DEPTH:
            return Refusal(422, _chain_path(chain), f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            coords = node.get("coordinates")
            if isinstance(coords, list):
                count, deepest = _positions(coords, max_vertices, depth + 1)
                field = _chain_path(chain) if chain else "geometry"
                if count > max_vertices:
                    return Refusal(422, field, f"a geometry has more than {max_vertices:,} vertices")
                if deepest > MAX_DEPTH:
                    return Refusal(422, f"{field}.coordinates", f"nested deeper than {MAX_DEPTH} levels")
            for k, v in node.items():
                if isinstance(v, dict | list) and v is not coords:
                    stack.append((v, depth + 1, (chain, k)))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, dict | list):
                    stack.append((v, depth + 1, (chain, i)))
    return None


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def send_refusal(
    send: Any, refusal: Refusal, instance: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer a refusal directly (the app is never called)."""
    body = refusal.body(instance)
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _Window:
    """Failures per key in a fixed window; bounded (the oldest key is forgotten first)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._seen: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def retry_after(self, key: str, now: float) -> int:
        """Seconds until ``key`` may try again (0: now)."""
        hit = self._seen.get(key)
        if hit is None:
            return 0
        start, count = hit
        if now - start >= self.window_s:
            del self._seen[key]
            return 0
        return max(1, int(start + self.window_s - now + 0.999)) if count >= self.limit else 0

    def fail(self, key: str, now: float) -> None:
        start, count = self._seen.pop(key, (now, 0))
        if now - start >= self.window_s:
            start, count = now, 0
        self._seen[key] = (start, count + 1)
        while len(self._seen) > MAX_TRACKED:
            self._seen.popitem(last=False)

    def clear(self, key: str) -> None:
        self._seen.pop(key, None)


@dataclass
class SignInThrottle:
    """Per-account and per-address failure windows for one worker process."""

    account_limit: int = 10
    address_limit: int = 30
    window_s: float = 900.0
    accounts: _Window = field(init=False)
    addresses: _Window = field(init=False)

    def __post_init__(self) -> None:
        self.accounts = _Window(self.account_limit, self.window_s)
        self.addresses = _Window(self.address_limit, self.window_s)

    def retry_after(self, account: str | None, address: str, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        wait = self.addresses.retry_after(address, now)
        if account:
            wait = max(wait, self.accounts.retry_after(account, now))
        return wait

    def failed(self, account: str | None, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.addresses.fail(address, now)
        if account:
            self.accounts.fail(account, now)

    def succeeded(self, account: str | None) -> None:
        if account:
            self.accounts.clear(account)


def _account_key(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    return name.strip().lower()[:120]


def _sign_in_name(raw: bytes, content_type: str) -> str | None:
    """The account a sign-in body names (JSON or a form), or None."""
    try:
        if is_json(content_type):
            doc = json.loads(raw.decode("utf-8"), parse_constant=lambda _: _NON_FINITE)
            return _account_key(doc.get("name")) if isinstance(doc, dict) else None
        if content_type.split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded":
            names = parse_qs(raw.decode("utf-8"), max_num_fields=20).get("name")
            return _account_key(names[0]) if names else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return None


def _basic_name(authorization: str) -> str | None:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return _account_key(decoded.partition(":")[0])


class _TooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit:,} bytes")


async def _send_text(send: Any, status: int, message: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = f"<!doctype html><title>{TITLES.get(status, 'Error')}</title><p>{message}</p>".encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware: body limits, JSON checks and sign-in throttling (see the module docstring)."""

    def __init__(self, app: Any, settings: Settings | None = None) -> None:
        self.app = app
        self.settings = settings or Settings()
        self.max_vertices = self.settings.max_vertices
        self.throttle = SignInThrottle(
            self.settings.signin_account_failures,
            self.settings.signin_address_failures,
            float(self.settings.signin_window_s),
        )
        self.signins_in_flight = 0

    def limit_for(self, path: str) -> int:
        """The largest body this route accepts."""
        if path.startswith(AUTH_PREFIXES):
            return self.settings.auth_max_body_bytes
        if path == IMPORT_PREFIX or path.startswith(IMPORT_PREFIX + "/"):
            return self.settings.import_max_bytes + MULTIPART_OVERHEAD
        return self.settings.max_body_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        limit = self.limit_for(path)
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await send_refusal(send, Refusal(400, "content-length", "Content-Length is not a number"), path)
                return
            if size > limit:
                refusal = Refusal(413, "body", f"the request body is larger than {limit:,} bytes")
                await send_refusal(send, refusal, path, [(b"connection", b"close")])
                return
        sign_in = scope["method"] == "POST" and path in SIGN_IN_PATHS
        basic = _basic_name(headers.get(b"authorization", b"").decode("latin-1"))
        buffered = sign_in or (scope["method"] not in ("GET", "HEAD", "OPTIONS") and is_json(content_type))
        if not buffered:
            counted = _counting(receive, limit)
            if basic:
                await self._sign_in(scope, counted, send, basic)
            else:
                await self.app(scope, counted, send)
            return
        raw = await _read(receive, limit)
        if raw is None:
            refusal = Refusal(413, "body", f"the request body is larger than {limit:,} bytes")
            await send_refusal(send, refusal, path, [(b"connection", b"close")])
            return
        if raw and is_json(content_type):
            bad = check_json(raw, self.max_vertices)
            if bad is not None:
                await send_refusal(send, bad, path)
                return
        replay = _replay(raw, receive)
        if sign_in or basic:
            await self._sign_in(scope, replay, send, _sign_in_name(raw, content_type) if sign_in else basic)
        else:
            await self.app(scope, replay, send)

    async def _sign_in(self, scope: dict[str, Any], receive: Any, send: Any, account: str | None) -> None:
        """Pass a sign-in through unless throttled; count its failure or success from the answer."""
        path = scope.get("path", "")
        address = (scope.get("client") or ("unknown", 0))[0]
        wait = self.throttle.retry_after(account, address)
        if wait:
            access_log.warning("sign-in throttled: account=%r address=%s path=%s", account, address, path)
            message = f"Too many failed sign-ins; try again in {wait} s."
            if path == "/login":  # the browser's form: a page, not problem details
                await _send_text(send, 429, message, [(b"retry-after", str(wait).encode())])
                return
            refusal = Refusal(429, "name", message)
            await send_refusal(send, refusal, path, [(b"retry-after", str(wait).encode())])
            return
        if self.signins_in_flight >= MAX_SIGNINS_IN_FLIGHT:
            refusal = Refusal(429, "name", "too many sign-ins at once; try again in a second")
            await send_refusal(send, refusal, path, [(b"retry-after", b"1")])
            return
        status = 0

        async def watch(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        self.signins_in_flight += 1
        try:
            await self.app(scope, receive, watch)
        finally:
            self.signins_in_flight -= 1
        if status == 401:
            self.throttle.failed(account, address)
            access_log.warning("sign-in failed: account=%r address=%s path=%s", account, address, path)
        elif 200 <= status < 400 and account:
            self.throttle.succeeded(account)


async def _read(receive: Any, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(raw: bytes, receive: Any) -> Any:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


def _counting(receive: Any, limit: int) -> Any:
    """``receive`` that stops a streamed body (no Content-Length) where it passes ``limit``."""
    size = 0

    async def counted() -> dict[str, Any]:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise _TooLarge(limit)
        return dict(message)

    return counted
