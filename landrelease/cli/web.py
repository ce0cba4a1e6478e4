"""Web commands: serve, report (registered on the shared app when imported)."""
