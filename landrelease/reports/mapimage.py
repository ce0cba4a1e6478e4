"""The report's map: hazard areas by status, land released in the month, settlements, finds.

Drawn offline with GeoPandas on a Matplotlib Agg canvas in the report's metric CRS (a UTM
zone), with a scale bar and a north arrow that points to true north (it differs from grid
north by the meridian convergence, over a degree at the edge of a zone). No web tiles.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import patheffects, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.offsetbox import AnchoredOffsetbox, DrawingArea
from matplotlib.patches import FancyArrow, Patch
from matplotlib.text import Text
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from pyproj import CRS, Transformer

from landrelease.reports.charts import METHOD_COLOURS
from landrelease.services.report_data import MonthlyReport

STATUS_STYLE: dict[str, tuple[str, str]] = {
    "open": ("#e34a33", "open"),
    "in_progress": ("#fdbb84", "in progress"),
    "cancelled": (METHOD_COLOURS["cancelled"], "cancelled"),
    "reduced": (METHOD_COLOURS["reduced"], "reduced"),
    "cleared": (METHOD_COLOURS["cleared"], "cleared"),
    "released": (METHOD_COLOURS["cleared"], "released"),
}
RELEASED_EARLIER = "#d9f0d3"
RELEASED_NOW_EDGE = "#08306b"
SETTLEMENT = "#bdbdbd"
ROAD = "#9e9e9e"
LABELLED_SETTLEMENTS = 8
RASTER_ABOVE = 20_000
"""Above this many hazard areas they are burnt into an image at print resolution (seconds instead
of minutes); each area touches at least one pixel, so none disappears."""


@dataclass(frozen=True, slots=True)
class MapImage:
    data_uri: str
    png: bytes
    crs_name: str
    width_km: float
    height_km: float
    scale_bar_m: float
    true_north_deg: float  # bearing of true north on the map grid (negative: west of grid north)


def nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10ⁿ m) near a fifth of the map's width."""
    target = max(span_m / 5.0, 1.0)
    exp = math.floor(math.log10(target))
    best = 1.0
    for base in (1.0, 2.0, 5.0):
        if base * 10**exp <= target:
            best = base * 10**exp
    return best


def _length_label(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


def true_north(crs: CRS, x: float, y: float) -> tuple[float, float, float]:
    """Unit vector towards true north at (x, y) of a projected CRS, and its bearing from grid north
    in degrees (negative: true north lies west of grid north, as east of a UTM zone's central meridian)."""
    to_geo = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    to_map = Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)
    lon, lat = to_geo.transform(x, y)
    nx, ny = to_map.transform(lon, min(lat + 0.01, 89.9))
    dx, dy = nx - x, ny - y
    norm = math.hypot(dx, dy) or 1.0
    return dx / norm, dy / norm, math.degrees(math.atan2(dx, dy))


def _draw_as_raster(
    ax: Axes, hz: gpd.GeoDataFrame, bounds: tuple[float, float, float, float], width_cm: float, dpi: int
) -> None:
    """Hazard areas by status as one image at the figure's resolution (for national registers)."""
    from rasterio.features import rasterize
    from rasterio.transform import from_bounds

    minx, miny, maxx, maxy = bounds
    width = int(width_cm / 2.54 * dpi)
    height = max(1, round(width * (maxy - miny) / (maxx - minx)))
    order = list(STATUS_STYLE)
    codes = hz["status"].map({s: i + 1 for i, s in enumerate(order)}).fillna(0).astype("uint8")
    shapes = ((g, int(c)) for g, c in zip(hz.geometry.values, codes, strict=True) if c)
    grid = rasterize(
        shapes,
        out_shape=(height, width),
        transform=from_bounds(minx, miny, maxx, maxy, width, height),
        fill=0,
        all_touched=True,
        dtype="uint8",
    )
    palette = np.zeros((len(order) + 1, 4))
    for i, status in enumerate(order):
        palette[i + 1] = to_rgba(STATUS_STYLE[status][0])
    ax.imshow(palette[grid], extent=(minx, maxx, miny, maxy), origin="upper", interpolation="nearest", zorder=3)


