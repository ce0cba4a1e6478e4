"""Errors that name what was wrong, where, and what was expected.

Every refusal in landrelease (an import, a scenario file, an API body) is built from
:class:`Problem` records so that the user sees the file, the record, the field, what was
found and what was allowed — never a bare traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    ADVISORY = "advisory"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one record."""

    message: str
    record: str | None = None  # row number, feature id or code
    field: str | None = None
    found: str | None = None
    expected: str | None = None
    source: str | None = None  # file name or endpoint
    severity: Severity = Severity.ERROR
    check: str | None = None  # machine-readable name of the check

    def __str__(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.field:
            parts.append(f"field '{self.field}'")
        where = ", ".join(parts)
        text = f"{where}: {self.message}" if where else self.message
        if self.found is not None:
            text += f" (found {self.found!s}"
            text += f"; expected {self.expected})" if self.expected else ")"
        elif self.expected:
            text += f" (expected {self.expected})"
        return text


@dataclass
class LandreleaseError(Exception):
    """Input that landrelease refuses; carries every problem found, not just the first."""

    problems: list[Problem] = field(default_factory=list)
    summary: str = "input refused"

    def __post_init__(self) -> None:
        super().__init__(self.summary)

    def __str__(self) -> str:
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        head = f"{self.summary}: {len(errors)} error(s)"
        lines = [head] + [f"  - {p}" for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"  … and {len(self.problems) - 50} more")
        return "\n".join(lines)


class ValidationError(LandreleaseError):
    """Bad input data (files, API bodies, scenario files)."""


class ConflictError(ValidationError):
    """Input that clashes with what is already stored (a machine already booked that day)."""


class InfeasibleError(LandreleaseError):
    """A planning or forecasting problem that has no answer, with the reasons."""


class ConfigurationError(Exception):
    """A setting that cannot work (the database URL, a server that cannot be reached): one line
    saying what is wrong and what to do, shown without a traceback."""
