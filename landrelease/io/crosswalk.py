"""Crosswalks: which column of a file feeds which register field, and what its values mean.

Every programme's data speaks its own dialect. A crosswalk (``mapping.yaml``) says it once::

    kind: evidence                # optional: the kind of record the file holds
    code: OBJECTID                # the column with each record's code (null: derived from the feature id)
    fields:
      date: FECHA                 # a column
      name: [NAME, SUBNAME]       # several columns, joined with a space (``join:`` changes it)
      source: {value: Government event register}   # a constant
      kind:
        column: TIPO_EVENTO
        values:                   # what the file's values mean, per field
          "1": AP mine accident   # a register value, or any term of the built-in vocabularies
          "2": UXO accident
          "5": seizure
          "8": suspicion
          "9": ~                  # null: as if the record gave no value
    extra: [REMARKS]              # columns kept as they are (never read as a field)

Columns the crosswalk does not name are matched as without one: by name (the names in
``vocabularies/columns.yaml``), then by their values: a column whose values are all terms of
one vocabulary is read as that field whatever its name (``typeArea`` holding "Suspected
Minefield" on every record is the hazard kind SHA, not a status); a column whose values fit
several fields is refused with the choices named. Columns that feed no field stay in a
hazard area's ``extra``. A value map's value ``?`` marks a value still to be decided: an
import refuses the records that hold it.

``landrelease import FILE --write-mapping mapping.yaml`` writes a starting crosswalk: every
column with its guessed field, every distinct value of vocabulary columns with its guessed
meaning or ``?``. Edit it, then ``landrelease import FILE --mapping mapping.yaml``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from landrelease.domain.enums import EOType, EvidenceKind
from landrelease.domain.errors import Problem, Severity, ValidationError
from landrelease.io.kinds import AREA_ALIASES, AREA_UNIT_ALIASES, BAD, BLANK, HAZARD_AREAS, KINDS, KindSpec
from landrelease.io.vocabulary import snake, term_key, vocabulary

UNDECIDED = "?"
MAX_VOCABULARY_VALUES = 500  # a column with more distinct values is not a vocabulary column
TOP_KEYS = ("kind", "code", "fields", "extra")
SOURCE_KEYS = ("column", "columns", "value", "join", "values")
_UNSET: Any = object()


def value_key(value: Any) -> str:
    """How a file's value is looked up in a value map: trimmed, case-folded, ``1.0`` as ``1``."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).casefold()
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value).strip().casefold()


def _blank(value: Any) -> bool:
    return (
        value is None or (isinstance(value, float) and value != value) or (isinstance(value, str) and not value.strip())
    )


@dataclass(frozen=True)
class FieldSource:
    """Where one field's values come from: one or several columns or a constant, and a value map."""

    name: str  # the register field
    columns: tuple[str, ...] = ()
    constant: Any = None
    join: str = " "
    values: dict[str, Any] = field(default_factory=dict)  # value_key -> register value, None or "?"
    how: str = "crosswalk"  # crosswalk | name | values | implied
    why: str = ""
    partner: str | None = None  # the field that shares this column (its terms mean nothing here)

    @property
    def key(self) -> str:
        """The name the field's values go by in a batch (a column, or a made-up one for joins and constants)."""
        if len(self.columns) == 1:
            return self.columns[0]
        if self.columns:
            return "+".join(self.columns)
        return f"{self.name} (constant)"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if len(self.columns) == 1:
            out["column"] = self.columns[0]
        elif self.columns:
            out["columns"] = list(self.columns)
            out["join"] = self.join
        else:
            out["value"] = self.constant
        if self.values:
            out["values"] = dict(self.values)
        out["how"] = self.how
        return out


@dataclass(frozen=True)
class Crosswalk:
    """A crosswalk as read from a file (``mapping.yaml``), checked against the kind it is for."""

    kind: str | None = None
    code: Any = _UNSET  # a column name, None (codes derived from feature ids), or unset (matched by name)
    fields: dict[str, FieldSource] = field(default_factory=dict)
    extra: tuple[str, ...] = ()
    origin: str | None = None  # the file it was read from

    @property
    def code_given(self) -> bool:
        return self.code is not _UNSET


