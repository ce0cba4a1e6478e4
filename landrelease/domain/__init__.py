"""The pure domain core: entities and rules of land release, with no I/O."""
