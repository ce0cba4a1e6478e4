"""A geometry column that is WKB in SQLite and a PostGIS geometry in PostgreSQL.

Python code always sees Shapely geometries in EPSG:4326, whichever backend is used.
"""

from __future__ import annotations

from typing import Any

import shapely
from geoalchemy2 import Geometry
from shapely.geometry.base import BaseGeometry
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

SRID = 4326


class GeometryType(TypeDecorator[BaseGeometry]):
    impl = LargeBinary
    cache_ok = True
    # GeoAlchemy2's DDL events look for this attribute on every column type; the GiST
    # index is declared explicitly in the schema instead.
    spatial_index = False

    def __init__(self, geometry_type: str = "GEOMETRY") -> None:
        super().__init__()
        self.geometry_type = geometry_type

    def load_dialect_impl(self, dialect: Dialect | None) -> TypeEngine[Any]:
        if dialect is not None and dialect.name == "postgresql":
            return dialect.type_descriptor(Geometry(self.geometry_type, srid=SRID, spatial_index=False))
        return LargeBinary() if dialect is None else dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: BaseGeometry | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return shapely.to_wkb(shapely.set_srid(value, SRID), hex=True, include_srid=True)
        return shapely.to_wkb(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> BaseGeometry | None:
        if value is None:
            return None
        data = getattr(value, "data", value)
        return shapely.from_wkb(bytes(data) if isinstance(data, memoryview) else data)

    def __repr__(self) -> str:
        return f"GeometryType({self.geometry_type!r})"
