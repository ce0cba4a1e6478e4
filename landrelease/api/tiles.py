"""The vector tile route: checks the tile address, asks the tile service, and sends the tile
gzip-compressed when the client accepts it (MVT compresses to about a third, and browsers
decompress it for MapLibre as for any response).

An anonymous visitor (when the public safety map is on) gets the public tile: open hazard
areas, code/kind/status only, geometry generalised. The tiles themselves are built in
storage (ST_AsMVT on PostGIS, Shapely and a vectorised encoder on SQLite) behind :mod:`landrelease.services.tiles`.
"""

from __future__ import annotations

import gzip

from fastapi import APIRouter, Request
from fastapi.responses import Response

from landrelease.api.problems import ApiProblem
from landrelease.api.public import Visitor, public_only
from landrelease.services import tiles as service
from landrelease.services.tiles import TILE_COLLECTIONS, TileCache, tile_bounds

MVT = "application/vnd.mapbox-vector-tile"
GZIP_LEVEL = 5  # about as small as 9 for MVT, at a fraction of the time

__all__ = ["MVT", "TileCache", "router", "tile_bounds"]

router = APIRouter(tags=["vector tiles"])


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (``gzip;q=0`` refuses it)."""
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().lower()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


@router.get(
    "/tiles/{collection}/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={200: {"content": {MVT: {}}, "description": "a Mapbox vector tile"}},
    summary="A vector tile of hazard areas or settlements",
)
def tile(request: Request, collection: str, z: int, x: int, y: int, visitor: Visitor) -> Response:
    if collection not in TILE_COLLECTIONS:
        raise ApiProblem(404, f"no tiles for {collection!r} (have: {', '.join(TILE_COLLECTIONS)})", field="collection")
    if not 0 <= z <= 22:
        raise ApiProblem(400, "zoom must be 0…22", field="z")
    if not (0 <= x < 2**z):
        raise ApiProblem(400, f"x must be 0…{2**z - 1} at zoom {z}", field="x")
    if not (0 <= y < 2**z):
        raise ApiProblem(400, f"y must be 0…{2**z - 1} at zoom {z}", field="y")
    state = request.app.state
    public_digits = None
    if visitor is None:  # the public safety map (when it is on): open areas, generalised
        public_only(collection)
        public_digits = state.settings.public_map_precision
    data, version = service.tile(state.register, state.tile_cache, collection, z, x, y, public_digits=public_digits)
    headers = {"Cache-Control": "private, max-age=30", "Vary": "Accept-Encoding"}
    if data and accepts_gzip(request.headers.get("accept-encoding", "")):
        data = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
        headers["Content-Encoding"] = "gzip"
        headers["ETag"] = f'"{version}-{z}-{x}-{y}-gz"'
    else:
        headers["ETag"] = f'"{version}-{z}-{x}-{y}"'
    return Response(data, media_type=MVT, headers=headers)
