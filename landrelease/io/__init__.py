"""Adapters that read and write files: imports, exports, exchange formats, validation."""
