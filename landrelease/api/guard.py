"""The request guard: an ASGI layer in front of the API that refuses what would cost too much
or could not be answered, before any route parses it.

- A JSON body must be UTF-8, nested at most ``MAX_DEPTH`` deep, hold no ``NaN``/``Infinity``
  (JSON has no such numbers; Python's parser accepts them and nothing after could encode
  them back), and no geometry with more than ``max_vertices`` positions. Each refusal is a
  problem-details body naming where: a byte offset, a line and column, or the field path
  (``released.0.geometry``). Submitted values are never echoed or logged here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from landrelease.api.problems import PROBLEM_JSON, TITLES

MAX_DEPTH = 32
DEFAULT_MAX_VERTICES = 50_000


class _NonFinite:
    """What ``NaN``, ``Infinity`` and ``-Infinity`` parse to here, so they can be found by path."""

    __slots__ = ()


_NON_FINITE = _NonFinite()


def _constant(_: str) -> _NonFinite:
    return _NON_FINITE


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


def _path(parts: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in parts) or "body"


def _positions(coords: Any, limit: int) -> int:
    """How many positions a GeoJSON ``coordinates`` value holds (stops counting past ``limit``)."""
    count = 0
    stack = [coords]
    while stack and count <= limit:
        node = stack.pop()
        if isinstance(node, list):
            if node and not isinstance(node[0], list):
                count += 1
            else:
                stack.extend(node)
    return count


def check_json(raw: bytes, max_vertices: int = DEFAULT_MAX_VERTICES) -> Refusal | None:
    """None when ``raw`` is a JSON body the routes may parse; else why not, naming where."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Refusal(422, "body", f"the body is not UTF-8 (byte {exc.start}); send JSON in UTF-8")
    try:
        doc = json.loads(text, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        return Refusal(422, "body", f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:
        return Refusal(422, "body", f"the body is nested deeper than {MAX_DEPTH} levels")
    # Walk without recursion: find non-finite numbers, too-deep nesting and oversized geometries.
    stack: list[tuple[Any, tuple[Any, ...]]] = [(doc, ())]
    while stack:
        node, where = stack.pop()
        if node is _NON_FINITE:
            return Refusal(422, _path(where), "NaN and Infinity are not numbers in JSON; send a finite number")
        if len(where) > MAX_DEPTH:
            return Refusal(422, _path(where), f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            coords = node.get("coordinates")
            if isinstance(coords, list) and _positions(coords, max_vertices) > max_vertices:
                return Refusal(
                    422, _path(where) if where else "geometry", f"a geometry has more than {max_vertices:,} vertices"
                )
            stack.extend((v, (*where, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*where, i)) for i, v in enumerate(node))
    return None


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def send_refusal(send: Any, refusal: Refusal, instance: str, headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    """Answer a refusal directly (the app is never called)."""
    body = refusal.body(instance)
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware: checks JSON bodies before the app parses them (see the module docstring)."""

    def __init__(self, app: Any, max_vertices: int = DEFAULT_MAX_VERTICES) -> None:
        self.app = app
        self.max_vertices = max_vertices

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if not is_json(headers.get(b"content-type", b"").decode("latin-1")):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        if raw:
            refusal = check_json(raw, self.max_vertices)
            if refusal is not None:
                await send_refusal(send, refusal, scope.get("path", ""))
                return
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
