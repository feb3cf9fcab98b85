"""The console's access-control matrix (issue 7): for every role and every endpoint, a request
for another body's report, key wrap, notes, attachments, officers or audit entries is refused,
and no refusal carries anything of it. The figures are printed."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

import crypto
from kiosk_client.client import Attachment, SedaClient
from server.app import create_app
from server.console.accounts import BODY_ROLES
from server.db.models import OfficerRole
from server.settings import Settings
from tests.console_support import Clock, Device, escrow_targets, grant_demo_key, make_account
from tests.intake_support import draft, seeded_sqlite

HOLDER = "provincial_dg_prisons--tehran"  # holds the report
OTHER = "provincial_dg_prisons--fars"  # another province's directorate: does not
REFUSED = {401, 403, 404}
# A signed-in outsider is refused by the role and body checks, not by a broken session: were
# their sessions refused (401), the matrix would pass without testing those checks at all.
REFUSED_SIGNED_IN = {403, 404}
SIGNED_OUT = {401}


def _accounts(http: TestClient[Any], clock: Clock, url: str, keys: Any) -> dict[str, Device]:
    """One signed-in account of every role: the holding body's officer and administrator, the
    other body's, and the roles that belong to no body."""
    plan = {
        "holder_officer": (OfficerRole.OFFICER, HOLDER),
        "holder_admin": (OfficerRole.BODY_ADMIN, HOLDER),
        "other_officer": (OfficerRole.OFFICER, OTHER),
        "other_admin": (OfficerRole.BODY_ADMIN, OTHER),
        "transcriber": (OfficerRole.BOX_TRANSCRIBER, "institution_inspection_representative--tehran-central"),
        "summary_reader": (OfficerRole.SUMMARY_READER, "organization_inspection--national"),
        "operator": (OfficerRole.OPERATOR, None),
    }
    devices = {}
    for name, (role, body) in plan.items():
        username = name.replace("_", ".")
        device = Device(http, clock, username)
        device.enrol(make_account(url, username, role, body))
        if role in BODY_ROLES:
            grant_demo_key(url, keys, username)
        assert device.sign_in().status_code == 201, name
        devices[name] = device
    return devices


def _requests(
    report_id: str, attachment_id: str, officer_id: int, message: dict[str, Any]
) -> list[tuple[str, str, Any]]:
    """(method, path, body) for every console endpoint, aimed at the holding body's things."""
    wrap = {
        "key_id": base64.b64encode(b"\x01" * 16).decode(),
        "wrapped": base64.b64encode(b"\x02" * 40).decode(),
    }
    case = f"/console/api/reports/{report_id}"
    return [
        ("GET", case, None),
        ("GET", f"{case}/attachments/{attachment_id}/chunks/0", None),
        ("POST", f"{case}/acknowledge", {}),
        ("POST", f"{case}/triage", {"triage": "not_acted_upon"}),
        ("POST", f"{case}/assign", {"officer_id": None}),
        ("POST", f"{case}/notes", {"message": {**message, "kind": "note"}}),
        ("POST", f"{case}/replies", {"message": message}),
        ("POST", f"{case}/referrals", {"to_body": OTHER, "wrap": wrap}),
        ("POST", f"{case}/rewraps", {"to_body": OTHER, "wrap": wrap}),
        (
            "POST",
            f"{case}/rekey-tag",
            {"key_id": wrap["key_id"], "tag": base64.b64encode(bytes(32)).decode()},
        ),
        ("POST", f"{case}/close", {"outcome": "not_substantiated", "message": message}),
        ("POST", f"{case}/close/approve", {}),
        (
            "POST",
            f"/console/api/body/officers/{officer_id}/grant",
            {"body_key_id": wrap["key_id"], "grant": wrap["wrapped"]},
        ),
        ("DELETE", f"/console/api/body/officers/{officer_id}", None),
    ]


def _escrowed_and_removed(
    http: TestClient[Any], clock: Clock, url: str, keys: Any, admin: Device
) -> dict[str, tuple[Device | None, set[int]]]:
    """Two more outsiders: an officer of a body holding only an escrowed wrap (before its
    deadline), and an officer of the holding body its administrator removed."""
    # A body the reporter's device escrowed a wrap for, before the deadline releases it.
    waiting = sorted(code for code, unreleased in escrow_targets(url) if unreleased)
    assert waiting, "the draft's report escrows a wrap for its escalation body"
    escrowed = Device(http, clock, "escrow.officer")
    escrowed.enrol(make_account(url, "escrow.officer", OfficerRole.OFFICER, waiting[0]))
    grant_demo_key(url, keys, "escrow.officer")
    assert escrowed.sign_in().status_code == 201

    # The holding body's own officer, removed by its administrator: the session is dead.
    leaver = Device(http, clock, "holder.leaver")
    leaver.enrol(make_account(url, "holder.leaver", OfficerRole.OFFICER, HOLDER))
    grant_demo_key(url, keys, "holder.leaver")
    assert leaver.sign_in().status_code == 201
    leaver_id = leaver.get("/console/api/me").json()["officer"]["id"]
    removed = _send(admin, http, "DELETE", f"/console/api/body/officers/{leaver_id}", None)
    assert removed.status_code == 204
    return {"escrow_officer": (escrowed, REFUSED_SIGNED_IN), "removed_holder_officer": (leaver, SIGNED_OUT)}


