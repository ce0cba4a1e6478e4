"""OGC API – Features, Part 1: Core, under ``/ogc`` (GeoJSON, OpenAPI 3.0).

Landing page, conformance, collections, items with ``bbox``/``datetime``/``limit``/``offset``
and next/prev links, single features. QGIS and OWSLib's ``Features`` client read it; a user
signs in with a bearer token or HTTP Basic (QGIS's basic authentication works).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from landrelease.api.params import parse_bbox, parse_datetime, refuse_unknown
from landrelease.api.problems import ApiProblem
from landrelease.api.public import PUBLIC_COLLECTION, Visitor, public_only
from landrelease.services import features as fc
from landrelease.services import public as public_map

GEOJSON = "application/geo+json"
OAS30 = "application/vnd.oai.openapi+json;version=3.0"
MAX_LIMIT = 10_000
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
ITEM_PARAMS = ("bbox", "bbox-crs", "datetime", "limit", "offset", "f", "crs")

router = APIRouter(prefix="/ogc", tags=["OGC API – Features"])


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _spec(collection_id: str) -> fc.CollectionSpec:
    spec = fc.COLLECTIONS.get(collection_id)
    if spec is None:
        raise ApiProblem(404, f"no collection {collection_id!r}; see /ogc/collections", field="collectionId")
    return spec


def _f(f: str | None) -> None:
    if f not in (None, "", "json", "geojson", "application/json", GEOJSON):
        raise ApiProblem(400, "only JSON/GeoJSON is served (f=json)", field="f")


@router.get("", include_in_schema=False)
@router.get("/", summary="Landing page")
def landing(request: Request, visitor: Visitor, f: str | None = None) -> dict[str, Any]:
    _f(f)
    base = _base(request)
    return {
        "title": "landrelease register",
        "description": "Open hazard areas (public safety map); sign in for the register."
        if visitor is None
        else "Hazard areas, settlements, activities and evidence of the land release register.",
        "links": [
            {"href": f"{base}/", "rel": "self", "type": "application/json", "title": "this document"},
            {"href": f"{base}/api", "rel": "service-desc", "type": OAS30, "title": "the API definition"},
            {
                "href": f"{str(request.base_url).rstrip('/')}/docs",
                "rel": "service-doc",
                "type": "text/html",
                "title": "the API documentation",
            },
            {
                "href": f"{base}/conformance",
                "rel": "conformance",
                "type": "application/json",
                "title": "conformance classes",
            },
            {"href": f"{base}/collections", "rel": "data", "type": "application/json", "title": "collections"},
        ],
    }


@router.get("/conformance", summary="Conformance classes")
def conformance(_: Visitor, f: str | None = None) -> dict[str, Any]:
    _f(f)
    return {"conformsTo": CONFORMANCE}


def _collection(request: Request, spec: fc.CollectionSpec, public: bool = False) -> dict[str, Any]:
    base = _base(request)
    bbox, temporal = fc.extents(request.app.state.register, spec)
    extent: dict[str, Any] = {"spatial": {"bbox": [list(bbox) if bbox else [-180.0, -90.0, 180.0, 90.0]], "crs": CRS84}}
    if temporal is not None:
        extent["temporal"] = {
            "interval": [list(temporal)],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    href = f"{base}/collections/{spec.id}"
    return {
        "id": spec.id,
        "title": spec.title,
        "description": "Open hazard areas: code, kind and status, geometry generalised (public safety map)."
        if public
        else spec.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            {"href": href, "rel": "self", "type": "application/json", "title": spec.title},
            {"href": f"{href}/items", "rel": "items", "type": GEOJSON, "title": f"{spec.title} (GeoJSON)"},
        ],
    }


@router.get("/collections", summary="The feature collections")
def collections(request: Request, visitor: Visitor, f: str | None = None) -> dict[str, Any]:
    _f(f)
    base = _base(request)
    specs = [fc.COLLECTIONS[PUBLIC_COLLECTION]] if visitor is None else list(fc.COLLECTIONS.values())
    return {
        "links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
        "collections": [_collection(request, spec, public=visitor is None) for spec in specs],
    }


@router.get("/collections/{collectionId}", summary="One feature collection")
def collection(request: Request, collectionId: str, visitor: Visitor, f: str | None = None) -> dict[str, Any]:
    _f(f)
    if visitor is None:
        public_only(collectionId)
    return _collection(request, _spec(collectionId), public=visitor is None)


@router.get(
    "/collections/{collectionId}/items",
    summary="Features of a collection",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}, "description": "a GeoJSON FeatureCollection"}},
)
def items(
    request: Request,
    collectionId: str,
    principal: Visitor,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (WGS 84)", max_length=400)] = None,
    datetime_: Annotated[
        str | None, Query(alias="datetime", description="RFC 3339 instant or interval", max_length=100)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    f: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    spec = _spec(collectionId)
    refuse_unknown(request, ITEM_PARAMS)
    _f(f)
    crs = request.query_params.get("bbox-crs") or request.query_params.get("crs")
    if crs not in (None, "", CRS84):
        raise ApiProblem(400, f"only {CRS84} is supported", field="bbox-crs")
    q = fc.Query(bbox=parse_bbox(bbox), interval=parse_datetime(datetime_), limit=limit, offset=offset)
    state = request.app.state
    if principal is None:
        public_only(collectionId)
        if q.interval is not None:
            raise ApiProblem(400, "datetime is not offered on the public map", field="datetime")
        digits = state.settings.public_map_precision
        found, matched = public_map.open_areas(state.register, q.bbox, limit, offset, digits)
        texts = [fc.dumps(feat) for feat in found]
        links = _links(request, spec, q, len(texts), matched)
        stamp = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        body = (
            '{"type":"FeatureCollection","features":[' + ",".join(texts) + "],"
            f'"numberMatched":{matched},"numberReturned":{len(texts)},"timeStamp":"{stamp}",'
            f'"links":{fc.dumps(links)}}}'
        )
        return Response(body.encode(), media_type=GEOJSON)
    texts, matched = fc.page_texts(
        state.register, state.page_index, spec, q, personal=principal.user.sees_personal_data
    )
    links = _links(request, spec, q, len(texts), matched)
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    body = (
        '{"type":"FeatureCollection","features":[' + ",".join(texts) + "],"
        f'"numberMatched":{matched},"numberReturned":{len(texts)},"timeStamp":"{stamp}",'
        f'"links":{fc.dumps(links)}}}'
    )
    return Response(body.encode(), media_type=GEOJSON)


def _links(request: Request, spec: fc.CollectionSpec, q: fc.Query, returned: int, matched: int) -> list[dict[str, Any]]:
    base = f"{_base(request)}/collections/{spec.id}/items"
    params = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}

    def href(offset: int) -> str:
        return f"{base}?{urlencode({**params, 'limit': q.limit, 'offset': offset})}"

    links = [
        {"href": href(q.offset), "rel": "self", "type": GEOJSON, "title": "this page"},
        {"href": f"{_base(request)}/collections/{spec.id}", "rel": "collection", "type": "application/json"},
    ]
    if q.offset + returned < matched:
        links.append({"href": href(q.offset + q.limit), "rel": "next", "type": GEOJSON, "title": "next page"})
    if q.offset > 0:
        links.append(
            {"href": href(max(0, q.offset - q.limit)), "rel": "prev", "type": GEOJSON, "title": "previous page"}
        )
    return links


@router.get(
    "/collections/{collectionId}/items/{featureId:path}",
    summary="One feature",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}, "description": "a GeoJSON Feature"}},
)
def item(request: Request, collectionId: str, featureId: str, principal: Visitor, f: str | None = None) -> Response:
    spec = _spec(collectionId)
    _f(f)
    if len(featureId) > 64 or "\x00" in featureId:
        raise ApiProblem(404, "no such feature", field="featureId")
    if principal is None:
        public_only(collectionId)
        state = request.app.state
        found = public_map.open_area(state.register, featureId, state.settings.public_map_precision)
        text = None if found is None else fc.dumps(found)
    else:
        text = fc.feature_text(request.app.state.register, spec, featureId, personal=principal.user.sees_personal_data)
    if text is None:
        raise ApiProblem(404, f"no feature {featureId!r} in {spec.id}", field="featureId")
    base = f"{_base(request)}/collections/{spec.id}"
    links = [
        {"href": f"{base}/items/{quote(featureId, safe='/')}", "rel": "self", "type": GEOJSON},
        {"href": base, "rel": "collection", "type": "application/json"},
    ]
    return Response((text[:-1] + f',"links":{fc.dumps(links)}}}').encode(), media_type=GEOJSON)


# ---------------------------------------------------------------- OpenAPI 3.0


def to_openapi30(doc: dict[str, Any]) -> dict[str, Any]:
    """Rewrite FastAPI's OpenAPI 3.1 document as 3.0.3 (what the OGC oas30 class expects)."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        node = {k: walk(v) for k, v in node.items()}
        for key in ("anyOf", "oneOf"):
            options = node.get(key)
            if isinstance(options, list) and any(o == {"type": "null"} for o in options):
                rest = [o for o in options if o != {"type": "null"}]
                del node[key]
                if len(rest) == 1:
                    node.update(rest[0])
                else:
                    node[key] = rest
                node["nullable"] = True
        t = node.get("type")
        if isinstance(t, list):
            kinds = [k for k in t if k != "null"]
            if "null" in t:
                node["nullable"] = True
            node["type"] = kinds[0] if kinds else "string"
        if "const" in node:
            node["enum"] = [node.pop("const")]
        if "examples" in node and isinstance(node["examples"], list):
            examples = node.pop("examples")
            if examples:
                node["example"] = examples[0]
        for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if isinstance(node.get(bound), int | float) and not isinstance(node.get(bound), bool):
                node[plain] = node.pop(bound)
                node[bound] = True
        for k in ("contentMediaType", "contentEncoding", "$schema", "prefixItems"):
            node.pop(k, None)
        return node

    out = walk(copy.deepcopy(doc))
    out["openapi"] = "3.0.3"
    out.pop("webhooks", None)
    out.get("info", {}).pop("summary", None)
    out.get("info", {}).get("license", {}).pop("identifier", None)
    return out


