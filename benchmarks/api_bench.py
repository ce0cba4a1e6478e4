"""API benchmark: landrelease's OGC items endpoint against pygeoapi on the same data.

Both servers run on loopback with 2 worker processes and serve the same hazard areas
(landrelease from its SQLite register, pygeoapi from a GeoPackage written from the same
scenario, OGR provider). One client (a small asyncio HTTP/1.1 keep-alive load generator)
sends the same page requests (``limit=100``, offsets spread over the data) at 16
concurrent connections to each, one after the other. Then: a zoom-8 vector tile over the
whole sample region (cold = first build, warm = from the tile cache), and the map page's
first render in headless Chromium.

Two comparisons of the items endpoint:

- cached: landrelease as configured by default (ids per filter and feature texts kept per
  data version, so a repeated page is a dictionary lookup) against pygeoapi, both on the same
  500 pages: ``ratio_vs_pygeoapi=``;
- uncached, the fair one: landrelease with its caches off (``LANDRELEASE_CACHES=false``) and
  request parameters that never repeat (every request a fresh offset, half of them with a
  fresh bbox), the same sequence sent to pygeoapi: ``ratio_vs_pygeoapi_nocache=``. A second
  pair serves the same sample from PostGIS: landrelease on its PostGIS backend against
  pygeoapi's PostgreSQL provider on the same table: ``ratio_vs_pygeoapi_postgres_nocache=``.

Before a ratio is printed the peer's answers to a sample of the requests are compared with
ours (status 200 and the same number of features); a ratio over answers that differ is not
printed and the run fails. Outside ``--smoke`` a peer that cannot be built fails the run
(``--no-peer`` leaves the peer out on purpose).

Prints ``name=value`` lines, among them ``ratio_vs_pygeoapi=``, ``ratio_vs_pygeoapi_nocache=``,
``p99_ms=``, ``tile_p50_ms=`` and ``first_render_ms=``. ``--smoke`` uses a small region, no
peer and short runs (for CI). The pygeoapi peer lives in a venv under /tmp (Debian's python3
with python3-gdal, system site packages; pygeoapi, gunicorn and the PostgreSQL provider's
psycopg2, SQLAlchemy and GeoAlchemy2); the script builds it when missing.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PEER_VENV = Path(os.environ.get("LANDRELEASE_PEER_VENV", "/tmp/landrelease-pygeoapi"))
OUT = ROOT / "benchmarks" / "out"
ADMIN_PASSWORD = "benchmark-password-1"
PAGE = 100
CONCURRENCY = 16


T0 = time.perf_counter()


def say(text: str) -> None:
    print(text, flush=True)
    if os.environ.get("LANDRELEASE_BENCH_TRACE"):
        print(f"# t={time.perf_counter() - T0:.1f}s", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- data


def build_data(n: int, seed: int, folder: Path) -> tuple[str, Path, tuple[float, float, float, float]]:
    """The register (SQLite) and the same hazard areas as a GeoPackage; reused when present."""
    import geopandas as gpd

    from landrelease.samples import generate
    from landrelease.services.importing import store_scenario
    from landrelease.storage.repository import Register

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"register-{n}-{seed}.db"
    gpkg = folder / f"areas-{n}-{seed}.gpkg"
    url = f"sqlite:///{db}"
    if not db.exists() or not gpkg.exists():
        for p in (db, gpkg):
            p.unlink(missing_ok=True)
        t = time.perf_counter()
        sc = generate(n, seed=seed)
        register = Register.open(url)
        store_scenario(register, sc)
        register.close()
        frame = gpd.GeoDataFrame(
            {
                "code": [a.code for a in sc.hazard_areas],
                "name": [a.name for a in sc.hazard_areas],
                "kind": [a.kind.value for a in sc.hazard_areas],
                "status": [a.status.value for a in sc.hazard_areas],
                "land_use": [a.land_use.value for a in sc.hazard_areas],
                "operator": [a.operator for a in sc.hazard_areas],
                "region": [a.region for a in sc.hazard_areas],
                "clutter": [a.clutter.value for a in sc.hazard_areas],
            },
            geometry=[a.geometry for a in sc.hazard_areas],
            crs="EPSG:4326",
        )
        frame.to_file(gpkg, layer="areas", driver="GPKG", dataset_options={"VERSION": "1.2"})
        say(f"# built {n} hazard areas in {time.perf_counter() - t:.0f} s")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        bbox = conn.execute(text("SELECT min(minx), min(miny), max(maxx), max(maxy) FROM hazard_area")).one()
    engine.dispose()
    return url, gpkg, (float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3]))


# ---------------------------------------------------------------- servers


def wait_http(url: str, timeout: float = 90.0, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5, headers=headers).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def start_landrelease(url: str, port: int, workers: int, *, caches: bool = True) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LANDRELEASE_CACHES": "true" if caches else "false",
        "LANDRELEASE_DATABASE_URL": url,
        "LANDRELEASE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    cmd = [sys.executable, "-m", "landrelease", "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_http(f"http://127.0.0.1:{port}/ogc/api")
    return proc


PEER_PACKAGES = ["pygeoapi", "gunicorn", "psycopg2-binary", "geoalchemy2", "sqlalchemy", "pygeofilter"]


def ensure_peer() -> Path | None:
    """The pygeoapi venv (Debian python3 + python3-gdal); None with a message when it cannot be had."""
    gunicorn = PEER_VENV / "bin" / "gunicorn"
    if gunicorn.exists() and (PEER_VENV / "bin" / "pygeoapi").exists():
        ready = subprocess.run([str(PEER_VENV / "bin" / "python"), "-c", "import psycopg2, geoalchemy2"])
        if ready.returncode == 0:
            return PEER_VENV
    system_python = Path("/usr/bin/python3")
    if not system_python.exists():
        say("# pygeoapi peer skipped: /usr/bin/python3 (Debian's Python) not found")
        return None
    check = subprocess.run([str(system_python), "-c", "from osgeo import ogr"], capture_output=True)
    if check.returncode != 0:
        say("# pygeoapi peer skipped: Debian's python3-gdal is missing (apt-get install python3-gdal python3-venv)")
        return None
    say(f"# building the pygeoapi peer venv in {PEER_VENV} (once)")
    try:
        subprocess.run(
            [str(system_python), "-m", "venv", "--system-site-packages", str(PEER_VENV)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(PEER_VENV / "bin" / "pip"), "install", "-q", *PEER_PACKAGES],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        say(f"# pygeoapi peer skipped: could not build its venv ({exc})")
        shutil.rmtree(PEER_VENV, ignore_errors=True)
        return None
    return PEER_VENV


def ogr_provider(gpkg: Path) -> str:
    return f"""      - type: feature
        name: OGR
        data: {{source_type: GPKG, source: {gpkg}}}
        id_field: fid
        layer: areas
