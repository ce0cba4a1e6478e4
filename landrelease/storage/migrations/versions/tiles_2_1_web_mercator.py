"""tiles: on PostGIS, each hazard area's geometry kept in Web Mercator (a generated column with
its GiST index), so a tile selects and clips without reprojecting every area of every tile

Revision ID: tiles_2_1
Revises: sec_a_1
"""

from __future__ import annotations

from alembic import op

revision = "tiles_2_1"
down_revision = "sec_a_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite projects in Python, per tile (its low zooms read the version's index)
    op.execute(
        "ALTER TABLE hazard_area ADD COLUMN geom_3857 geometry "
        "GENERATED ALWAYS AS (ST_Transform(geometry, 3857)) STORED"
    )
    op.execute("CREATE INDEX ix_hazard_area_geom_3857_gist ON hazard_area USING gist (geom_3857)")
    op.execute("ANALYZE hazard_area")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_hazard_area_geom_3857_gist")
    op.execute("ALTER TABLE hazard_area DROP COLUMN IF EXISTS geom_3857")
