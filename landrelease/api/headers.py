"""Security headers on every answer, and the API documentation page served from the package.

Pages get a Content-Security-Policy without inline script (their scripts are files under
``/static``; the page's configuration is a JSON data block, which is never executed), so
markup injected through stored data cannot run. Every answer also says ``nosniff``, may not
be framed, and sends no full referrer to other sites. ``/docs`` is Swagger UI from this
package (``docs_static/swagger-ui``, refreshed by ``scripts/refresh-swagger-ui.sh``): its one
inline script is allowed by its SHA-256 only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_STATIC = Path(__file__).parent / "docs_static"
DOCS_PREFIX = "/docs/static"
# Nothing but data: the API's JSON answers never need to load or run anything.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
COMMON = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"same-origin",
}


def page_policy(basemap_url: str | None = None) -> str:
    """The pages' policy; MapLibre needs blob: workers and data:/blob: images; a base map its origin."""
    extra = ""
    if basemap_url:
        parts = urlsplit(basemap_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            extra = f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{extra}; connect-src 'self'{extra}; font-src 'self'; "
        "worker-src 'self' blob:; child-src blob:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def _docs_html() -> tuple[str, str]:
    """The docs page (local Swagger UI) and its policy (the inline script by hash)."""
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="landrelease API",
        swagger_js_url=f"{DOCS_PREFIX}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_PREFIX}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_PREFIX}/swagger-ui/favicon-32x32.png",
    )
    html = bytes(page.body).decode()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    )
    policy = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    return html, policy


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP answer (a route's own CSP is kept)."""

    def __init__(self, app: Any, basemap_url: str | None = None) -> None:
        self.app = app
        self.page = page_policy(basemap_url).encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                for k, v in COMMON.items():
                    if k not in names:
                        headers.append((k, v))
                if b"content-security-policy" not in names:
                    ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                    policy = self.page if ctype.startswith(b"text/html") else API_POLICY.encode()
                    headers.append((b"content-security-policy", policy))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI, basemap_url: str | None) -> None:
    """Serve /docs from the package and add the headers to every answer."""
    html, policy = _docs_html()
    app.mount(DOCS_PREFIX, StaticFiles(directory=str(DOCS_STATIC)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})

    app.add_middleware(SecurityHeaders, basemap_url=basemap_url)