def openapi30(app: FastAPI) -> dict[str, Any]:
    """The OGC part of the API as an OpenAPI 3.0.3 document."""
    cached = getattr(app.state, "openapi30", None)
    if cached is None:
        full = copy.deepcopy(app.openapi())
        doc = {
            "openapi": full["openapi"],
            "info": {
                "title": "landrelease OGC API – Features",
                "version": "1.0.0",
                "description": "OGC API – Features Part 1 Core over the land release register.",
            },
            "servers": [{"url": "/"}],
            "paths": {p: v for p, v in full["paths"].items() if p.startswith("/ogc")},
            "components": full.get("components", {}),
        }
        doc.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "basic": {"type": "http", "scheme": "basic"},
        }
        doc["security"] = [{"bearer": []}, {"basic": []}]
        cached = to_openapi30(doc)
        app.state.openapi30 = cached
    return cached


@router.get(
    "/api",
    summary="This API's definition (OpenAPI 3.0)",
    response_class=JSONResponse,
    responses={200: {"content": {OAS30: {"schema": {"type": "object"}}}, "description": "the OpenAPI 3.0 document"}},
)
def api_definition(request: Request, f: str | None = None) -> JSONResponse:
    _f(f)
    return JSONResponse(openapi30(request.app), media_type=OAS30)
