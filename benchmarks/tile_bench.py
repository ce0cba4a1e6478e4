"""Tile benchmark: vector tiles built uncached, on SQLite (Python encoder) and PostGIS (ST_AsMVT).

The sample generator's region with 100,000 hazard areas is stored once per backend (the
SQLite file and the PostGIS database are kept under /tmp and in a database named after the
sample, and reused by later runs). Then 200 tiles drawn at random (zoom 6–14, each over
the region) are each built once through the same service the API's tile route calls,
with no tile cache in front: every figure is a cold tile.

Prints ``tile_uncached_p50_ms_sqlite=``, ``tile_uncached_p99_ms_sqlite=`` and the same for
``postgis`` (plus ``*_max_ms_*``, the mean tile size, and the first low-zoom tile of a data
version, which also builds the version's index: ``tile_first_lowzoom_after_write_ms_*``).
``--smoke`` uses 2,000 areas and 30 tiles. PostGIS is skipped with a message when the server cannot be reached (outside
``--smoke`` that is an error: the figure would be missing).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("LANDRELEASE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CACHE = Path(os.environ.get("LANDRELEASE_BENCH_CACHE", "/tmp/landrelease-bench"))
SEED = 20201110


def say(text: str) -> None:
    print(text, flush=True)


def schema_head() -> str:
    """The newest migration: a kept sample is only reused by code with the same schema (a
    register at a revision the code does not know cannot be opened)."""
    from alembic.script import ScriptDirectory

    from landrelease.storage.database import alembic_config

    return str(ScriptDirectory.from_config(alembic_config(None)).get_current_head())  # type: ignore[arg-type]


def sqlite_register(n: int) -> str:
    """The SQLite register of the ``n``-area sample, built once and kept under /tmp."""
    from landrelease.samples import generate
    from landrelease.services.importing import store_scenario
    from landrelease.storage.repository import Register

    CACHE.mkdir(parents=True, exist_ok=True)
    db = CACHE / f"tiles-{n}-{SEED}-{schema_head()}.db"
    url = f"sqlite:///{db}"
    if not db.exists():
        t = time.perf_counter()
        part = db.with_suffix(".part")
        part.unlink(missing_ok=True)
        register = Register.open(f"sqlite:///{part}")
        store_scenario(register, generate(n, seed=SEED))
        register.close()
        part.rename(db)
        say(f"# stored {n} hazard areas in SQLite in {time.perf_counter() - t:.0f} s ({db})")
    return url


def postgis_register(n: int) -> str | None:
    """A PostGIS database holding the same sample (kept between runs); None when unreachable."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except Exception as exc:
        say(f"# PostGIS unreachable at {PG_ADMIN_URL}: {exc}")
        return None
    from landrelease.samples import generate
    from landrelease.services.importing import store_scenario
    from landrelease.storage.repository import Register

    name = f"landrelease_tilebench_{n}_{SEED}_{schema_head()}"
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = base.replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            with psycopg.connect(f"{base}/{name}", autocommit=True) as db:
                done = db.execute("SELECT obj_description('hazard_area'::regclass)").fetchone()
            if done and done[0] == "complete":
                return url
            admin.execute(f'DROP DATABASE "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(f"{base}/{name}", autocommit=True) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    t = time.perf_counter()
    register = Register.open(url)
    store_scenario(register, generate(n, seed=SEED))
    register.close()
    with psycopg.connect(f"{base}/{name}", autocommit=True) as db:
        db.execute("ANALYZE")
        db.execute("COMMENT ON TABLE hazard_area IS 'complete'")
    say(f"# stored {n} hazard areas in PostGIS in {time.perf_counter() - t:.0f} s (database {name})")
    return url


def random_tiles(bounds: tuple[float, float, float, float], count: int, seed: int) -> list[tuple[int, int, int]]:
    """``count`` tiles, zoom uniform over 6–14, each at a uniformly drawn point of the region."""
    rng = random.Random(seed)
    west, south, east, north = bounds
    out = []
    for _ in range(count):
        z = rng.randint(6, 14)
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        x = int((lon + 180) / 360 * 2**z)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
        out.append((z, x, y))
    return out


def measure(url: str, tiles: list[tuple[int, int, int]], label: str) -> None:
    from landrelease.services import tiles as tile_service
    from landrelease.services.features import hazard_extent
    from landrelease.storage.repository import Register

    register = Register.open(url)
    try:
        extent = hazard_extent(register)
        assert extent is not None
        # The first low-zoom tile of a data version also builds that version's index of the
        # areas' boxes (as after every write): timed on its own, then the 200 tiles.
        lon, lat = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
        first = (6, int((lon + 180) / 360 * 64), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 64))
        t = time.perf_counter()
        tile_service.tile(register, None, "hazard-areas", *first)
        first_ms = (time.perf_counter() - t) * 1000
        times, sizes = [], []
        for z, x, y in tiles:
            t = time.perf_counter()
            data, _ = tile_service.tile(register, None, "hazard-areas", z, x, y)
            times.append((time.perf_counter() - t) * 1000)
            sizes.append(len(data))
    finally:
        register.close()
    a = np.asarray(times)
    say(f"tile_uncached_p50_ms_{label}={np.percentile(a, 50):.1f}")
    say(f"tile_uncached_p99_ms_{label}={np.percentile(a, 99):.1f}")
    say(f"tile_uncached_max_ms_{label}={a.max():.1f}")
    say(f"tile_mean_kb_{label}={np.mean(sizes) / 1024:.1f}")
    say(f"tile_first_lowzoom_after_write_ms_{label}={first_ms:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="2,000 areas, 30 tiles")
    parser.add_argument("--areas", type=int, default=None)
    parser.add_argument("--tiles", type=int, default=None)
    parser.add_argument("--backend", choices=["both", "sqlite", "postgis"], default="both")
    args = parser.parse_args()
    n = args.areas or (2_000 if args.smoke else 100_000)
    count = args.tiles or (30 if args.smoke else 200)
    say(f"areas={n}")
    say(f"tiles={count}")
    urls: list[tuple[str, str]] = []
    if args.backend in ("both", "sqlite"):
        urls.append(("sqlite", sqlite_register(n)))
    if args.backend in ("both", "postgis"):
        pg = postgis_register(n)
        if pg is None:
            if not args.smoke:
                say("# PostGIS figures missing: start PostgreSQL (pg_ctlcluster 15 main start)")
                return 1
        else:
            urls.append(("postgis", pg))
    from sqlalchemy import create_engine, text

    engine = create_engine(urls[0][1])
    with engine.connect() as conn:
        b = conn.execute(text("SELECT min(minx), min(miny), max(maxx), max(maxy) FROM hazard_area")).one()
    engine.dispose()
    tiles = random_tiles((float(b[0]), float(b[1]), float(b[2]), float(b[3])), count, seed=7)
    for label, url in urls:
        measure(url, tiles, label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
