"""Import and export adapters: the formats mine action people exchange, and the checks on them."""
