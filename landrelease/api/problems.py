"""RFC 9457 problem details: every refusal of the API says what was wrong and which field.

Bad input is answered with a 4xx whose JSON body names the field (``errors[].field``), never
with a 500 and never after a partial write (every write is one unit of work).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from landrelease.domain.authority import Forbidden
from landrelease.domain.errors import ConflictError, LandreleaseError, Problem

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("landrelease.api")

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Input refused",
    429: "Too many requests",
    500: "Internal error",
}


class ApiProblem(Exception):
    """Raise anywhere in a request to answer with a problem-details body."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors if errors is not None else ([{"field": field, "message": detail}] if field else [])
        self.headers = headers


def problem_response(
    status: int,
    detail: str,
    instance: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_errors(problems: list[Problem]) -> list[dict[str, Any]]:
    out = []
    for p in problems:
        item: dict[str, Any] = {"field": p.field, "message": p.message}
        if p.record is not None:
            item["record"] = p.record
        if p.found is not None:
            item["found"] = p.found
        if p.expected is not None:
            item["expected"] = p.expected
        out.append(item)
    return out


def _field_of(loc: tuple[Any, ...]) -> str:
    """``("body", "geometry", "coordinates", 0)`` → ``geometry.coordinates.0``; ``("query","bbox")`` → ``bbox``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


SECRET_FIELDS = frozenset({"password", "new_password", "secret", "token", "secret_key", "access_token"})


def _safe(value: Any, field: str = "") -> Any:
    """The submitted value, if it may be shown back: short, encodable as strict JSON, not a secret."""
    if field.rsplit(".", 1)[-1] in SECRET_FIELDS:
        return None
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return value if len(text) < 200 else None


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at this request's path (each tried in turn)."""
    methods: set[str] = set()
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            methods.add(method)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem details."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, request.url.path, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            kind = e.get("type", "")
            loc = tuple(e.get("loc", ()))
            field = _field_of(loc)
            if kind == "json_invalid":
                message = "the body is not valid JSON"
                field = "body"
            elif kind == "extra_forbidden":
                message = "unknown field"
            else:
                message = str(e.get("msg", "invalid"))
            item: dict[str, Any] = {"field": field, "message": message}
            found = _safe(e.get("input"), field)
            if found is not None and kind != "missing" and not isinstance(found, dict | list):
                item["found"] = found
            errors.append(item)
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        status = 400 if any(str(e.get("loc", ("",))[0]) in ("query", "path") for e in exc.errors()) else 422
        return problem_response(status, f"input refused: {fields}", request.url.path, errors)

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> JSONResponse:
        return problem_response(409, exc.summary, request.url.path, problem_errors(exc.problems))

    @app.exception_handler(LandreleaseError)
    async def _domain(request: Request, exc: LandreleaseError) -> JSONResponse:
        if isinstance(exc, Forbidden):
            return problem_response(403, exc.summary, request.url.path, problem_errors(exc.problems))
        return problem_response(422, exc.summary, request.url.path, problem_errors(exc.problems))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            # Starlette names only the first route that matched the path; say every method that works.
            allowed = allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed here; allowed: {', '.join(allowed)}"
        return problem_response(exc.status_code, detail, request.url.path, headers=headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - a bug
        log.exception("unexpected error on %s", request.url.path)
        return problem_response(500, "internal error; nothing was written", request.url.path)

    document_problems(app)


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; errors[] names each refused field",
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "message": {"type": "string"},
                    "record": {},
                    "found": {},
                    "expected": {},
                },
            },
        },
    },
}


def document_problems(app: FastAPI) -> None:
    """Make the OpenAPI document say what the API answers on refusal: every operation may
    answer a 4xx with ``application/problem+json`` (not FastAPI's default 422 JSON body), so
    clients and the schema tests can check error responses against the schema too."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = build()
        doc.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        ref = {"$ref": "#/components/schemas/Problem"}
        refusal = {
            "description": "refused: the problem names what was wrong",
            "content": {PROBLEM_JSON: {"schema": ref}},
        }
        for item in doc.get("paths", {}).values():
            for method, op in item.items():
                if method not in ("get", "put", "post", "patch", "delete") or not isinstance(op, dict):
                    continue
                responses = op.setdefault("responses", {})
                for code in [c for c in responses if str(c).startswith("4")]:
                    responses[code] = {**refusal, "description": responses[code].get("description", "refused")}
                responses.setdefault("4XX", refusal)
        doc["components"]["schemas"].pop("HTTPValidationError", None)
        doc["components"]["schemas"].pop("ValidationError", None)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
