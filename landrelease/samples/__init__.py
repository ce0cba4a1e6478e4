"""Sample scenarios generated from a seed, in the spirit of the published figures."""

from landrelease.samples.scenario import Scenario, generate

__all__ = ["Scenario", "generate"]