"""


def postgres_provider(url: str) -> str:
    """pygeoapi's PostgreSQL provider over our hazard_area table (the same properties as the GeoPackage)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return f"""      - type: feature
        name: PostgreSQL
        data:
          host: {u.host}
          port: {u.port or 5432}
          dbname: {u.database}
          user: {u.username}
          password: '{u.password or ""}'
          search_path: [public]
        id_field: id
        table: hazard_area
        geom_field: geometry
        properties: [code, name, kind, status, land_use, operator, region, clutter]
"""


def start_pygeoapi(
    venv: Path, provider: str, bbox: tuple[float, ...], port: int, folder: Path, workers: int
) -> subprocess.Popen[bytes]:
    cfg = folder / f"pygeoapi-{port}.yml"
    cfg.write_text(
        f"""server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {{default_items: {PAGE}, max_items: 10000}}
  map: {{url: 'https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png', attribution: 'none'}}
logging: {{level: ERROR}}
metadata:
  identification:
    title: peer
    description: peer
    keywords: [peer]
    keywords_type: theme
    terms_of_service: none
    url: http://127.0.0.1
  license: {{name: none, url: http://127.0.0.1}}
  provider: {{name: none, url: http://127.0.0.1}}
  contact: {{name: none}}
resources:
  hazard-areas:
    type: collection
    title: Hazard areas
    description: the same hazard areas
    keywords: [hazard]
    extents:
      spatial: {{bbox: [{bbox[0]}, {bbox[1]}, {bbox[2]}, {bbox[3]}], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}}
    links: []
    providers:
{provider}"""
    )
    openapi = folder / f"pygeoapi-openapi-{port}.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(cfg), "PYGEOAPI_OPENAPI": str(openapi)}
    for key in ("PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(key, None)
    subprocess.run(
        [str(venv / "bin" / "pygeoapi"), "openapi", "generate", str(cfg), "--output-file", str(openapi)],
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [str(venv / "bin" / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "pygeoapi.flask_app:APP"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_http(f"http://127.0.0.1:{port}/collections/hazard-areas/items?limit=1")
    return proc


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


# ---------------------------------------------------------------- load generator


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; returns its status and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:  # no length: the body ends when the server closes
        await reader.read()
        return status, False
    return status, headers.get("connection", "").lower() != "close"


async def _worker(
    port: int,
    next_path: Callable[[], str | None],
    headers: str,
    deadline: float,
    out: list[float],
    errors: list[int],
) -> None:
    """One client connection (keep-alive where the server allows it, else a new one per request)."""
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    try:
        while time.perf_counter() < deadline:
            path = next_path()
            if path is None:
                break
            t = time.perf_counter()
            if conn is None:
                conn = await asyncio.open_connection("127.0.0.1", port)
            reader, writer = conn
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}\r\n".encode())
            try:
                status, keep = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                conn = None
                errors.append(0)
                continue
            out.append(time.perf_counter() - t)
            if status != 200:
                errors.append(status)
            if not keep:
                writer.close()
                conn = None
    finally:
        if conn is not None:
            conn[1].close()


def load(
    port: int, paths: list[str], headers: dict[str, str], seconds: float, *, once: bool = False
) -> dict[str, float]:
    """Requests/s and latency percentiles at CONCURRENCY keep-alive connections.

    ``once``: the connections share one pass over ``paths``, so no request is sent twice (the
    run ends early, and says so, if the paths run out)."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    latencies: list[float] = []
    errors: list[int] = []
    shared = iter(paths)

    def picker() -> Callable[[], str | None]:
        if once:
            return lambda: next(shared, None)
        i = random.randrange(len(paths))

        def pick() -> str:
            nonlocal i
            i += 1
            return paths[i % len(paths)]

        return pick

    async def run() -> float:
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(_worker(port, picker(), head, deadline, latencies, errors) for _ in range(CONCURRENCY)))
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
    if once and len(latencies) >= len(paths):
        say(f"# the {len(paths)} unique requests ran out before {seconds:g} s")
    lat = np.asarray(latencies) * 1000
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)),
        "requests": float(len(latencies)),
        "errors": float(len(errors)),
    }


