"""Planner commands: priorities, plan (registered on the shared app when imported)."""