def _north_arrow(dx: float, dy: float) -> AnchoredOffsetbox:
    """An arrow to true north with its "N", on a white panel in the map's upper-right corner."""
    area = DrawingArea(34, 50, 0, 0)
    cx, cy, length = 17.0, 20.0, 28.0
    x0, y0 = cx - dx * length / 2, cy - dy * length / 2
    area.add_artist(
        FancyArrow(
            x0,
            y0,
            dx * length,
            dy * length,
            width=1.6,
            head_width=8,
            head_length=9,
            length_includes_head=True,
            color="#252525",
        )
    )
    area.add_artist(
        Text(
            cx + dx * (length / 2 + 8),
            cy + dy * (length / 2 + 8),
            "N",
            ha="center",
            va="center",
            fontsize=10,
            fontweight="bold",
            color="#252525",
        )
    )
    box = AnchoredOffsetbox(loc="upper right", child=area, pad=0.2, borderpad=0.6, frameon=True)
    box.patch.set_facecolor("white")
    box.patch.set_edgecolor("#bdbdbd")
    box.patch.set_alpha(0.9)
    box.set_zorder(9)
    return box


def _label_settlements(ax: Axes, st: gpd.GeoDataFrame, span_x: float, width_cm: float) -> None:
    """Name the largest settlements, skipping any name that would overprint one already placed."""
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    m_per_pt = span_x / (width_cm / 2.54 * 72 * 0.98)  # the map is 98 % of the figure's width
    placed: list[shapely.Polygon] = []
    for _, row in st.sort_values("population", ascending=False).iterrows():
        if len(placed) >= LABELLED_SETTLEMENTS:
            break
        x, top = row.geometry.centroid.x, row.geometry.bounds[3]
        w, h = len(row["name"]) * 7 * 0.62 * m_per_pt, 9 * m_per_pt
        box = shapely.box(x - w / 2, top + 2 * m_per_pt, x + w / 2, top + 2 * m_per_pt + h)
        if any(box.intersects(other) for other in placed):
            continue
        placed.append(box)
        ax.annotate(
            row["name"],
            (x, top),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
            color="#252525",
            path_effects=halo,
            zorder=7,
        )