def item_paths(prefix: str, n: int, extra: str = "") -> list[str]:
    """The same pages for both servers: offsets spread over the whole collection."""
    rng = random.Random(7)
    pages = max(1, n // PAGE)
    return [f"{prefix}?limit={PAGE}&offset={rng.randrange(pages) * PAGE}{extra}" for _ in range(500)]


def fresh_queries(n: int, bbox: tuple[float, float, float, float], count: int, seed: int) -> list[str]:
    """Query strings that never repeat: every one a fresh offset; every other one a fresh bbox
    (a random window of 2–20 % of the region's width, offsets within its first pages)."""
    rng = random.Random(seed)
    west, south, east, north = bbox
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        # every other one a bbox; a plain offset that came before (a small collection has few)
        # is replaced by a bbox query on the next round
        if rng.random() < 0.5:
            w = (east - west) * rng.uniform(0.02, 0.2)
            h = (north - south) * rng.uniform(0.02, 0.2)
            x0, y0 = rng.uniform(west, east - w), rng.uniform(south, north - h)
            q = f"limit={PAGE}&offset={rng.randrange(0, 150)}&bbox={x0:.6f},{y0:.6f},{x0 + w:.6f},{y0 + h:.6f}"
        else:
            q = f"limit={PAGE}&offset={rng.randrange(0, max(1, n - PAGE))}"
        if q not in seen:
            seen.add(q)
            out.append(q)
    return out


def check_peer(ours: str, ours_headers: dict[str, str], peer: str, queries: list[str], what: str) -> bool:
    """Both servers answer 200 with the same number of features for each of ``queries``."""
    bad = []
    with httpx.Client(timeout=120) as client:
        for q in queries:
            a = client.get(f"{ours}/ogc/collections/hazard-areas/items?{q}", headers=ours_headers)
            b = client.get(f"{peer}/collections/hazard-areas/items?{q}&f=json")
            na = len(a.json().get("features", [])) if a.status_code == 200 else -1
            nb = len(b.json().get("features", [])) if b.status_code == 200 else -1
            if a.status_code != 200 or b.status_code != 200 or na != nb:
                bad.append(f"{q}: landrelease {a.status_code}/{na} features, pygeoapi {b.status_code}/{nb}")
    say(f"{what}_checked_requests={len(queries)}")
    say(f"{what}_mismatches={len(bad)}")
    for line in bad[:5]:
        say(f"# {what} differs: {line}")
    return not bad


# ---------------------------------------------------------------- tiles and first render


def tiles_over(bbox: tuple[float, float, float, float], z: int) -> list[tuple[int, int, int]]:
    def tile(lon: float, lat: float) -> tuple[int, int]:
        x = int((lon + 180) / 360 * 2**z)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
        return x, y

    x0, y0 = tile(bbox[0], bbox[3])
    x1, y1 = tile(bbox[2], bbox[1])
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def tile_bench(base: str, token: str, bbox: tuple[float, float, float, float], rounds: int) -> dict[str, float]:
    h = {"Authorization": f"Bearer {token}"}
    cold: list[float] = []
    warm: list[float] = []
    sizes: list[int] = []
    with httpx.Client(headers=h, timeout=120) as client:
        for z, x, y in tiles_over(bbox, 8):
            t = time.perf_counter()
            r = client.get(f"{base}/tiles/hazard-areas/{z}/{x}/{y}.mvt")
            cold.append(time.perf_counter() - t)
            r.raise_for_status()
            sizes.append(len(r.content))
            for _ in range(rounds):
                t = time.perf_counter()
                client.get(f"{base}/tiles/hazard-areas/{z}/{x}/{y}.mvt").raise_for_status()
                warm.append(time.perf_counter() - t)
    return {
        "tiles": float(len(cold)),
        "tile_cold_p50_ms": float(np.percentile(cold, 50) * 1000),
        "tile_cold_max_ms": float(max(cold) * 1000),
        "tile_p50_ms": float(np.percentile(warm, 50) * 1000),
        "tile_max_kb": max(sizes) / 1024,
    }


def first_render(base: str) -> float | None:
    """Milliseconds from navigation to the map's first idle frame, signed in, in headless Chromium."""
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        say("# first render skipped: /usr/bin/chromium not installed")
        return None
    from playwright.sync_api import sync_playwright

    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=args)
        # the pages forbid eval (CSP); Playwright's waits evaluate their predicate in the page
        page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        page.goto(f"{base}/login")
        page.fill("#name", "admin")
        page.fill("#password", ADMIN_PASSWORD)
        page.click("#signin")
        page.wait_for_function("document.body && document.body.dataset.mapReady === '1'", timeout=120_000)
        page.reload()
        page.wait_for_function("document.body && document.body.dataset.mapReady === '1'", timeout=120_000)
        ms = float(page.evaluate("window.lrFirstRenderAt"))
        drawn = int(
            page.evaluate("window.lrMap.queryRenderedFeatures({layers: ['hazard-fill', 'hazard-points']}).length")
        )
        browser.close()
    if drawn == 0:
        say("# first render: the map drew no hazard areas")
    return ms


