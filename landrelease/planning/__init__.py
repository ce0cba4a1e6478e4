"""Priorities, schedules, forecasts and scenarios (pure, no I/O)."""
