"""Monthly reports for the national authority and donors: charts, map, HTML and PDF.

The report's data come from the report data use case (:mod:`landrelease.services.report_data`).
"""

from landrelease.services.report_data import MonthlyReport, Period, gather, latest_period, parse_period

__all__ = ["MonthlyReport", "Period", "gather", "latest_period", "parse_period"]
