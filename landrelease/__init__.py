"""landrelease: the register, model, plan and forecast of land release in mine action."""

__version__ = "0.1.0"
