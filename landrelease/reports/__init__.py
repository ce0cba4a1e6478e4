"""Monthly reports for the national authority and donors: data, charts, map, HTML and PDF."""

from landrelease.reports.report import MonthlyReport, Period, gather, latest_period, parse_period

__all__ = ["MonthlyReport", "Period", "gather", "latest_period", "parse_period"]