def render_map(report: MonthlyReport, *, width_cm: float = 17.0, dpi: int = 150) -> MapImage:
    """The map as a PNG (and a data URI for the HTML)."""
    crs = report.crs
    lay = report.layers
    hz = gpd.GeoDataFrame({"status": lay.hazard_statuses}, geometry=lay.hazard_geometries, crs=4326).to_crs(crs)
    st = gpd.GeoDataFrame(
        {"name": lay.settlement_names, "population": lay.settlement_populations},
        geometry=lay.settlement_geometries,
        crs=4326,
    ).to_crs(crs)
    now_rows = report.released_in_period
    earlier_rows = [r for r in report.released if not report.period.contains(r.released_on)]
    earlier = gpd.GeoSeries([r.geometry for r in earlier_rows], crs=4326).to_crs(crs)
    now = gpd.GeoSeries([r.geometry for r in now_rows], crs=4326).to_crs(crs)
    finds = gpd.GeoSeries([f.geometry for f in report.finds_in_period], crs=4326).to_crs(crs)

    parts = [g for g in (hz.geometry, st.geometry, now, earlier) if len(g)]
    if parts:
        minx, miny, maxx, maxy = shapely.total_bounds(np.concatenate([np.asarray(p.values) for p in parts]))
    else:
        minx, miny, maxx, maxy = 0.0, 0.0, 1000.0, 1000.0
    pad = 0.04 * max(maxx - minx, maxy - miny, 500.0)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    span_x, span_y = maxx - minx, maxy - miny
    map_h_cm = float(np.clip(width_cm * span_y / span_x, 9.0, 19.0))

    with rc_context({"font.family": "DejaVu Sans", "font.size": 8}):
        fig = Figure(figsize=(width_cm / 2.54, (map_h_cm + 2.2) / 2.54), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.01, 2.0 / (map_h_cm + 2.2), 0.98, map_h_cm / (map_h_cm + 2.2)))
        ax.set_facecolor("#fbfbf8")
        if lay.routes:
            routes = gpd.GeoSeries(lay.routes, crs=4326).to_crs(crs)
            routes.plot(ax=ax, color=ROAD, linewidth=0.8, zorder=0.5)
        if len(st):
            st.plot(ax=ax, color=SETTLEMENT, edgecolor="#636363", linewidth=0.5, zorder=1)
        if len(earlier):
            earlier.plot(ax=ax, color=RELEASED_EARLIER, edgecolor="none", zorder=2)
        handles: list[Patch | Line2D] = []
        raster = len(hz) > RASTER_ABOVE
        if raster:
            _draw_as_raster(ax, hz, (minx, miny, maxx, maxy), width_cm, dpi)
        for status, (colour, label) in STATUS_STYLE.items():
            sub = hz[hz["status"] == status]
            if len(sub):
                if not raster:
                    # Outlines help a few areas; with thousands they would darken the map, so the edge
                    # then takes the fill colour (thin strips along roads stay visible).
                    edge = ("#7f2704" if status == "open" else "#4d4d4d") if len(hz) < 2000 else colour
                    sub.plot(ax=ax, color=colour, edgecolor=edge, linewidth=0.3, zorder=3)
                handles.append(
                    Patch(facecolor=colour, edgecolor="#4d4d4d", linewidth=0.3, label=f"{label} ({len(sub):,})")
                )
        if len(earlier):
            handles.append(Patch(facecolor=RELEASED_EARLIER, label="released before this month"))
        if len(now):
            colours = [METHOD_COLOURS.get(r.method, METHOD_COLOURS["cleared"]) for r in now_rows]
            now.plot(ax=ax, color=colours, edgecolor=RELEASED_NOW_EDGE, linewidth=1.2, zorder=4)
            # Small parts vanish at regional scale: ring each one so the eye finds it.
            marks = now.representative_point()
            ax.scatter(
                marks.x, marks.y, s=70, facecolors="none", edgecolors=RELEASED_NOW_EDGE, linewidths=0.9, zorder=5
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="none",
                    markerfacecolor="none",
                    markeredgecolor=RELEASED_NOW_EDGE,
                    markersize=8,
                    label=f"released this month ({len(now):,} parts, fill by method)",
                )
            )
        if len(finds):
            ax.scatter(finds.x, finds.y, marker="x", s=16, c="#000000", linewidths=0.9, zorder=6)
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="x",
                    color="#000000",
                    linestyle="none",
                    markersize=5,
                    label=f"item found this month ({len(finds):,})",
                )
            )
        if len(st):
            handles.append(Patch(facecolor=SETTLEMENT, edgecolor="#636363", linewidth=0.5, label="settlement"))
            if lay.routes:
                handles.append(Line2D([], [], color=ROAD, linewidth=0.8, label="access road"))
            _label_settlements(ax, st, span_x, width_cm)

        if not parts:
            ax.text(
                0.5,
                0.5,
                "The register holds no hazard area or settlement to map.",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=10,
                color="#525252",
            )
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        for spine in ax.spines.values():
            spine.set_edgecolor("#636363")

        bar = nice_length(span_x)
        ax.add_artist(
            AnchoredSizeBar(
                ax.transData,
                bar,
                _length_label(bar),
                loc="lower left",
                pad=0.6,
                borderpad=0.8,
                sep=3,
                frameon=True,
                size_vertical=span_y / 250,
                fontproperties={"size": 8},
            )
        )
        dx, dy, conv = true_north(crs, (minx + maxx) / 2, (miny + maxy) / 2)
        ax.add_artist(_north_arrow(dx, dy))
        ax.text(
            0.99,
            0.01,
            f"{crs.name} · arrow to true north, {abs(conv):.1f}° {'west' if conv < 0 else 'east'} of grid north",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=6.5,
            color="#525252",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5},
        )
        if handles:
            fig.legend(
                handles=handles,
                loc="lower center",
                ncols=3,
                fontsize=7.5,
                frameon=False,
                bbox_to_anchor=(0.5, 0.0),
                handlelength=1.6,
                columnspacing=1.4,
            )
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    png = buf.getvalue()
    return MapImage(
        data_uri="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        png=png,
        crs_name=str(crs.name),
        width_km=span_x / 1000,
        height_km=span_y / 1000,
        scale_bar_m=bar,
        true_north_deg=conv,
    )
