"""What an import read and stored (or, in a dry run, would store), as lines of plain text.

The command line prints them; the web upload page shows the same figures from
:meth:`ImportReport.to_json`.
"""

from __future__ import annotations

from landrelease.io.importer import ImportReport

HOW = {
    "name": "by its name",
    "values": "by its values",
    "crosswalk": "from the crosswalk",
    "implied": "from the event terms",
    "": "",
}


def column_lines(report: ImportReport) -> list[str]:
    """One line per column: the field it fed (or extra) and how that was decided."""
    width = max((len(c) for c, _, _ in report.columns), default=0)
    out = []
    for column, fld, how in report.columns:
        tail = f"  ({HOW.get(how, how)})" if how else ""
        out.append(f"{column:<{width}} → {fld}{tail}")
    return out


def preview_lines(report: ImportReport) -> list[str]:
    """Counts per field value, per kind and status with areas in km², and the total."""
    verb = "would store" if report.dry_run else "stored"
    out = [f"{report.read:,} records read; {verb} {report.stored:,} {report.kind}."]
    if report.by_kind_status:
        out.append("By kind and status (area of each polygon in its own UTM zone):")
        for (kind, status), (n, m2) in sorted(report.by_kind_status.items()):
            out.append(f"  {kind:<4} {status:<12} {n:>10,} records {m2 / 1e6:>14,.4f} km²")
        out.append(f"  {'total':<17} {report.stored:>10,} records {report.area_km2:>14,.4f} km²")
    if report.values:
        out.append("Values per field:")
        for fld, counter in report.values.items():
            shown = ", ".join(f"{v} {n:,}" for v, n in counter.most_common(8))
            more = f", … ({len(counter) - 8} more)" if len(counter) > 8 else ""
            out.append(f"  {fld}: {shown}{more}")
    fixed, skipped = sum(report.count("fixed").values()), sum(report.count("skipped").values())
    if fixed or skipped:
        out.append(f"Repairs: {fixed:,}; skipped: {skipped:,} (listed below).")
    return out


__all__ = ["column_lines", "preview_lines"]
