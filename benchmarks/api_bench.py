"""API benchmark: landrelease's OGC items endpoint against pygeoapi on the same data.

Both servers run on loopback with 2 worker processes and serve the same hazard areas
(landrelease from its SQLite register, pygeoapi from a GeoPackage written from the same
scenario, OGR provider). One client (a small asyncio HTTP/1.1 keep-alive load generator)
sends the same page requests (``limit=100``, offsets spread over the data) at 16
concurrent connections to each, one after the other. Then: a zoom-8 vector tile over the
whole sample region (cold = first build, warm = from the tile cache), and the map page's
first render in headless Chromium.

Prints ``name=value`` lines, among them ``ratio_vs_pygeoapi=``, ``p99_ms=``,
``tile_p50_ms=`` and ``first_render_ms=``. ``--smoke`` uses a small region, no peer and
short runs (for CI). The pygeoapi peer lives in a venv under /tmp (Debian's python3 with
python3-gdal, system site packages); the script builds it when missing and skips the peer
with a message when it cannot.
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


def start_landrelease(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LANDRELEASE_DATABASE_URL": url,
        "LANDRELEASE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    cmd = [sys.executable, "-m", "landrelease", "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_http(f"http://127.0.0.1:{port}/ogc/api")
    return proc


def ensure_peer() -> Path | None:
    """The pygeoapi venv (Debian python3 + python3-gdal); None with a message when it cannot be had."""
    gunicorn = PEER_VENV / "bin" / "gunicorn"
    if gunicorn.exists() and (PEER_VENV / "bin" / "pygeoapi").exists():
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
            [str(PEER_VENV / "bin" / "pip"), "install", "-q", "pygeoapi", "gunicorn"],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        say(f"# pygeoapi peer skipped: could not build its venv ({exc})")
        shutil.rmtree(PEER_VENV, ignore_errors=True)
        return None
    return PEER_VENV


def start_pygeoapi(
    venv: Path, gpkg: Path, bbox: tuple[float, ...], port: int, folder: Path, workers: int
) -> subprocess.Popen[bytes]:
    cfg = folder / "pygeoapi.yml"
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
      - type: feature
        name: OGR
        data: {{source_type: GPKG, source: {gpkg}}}
        id_field: fid
        layer: areas
"""
    )
    openapi = folder / "pygeoapi-openapi.yml"
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
    port: int, paths: list[str], headers: str, deadline: float, out: list[float], errors: list[int]
) -> None:
    """One client connection (keep-alive where the server allows it, else a new one per request)."""
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    i = random.randrange(len(paths))
    try:
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
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


def load(port: int, paths: list[str], headers: dict[str, str], seconds: float) -> dict[str, float]:
    """Requests/s and latency percentiles at CONCURRENCY keep-alive connections."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    latencies: list[float] = []
    errors: list[int] = []

    async def run() -> float:
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(_worker(port, paths, head, deadline, latencies, errors) for _ in range(CONCURRENCY)))
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
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
        page = browser.new_page(viewport={"width": 1280, "height": 800})
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
        ours = None
        venv = None if (args.smoke or args.no_peer) else ensure_peer()
        if venv is None:
            if args.smoke or args.no_peer:
                say("# pygeoapi peer skipped (smoke mode or --no-peer)")
            return 0 if mine["errors"] == 0 else 1
        peer_port = free_port()
        peer = start_pygeoapi(venv, gpkg, bbox, peer_port, folder, args.workers)
        peer_paths = item_paths("/collections/hazard-areas/items", n, "&f=json")
        load(peer_port, peer_paths, {}, min(5.0, seconds / 2))
        theirs = load(peer_port, peer_paths, {}, seconds)
        for k, v in theirs.items():
            say(f"pygeoapi_{k}={v:.1f}")
        say(f"ratio_vs_pygeoapi={mine['rps'] / theirs['rps']:.2f}")
        return 0 if mine["errors"] == 0 else 1
    finally:
        stop(ours)
        stop(peer)
        if args.smoke:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
