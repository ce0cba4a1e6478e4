"""Imports over the web: an analyst uploads a file, sees the preview and its problems, adjusts the
crosswalk, imports. The same checks, dry run and crosswalks as ``landrelease import``.

The file travels with each request (nothing is kept between requests); it is written to a
private temporary folder under its own name (its suffix says its format), read, and deleted.
Only admins and analysts import; every import is recorded with who did it and the crosswalk.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from landrelease.api.auth import DATA_EDITORS, require
from landrelease.api.problems import ApiProblem
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.user import User
from landrelease.io.kinds import KINDS
from landrelease.io.readers import SUFFIX_DRIVER
from landrelease.services.importing import Crosswalk, import_file, import_history, parse_crosswalk, starting_crosswalk

router = APIRouter(prefix="/api/imports", tags=["imports"])
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
CROSSWALK_NAME = "crosswalk (upload page)"
Editor = Annotated[User, Depends(require(*DATA_EDITORS))]


@contextmanager
def _saved(upload: UploadFile, limit: int = MAX_UPLOAD_BYTES) -> Iterator[tuple[Path, str]]:
    """The uploaded file in a private temporary folder, under its own (cleaned) name."""
    name = Path(upload.filename or "").name
    name = re.sub(r"[^\w.\- ]+", "_", name).strip() or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIX_DRIVER:
        raise ApiProblem(
            415,
            f"unsupported file type {suffix or '(no suffix)'}: send one of {', '.join(sorted(SUFFIX_DRIVER))} "
            "(a Shapefile zipped with its .shx, .dbf and .prj)",
            field="file",
        )
    folder = Path(tempfile.mkdtemp(prefix="landrelease-upload-"))
    try:
        path = folder / name
        size = 0
        with path.open("wb") as out:
            while block := upload.file.read(1 << 20):
                size += len(block)
                if size > limit:
                    raise ApiProblem(
                        413,
                        f"the file is larger than {limit / 2**20:g} MiB: import it with "
                        "`landrelease import` on the server",
                        field="file",
                    )
                out.write(block)
        yield path, name
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _crosswalk(text: str | None, kind: str | None) -> Crosswalk | None:
    if not text or not text.strip():
        return None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(
            [
                Problem(
                    f"the crosswalk is not readable as YAML ({exc})".replace("\n", " "),
                    field="mapping",
                    expected="YAML as --write-mapping writes it",
                    source=CROSSWALK_NAME,
                    check="crosswalk",
                )
            ],
            "crosswalk refused",
        ) from None
    return parse_crosswalk(doc, origin=CROSSWALK_NAME, kind=kind)


def _kind(kind: str | None) -> str | None:
    if kind in (None, ""):
        return None
    if kind not in KINDS:
        raise ApiProblem(422, f"unknown kind {kind!r}: one of {', '.join(KINDS)}", field="kind")
    return kind


def _options(
    kind: str | None, layer: str | None, status: str | None, crs: str | None, encoding: str | None
) -> dict[str, Any]:
    return {
        "kind": _kind(kind),
        "layer": layer or None,
        "status": status or None,
        "crs": crs or None,
        "encoding": encoding or None,
    }


@router.post("/crosswalk", summary="A starting crosswalk for a file (admin, analyst)")
def crosswalk_for_file(
    request: Request,
    user: Editor,
    file: Annotated[UploadFile, File(description="the file to import")],
    kind: Annotated[str | None, Form()] = None,
    layer: Annotated[str | None, Form()] = None,
    crs: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    mapping: Annotated[str | None, Form(description="a crosswalk (YAML) to start from")] = None,
) -> dict[str, Any]:
    """Every column with its guessed field and every distinct value of vocabulary columns with its
    guessed meaning (or ``?``), as YAML to edit; nothing is written."""
    options = _options(kind, layer, None, crs, encoding)
    with _saved(file, request.app.state.settings.import_max_bytes) as (path, name):
        text, plan = starting_crosswalk(
            path,
            kind=options["kind"],
            layer=options["layer"],
            crs=options["crs"],
            encoding=options["encoding"],
            mapping=_crosswalk(mapping, options["kind"]),
            source_name=name,
        )
    return {"crosswalk": text, "columns": [{"column": c, "field": f, "how": h} for c, f, h in plan.uses()]}


def _run(
    request: Request,
    user: User,
    file: UploadFile,
    dry_run: bool,
    fix: bool,
    mapping: str | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    with _saved(file, request.app.state.settings.import_max_bytes) as (path, name):
        report = import_file(
            request.app.state.register,
            path,
            fix=fix,
            dry_run=dry_run,
            mapping=_crosswalk(mapping, options["kind"]),
            actor=user.name,
            source_name=name,
            **options,
        )
    return report.to_json()


@router.post("/preview", summary="Check a file and show what would be stored; writes nothing (admin, analyst)")
def preview(
    request: Request,
    user: Editor,
    file: Annotated[UploadFile, File(description="the file to import")],
    kind: Annotated[str | None, Form()] = None,
    layer: Annotated[str | None, Form()] = None,
    fix: Annotated[bool, Form()] = False,
    status: Annotated[str | None, Form()] = None,
    crs: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    mapping: Annotated[str | None, Form(description="a crosswalk (YAML)")] = None,
) -> dict[str, Any]:
    """The dry run: columns and how they are read, counts per value, per kind and status with km²,
    repairs and skips. A file that would be refused is answered 422 with every problem."""
    return _run(request, user, file, True, fix, mapping, _options(kind, layer, status, crs, encoding))


@router.post("", status_code=201, summary="Import a file: every record or none (admin, analyst)")
def import_upload(
    request: Request,
    user: Editor,
    file: Annotated[UploadFile, File(description="the file to import")],
    kind: Annotated[str | None, Form()] = None,
    layer: Annotated[str | None, Form()] = None,
    fix: Annotated[bool, Form()] = False,
    status: Annotated[str | None, Form()] = None,
    crs: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    mapping: Annotated[str | None, Form(description="a crosswalk (YAML)")] = None,
) -> dict[str, Any]:
    """Import in one transaction; recorded with the user and the crosswalk (``GET /api/imports``)."""
    # the import appends an audit event: tiles and OGC pages cached for the older data version go stale
    return _run(request, user, file, False, fix, mapping, _options(kind, layer, status, crs, encoding))


@router.get("", summary="The history of imports: file, SHA-256, crosswalk, who, when (admin, analyst)")
def history(request: Request, user: Editor, limit: int = 50) -> list[dict[str, Any]]:
    limit = max(1, min(limit, 500))
    return [r.to_json() for r in import_history(request.app.state.register, limit)]
