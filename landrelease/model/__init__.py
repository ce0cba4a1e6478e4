"""Models of contamination, productivity and geometry (pure, no I/O)."""