def _send(device: Device | None, http: TestClient[Any], method: str, path: str, body: Any) -> Any:
    headers = device._headers(**{"x-csrf-token": device.csrf}) if device else {}
    return (
        http.request(method, path, json=body, headers=headers)
        if body is not None
        else http.request(method, path, headers=headers)
    )


def test_no_role_reaches_another_bodys_report_keys_notes_officers_or_audit(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, figures: list[str]
) -> None:
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    clock = Clock()
    app = create_app(Settings(database_url=url, puzzle_bits=0, deadline_job_seconds=0), clock=clock)
    with TestClient(app, base_url="https://seda.test") as http:
        reporter = SedaClient(http, keys.root_public, sleep=lambda _: None, clock=clock)
        evidence = Attachment("photo.jpg", "image/jpeg", b"CANARY-attachment" * 100)
        submitted = reporter.submit(draft("CANARY-report-text", attachments=[evidence]))
        report_id = submitted.receipt.report_id
        assert HOLDER in submitted.receipt.recipients
        assert OTHER not in submitted.receipt.recipients
        devices = _accounts(http, clock, url, keys)
        holder = devices["holder_officer"]
        data, envelope, opened = holder.open_case(report_id)
        note = holder.seal("note", envelope, opened, "CANARY-note")
        assert holder.post(f"/console/api/reports/{report_id}/notes", {"message": note}).status_code == 204
        secrets_of_the_case = [
            report_id.encode(),
            data["wrap"]["wrapped"].encode(),
            note["body"].encode(),
            base64.b64encode(crypto.encode_envelope(envelope)[:64]),
        ]
        reply = holder.seal("reply", envelope, opened, "CANARY-reply")
        attachment_id = opened.payload.attachments[0].attachment_id
        holder_officer_id = holder.get("/console/api/me").json()["officer"]["id"]
        requests = _requests(
            report_id, attachment_id, holder_officer_id, {**reply, "message_id": str(uuid.uuid4())}
        )
        outsiders: dict[str, tuple[Device | None, set[int]]] = {
            name: (d, REFUSED_SIGNED_IN) for name, d in devices.items() if not name.startswith("holder")
        }
        outsiders |= _escrowed_and_removed(http, clock, url, keys, devices["holder_admin"])
        outsiders["signed_out"] = (None, SIGNED_OUT)

        tried = refused = 0
        leaks: list[str] = []
        for name, (device, expected) in outsiders.items():
            for method, path, body in requests:
                answer = _send(device, http, method, path, body)
                tried += 1
                refused += answer.status_code in expected
                if answer.status_code not in expected:
                    leaks.append(f"{name} {method} {path}: {answer.status_code}")
                if any(secret in answer.content for secret in secrets_of_the_case):
                    leaks.append(f"{name} {method} {path}: the answer carries the case")
            # Listings: another body's inbox, officers and audit hold nothing of the holder's.
            for path in ("/console/api/inbox", "/console/api/body/officers", "/console/api/audit"):
                answer = _send(device, http, "GET", path, None)
                tried += 1
                ok_empty = answer.status_code == 200 and not any(
                    s in answer.content for s in secrets_of_the_case
                )
                holder_named = f'"id":{holder_officer_id},'.encode() in answer.content.replace(b" ", b"")
                if answer.status_code in expected or (ok_empty and not holder_named):
                    refused += 1
                else:
                    leaks.append(f"{name} GET {path}: {answer.status_code} shows the holder's")

        # Every console endpoint the application serves was tried.
        served = {r.path for r in app.routes if r.path.startswith("/console/api/")}
        reached = {_template(path) for _, path, _ in requests} | {
            "/console/api/inbox",
            "/console/api/body/officers",
            "/console/api/audit",
        }
        open_to_all = {
            "/console/api/enrolment/begin",
            "/console/api/enrolment/complete",
            "/console/api/enrolment/confirm",
            "/console/api/salt",
            "/console/api/session/end",
            "/console/api/body/officers/new",  # always in the administrator's own body
            "/console/api/session",
            "/console/api/me",
            "/console/api/body/officers",
            # The operator's kiosk screens: no body's anything (tests/test_kiosk.py tries every role).
            "/console/api/kiosks",
            "/console/api/kiosks/new",
            "/console/api/kiosks/{kiosk_id:int}/approve",
            "/console/api/kiosks/{kiosk_id:int}/revoke",
        }
        # The boxes section: reach by box, not by case (tests/test_boxes.py tries every role).
        open_to_all |= {path for path in served if path.startswith("/console/api/boxes")}
        # The summaries: reach by unit and view (tests/test_summaries_console.py tries every role).
        open_to_all |= {path for path in served if path.startswith("/console/api/summaries")}
        assert served - reached - open_to_all == set(), served - reached

        # The holding body still can: the matrix refuses outsiders, not everyone.
        assert holder.get(f"/console/api/reports/{report_id}").status_code == 200
        figures.append(
            f"console access matrix: {len(outsiders)} outsiders x {len(requests) + 3} endpoints, "
            f"{tried} pairs tried, {refused} refused, {len(leaks)} leaks"
        )
        assert not leaks, leaks
        assert refused == tried


def _template(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if _is_uuid(part):
            parts.append(
                "{report_id:uuid}" if not parts or parts[-1] == "reports" else "{attachment_id:uuid}"
            )
        elif part.isdigit():
            parts.append("{position:int}" if parts and parts[-1] == "chunks" else "{officer_id:int}")
        else:
            parts.append(part)
    return "/".join(parts)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
