"""The handover certificate as a printable page (HTML, or PDF through WeasyPrint)."""

from __future__ import annotations

from pathlib import Path

import shapely

from landrelease.field.handover import HandoverCertificate
from landrelease.reports.render import _environment, write_pdf

METHOD_LABELS = {
    "cancelled": "Cancelled by non-technical survey",
    "reduced": "Reduced by technical survey",
    "cleared": "Cleared",
}


def render_certificate(c: HandoverCertificate) -> str:
    minx, miny, maxx, maxy = c.land.bounds
    wkt = shapely.to_wkt(c.land, rounding_precision=6)
    return (
        _environment()
        .get_template("handover.html.j2")
        .render(
            c=c,
            bbox=f"{minx:.6f}, {miny:.6f} – {maxx:.6f}, {maxy:.6f}",
            methods=[(METHOD_LABELS.get(m.value, m.value), v) for m, v in c.released_m2.items()],
            wkt=wkt if len(wkt) < 4000 else wkt[:4000] + " …",
        )
    )


def write_certificate(c: HandoverCertificate, out: Path) -> Path:
    """Write the certificate as .html or .pdf (by the suffix)."""
    html = render_certificate(c)
    if out.suffix.lower() == ".pdf":
        write_pdf(html, out)
    else:
        out.write_text(html, encoding="utf-8")
    return out
