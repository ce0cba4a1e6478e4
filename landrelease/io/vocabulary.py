"""The terms programmes use, read from the data files in ``landrelease/io/vocabularies/``.

A vocabulary maps the words found in files ("Suspected Minefield", "Accidente por MAP",
"Cleared Areas") to the register's values (``SHA``, ``accident`` + ``ap_mine``, ``cleared``).
Terms are compared by :func:`term_key` (case, spaces, hyphens, accents and a trailing
"area(s)" or "land" ignored). The files are data, with their sources: extend them there.

Vocabularies also tell what a column *is* when its name does not: a column whose values are
all terms of one vocabulary is read as that field (see :mod:`landrelease.io.crosswalk`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from landrelease.domain.enums import AssetType, EOType, EvidenceKind, HazardKind, HazardStatus, LandUse, Level

DATA = Path(__file__).with_name("vocabularies")

FILE_OF: dict[type[Enum], str] = {
    HazardKind: "hazard_kind",
    HazardStatus: "hazard_status",
    EOType: "device_category",
    EvidenceKind: "evidence_kind",
    LandUse: "land_use",
    Level: "level",
    AssetType: "asset_type",
}

# What a vocabulary's values are, in words, for messages and crosswalk comments.
DESCRIPTION: dict[type[Enum], str] = {
    HazardKind: "hazard classifications (SHA/CHA)",
    HazardStatus: "hazard statuses",
    EOType: "device categories",
    EvidenceKind: "event types / evidence kinds",
    LandUse: "land uses",
    Level: "levels (low/medium/high)",
    AssetType: "team types",
}


def snake(name: str) -> str:
    """``typeArea`` / ``Type Area`` / ``type-area`` -> ``type_area``."""
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", str(name).strip())
    return re.sub(r"[\s\-./]+", "_", s).lower().strip("_")


def _plain(text: str) -> str:
    """Accents dropped (``Incautación`` -> ``Incautacion``), so that spellings without them match."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def term_key(value: Any) -> str:
    """The form terms are compared in: ``"Cleared Areas"`` -> ``cleared``, ``"AP-mine"`` -> ``ap_mine``."""
    key = re.sub(r"[^0-9a-z_]+", "_", snake(_plain(str(value)))).strip("_")
    key = re.sub(r"_+", "_", key)
    for suffix in ("_areas", "_area", "_land"):
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
    return key


def _load(name: str) -> dict[str, Any]:
    with (DATA / f"{name}.yaml").open(encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(doc, dict):
        raise ValueError(f"{name}.yaml: expected a mapping at the top")
    return doc


@dataclass(frozen=True)
class Vocabulary:
    """One vocabulary: term key -> register value (and, for compound event terms, an EO type)."""

    enum: type[Enum]
    table: dict[str, Enum]
    eo_of: dict[str, EOType] = field(default_factory=dict)  # compound terms' device category
    sources: tuple[str, ...] = ()
    weak: frozenset[str] = frozenset()  # terms too common to tell what a column is ("other")

    @property
    def name(self) -> str:
        return FILE_OF[self.enum]

    @property
    def description(self) -> str:
        return DESCRIPTION[self.enum]

    def lookup(self, value: Any) -> Enum | None:
        return self.table.get(term_key(value))

    def knows(self, value: Any) -> bool:
        return term_key(value) in self.table

    def terms_of(self, member: Enum) -> list[str]:
        return sorted(k for k, v in self.table.items() if v is member)


@cache
def vocabulary(enum: type[Enum]) -> Vocabulary:
    """The vocabulary of a closed set of register values (its own values are always terms of it)."""
    doc = _load(FILE_OF[enum])
    table: dict[str, Enum] = {}
    eo_of: dict[str, EOType] = {}

    def add(term: Any, member: Enum, where: str) -> None:
        key = term_key(term)
        if not key:
            raise ValueError(f"{FILE_OF[enum]}.yaml: empty term under {where}")
        if table.get(key, member) is not member:
            raise ValueError(
                f"{FILE_OF[enum]}.yaml: term {term!r} is listed under {table[key].value!r} and {member.value!r}"
            )
        table[key] = member

    for m in enum:
        add(m.value, m, str(m.value))
    for value, terms in (doc.get("values") or {}).items():
        member = enum(str(value))
        for t in terms or ():
            add(t, member, str(value))
    for entry in doc.get("compound") or ():
        member = enum(str(entry["kind"]))
        eo = EOType(str(entry["eo_type"]))
        for t in entry["terms"]:
            add(t, member, f"compound {entry['kind']}/{entry['eo_type']}")
            eo_of[term_key(t)] = eo
    weak = frozenset(term_key(t) for t in doc.get("weak") or ())
    unknown = weak - table.keys()
    if unknown:
        raise ValueError(f"{FILE_OF[enum]}.yaml: weak terms that are no terms: {sorted(unknown)}")
    return Vocabulary(enum, table, eo_of, tuple(str(s) for s in doc.get("sources") or ()), weak)


@cache
def column_names() -> dict[str, dict[str, tuple[str, ...]]]:
    """Per kind, per field (and ``code``): the column names it is read from, in order."""
    doc = _load("columns")
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for kind, fields in doc.items():
        if kind == "sources":
            continue
        out[kind] = {f: tuple(snake(n) for n in names) for f, names in fields.items()}
    return out


def names(kind: str, fld: str) -> tuple[str, ...]:
    """The column names a field of a kind is read from (see ``vocabularies/columns.yaml``)."""
    return column_names()[kind][fld]


__all__ = ["DESCRIPTION", "FILE_OF", "Vocabulary", "column_names", "names", "snake", "term_key", "vocabulary"]
