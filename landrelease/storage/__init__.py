"""Storage adapter: one schema and one code path for SQLite (embedded) and PostGIS."""
