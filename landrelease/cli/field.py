"""Field reporting commands: ``landrelease reports import | pull | queue | review | approve | form-lists``."""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from landrelease.cli.base import app, console, fail, open_register
from landrelease.cli.lazy import LightGroup
from landrelease.domain.errors import LandreleaseError
from landrelease.field.review import ReviewAction, ReviewKind, ReviewState

reports_app = typer.Typer(
    cls=LightGroup,
    help="Daily reports from the field (KoboToolbox / ODK) and their review.",
    no_args_is_help=True,
)
app.add_typer(reports_app, name="reports")


def _intake_line(done: Any) -> str:
    return (
        f"{done.received} report(s) read: {done.stored} new, {done.resubmitted} resubmitted, "
        f"{done.duplicates} already stored (resends); new ones wait for review"
    )


@reports_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="KoboToolbox XLSX/CSV or ODK Central ZIP/CSV export of the daily-report form")
    ],
    finds: Annotated[Path | None, typer.Option(help="the finds repeat CSV, when not beside the main CSV")] = None,
    actor: Annotated[str, typer.Option(help="who submits (recorded in the review history)")] = "field-import",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import a form export: every submission checked, all stored (for review) or none."""
    from landrelease.io.kobo import read_reports
    from landrelease.services.field_reports import submit_reports

    try:
        reports = read_reports(file, finds)
        with open_register() as register:
            done = submit_reports(register, reports, actor=actor, source=file.name)
    except LandreleaseError as exc:
        raise fail(exc) from None
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "received": done.received,
                    "stored": done.stored,
                    "resubmitted": done.resubmitted,
                    "duplicates": done.duplicates,
                }
            )
        )
    else:
        console.print(_intake_line(done))


@reports_app.command()
def pull(
    url: Annotated[str, typer.Argument(help="ODK Central …/forms/FORM.svc or KoboToolbox …/api/v2/assets/UID/data/")],
    token: Annotated[
        str, typer.Option(envvar="LANDRELEASE_COLLECT_TOKEN", help="API token (or LANDRELEASE_COLLECT_TOKEN)")
    ],
    since: Annotated[
        datetime | None, typer.Option(help="only submissions received after (default: the newest already pulled)")
    ] = None,
    actor: Annotated[str, typer.Option(help="who submits")] = "field-pull",
) -> None:
    """Fetch new submissions from the server and store them for review (a resend counts once)."""
    from landrelease.io.collect import pull as fetch
    from landrelease.io.collect import server_kind
    from landrelease.io.kobo import to_reports
    from landrelease.services.field_reports import last_submission, submit_reports

    try:
        kind = server_kind(url)
        with open_register() as register:
            start = since or last_submission(register, kind)
            with console.status(f"fetching submissions from {kind}…"):
                subs = fetch(url, token, since=start)
            done = submit_reports(register, to_reports(subs), actor=actor, source=kind)
    except LandreleaseError as exc:
        raise fail(exc) from None
    console.print(f"{kind}: " + _intake_line(done))


@reports_app.command()
def queue(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """What waits for review (oldest first)."""
    from landrelease.services.field_reports import review_queue

    with open_register() as register:
        items = review_queue(register)
    if as_json:
        typer.echo(json.dumps(items, default=str))
        return
    t = Table(title=f"Waiting for review: {len(items)}", title_justify="left")
    for col in ("kind", "record", "hazard area", "what", "state", "organisation", "submitted by", "received"):
        t.add_column(col)
    for i in items:
        t.add_row(
            i["kind"],
            i["record"],
            i["hazard_code"] or "",
            i["summary"],
            i["state"],
            i["operator"] or "",
            i["submitted_by"] or "",
            str(i["submitted_at"])[:16],
        )
    console.print(t)


@reports_app.command()
def review(
    kind: Annotated[ReviewKind, typer.Argument()],
    record: Annotated[str, typer.Argument(help="the report's UUID or the proposal's code")],
    action: Annotated[ReviewAction, typer.Argument()],
    reason: Annotated[str | None, typer.Option(help="why (required to return)")] = None,
    actor: Annotated[str | None, typer.Option(help="the reviewer (default: your user name)")] = None,
) -> None:
    """One review step on one record (review, approve, return with --reason, resubmit)."""
    from landrelease.services.field_reports import review as step

    who = actor or getpass.getuser()
    try:
        with open_register() as register:
            s = step(
                register, kind, record, action, actor=who, reviewer=action is not ReviewAction.RESUBMIT, reason=reason
            )
    except LandreleaseError as exc:
        raise fail(exc) from None
    console.print(f"{s.kind.value} {s.record}: {s.from_state.value} → {s.to_state.value} ({s.actor})")


@reports_app.command()
def approve(
    records: Annotated[list[str] | None, typer.Argument(help="UUIDs / proposal codes (or --all)")] = None,
    all_waiting: Annotated[bool, typer.Option("--all", help="every record waiting for review")] = False,
    actor: Annotated[str | None, typer.Option(help="the reviewer (default: your user name)")] = None,
) -> None:
    """Review and approve records (two audited steps each); each one refused is named, the others go on."""
    from landrelease.services.field_reports import review as step
    from landrelease.services.field_reports import review_queue

    who = actor or getpass.getuser()
    with open_register() as register:
        waiting = {
            i["record"]: i
            for i in review_queue(
                register,
                states=[ReviewState.SUBMITTED, ReviewState.RESUBMITTED, ReviewState.UNDER_REVIEW],
                limit=1_000_000,
            )
        }
        chosen = list(waiting) if all_waiting else list(records or [])
        if not chosen:
            raise fail("name the records to approve, or --all")
        approved, refused = 0, 0
        for rec in chosen:
            item = waiting.get(rec)
            if item is None:
                console.print(f"[yellow]{rec}: not waiting for review[/]")
                refused += 1
                continue
            kind = ReviewKind(item["kind"])
            try:
                if item["state"] != ReviewState.UNDER_REVIEW.value:
                    step(register, kind, rec, ReviewAction.REVIEW, actor=who, reviewer=True)
                step(register, kind, rec, ReviewAction.APPROVE, actor=who, reviewer=True)
                approved += 1
            except LandreleaseError as exc:
                console.print(f"[yellow]{rec}: {exc}[/]")
                refused += 1
    console.print(f"{approved} approved, {refused} not")


@reports_app.command("form-lists")
def form_lists(
    folder: Annotated[Path, typer.Argument(help="where to write teams.csv, hazard_areas.csv, tasks.csv")],
) -> None:
    """Write the daily-report form's choice lists from the register (attach them to the form on the server)."""
    from landrelease.io.xlsform import FORM_PATH, write_form_lists
    from landrelease.services.field_reports import form_lists as lists

    with open_register() as register:
        teams, areas, tasks = lists(register)
    for p in write_form_lists(folder, teams, areas, tasks):
        console.print(f"wrote {p}")
    console.print(f"the form itself: {FORM_PATH}")