# ---------------------------------------------------------------- main


def token_of(base: str) -> str:
    """A bearer token from a freshly started server (each start signs with a new key)."""
    r = httpx.post(f"{base}/api/auth/token", json={"name": "admin", "password": ADMIN_PASSWORD}, timeout=60)
    r.raise_for_status()
    return str(r.json()["access_token"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small data, no peer, short runs (CI)")
    parser.add_argument("--areas", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None, help="length of each load run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    n = args.areas or (2_000 if args.smoke else 100_000)
    seconds = args.seconds or (2.0 if args.smoke else 20.0)
    folder = Path(tempfile.mkdtemp(prefix="landrelease-bench-")) if args.smoke else OUT
    url, gpkg, bbox = build_data(n, 20201110, folder)
    say(f"areas={n}")
    say(f"concurrency={CONCURRENCY}")
    say(f"page_size={PAGE}")
    ours = peer = None
    try:
        port = free_port()
        ours = start_landrelease(url, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(f"{base}/api/auth/token", json={"name": "admin", "password": ADMIN_PASSWORD}).json()[
            "access_token"
        ]
        auth = {"Authorization": f"Bearer {token}"}
        tb = tile_bench(base, token, bbox, rounds=2 if args.smoke else 10)
        for k, v in tb.items():
            say(f"{k}={v:.1f}")
        if not args.no_browser:
            stop(ours)
            ours = start_landrelease(url, port, args.workers)  # a cold tile cache for the first render
            ms = first_render(base)
            if ms is not None:
                say(f"first_render_ms={ms:.0f}")
            token = httpx.post(f"{base}/api/auth/token", json={"name": "admin", "password": ADMIN_PASSWORD}).json()[
                "access_token"
            ]  # the restarted server signs with a new key
            auth = {"Authorization": f"Bearer {token}"}
        paths = item_paths("/ogc/collections/hazard-areas/items", n)
        # A first pass over the same pages fills the server's caches (ids per filter, feature
        # texts per data version); its figures are printed as landrelease_cold_*. Both servers
        # get the same warm-up.
        cold = load(port, paths, auth, min(5.0, seconds / 2))
        for k, v in cold.items():
            say(f"landrelease_cold_{k}={v:.1f}")
        mine = load(port, paths, auth, seconds)
        for k, v in mine.items():
            say(f"landrelease_{k}={v:.1f}")
        say(f"p99_ms={mine['p99_ms']:.1f}")
        stop(ours)
        # Caches off, and requests that never repeat.
        ours = start_landrelease(url, port, args.workers, caches=False)
        auth = {"Authorization": f"Bearer {token_of(base)}"}
        queries = fresh_queries(n, bbox, 50_000 if not args.smoke else 5_000, seed=11)
        warm = [f"/ogc/collections/hazard-areas/items?{q}" for q in fresh_queries(n, bbox, 1_000, seed=99)]
        fresh = [f"/ogc/collections/hazard-areas/items?{q}" for q in queries]
        load(port, warm, auth, min(3.0, seconds / 4), once=True)  # connections and imports, not data
        mine_nc = load(port, fresh, auth, seconds, once=True)
        for k, v in mine_nc.items():
            say(f"landrelease_nocache_{k}={v:.1f}")
        failed = mine["errors"] > 0 or mine_nc["errors"] > 0
        if args.smoke or args.no_peer:
            say("# pygeoapi peer skipped (smoke mode or --no-peer)")
            return 1 if failed else 0
        venv = ensure_peer()
        if venv is None:
            say("# no ratio: the pygeoapi peer could not be built")
            return 1
        peer_port = free_port()
        peer = start_pygeoapi(venv, ogr_provider(gpkg), bbox, peer_port, folder, args.workers)
        peer_base = f"http://127.0.0.1:{peer_port}"
        if not check_peer(base, auth, peer_base, [p.split("?", 1)[1] for p in paths[:10]] + queries[-20:], "peer_gpkg"):
            say("# no ratio: pygeoapi (GeoPackage) answers differently")
            return 1
        peer_paths = item_paths("/collections/hazard-areas/items", n, "&f=json")
        load(peer_port, peer_paths, {}, min(5.0, seconds / 2))
        theirs = load(peer_port, peer_paths, {}, seconds)
        for k, v in theirs.items():
            say(f"pygeoapi_{k}={v:.1f}")
        load(
            peer_port,
            [f"/collections/hazard-areas/items?{q.split('?', 1)[1]}&f=json" for q in warm],
            {},
            min(3.0, seconds / 4),
            once=True,
        )
        theirs_nc = load(
            peer_port, [f"/collections/hazard-areas/items?{q}&f=json" for q in queries], {}, seconds, once=True
        )
        for k, v in theirs_nc.items():
            say(f"pygeoapi_nocache_{k}={v:.1f}")
        failed = failed or theirs["errors"] > 0 or theirs_nc["errors"] > 0
        say(f"ratio_vs_pygeoapi={mine['rps'] / theirs['rps']:.2f}")
        say(f"ratio_vs_pygeoapi_nocache={mine_nc['rps'] / theirs_nc['rps']:.2f}")
        stop(ours)
        stop(peer)
        ours = peer = None
        # The second pair: landrelease on PostGIS against pygeoapi's PostgreSQL provider, same table.
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from tile_bench import postgis_register

        pg_url = postgis_register(n)
        if pg_url is None:
            say("# no PostgreSQL pair: PostGIS unreachable")
            return 1
        ours = start_landrelease(pg_url, port, args.workers, caches=False)
        # Statistics and the visibility map as autovacuum leaves them, not as a fresh load
        # leaves them (index-only scans need the latter); both servers read the same table.
        import psycopg

        with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as db:
            db.execute("VACUUM ANALYZE hazard_area")
        auth = {"Authorization": f"Bearer {token_of(base)}"}
        peer = start_pygeoapi(venv, postgres_provider(pg_url), bbox, peer_port, folder, args.workers)
        if not check_peer(base, auth, peer_base, queries[-40:-10], "peer_postgres"):
            say("# no ratio: pygeoapi (PostgreSQL) answers differently")
            return 1
        queries_pg = fresh_queries(n, bbox, 50_000, seed=12)
        load(port, warm, auth, min(3.0, seconds / 4), once=True)
        mine_pg = load(port, [f"/ogc/collections/hazard-areas/items?{q}" for q in queries_pg], auth, seconds, once=True)
        for k, v in mine_pg.items():
            say(f"landrelease_postgis_nocache_{k}={v:.1f}")
        load(
            peer_port,
            [f"/collections/hazard-areas/items?{q.split('?', 1)[1]}&f=json" for q in warm],
            {},
            min(3.0, seconds / 4),
            once=True,
        )
        theirs_pg = load(
            peer_port, [f"/collections/hazard-areas/items?{q}&f=json" for q in queries_pg], {}, seconds, once=True
        )
        for k, v in theirs_pg.items():
            say(f"pygeoapi_postgres_nocache_{k}={v:.1f}")
        failed = failed or mine_pg["errors"] > 0 or theirs_pg["errors"] > 0
        say(f"ratio_vs_pygeoapi_postgres_nocache={mine_pg['rps'] / theirs_pg['rps']:.2f}")
        return 1 if failed else 0
    finally:
        stop(ours)
        stop(peer)
        if args.smoke:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
