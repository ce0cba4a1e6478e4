"""Audit commands: ``landrelease audit verify | anchor | show``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from landrelease.cli.base import app, console, err_console, fail, open_register
from landrelease.cli.lazy import LightGroup

audit_app = typer.Typer(
    cls=LightGroup,
    help="The audit trail: verify the register against it, anchor it, show history.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")
SHOWN_PER_KIND = 50


@audit_app.command("verify")
def verify(
    anchor: Annotated[
        Path | None, typer.Option(help="an anchor exported by `audit anchor`: detects deleted newest events")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check the chain (links, hashes, HMAC signatures) and that every audited row is as last audited.

    Exit code 1 when anything is wrong, naming the first broken link and every row changed
    behind the application's back.
    """
    from landrelease.services import audit

    try:
        anchor_data = json.loads(anchor.read_text()) if anchor else None
    except (OSError, ValueError) as exc:
        raise fail(f"cannot read the anchor {anchor}: {exc}") from None
    with open_register() as register:
        result = audit.verify(register, anchor_data)
    if as_json:
        console.print_json(
            data={
                "events": result.events,
                "signed_events": result.signed_events,
                "rows_checked": result.rows_checked,
                "head": list(result.head) if result.head else None,
                "first_broken": result.first_broken,
                "findings": [
                    {
                        "kind": f.kind,
                        "message": f.message,
                        "event": f.event,
                        "table": f.table,
                        "row_id": f.row_id,
                        "code": f.code,
                    }
                    for f in result.findings
                ],
                "notes": result.notes,
            }
        )
    else:
        head = f"head event {result.head[0]}" if result.head else "no events"
        console.print(
            f"{result.events} event(s) ({result.signed_events} signed), {head}; "
            f"{result.rows_checked} audited row(s) checked",
            highlight=False,
        )
        for note in result.notes:
            console.print(f"[yellow]note[/]: {note}", highlight=False)
        if result.first_broken is not None:
            err_console.print(f"[bold red]first broken link[/]: event {result.first_broken}", highlight=False)
        shown: dict[str, int] = {}
        for f in result.findings:
            shown[f.kind] = shown.get(f.kind, 0) + 1
            if shown[f.kind] <= SHOWN_PER_KIND:
                err_console.print(f"[bold red]{f.kind}[/]: {f.message}", highlight=False, soft_wrap=True)
        for kind, n in shown.items():
            if n > SHOWN_PER_KIND:
                err_console.print(f"… and {n - SHOWN_PER_KIND} more '{kind}' finding(s) (all of them: --json)")
        if not result.findings:
            console.print("[green]the register is as audited: 0 findings[/]")
        else:
            err_console.print(f"{len(result.findings)} finding(s)", highlight=False)
    if result.findings:
        raise typer.Exit(1)


@audit_app.command("anchor")
def anchor(
    out: Annotated[Path | None, typer.Option(help="write the anchor to this file (default: print it)")] = None,
) -> None:
    """Export the chain's signed head (sequence, hash, signature, time); keep it outside the database."""
    from landrelease.services import audit

    with open_register() as register:
        try:
            data = audit.anchor(register)
        except ValueError as exc:
            raise fail(str(exc)) from None
        signed = register.audit_key is not None
    text = json.dumps(data, indent=2)
    if out is None:
        console.print(text, highlight=False, markup=False)
    else:
        out.write_text(text + "\n")
        console.print(f"anchored event {data['sequence']} in {out}", highlight=False)
    if not signed:
        err_console.print("[yellow]note[/]: LANDRELEASE_AUDIT_KEY is not set: the anchor is unsigned")


@audit_app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="a hazard area's code (its remainders CODE/n are shown too)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print a hazard area's whole history from the audit trail, oldest first."""
    from landrelease.services import audit

    with open_register() as register:
        events = audit.history(register, code)
    if not events:
        raise fail(f"no audited event about hazard area {code!r}", code=1)
    if as_json:
        console.print_json(data=events)
        return
    for e in events:
        what = f"{e['action']} {e['entity']}" + (f" {e['key']}" if e["key"] else "")
        payload = json.dumps(e["payload"], sort_keys=True, default=str)
        console.print(
            f"#{e['sequence']}  {e['at']}  {e['actor']}: {what}  {payload}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
