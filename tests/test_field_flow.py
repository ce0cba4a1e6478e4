"""From the phone to the figures: an export imported (or pulled from a stub server), reviewed,
approved, and moving the calibration and the model; QA, reopening, handover; accidents; EORE."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest
import shapely
from shapely.geometry import Point
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.domain.activity import Activity, ReleasedPart
from landrelease.domain.asset import Team
from landrelease.domain.enums import ActivityKind, AssetType, EOType, HazardKind, HazardStatus, Level, ReleaseMethod
from landrelease.domain.errors import ValidationError
from landrelease.domain.hazard import HazardArea
from landrelease.domain.task import Task
from landrelease.field.casualty import Accident, ActivityAtTime, AgeBand, Outcome, Sex, Victim
from landrelease.field.eore import EoreMethod, EoreSession
from landrelease.field.qa import Inspection, Nonconformity, NonconformitySeverity
from landrelease.field.review import ReviewAction, ReviewKind
from landrelease.services import casualties, eore, quality
from landrelease.services import field_reports as svc
from landrelease.storage.repository import HazardFilter, Register
from tests.field_support import kobo_json, odata_json, odk_central_zip

SQUARE = shapely.box(47.0, 40.0, 47.00235, 40.0018)
runner = CliRunner()


def seed(register: Register) -> None:
    with register.unit_of_work(actor="setup") as uow:
        uow.add_hazard_areas([HazardArea(code="HA-1", geometry=SQUARE, operator="Operator A", clutter=Level.LOW)])
        uow.add_teams([Team("MAN-01", AssetType.MANUAL, Point(47, 40), size=8, operator="Operator A")])
        uow.replace_plan([Task("T-1", "HA-1", ActivityKind.CLEARANCE, 40_000.0, team="MAN-01")])


def phone(n: int, **kw: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "uuid": str(uuid.UUID(int=n)),
        "team": "MAN-01",
        "hazard_area": "HA-1",
        "task": "T-1",
        "report_date": f"2026-05-{n:02d}",
        "team_leader": "Leader",
        "position": (40.0005, 47.0005),
        "areas": {"cleared": 900},
        "hours_worked": 6,
        "stoppages": {},
        "finds": [],
        "notes": "",
    }
    s.update(kw)
    return s


def test_an_export_imports_waits_for_review_and_moves_calibration_and_model(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", database_url)
    reg = Register.open(database_url)
    seed(reg)
    subs = [phone(n) for n in range(1, 11)]
    subs[3]["finds"] = [
        {
            "category": "ap_mine",
            "model": "PMN-2",
            "condition": "intact",
            "depth_cm": 8,
            "find_position": (40.001, 47.001),
            "disposal": "destroyed_in_situ",
        }
    ]
    export = odk_central_zip(tmp_path / "landrelease_daily_report.zip", subs)
    from landrelease.services.assess import run_model
    from landrelease.services.forecast import register_calibration as calibration_of

    prior = calibration_of(reg).estimates
    before = run_model(reg).results[0]
    out = runner.invoke(app, ["reports", "import", str(export), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"received": 10, "stored": 10, "resubmitted": 0, "duplicates": 0}
    again = runner.invoke(app, ["reports", "import", str(export), "--json"])
    assert json.loads(again.output)["duplicates"] == 10
    assert reg.daily_reports() == []  # nothing counts before review
    assert run_model(reg).results[0].p_any == pytest.approx(before.p_any)
    out = runner.invoke(app, ["reports", "approve", "--all", "--actor", "analyst-1"])
    assert out.exit_code == 0 and "10 approved" in out.output, out.output
    assert len(reg.daily_reports()) == 10
    assert reg.hazard_area("HA-1").status is HazardStatus.IN_PROGRESS
    (t1,) = svc.task_progress(reg)
    assert t1["processed_m2"] == 9000.0 and t1["share"] == pytest.approx(9000 / 40_000)
    assert svc.area_progress(reg)["HA-1"]["cleared"] == 9000.0
    post = calibration_of(reg).estimates
    key = next(k for k in post if k[0] is AssetType.MANUAL and k[1] is Level.LOW)
    assert post[key].n_reports == 10 and post[key].posterior_median != pytest.approx(prior[key].posterior_median)
    after = run_model(reg).results[0]
    assert after.p_any != pytest.approx(before.p_any)  # the find raises, the searched days lower
    reg.close()


def test_a_bad_export_is_refused_whole_naming_row_and_field(tmp_path: Path, sqlite_env: str) -> None:
    reg = Register.open(sqlite_env)
    seed(reg)
    subs = [phone(1), phone(2, areas={"cleared": 10_000_000})]
    out = runner.invoke(app, ["reports", "import", str(odk_central_zip(tmp_path / "e.zip", subs))])
    assert out.exit_code == 2
    assert str(uuid.UUID(int=2)) in out.output and "area_by_method.cleared" in out.output
    assert svc.report_page(reg, limit=5, offset=0)[2] == 0
    reg.close()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", url)
    return url


class _Stub(BaseHTTPRequestHandler):
    """Speaks ODK Central's OData and KoboToolbox's v2 submission lists, two pages each."""

    docs: ClassVar[dict[str, Any]] = {}
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urlparse(self.path)
        q = parse_qs(url.query)
        auth = self.headers.get("Authorization")
        type(self).seen.append((self.path, auth))
        host = f"http://127.0.0.1:{self.server.server_address[1]}"
        if url.path.endswith(".svc/Submissions"):
            if auth != "Bearer odk-token":
                return self._send(401, {"message": "no"})
            value = self.docs["odata"]["value"]
            page = int(q.get("$skiptoken", ["0"])[0])
            body: dict[str, Any] = {"value": value[page : page + 2]}
            if page + 2 < len(value):
                body["@odata.nextLink"] = f"{host}{url.path}?$skiptoken={page + 2}"
            return self._send(200, body)
        if url.path.startswith("/api/v2/assets/"):
            if auth != "Token kobo-token":
                return self._send(401, {"detail": "no"})
            results = self.docs["kobo"]["results"]
            start = int(q.get("start", ["0"])[0])
            body = {
                "count": len(results),
                "results": results[start : start + 2],
                "previous": None,
                "next": f"{host}{url.path}?format=json&start={start + 2}" if start + 2 < len(results) else None,
            }
            return self._send(200, body)
        self._send(404, {})

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_pull_from_odk_central_and_kobotoolbox_stub_servers(stub: str, sqlite_env: str) -> None:
    reg = Register.open(sqlite_env)
    seed(reg)
    _Stub.docs = {
        "odata": odata_json([phone(n) for n in range(1, 6)]),
        "kobo": kobo_json([phone(n) for n in range(4, 9)]),
    }
    odk = f"{stub}/v1/projects/1/forms/landrelease_daily_report.svc"
    out = runner.invoke(app, ["reports", "pull", odk, "--token", "odk-token"])
    assert out.exit_code == 0 and "5 new" in out.output, out.output
    kobo = f"{stub}/api/v2/assets/aBc123/data/"
    out = runner.invoke(app, ["reports", "pull", kobo, "--token", "kobo-token"])
    assert out.exit_code == 0 and "3 new" in out.output and "2 already stored" in out.output, out.output
    assert svc.report_page(reg, limit=50, offset=0)[2] == 8
    bad = runner.invoke(app, ["reports", "pull", odk, "--token", "wrong"])
    assert bad.exit_code == 2 and "token" in bad.output
    assert any("%24expand=%2A" in p or "$expand=*" in p for p, _ in _Stub.seen)
    reg.close()


def test_qa_failure_reopens_the_land_and_handover_needs_a_pass(register: Register) -> None:
    seed(register)
    with register.unit_of_work(actor="setup") as uow:
        uow.record_activity(
            Activity(
                "HA-1",
                ActivityKind.CLEARANCE,
                date(2026, 4, 1),
                date(2026, 4, 30),
                team="MAN-01",
                operator="Operator A",
                clearance_depth_cm=13.0,
                released=[ReleasedPart(ReleaseMethod.CLEARED, SQUARE)],
            )
        )
    plan, units = quality.inspection_plan(register, "HA-1", seed=3)
    assert len(units) == plan.sample_units and "IMAS 09.20" in plan.rule
    with pytest.raises(ValidationError):  # no inspection yet: cleared land is not handed over
        quality.issue_handover(
            register,
            "HA-1",
            receiving_authority="Municipality",
            received_by="Head of office",
            handed_over_on=date(2026, 5, 20),
            actor="ana",
        )
    failed = Inspection(
        "HA-1",
        plan,
        date(2026, 5, 10),
        "Authority QA",
        "Operator A",
        12,
        seed=3,
        nonconformities=[
            Nonconformity(NonconformitySeverity.CRITICAL, "AP mine at 9 cm", Point(47.001, 40.001), EOType.AP_MINE, 9.0)
        ],
    )
    done = quality.record_inspection(register, failed, actor="qa")
    assert done["result"] == "failed" and done["reopened"] == "HA-1/QA1"
    new = register.hazard_area("HA-1/QA1")
    assert new.status is HazardStatus.OPEN and new.kind is HazardKind.CHA
    assert register.hazard_area("HA-1").status is HazardStatus.CLEARED  # history kept
    assert "HA-1/QA1" in {a.code for a in register.hazard_areas(HazardFilter(open_only=True))}
    passed = Inspection("HA-1", plan, date(2026, 5, 15), "Authority QA", "Operator A", plan.sample_units)
    quality.record_inspection(register, passed, actor="qa")
    cert = quality.issue_handover(
        register,
        "HA-1",
        receiving_authority="Municipality",
        received_by="Head of office",
        handed_over_on=date(2026, 5, 20),
        actor="ana",
    )
    assert cert.number == "HO-00001" and cert.clearance_depth_cm == 13.0 and "passed" in (cert.inspection or "")
    assert quality.stored_certificate(register, "HO-00001")["receiving_authority"] == "Municipality"


def test_accidents_are_evidence_and_victims_personal_fields_are_kept_from_others(register: Register) -> None:
    seed(register)
    acc = Accident(
        "ACC-1", Point(47.001, 40.001), date(2026, 3, 2), EOType.AP_MINE, False, ActivityAtTime.FARMING, "HA-1"
    )
    vic = Victim(
        "ACC-1", Sex.MALE, AgeBand.CHILD, Outcome.INJURED, "lower-limb amputation", name="A Name", contact="+000"
    )
    casualties.record_accidents(register, [acc], [vic], actor="ana")
    (ev,) = casualties.accidents_as_evidence(register)
    assert ev.kind.value == "accident" and ev.eo_type is EOType.AP_MINE
    assert "name" not in casualties.victims(register, personal=False)[0]
    assert casualties.victims(register, personal=True)[0]["name"] == "A Name"
    with pytest.raises(ValidationError) as err:
        casualties.record_accidents(register, [acc], [], actor="ana")
    assert err.value.problems[0].field == "code"
    with register.reading() as conn:
        from landrelease.storage import schema

        payloads = [r.payload for r in conn.execute(schema.audit_event.select())]
    assert "A Name" not in json.dumps(payloads) and "+000" not in json.dumps(payloads)
    assert casualties.casualty_summary(register)["injured"] == 1


def test_eore_sessions_and_their_summary(register: Register) -> None:
    s = EoreSession(
        "E-1",
        Point(47, 40),
        "School 4",
        date(2026, 5, 3),
        "NGO A",
        EoreMethod.INTERPERSONAL,
        {(Sex.FEMALE, AgeBand.CHILD): 21, (Sex.MALE, AgeBand.CHILD): 19, (Sex.FEMALE, AgeBand.ADULT): 4},
    )
    eore.record_eore_sessions(register, [s], actor="ana", now=datetime(2026, 6, 1, tzinfo=UTC))
    summary = eore.summary_json(eore.eore_summary(register, date(2026, 5, 1), date(2026, 5, 31)))
    assert summary["sessions"] == 1 and summary["beneficiaries"] == 44
    assert {"sex": "female", "age_band": "0-17", "people": 21} in summary["by_sex_age"]
    with pytest.raises(ValidationError):
        eore.record_eore_sessions(register, [s], actor="ana")


def test_review_a_report_through_the_cli(sqlite_env: str, tmp_path: Path) -> None:
    reg = Register.open(sqlite_env)
    seed(reg)
    svc.submit_reports(reg, [], actor="x")
    runner.invoke(app, ["reports", "import", str(odk_central_zip(tmp_path / "e.zip", [phone(1)]))])
    u = str(uuid.UUID(int=1))
    assert runner.invoke(app, ["reports", "review", "daily_report", u, "review", "--actor", "ana"]).exit_code == 0
    out = runner.invoke(app, ["reports", "review", "daily_report", u, "return", "--actor", "ana"])
    assert out.exit_code == 2 and "reason" in out.output
    out = runner.invoke(
        app, ["reports", "review", "daily_report", u, "return", "--actor", "ana", "--reason", "no GPS fix"]
    )
    assert out.exit_code == 0 and "returned" in out.output
    steps = svc.review_history(reg, ReviewKind.DAILY_REPORT, u)
    assert [s["action"] for s in steps] == [ReviewAction.REVIEW.value, ReviewAction.RETURN.value]
    lists = runner.invoke(app, ["reports", "form-lists", str(tmp_path / "lists")])
    assert lists.exit_code == 0
    assert (tmp_path / "lists" / "tasks.csv").read_text().splitlines()[1].endswith(",HA-1")
    reg.close()
