"""Query parameters shared by the REST and OGC APIs, refused by name when malformed."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

from fastapi import Request

from landrelease.api.problems import ApiProblem
from landrelease.services.features import BBox, Interval

# A record's code: a new code has no ``/``; codes the register derives from another hold one
# or more (``HA-000149/1`` for a remainder, ``HA-000001/clearance/3`` for a task), so a code
# that refers to a record may have ``/``-separated parts. 64 characters at most.
NEW_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*(/[A-Za-z0-9_.:\-]+)*$"
CODE_LENGTH = 64
TEXT_PATTERN = r"^[^\x00-\x1f]{1,120}$"


def is_code(text: str) -> bool:
    """True for a well-formed code (new or derived) of at most 64 characters."""
    return len(text) <= CODE_LENGTH and re.fullmatch(CODE_PATTERN, text) is not None


def parse_bbox(text: str | None, field: str = "bbox") -> BBox | None:
    """``minLon,minLat,maxLon,maxLat`` in WGS 84 (6 numbers: the heights are ignored)."""
    if text is None or text == "":
        return None
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise ApiProblem(400, "bbox needs 4 numbers: minLon,minLat,maxLon,maxLat", field=field)
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise ApiProblem(400, "bbox values must be numbers", field=field) from None
    if not all(math.isfinite(n) for n in nums):
        raise ApiProblem(400, "bbox values must be finite numbers", field=field)
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    minx, miny, maxx, maxy = nums
    if minx > maxx or miny > maxy:
        raise ApiProblem(400, "bbox minimum is greater than its maximum", field=field)
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise ApiProblem(400, "bbox is outside longitude −180…180 / latitude −90…90", field=field)
    return (minx, miny, maxx, maxy)


def _moment(text: str, field: str) -> datetime | None:
    if text in ("", ".."):
        return None
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        value = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise ApiProblem(400, f"not an RFC 3339 date or date-time: {text[:40]!r}", field=field) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_datetime(text: str | None, field: str = "datetime") -> Interval | None:
    """A date-time, or an interval ``start/end`` with ``..`` (or nothing) for an open end."""
    if text is None or text == "":
        return None
    if "/" in text:
        left, _, right = text.partition("/")
        if "/" in right:
            raise ApiProblem(400, "an interval has one '/'", field=field)
        start, end = _moment(left, field), _moment(right, field)
        if start is None and end is None:
            raise ApiProblem(400, "an interval needs at least one end", field=field)
        if start is not None and end is not None and start > end:
            raise ApiProblem(400, "interval start is after its end", field=field)
        return (start, end)
    moment = _moment(text, field)
    if moment is None:
        raise ApiProblem(400, "'..' alone is not a date-time", field=field)
    if len(text) == 10:  # a whole day
        return (moment, moment.replace(hour=23, minute=59, second=59))
    return (moment, moment)


def refuse_unknown(request: Request, allowed: Iterable[str]) -> None:
    """OGC API – Features: a query parameter the API does not define is a 400."""
    known = set(allowed)
    for name in request.query_params:
        if name not in known:
            raise ApiProblem(400, f"unknown query parameter {name!r}", field=name)