@app.command()
def handover(
    hazard_code: Annotated[str, typer.Argument(help="the released hazard area")],
    authority: Annotated[str, typer.Option(help="the receiving authority (e.g. the municipality)")],
    received_by: Annotated[str, typer.Option(help="who receives the land for it")],
    on: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="date of handover (default today)")] = None,
    out: Annotated[Path | None, typer.Option(help="write the certificate (.pdf or .html)")] = None,
    actor: Annotated[str | None, typer.Option(help="who issues it (default: your user name)")] = None,
) -> None:
    """Issue the handover certificate of a released area (IMAS 08.30): refused for open land or a failed inspection."""
    from landrelease.reports.handover import write_certificate
    from landrelease.services.quality import issue_handover

    day = (on or datetime.now()).date()
    try:
        with open_register() as register:
            cert = issue_handover(
                register,
                hazard_code,
                receiving_authority=authority,
                received_by=received_by,
                handed_over_on=day,
                actor=actor or getpass.getuser(),
            )
    except LandreleaseError as exc:
        raise fail(exc) from None
    console.print(
        f"certificate {cert.number}: {cert.hazard_code}, {cert.area_m2:,.0f} m² to {cert.receiving_authority}"
    )
    if out is not None:
        console.print(f"wrote {write_certificate(cert, out)}")


