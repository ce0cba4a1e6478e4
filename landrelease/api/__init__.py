"""The HTTP adapters: REST, OGC API – Features, vector tiles, users and access."""
