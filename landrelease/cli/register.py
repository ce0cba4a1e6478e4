"""Register commands: import, export, check, record-activity, summary (registered on the shared app when imported)."""
