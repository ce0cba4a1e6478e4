"""Import benchmark: `landrelease import` of N polygons into a fresh SQLite register vs `ogr2ogr`.

Generates N hazard-area polygons (vectorised Shapely, written with pyogrio) as a
GeoPackage, then, in one run, times

* ``landrelease import FILE`` (the CLI, in a subprocess, into a new SQLite file: reading,
  every validation check, metric areas, storage with its R*Tree and audit event), and
* ``ogr2ogr -f GPKG new.gpkg FILE`` (GDAL copying the same file into a new GeoPackage).

Each side runs three times (``--runs``), alternating, each into a fresh file; the medians
are printed. Prints ``name=value`` lines, ``ratio=`` (median import / median ogr2ogr, both
whole commands) on a line of its own, the import's peak resident memory ``peak_mb=``, and ``import_core_seconds=`` (the
import as the command reports it, without starting Python and loading the CLI). ``--million`` runs 1,000,000 polygons;
``--smoke`` runs ~2,000 in a few seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parents[1]


def polygons(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    """N star-shaped (hence valid) polygons of 12 vertices, 50–300 m across, in one UTM zone."""
    rng = np.random.default_rng(seed)
    k = 12
    cx = rng.uniform(46.0, 47.5, n)
    cy = rng.uniform(39.5, 40.5, n)
    angles = np.sort(rng.uniform(0, 2 * np.pi, (n, k)), axis=1)
    radius = rng.uniform(0.0005, 0.003, (n, 1)) * (1 + 0.3 * rng.uniform(-1, 1, (n, k)))
    x = cx[:, None] + radius * np.cos(angles)
    y = cy[:, None] + radius * np.sin(angles)
    xy = np.stack([np.concatenate([x, x[:, :1]], 1), np.concatenate([y, y[:, :1]], 1)], -1).reshape(-1, 2)
    rings = shapely.linearrings(xy, indices=np.repeat(np.arange(n), k + 1))
    geoms = shapely.polygons(rings)
    geoms = np.where(shapely.is_valid(geoms), geoms, shapely.convex_hull(geoms))  # the odd degenerate star
    return gpd.GeoDataFrame(
        pd.DataFrame(
            {
                "code": [f"HA-{i:07d}" for i in range(n)],
                "kind": rng.choice(["SHA", "CHA"], n),
                "land_use": rng.choice(["road", "farmland", "forest", "settlement", "other"], n),
                "status": "open",
                "operator": rng.choice(["ANAMA", "HALO", "NPA"], n),
                "region": rng.choice(["north", "south", "east", "west"], n),
            }
        ),
        geometry=geoms,
        crs=4326,
    )


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MB) and output of one child process (its own rusage, from wait4)."""
    with tempfile.TemporaryFile("w+") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            log.seek(0)
            sys.stderr.write(log.read())
            raise SystemExit(f"failed: {' '.join(cmd)}")
        log.seek(0)
        output = log.read()
    return seconds, usage.ru_maxrss // 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100_000, help="number of polygons (default 100,000)")
    parser.add_argument("--million", action="store_true", help="1,000,000 polygons")
    parser.add_argument("--smoke", action="store_true", help="~2,000 polygons, a few seconds")
    parser.add_argument(
        "--runs", type=int, default=None, help="runs of each side; medians are printed (default 3, smoke 1)"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="where to write the files (default: a temp dir)")
    parser.add_argument("--generate", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = 2_000 if args.smoke else 1_000_000 if args.million else args.n
    args.runs = args.runs or (1 if args.smoke else 3)
    if args.generate is not None:
        pyogrio.write_dataframe(polygons(n), args.generate, layer="hazard_areas", use_arrow=True)
        return

    work = args.workdir or Path(tempfile.mkdtemp(prefix="landrelease-import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    src, db, copy = work / "areas.gpkg", work / "register.db", work / "copy.gpkg"
    for p in (src, db, copy, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    try:
        start = time.perf_counter()
        # generated in a child process: a forked child would otherwise count this process's memory as its own peak
        subprocess.run([sys.executable, __file__, "--generate", str(src), "-n", str(n)], check=True)
        print(f"polygons={n}")
        print(f"generate_seconds={time.perf_counter() - start:.2f}")

        imports: list[float] = []
        cores: list[float] = []
        ogrs: list[float] = []
        peaks: list[int] = []
        for run in range(args.runs):
            # each run into a fresh register and a fresh copy, the two sides alternating
            for p in (db, copy, Path(f"{db}-wal"), Path(f"{db}-shm")):
                p.unlink(missing_ok=True)
            env = {**os.environ, "LANDRELEASE_DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT)}
            # the register's tables exist beforehand, as in use; the import itself is what is timed
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"from landrelease.storage.repository import Register; Register.open('sqlite:///{db}').close()",
                ],
                env=env,
                check=True,
            )
            import_seconds, peak_mb, output = timed([sys.executable, "-m", "landrelease", "import", str(src)], env)
            ogr_seconds, _, _ = timed(["ogr2ogr", "-f", "GPKG", str(copy), str(src)])
            # the command's own report: the time of the import itself, without starting Python and the CLI
            core = re.search(r"stored in ([\d,.]+) s", " ".join(output.split()))

            import sqlite3

            with sqlite3.connect(db) as conn:
                stored = conn.execute("SELECT count(*) FROM hazard_area").fetchone()[0]
            if stored != n:
                raise SystemExit(f"run {run + 1}: stored {stored} of {n} polygons")
            imports.append(import_seconds)
            ogrs.append(ogr_seconds)
            peaks.append(peak_mb)
            if core:
                cores.append(float(core.group(1).replace(",", "")))
            print(f"# run {run + 1}: import {import_seconds:.2f} s, ogr2ogr {ogr_seconds:.2f} s", flush=True)
        print(f"stored={n}")
        print(f"runs={args.runs}")
        print(f"import_seconds={statistics.median(imports):.2f}")
        if cores:
            print(f"import_core_seconds={statistics.median(cores):.2f}")
        print(f"ogr2ogr_seconds={statistics.median(ogrs):.2f}")
        print(f"ratio={statistics.median(imports) / statistics.median(ogrs):.2f}")
        print(f"peak_mb={max(peaks)}")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