def _refuse(origin: str, message: str, where: str | None, found: Any = None, expected: str | None = None) -> None:
    raise ValidationError(
        [
            Problem(
                message,
                field=where,
                found=None if found is None else str(found)[:200],
                expected=expected,
                source=origin,
                check="crosswalk",
            )
        ],
        f"{origin} refused",
    )


def load_crosswalk(path: str | Path, kind: str | None = None) -> Crosswalk:
    """Read and check a crosswalk file; a refusal names the entry (``fields.kind.values``) that is wrong."""
    path = Path(path)
    if not path.exists():
        _refuse(path.name, "no such crosswalk file", None, str(path), "a YAML file (--write-mapping writes one)")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        _refuse(path.name, f"not readable as YAML ({exc})".replace("\n", " "), None, expected="a YAML mapping")
    return parse_crosswalk(doc, origin=path.name, kind=kind)


def parse_crosswalk(doc: Any, *, origin: str = "crosswalk", kind: str | None = None) -> Crosswalk:
    """Check a crosswalk given as plain data (from YAML, JSON or a web form)."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        _refuse(origin, "a crosswalk is a mapping", None, type(doc).__name__, ", ".join(TOP_KEYS))
    unknown = [k for k in doc if k not in TOP_KEYS]
    if unknown:
        _refuse(origin, "unknown entry", str(unknown[0]), unknown[0], "one of " + ", ".join(TOP_KEYS))
    file_kind = doc.get("kind")
    if file_kind is not None and file_kind not in KINDS:
        _refuse(origin, "unknown kind", "kind", file_kind, ", ".join(KINDS))
    if kind is not None and file_kind is not None and kind != file_kind:
        _refuse(origin, "the crosswalk is for another kind of record", "kind", file_kind, f"{kind} (as --kind says)")
    spec = KINDS[kind or file_kind or "hazard-areas"]
    fields: dict[str, FieldSource] = {}
    raw_fields = doc.get("fields") or {}
    if not isinstance(raw_fields, dict):
        _refuse(origin, "fields is a mapping of field: column", "fields", type(raw_fields).__name__)
    allowed = [f.name for f in spec.fields] + (["area", "area_unit"] if spec is HAZARD_AREAS else [])
    for name, entry in raw_fields.items():
        if name not in allowed:
            _refuse(origin, f"no such field for {spec.name}", f"fields.{name}", name, ", ".join(allowed))
        fields[name] = _source(origin, spec, str(name), entry)
    code: Any = _UNSET
    if "code" in doc:
        code = doc["code"]
        if code is not None and not isinstance(code, str):
            _refuse(origin, "code names one column (or null)", "code", code, "a column name")
    extra = doc.get("extra") or []
    if isinstance(extra, str):
        extra = [extra]
    if not isinstance(extra, list) or not all(isinstance(c, str) for c in extra):
        _refuse(origin, "extra lists column names", "extra", extra, "a list of column names")
    return Crosswalk(kind=file_kind, code=code, fields=fields, extra=tuple(extra), origin=origin)


def _source(origin: str, spec: KindSpec, name: str, entry: Any) -> FieldSource:
    where = f"fields.{name}"
    if isinstance(entry, str):
        return FieldSource(name, columns=(entry,))
    if isinstance(entry, list):
        entry = {"columns": entry}
    if not isinstance(entry, dict):
        _refuse(origin, "a field entry is a column name, a list of columns or a mapping", where, entry)
    unknown = [k for k in entry if k not in SOURCE_KEYS]
    if unknown:
        _refuse(origin, "unknown entry", f"{where}.{unknown[0]}", unknown[0], ", ".join(SOURCE_KEYS))
    given = [k for k in ("column", "columns", "value") if k in entry]
    if len(given) != 1:
        _refuse(origin, "say where the values come from: one of column, columns or value", where, given or "none")
    columns: tuple[str, ...] = ()
    if "column" in entry:
        columns = (str(entry["column"]),)
    elif "columns" in entry:
        cols = entry["columns"]
        if not isinstance(cols, list) or not cols or not all(isinstance(c, str) for c in cols):
            _refuse(origin, "columns lists one or more column names", f"{where}.columns", cols)
        columns = tuple(cols)
    parse = _field_parser(spec, name)
    constant = entry.get("value")
    if "value" in entry and constant is not None and parse(constant) is BAD:
        _refuse(origin, "the constant is not a value of this field", f"{where}.value", constant, _expected(spec, name))
    values: dict[str, Any] = {}
    raw_values = entry.get("values") or {}
    if not isinstance(raw_values, dict):
        _refuse(origin, "values maps the file's values to register values", f"{where}.values", raw_values)
    for k, v in raw_values.items():
        if isinstance(k, bool):
            _refuse(
                origin,
                "quote this value: YAML reads unquoted yes/no/on/off/true/false as a boolean",
                f"{where}.values",
                k,
                'a quoted key, e.g. "Yes": …',
            )
        target = None if v is None or (isinstance(v, str) and not v.strip()) else v
        if target is not None and str(target).strip() != UNDECIDED and parse(target) is BAD:
            _refuse(
                origin,
                "not a value of this field",
                f"{where}.values[{k!r}]",
                target,
                _expected(spec, name) + "; ~ for no value; ? while undecided",
            )
        values[value_key(k)] = UNDECIDED if target is not None and str(target).strip() == UNDECIDED else target
    join = entry.get("join", ";" if name == "eo_types" else " ")
    return FieldSource(name, columns=columns, constant=constant, join=str(join), values=values, how="crosswalk")


def _field_parser(spec: KindSpec, name: str) -> Callable[[Any], Any]:
    f = spec.field(name)
    if f is not None:
        return f.parse
    from landrelease.io.kinds import split_area

    if name == "area":
        return lambda v: BAD if split_area(v) is None else v
    return lambda v: v  # area_unit is checked by the validator


def _expected(spec: KindSpec, name: str) -> str:
    f = spec.field(name)
    return f.expected if f is not None else "an area, e.g. 12.5 ha"


# ---------------------------------------------------------------- resolution


@dataclass
class ColumnPlan:
    """How one import reads a file: code column, each field's source and parser, what stays in ``extra``."""

    spec: KindSpec
    code_column: str | None
    sources: dict[str, FieldSource]
    rest: list[str]
    problems: list[Problem] = field(default_factory=list)  # ambiguities: refuse the import
    notes: list[Problem] = field(default_factory=list)  # how a column was read, when not by its name
    origin: str | None = None  # the crosswalk file, if any
    code_how: str = "name"
    listed: tuple[str, ...] = ()  # columns the crosswalk keeps out of every field

    @property
    def mapping(self) -> dict[str, str]:
        """Field -> the column (or made-up name) its values are under in a batch."""
        return {f: s.key for f, s in self.sources.items()}

    @property
    def parsers(self) -> dict[str, Callable[[Any], Any]]:
        return {f: self._parser(s) for f, s in self.sources.items() if self.spec.field(f) is not None}

    def _parser(self, s: FieldSource) -> Callable[[Any], Any]:
        base = self.spec.field(s.name).parse  # type: ignore[union-attr]
        if s.how == "implied":  # evidence eo_type from the event terms of the kind column
            kind_source = self.sources.get("kind")
            kind_map = kind_source.values if kind_source is not None else {}
            eo_of = vocabulary(EvidenceKind).eo_of

            def implied(value: Any) -> Any:
                target = kind_map.get(value_key(value), value)
                if target is None or target == UNDECIDED:
                    return BLANK
                eo = eo_of.get(term_key(target))
                return eo if eo is not None else BLANK

            return implied
        partner = self.spec.field(s.partner) if s.partner else None
        other = vocabulary(partner.vocabulary) if partner is not None and partner.vocabulary else None
        if not s.values and other is None:
            return base
        values = s.values

        def mapped(value: Any) -> Any:
            k = value_key(value)
            if k not in values:
                out = base(value)
                if out is BAD and other is not None and other.knows(value):
                    return BLANK  # the other field's term, seen past the first batch
                return out
            target = values[k]
            if target is None:
                return BLANK
            if target == UNDECIDED:
                return BAD
            return base(target)

        return mapped

    def explain(self, fld: str, value: Any) -> tuple[str, str] | None:
        """For a value a field refused: why, and the way forward (message, expected)."""
        s = self.sources.get(fld)
        where = self.origin or "a crosswalk"
        if s is not None and s.values.get(value_key(value), "") == UNDECIDED:
            return (
                f"value left undecided (?) in {where}",
                f"a register value in place of ? under fields.{fld}.values",
            )
        f = self.spec.field(fld)
        expected = f.expected if f is not None else ""
        if s is not None and s.how == "crosswalk" and self.origin:
            return ("unknown value", f"{expected}; or say what it means under fields.{fld}.values in {self.origin}")
        return None

    def columns(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """A batch's columns with the made-up ones (joined columns, constants) added."""
        n = len(next(iter(columns.values()))) if columns else 0
        out = columns
        for s in self.sources.values():
            if len(s.columns) == 1:
                continue
            if out is columns:
                out = dict(columns)
            if not s.columns:
                out[s.key] = np.full(n, s.constant, dtype=object)
            else:
                out[s.key] = _joined([columns[c] for c in s.columns], s.join)
        return out

    def uses(self) -> list[tuple[str, str, str]]:
        """(column or source, field, how) for each field read, then (column, "extra", ...) for the rest."""
        out = []
        if self.code_column:
            out.append((self.code_column, "code", self.code_how))
        for f, s in self.sources.items():
            out.append((s.key if s.columns else f"constant {s.constant!r}", f, s.how))
        out += [(c, "extra" if self.spec.keeps_extra else "not used", "") for c in self.rest]
        return out

    def to_json(self) -> dict[str, Any]:
        """The crosswalk the import used (stored with its record), as plain data."""
        return {
            "kind": self.spec.name,
            "code": self.code_column,
            "fields": {f: s.to_json() for f, s in self.sources.items()},
            "extra": list(self.rest),
            "crosswalk_file": self.origin,
        }


def _joined(parts: list[np.ndarray], sep: str) -> np.ndarray:
    text = [pd.Series(p, dtype=object).map(lambda v: "" if _blank(v) else str(v).strip()).to_numpy() for p in parts]
    out = text[0]
    for t in text[1:]:
        both = (out != "") & (t != "")
        out = np.where(both, out + sep + t, out + t)
    out = out.astype(object)
    out[out == ""] = None
    return out


def _distinct(values: np.ndarray | None) -> list[Any]:
    """The distinct non-blank values of a column (None when there are too many for a vocabulary)."""
    if values is None or len(values) == 0:
        return []
    arr = np.asarray(values)
    if arr.dtype.kind in "iufbMm":  # numbers, booleans and dates are no terms
        return []
    try:
        uniq = pd.unique(pd.Series(arr, dtype=object))
    except TypeError:  # unhashable values (nested lists or objects) are no terms either
        return []
    if len(uniq) > MAX_VOCABULARY_VALUES:
        return []
    return [u for u in uniq.tolist() if not _blank(u)]


def _fits(spec: KindSpec, values: list[Any]) -> list[str]:
    """The vocabulary fields of a kind whose vocabulary knows every value (at least one not a weak term)."""
    if not values or all(_numeric(v) for v in values):
        return []
    out = []
    for f in spec.fields:
        if f.vocabulary is None:
            continue
        vocab = vocabulary(f.vocabulary)
        if f.name == "eo_types":
            parts = [p for v in values for p in str(v).replace("|", ";").replace(",", ";").split(";") if p.strip()]
            ok = bool(parts) and all(vocab.knows(p) for p in parts)
            keys = {term_key(p) for p in parts}
        else:
            ok = all(vocab.knows(v) for v in values)
            keys = {term_key(v) for v in values}
        if ok and not keys <= vocab.weak:
            out.append(f.name)
    return out


def _split(spec: KindSpec, values: list[Any]) -> dict[str, list[Any]] | None:
    """Two vocabulary fields that share a column's values between them, each value a term of exactly one."""
    owners: dict[str, list[Any]] = {}
    for v in values:
        fields = [
            f.name
            for f in spec.fields
            if f.vocabulary is not None and f.name != "eo_types" and vocabulary(f.vocabulary).knows(v)
        ]
        if len(fields) != 1:
            return None
        owners.setdefault(fields[0], []).append(v)
    return owners if len(owners) == 2 else None


def _numeric(v: Any) -> bool:
    try:
        float(str(v).replace(",", "."))
    except ValueError:
        return False
    return True


def _examples(values: list[Any], n: int = 3) -> str:
    shown = ", ".join(repr(v) for v in values[:n])
    return shown + (f" (+{len(values) - n} more)" if len(values) > n else "")


def _by_name(columns: Iterable[str], aliases: tuple[str, ...], used: set[str], by_key: dict[str, str]) -> str | None:
    # a Shapefile keeps 10 characters of a column name: "machine_accessible" arrives as "machine_ac"
    for key in (*aliases, *(a[:10] for a in aliases if len(a) > 10)):
        col = by_key.get(key)
        if col is not None and col not in used:
            return col
    return None


def resolve(
    columns: tuple[str, ...],
    spec: KindSpec,
    crosswalk: Crosswalk | None = None,
    sample: dict[str, np.ndarray] | None = None,
    *,
    source: str | None = None,
) -> ColumnPlan:
    """Decide how to read a file's columns: the crosswalk first, then names, then values.

    ``sample`` holds some records' values per column (the first batch of an import, or every
    distinct value when writing a crosswalk); value-based reading looks at those.
    """
    cw = crosswalk or Crosswalk()
    origin = cw.origin
    present = set(columns)
    missing = [c for s in cw.fields.values() for c in s.columns if c not in present]
    missing += [c for c in cw.extra if c not in present]
    if cw.code_given and cw.code is not None and cw.code not in present:
        missing.append(cw.code)
    if missing:
        raise ValidationError(
            [
                Problem(
                    "the crosswalk names a column the file does not have",
                    field=m,
                    found=m,
                    expected="one of " + ", ".join(columns),
                    source=origin or "crosswalk",
                    check="crosswalk",
                )
                for m in dict.fromkeys(missing)
            ],
            f"{origin or 'crosswalk'} does not fit {source or 'the file'}",
        )
    sources: dict[str, FieldSource] = dict(cw.fields)
    used: set[str] = {c for s in sources.values() for c in s.columns} | set(cw.extra)
    by_key: dict[str, str] = {}
    for c in columns:
        by_key.setdefault(snake(c), c)
    if cw.code_given and cw.code is not None:
        used.add(cw.code)

    # by name: fields first, so that e.g. "type" goes to a team's type before anything else
    named: dict[str, str] = {}
    for f in spec.fields:
        if f.name in sources:
            continue
        col = _by_name(columns, f.aliases, used | set(named.values()), by_key)
        if col is not None:
            named[f.name] = col
    taken = used | set(named.values())
    code_how = "crosswalk" if cw.code_given else "name"
    code = cw.code if cw.code_given else _by_name(columns, spec.code_aliases, taken, by_key)
    if code is not None:
        taken.add(code)
    if spec is HAZARD_AREAS:
        for fname, aliases in (("area", AREA_ALIASES), ("area_unit", AREA_UNIT_ALIASES)):
            if fname not in sources:
                col = _by_name(columns, aliases, taken, by_key)
                if col is not None:
                    named[fname] = col
                    taken.add(col)

    problems: list[Problem] = []
    notes: list[Problem] = []
    where = source or "the file"

    def note(column: str, message: str, severity: Severity = Severity.ADVISORY) -> None:
        notes.append(Problem(message, field=column, source=where, severity=severity, check="column_reading"))

    def ambiguous(column: str, message: str, found: str, choices: str) -> None:
        problems.append(
            Problem(
                message,
                field=column,
                found=found,
                expected=choices,
                source=where,
                check="ambiguous_column",
            )
        )

    sample = sample or {}
    distinct = {c: _distinct(sample.get(c)) for c in columns if c not in used and c != code}
    fits = {c: _fits(spec, v) for c, v in distinct.items()}
    vocab_fields = {f.name for f in spec.fields if f.vocabulary is not None}

    def described(fname: str) -> str:
        f = spec.field(fname)
        assert f is not None and f.vocabulary is not None
        return vocabulary(f.vocabulary).description

    # a column matched by name to a vocabulary field whose values belong to another field
    for fname, col in list(named.items()):
        if fname not in vocab_fields or not distinct.get(col):
            continue
        fit = fits[col]
        if not fit:
            split = _split(spec, distinct[col])
            if split is not None and fname in split and all(g == fname or g not in named for g in split):
                # one column, two vocabularies ("Suspected Minefield" on some records, "Cleared Areas" on
                # others): each value feeds the field whose term it is, the other field gets nothing
                del named[fname]
                for target, mine in split.items():
                    sources[target] = FieldSource(
                        target,
                        columns=(col,),
                        values={value_key(v): (v if v in mine else None) for v in distinct[col]},
                        how="values",
                        why=f"its values mix {' and '.join(described(g) for g in split)}",
                        partner=next(g for g in split if g != target),
                    )
                note(
                    col,
                    f"read as {' and '.join(split)}: its values mix "
                    + " and ".join(f"{described(g)} ({_examples(v)})" for g, v in split.items()),
                )
            continue
        if fname in fit:
            continue
        if len(fit) > 1:
            ambiguous(
                col,
                f"its name says {fname}, but its values are terms of {', '.join(fit)}",
                _examples(distinct[col]),
                f"a crosswalk (--mapping) that says which field it is: one of {', '.join(fit)}",
            )
            continue
        (other,) = fit
        if other in sources or other in named:  # another column already gives that field
            given = sources[other].key if other in sources else named[other]
            ambiguous(
                col,
                f"its name says {fname}, but its values are {described(other)}, which column {given!r} gives",
                _examples(distinct[col]),
                f"a crosswalk (--mapping) naming the column of {other}, or listing {col!r} under extra",
            )
            continue
        del named[fname]
        named[other] = col
        sources[other] = FieldSource(
            other,
            columns=(col,),
            how="values",
            why=f"its values are {described(other)} ({_examples(distinct[col])}), not {described(fname)}",
        )
        note(col, f"read as {other}, not {fname}: its values are {described(other)} ({_examples(distinct[col])})")

    for fname, col in named.items():
        if fname not in sources:
            sources[fname] = FieldSource(fname, columns=(col,), how="name")

    # columns that no name matched, but whose values are all terms of one vocabulary
    claims: dict[str, list[str]] = {}
    for col in columns:
        if col in taken or col not in fits:
            continue
        if not fits[col]:
            split = _split(spec, distinct[col])
            if split is not None and not any(g in sources for g in split):
                for target, mine in split.items():
                    sources[target] = FieldSource(
                        target,
                        columns=(col,),
                        values={value_key(v): (v if v in mine else None) for v in distinct[col]},
                        how="values",
                        why=f"its values mix {' and '.join(described(g) for g in split)}",
                        partner=next(g for g in split if g != target),
                    )
                taken.add(col)
                note(col, f"read as {' and '.join(split)}: its values mix them")
            continue
        fit = [f for f in fits[col] if f not in sources]
        if len(fit) == 1:
            claims.setdefault(fit[0], []).append(col)
        elif len(fit) > 1:
            note(
                col,
                f"kept in extra: its values ({_examples(distinct[col])}) could be {' or '.join(fit)}; "
                "a crosswalk (--mapping) can say which",
            )
        else:
            note(col, f"kept in extra: its values are {described(fits[col][0])}, but that field has its column")
    for fname, cols in claims.items():
        if len(cols) > 1:
            for col in cols:
                ambiguous(
                    col,
                    f"several columns hold {described(fname)}: {', '.join(cols)}",
                    _examples(distinct[col]),
                    f"a crosswalk (--mapping) saying which column gives {fname} (the others under extra)",
                )
            continue
        (col,) = cols
        sources[fname] = FieldSource(fname, columns=(col,), how="values", why=f"its values are {described(fname)}")
        taken.add(col)
        note(col, f"read as {fname}: its values are {described(fname)} ({_examples(distinct[col])})")

    # evidence: terms that name the event and the device ("AP mine accident") give eo_type too
    kind_source = sources.get("kind")
    if spec.name == "evidence" and "eo_type" not in sources and kind_source is not None and kind_source.columns:
        eo_of = vocabulary(EvidenceKind).eo_of
        col = kind_source.key
        candidates = list(kind_source.values.values()) + distinct.get(col, [])
        if len(kind_source.columns) == 1 and any(
            isinstance(t, str) and term_key(t) in eo_of for t in candidates if t is not None
        ):
            sources["eo_type"] = FieldSource(
                "eo_type", columns=kind_source.columns, how="implied", why="the event terms name the device too"
            )

    order = [f.name for f in spec.fields] + ["area", "area_unit"]
    sources = {f: sources[f] for f in order if f in sources}
    used_now = {c for s in sources.values() for c in s.columns} | ({code} if code else set())
    rest = [c for c in columns if c not in used_now]
    return ColumnPlan(
        spec=spec,
        code_column=code,
        sources=sources,
        rest=rest,
        problems=problems,
        notes=notes,
        origin=origin,
        code_how=code_how,
        listed=cw.extra,
    )


# ---------------------------------------------------------------- writing a starting crosswalk


def _q(value: Any) -> str:
    """A YAML scalar: JSON's double-quoted strings are valid YAML, and keep "1", "yes" and "~" as text."""
    if value is None:
        return "~"
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    text = str(value)
    if text.replace("_", "").isalnum() and text.isascii() and not _numeric(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


_YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}


def meaning(plan: ColumnPlan, fname: str, value: Any) -> str:
    """What a file's value means for a field, as the crosswalk will write it: a register value or ``?``."""
    s = plan.sources.get(fname)
    if s is not None and value_key(value) in s.values:
        target = s.values[value_key(value)]
        return UNDECIDED if target is None else str(target)
    f = plan.spec.field(fname)
    if f is None or f.vocabulary is None:
        return UNDECIDED
    vocab = vocabulary(f.vocabulary)
    if fname == "eo_types":
        parts = [p for p in str(value).replace("|", ";").replace(",", ";").split(";") if p.strip()]
        found = [vocab.lookup(p) for p in parts]
        return ";".join(m.value for m in found if m is not None) if parts and all(found) else UNDECIDED
    member = vocab.lookup(value)
    if member is None:
        return UNDECIDED
    eo = vocabulary(EvidenceKind).eo_of.get(term_key(value)) if f.vocabulary is EvidenceKind else None
    return f"{member.value} + {eo.value}" if isinstance(eo, EOType) else str(member.value)


def write_crosswalk_text(
    plan: ColumnPlan,
    counts: dict[str, Counter[Any]],
    *,
    file_name: str,
    all_columns: tuple[str, ...],
) -> str:
    """A starting crosswalk for a file, with every guess and every distinct value of vocabulary columns."""
    spec = plan.spec
    lines = [
        f"# Crosswalk for {file_name}: how its columns and values become landrelease {spec.name}.",
        f"# Written by `landrelease import {file_name} --write-mapping`. Check every guess, replace every ?",
        "# with a register value or a known term (or ~ for none), then import with:",
        f"#   landrelease import {file_name} --mapping THIS_FILE [--dry-run]",
        "# A field can be one column (name: COLUMN), several (name: [A, B]) or a constant (name: {value: X}).",
        f"kind: {spec.name}",
    ]
    why_code = "matched by name" if plan.code_column else "no code column found: codes are derived from feature ids"
    lines.append(f"code: {_q(plan.code_column)}  # {why_code}")
    lines.append("fields:")
    for f, s in plan.sources.items():
        if s.how == "implied":
            lines.append(f"  # {f}: from the {s.columns[0]} values that name a device (e.g. AP mine accident)")
            continue
        reason = {
            "name": "matched by name",
            "values": s.why or "read from its values",
            "crosswalk": "from the crosswalk given",
        }.get(s.how, s.how)
        spec_f = spec.field(f)
        vocab_field = spec_f is not None and spec_f.vocabulary is not None
        if not s.columns:
            lines.append(f"  {f}: {{value: {_q(s.constant)}}}  # {reason}")
            continue
        col = s.columns[0] if len(s.columns) == 1 else None
        if not vocab_field or col is None:
            target = _q(col) if col else "[" + ", ".join(_q(c) for c in s.columns) + "]"
            lines.append(f"  {f}: {target}  # {reason}")
            continue
        lines.append(f"  {f}:  # {reason}")
        lines.append(f"    column: {_q(col)}")
        values = counts.get(col, Counter())
        if not values:
            lines.append("    values: {}  # the column is blank on every record")
            continue
        lines.append("    values:  # the file's value: what it means (records)")
        shown = values.most_common(MAX_VOCABULARY_VALUES)
        for value, n in shown:
            m = meaning(plan, f, value)
            tail = "known term" if m != UNDECIDED else "unknown: say what it means"
            if " + " in m:  # a compound event term: the kind, the device comes with it
                m, tail = m.split(" + ")[0], f"known term; device {m.split(' + ')[1]}"
            shown_meaning = _q(m) if m != UNDECIDED else '"?"'  # a bare ? is YAML syntax
            lines.append(f"      {_q(value_key_text(value))}: {shown_meaning}  # {n:,}; {tail}")
        if len(values) > len(shown):
            lines.append(f"      # … and {len(values) - len(shown):,} more distinct values")
    missing = [f.name for f in spec.fields if f.name not in plan.sources and f.name != "extra"]
    if missing:
        example = {"hazard-areas": "status: {value: cleared}", "evidence": "source: {value: event register}"}
        lines.append(
            f"  # fields no column gave (add one, or a constant such as {example.get(spec.name, 'F: {value: X}')}):"
        )
        row: list[str] = []
        for name in missing:
            if row and len(", ".join([*row, name])) > 90:
                lines.append("  #   " + ", ".join(row) + ",")
                row = []
            row.append(name)
        lines.append("  #   " + ", ".join(row))
    kept = [c for c in all_columns if c in plan.rest]
    word = "kept in each record's extra" if spec.keeps_extra else "not used by this kind"
    lines.append(f"extra: [{', '.join(_q(c) for c in kept)}]  # columns {word}")
    for p in plan.notes + plan.problems:
        lines.append(f"# note: column {p.field}: {p.message}")
    return "\n".join(lines) + "\n"


def value_key_text(value: Any) -> str:
    """A file value as written in a crosswalk key (``1.0`` as ``1``, text as it is)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


__all__ = [
    "UNDECIDED",
    "ColumnPlan",
    "Crosswalk",
    "FieldSource",
    "load_crosswalk",
    "meaning",
    "parse_crosswalk",
    "resolve",
    "value_key",
    "write_crosswalk_text",
]