def demo_step(register: Any, out: Path, *, seed: int, today: Any) -> dict[str, Any]:
    """The demo's field operations: three weeks of daily reports as a KoboToolbox export, imported
    and reviewed (one returned), accidents, risk education, a QA inspection and a handover."""
    from landrelease.io.kobo import read_reports
    from landrelease.reports.handover import write_certificate
    from landrelease.samples.field import sample_accidents, sample_eore, sample_submissions, write_kobo_export
    from landrelease.services import casualties, eore, quality
    from landrelease.services import field_reports as svc
    from landrelease.services.register import HazardFilter

    if svc.report_counts(register):
        console.print("Field reports are already in the register.")
        return {}
    folder = out / "field"
    subs = sample_submissions(
        register.hazard_areas(HazardFilter(open_only=True)), register.teams(), seed=seed, today=today
    )
    export = write_kobo_export(folder / "kobotoolbox-export.xlsx", subs)
    done = svc.submit_reports(register, read_reports(export), actor="field teams (KoboToolbox)", source=export.name)
    console.print(f"{export}: {_intake_line(done)}")
    waiting = svc.review_queue(register, limit=1_000_000)
    returned = waiting[0]["record"] if waiting else None
    for item in waiting:
        kind, rec = ReviewKind(item["kind"]), item["record"]
        svc.review(register, kind, rec, ReviewAction.REVIEW, actor="analyst", reviewer=True)
        if rec == returned:
            svc.review(
                register,
                kind,
                rec,
                ReviewAction.RETURN,
                actor="analyst",
                reviewer=True,
                reason="the area cleared does not match the lanes marked on the sketch; please check",
            )
        else:
            svc.review(register, kind, rec, ReviewAction.APPROVE, actor="analyst", reviewer=True)
    approved = len(register.daily_reports())
    console.print(f"reviewed: {approved} approved, 1 returned to the operator with a reason")
    acc, vic = sample_accidents(register.hazard_areas(HazardFilter(open_only=True)), seed=seed, today=today)
    casualties.record_accidents(register, acc, vic, actor="analyst")
    sessions = sample_eore(register.settlements(), seed=seed, today=today)
    eore.record_eore_sessions(register, sessions, actor="analyst")
    summary = eore.summary_json(eore.eore_summary(register))
    console.print(
        f"{len(acc)} accident record(s) (evidence for the model); {summary['sessions']} risk education "
        f"sessions reaching {summary['beneficiaries']:,} people"
    )
    result: dict[str, Any] = {"reports": done.stored, "approved": approved, "accidents": len(acc), "eore": summary}
    cleared = [a for a in register.activities() if a.kind.value == "clearance" and a.released]
    if cleared:
        from landrelease.field.qa import Inspection

        code = cleared[0].hazard_code
        plan, _units = quality.inspection_plan(register, code, seed=seed)
        insp = Inspection(code, plan, today, "Authority QA", cleared[0].operator, plan.sample_units, seed=seed)
        quality.record_inspection(register, insp, actor="qa officer")
        cert = quality.issue_handover(
            register,
            code,
            receiving_authority="Municipality",
            received_by="Head of the land office",
            handed_over_on=today,
            actor="analyst",
        )
        pdf = write_certificate(cert, folder / f"handover-{cert.number}.pdf")
        console.print(f"QA of {code}: {plan.rule}; passed. Handover certificate: {pdf}")
        result["handover"] = str(pdf)
    return result


@reports_app.command()
def progress(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Planned tasks' progress from approved daily reports (m² processed over planned m²)."""
    from landrelease.services.field_reports import task_progress

    with open_register() as register:
        rows = [r for r in task_progress(register) if r["processed_m2"] > 0]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    t = Table(title=f"Tasks with approved daily reports: {len(rows)}", title_justify="left")
    for col in ("task", "hazard area", "team", "method", "planned m²", "processed m²", "share"):
        t.add_column(col, justify="right" if "m²" in col or col == "share" else "left")
    for r in rows:
        t.add_row(
            r["task"],
            r["hazard_code"],
            r["team"] or "",
            r["method"],
            f"{r['planned_m2']:,.0f}",
            f"{r['processed_m2']:,.0f}",
            f"{r['share']:.0%}",
        )
    console.print(t)
