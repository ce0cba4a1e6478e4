"""Pulling daily-report submissions from an ODK Central or KoboToolbox server (httpx).

- **ODK Central**: the form's OData service, ``https://HOST/v1/projects/P/forms/FORM.svc``.
  ``GET …/Submissions?$expand=*&$top=N`` with ``Authorization: Bearer TOKEN`` (an app-user
  or session token); repeats come inline (``$expand=*``); newer ones only with
  ``$filter=__system/submissionDate gt T``; pages follow ``@odata.nextLink``.
- **KoboToolbox** (API v2): ``https://HOST/api/v2/assets/UID/data/`` with
  ``Authorization: Token TOKEN``; ``?format=json&limit=N``, newer ones only with
  ``query={"_submission_time": {"$gt": T}}``; pages follow ``next``.

Which server a URL is, is read from its path (``.svc`` or ``/api/v2/assets/``). Nothing
is stored here: the submissions go through :mod:`landrelease.io.kobo` to the intake
service, which is idempotent, so pulling the same submissions twice stores them once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx

from landrelease.domain.errors import Problem, ValidationError
from landrelease.io.kobo import RawSubmission, from_kobo_json, from_odata_json

PAGE = 250
MAX_PAGES = 10_000


def server_kind(url: str) -> str:
    """``odk-central`` or ``kobotoolbox`` from the URL's path; refused otherwise.

    >>> server_kind("https://central.example.org/v1/projects/3/forms/landrelease_daily_report.svc")
    'odk-central'
    >>> server_kind("https://kf.example.org/api/v2/assets/aBc123/data/")
    'kobotoolbox'
    """
    path = httpx.URL(url).path
    if path.rstrip("/").endswith(".svc") or ".svc/" in path:
        return "odk-central"
    if "/api/v2/assets/" in path:
        return "kobotoolbox"
    raise ValidationError(
        [
            Problem(
                "not a form's submission address this client knows",
                field="url",
                found=url,
                expected="ODK Central …/v1/projects/P/forms/FORM.svc or KoboToolbox …/api/v2/assets/UID/data/",
            )
        ],
        summary="pull refused",
    )


def pull(url: str, token: str, *, since: datetime | None = None, timeout: float = 30.0) -> list[RawSubmission]:
    """Every submission on the server (newer than ``since`` when given), all pages."""
    kind = server_kind(url)
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        if kind == "odk-central":
            return _pull_odata(client, url, token, since)
        return _pull_kobo(client, url, token, since)


def _get(client: httpx.Client, url: str, headers: dict[str, str], params: dict[str, Any] | None) -> Any:
    try:
        resp = client.get(url, headers=headers, params=params)
    except httpx.HTTPError as exc:
        raise ValidationError(
            [Problem(f"server not reachable: {exc}", field="url", found=url)], summary="pull failed"
        ) from exc
    if resp.status_code in (401, 403):
        raise ValidationError(
            [Problem("the server refused the token", field="token", found=str(resp.status_code))], summary="pull failed"
        )
    if resp.status_code != 200:
        raise ValidationError(
            [Problem(f"the server answered {resp.status_code}", field="url", found=url)], summary="pull failed"
        )
    try:
        return resp.json()
    except json.JSONDecodeError as exc:
        raise ValidationError(
            [Problem("the server's answer is not JSON", field="url", found=url)], summary="pull failed"
        ) from exc


def _pull_odata(client: httpx.Client, url: str, token: str, since: datetime | None) -> list[RawSubmission]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    params: dict[str, Any] | None = {"$expand": "*", "$top": PAGE}
    if since is not None and params is not None:
        params["$filter"] = f"__system/submissionDate gt {since.isoformat().replace('+00:00', 'Z')}"
    nxt: str | None = url.rstrip("/") + "/Submissions"
    out: list[RawSubmission] = []
    for _ in range(MAX_PAGES):
        if nxt is None:
            break
        doc = _get(client, nxt, headers, params)
        out += from_odata_json(doc.get("value") or [], "odk-central")
        nxt, params = doc.get("@odata.nextLink"), None
    return out


def _pull_kobo(client: httpx.Client, url: str, token: str, since: datetime | None) -> list[RawSubmission]:
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    params: dict[str, Any] | None = {"format": "json", "limit": PAGE}
    if since is not None and params is not None:
        params["query"] = json.dumps({"_submission_time": {"$gt": since.strftime("%Y-%m-%dT%H:%M:%S")}})
    nxt: str | None = url
    out: list[RawSubmission] = []
    for _ in range(MAX_PAGES):
        if nxt is None:
            break
        doc = _get(client, nxt, headers, params)
        out += from_kobo_json(doc.get("results") or [], "kobotoolbox")
        nxt, params = doc.get("next"), None
    return out
