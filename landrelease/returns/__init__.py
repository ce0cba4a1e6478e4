"""Returns: when settlements can come back (pure, no I/O)."""
