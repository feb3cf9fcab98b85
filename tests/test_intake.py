"""Intake and tracking through the API: submit, look up, reply, follow up (DESIGN.md §4.1-2),
exactly once, and every refusal typed and changing nothing (DESIGN.md §2.3, §2.6)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

import crypto
from crypto import puzzle
from kiosk_client import wire
from kiosk_client.cli import _plain, report_cli
from kiosk_client.client import Attachment, OutcomeUnknownError, SedaClient, TrustError, UnavailableError
from routing.decide import escalation_targets, facts_from_metadata
from server.cli import cli
from server.db.lifecycle import Database
from server.db.models import (
    EscrowWrap,
    Message,
    ProtectionKind,
    Report,
    ReportRecipient,
    StatusEvent,
    Upload,
    UploadChunk,
)
from server.db.types import round_down_to_hour
from server.demo.keys import DemoKeys
from server.errors import ServiceUnavailableError
from server.intake.abuse import LookupLimits
from server.intake.committer import GroupCommitter
from server.intake.schemas import Submission
from server.intake.service import ConflictError, plan_submission
from server.intake.trust import TrustStore
from server.intake.uploads import purge_abandoned
from tests.escrow_support import add_referral, escrow_of, last_message, record_measure, release_escrow
from tests.intake_support import Officer, draft, in_process_client, seed_database, seeded_sqlite

JSON = {"content-type": "application/json"}
Seeded = tuple[str, DemoKeys]


@pytest.fixture
def seeded(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def seeded_any(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Seeded:
    if request.param == "sqlite":
        return seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    url = str(request.getfixturevalue("postgres_url"))
    return url, seed_database(url, tmp_path / "keys")


def count(url: str, model: Any) -> int:
    async def work() -> int:
        database = Database(url)
        try:
            async with database.sessions() as session:
                return int(await session.scalar(select(func.count()).select_from(model)) or 0)
        finally:
            await database.dispose()

    return asyncio.run(work())


def table_counts(url: str) -> dict[str, int]:
    models = (Report, ReportRecipient, StatusEvent, Message, Upload, UploadChunk)
    return {model.__tablename__: count(url, model) for model in models}


def solve(http: TestClient[Litestar], purpose: str, subject: bytes) -> dict[str, str]:
    challenge = http.get("/api/v1/puzzle").json()
    nonce = puzzle.solve(base64.b64decode(challenge["challenge"]), challenge["bits"], purpose, subject)
    return {"challenge": challenge["challenge"], "nonce": base64.b64encode(nonce).decode()}


def announce_upload(http: TestClient[Litestar], chunks: list[bytes]) -> tuple[str, Any]:
    """Announce a sealed attachment of these chunks; its id and the server's answer."""
    attachment_id = str(uuid.uuid4())
    start = {
        "attachment_id": attachment_id,
        "chunks": len(chunks),
        "sha256": crypto.stream_digest(chunks),
        "chunk_sha256": [hashlib.sha256(chunk).digest() for chunk in chunks],
        "puzzle": solve(http, "upload", uuid.UUID(attachment_id).bytes),
    }
    return attachment_id, post(http, "/api/v1/uploads", start)


def post(http: TestClient[Litestar], path: str, body: dict[str, Any]) -> Any:
    return http.post(path, content=msgspec.json.encode(body), headers=JSON)


def sealed(
    client: SedaClient, http: TestClient[Litestar], text: str = "متن", **overrides: object
) -> dict[str, Any]:
    secrets = crypto.derive_from_token(crypto.new_token())
    body = client.build_submission(draft(text, **overrides), secrets, solve_puzzle=False)
    report_id = uuid.UUID(body["envelope"].report_id)
    body["puzzle"] = solve(http, "submit", report_id.bytes)
    return body


# -- round trips -------------------------------------------------------------------------


def test_a_report_round_trips_through_the_api(seeded_any: Seeded) -> None:
    url, keys = seeded_any
    with in_process_client(url, keys) as (client, _):
        submitted = client.submit(draft("متن گزارش", identity=crypto.ReporterIdentity(name="نام")))
        status = client.status(submitted.token)
        assert status.view.status == "received"
        assert status.view.report_id == submitted.receipt.report_id
        assert [item.status for item in status.view.history] == ["received"]
        assert status.view.acknowledge_by == submitted.receipt.acknowledge_by
        body = submitted.receipt.recipients[0]
        _, opened = Officer(url, keys, body).open(submitted.receipt.report_id)
        assert opened.payload.text == "متن گزارش"
        Officer(url, keys, body).reply(submitted.receipt.report_id, "پاسخ نهاد")
        replies = client.status(submitted.token.grouped(persian=True)).replies
        assert [reply.text for reply in replies] == ["پاسخ نهاد"]
        assert replies[0].body == body


def test_every_recipient_body_can_open_the_report_and_only_they_hold_wraps(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        receipt = client.submit(draft("برای همه")).receipt
    for body in receipt.recipients:
        assert Officer(url, keys, body).open(receipt.report_id)[1].payload.text == "برای همه"
    outsider = next(code for code in keys.body_seeds if code not in receipt.recipients)
    with pytest.raises(crypto.OpenError):
        Officer(url, keys, outsider).open(receipt.report_id)


def test_attachments_upload_in_chunks_and_open_for_the_bodies(seeded: Seeded) -> None:
    url, keys = seeded
    data = os.urandom(200_000)  # four chunks
    with in_process_client(url, keys) as (client, _):
        receipt = client.submit(
            draft("با پیوست", attachments=[Attachment("photo.jpg", "image/jpeg", data)])
        ).receipt
    envelope, opened = Officer(url, keys, receipt.recipients[0]).open(receipt.report_id)
    ref = opened.payload.attachments[0]

    async def chunks() -> list[bytes]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                rows = await session.scalars(
                    select(UploadChunk.data)
                    .where(UploadChunk.upload_id == uuid.UUID(ref.attachment_id))
                    .order_by(UploadChunk.position)
                )
                return list(rows)
        finally:
            await database.dispose()

    assert crypto.open_attachment(opened.keys, envelope.context(), ref, asyncio.run(chunks())) == data


def test_a_follow_up_reaches_the_bodies_and_retaliation_escalates(seeded_any: Seeded) -> None:
    url, keys = seeded_any
    with in_process_client(url, keys) as (client, _):
        submitted = client.submit(draft("اول", category="health", concerns="conditions"))
        plain = client.follow_up(submitted.token, "اطلاعات بیشتر")
        assert plain.added_bodies == []
        escalated = client.follow_up(submitted.token, "تهدید شدم", retaliation=True)
        view = client.status(submitted.token).view
    assert escalated.retaliation
    assert view.retaliation
    assert escalated.added_bodies, "retaliation must add a body outside the organization"
    waiting = {r.body for r in view.recipients if r.awaiting_key}
    assert waiting == set(escalated.added_bodies)
    assert count(url, Message) == 2


# -- exactly once ------------------------------------------------------------------------


def test_the_same_submission_twice_gives_the_same_receipt_and_one_report(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, http):
        body = sealed(client, http)
        first = post(http, "/api/v1/reports", body)
        second = post(http, "/api/v1/reports", body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert table_counts(url)["reports"] == 1
    assert table_counts(url)["status_events"] == 1


def test_another_envelope_under_a_used_report_id_is_refused_and_changes_nothing(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, http):
        body = sealed(client, http, "اول")
        assert post(http, "/api/v1/reports", body).status_code == 201
        before = table_counts(url)
        other = sealed(client, http, "دوم")
        envelope = msgspec.structs.replace(other["envelope"], report_id=body["envelope"].report_id)
        other.update(envelope=envelope, puzzle=body["puzzle"])
        answer = post(http, "/api/v1/reports", other)
    assert answer.status_code == 409
    assert answer.json()["code"] == "report-id-conflict"
    assert table_counts(url) == before


# -- refusals ----------------------------------------------------------------------------


def _refused(url: str, answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code
    assert table_counts(url)["reports"] == 0


def test_a_report_sealed_to_fewer_bodies_than_the_policy_requires_is_refused(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, http):
        body = sealed(client, http)
        envelope = body["envelope"]
        body["envelope"] = msgspec.structs.replace(envelope, recipients=envelope.recipients[:-1])
        _refused(url, post(http, "/api/v1/reports", body), 422, "routing-refused")


def test_a_report_sealed_to_an_extra_body_the_reporter_did_not_choose_is_refused(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, http):
        docs = client.documents()
        extra = next(e.body for e in docs.directory.bodies if e.body.startswith("institution_"))
        body = sealed(client, http, reporter_choices=[extra])
        body["reporter_choices"] = []
        _refused(url, post(http, "/api/v1/reports", body), 422, "routing-refused")
        body["reporter_choices"] = [extra]
        assert post(http, "/api/v1/reports", body).status_code == 201


def test_an_unknown_category_or_institution_is_refused(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, http):
        body = sealed(client, http)
        routing = msgspec.structs.replace(body["envelope"].routing, category="no_such_category")
        body["envelope"] = msgspec.structs.replace(body["envelope"], routing=routing)
        _refused(url, post(http, "/api/v1/reports", body), 422, "invalid-envelope")
        routing = msgspec.structs.replace(routing, category="health", institution="nowhere")
        body["envelope"] = msgspec.structs.replace(body["envelope"], routing=routing)
        _refused(url, post(http, "/api/v1/reports", body), 422, "routing-refused")


def test_a_submission_made_with_an_older_directory_is_refused_as_stale(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, http):
        body = sealed(client, http)
        body["directory_serial"] += 1
        _refused(url, post(http, "/api/v1/reports", body), 409, "stale-directory")


def test_a_submission_without_a_genuine_fresh_solved_puzzle_is_refused(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys, puzzle_bits=12) as (client, http):
        body = sealed(client, http)
        good = body["puzzle"]
        for bad in (
            None,
            {**good, "nonce": "AAAA"},  # wrong answer (1 in 4096 chance of being right)
            solve(http, "submit", uuid.uuid4().bytes),  # solved for another report
            solve(http, "lookup", uuid.UUID(body["envelope"].report_id).bytes),  # another purpose
        ):
            body["puzzle"] = bad
            _refused(url, post(http, "/api/v1/reports", body), 403, "puzzle-failed")
        window = int.from_bytes(base64.b64decode(good["challenge"])[:4])
        subject = uuid.UUID(body["envelope"].report_id).bytes
        forged = puzzle.issue_challenge(b"\x00" * 32, window, 12)  # not the server's key
        easier = bytearray(base64.b64decode(good["challenge"]))
        easier[4] = 1  # a genuine challenge made easier: its tag no longer matches
        for challenge in (forged, bytes(easier)):
            nonce = puzzle.solve(challenge, puzzle.challenge_bits(challenge), "submit", subject)
            body["puzzle"] = {"challenge": challenge, "nonce": nonce}
            _refused(url, post(http, "/api/v1/reports", body), 403, "puzzle-failed")
        body["puzzle"] = good
        assert post(http, "/api/v1/reports", body).status_code == 201


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"[]",
        b'{"envelope": 1}',
        b'{"unknown": true}',
        '{"envelope": "\u00e9"}'.encode(),
    ],
)
def test_malformed_submissions_get_a_typed_error_and_store_nothing(seeded: Seeded, raw: bytes) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (_, http):
        answer = http.post("/api/v1/reports", content=raw, headers=JSON)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid-request"
    assert table_counts(url)["reports"] == 0


def test_an_oversized_submission_is_refused_with_413(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys, max_request_bytes=64 * 1024) as (_, http):
        answer = http.post("/api/v1/reports", content=b"{" + b" " * 100_000 + b"}", headers=JSON)
    assert answer.status_code == 413
    assert answer.json()["code"] == "payload-too-large"


def test_a_report_listing_an_incomplete_upload_is_refused_and_the_upload_stays_resumable(
    seeded: Seeded,
) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, http):
        chunks = [os.urandom(1000), os.urandom(1000), os.urandom(500)]
        attachment_id, first = announce_upload(http, chunks)
        assert first.status_code == 201
        start = {
            "attachment_id": attachment_id,
            "chunks": 3,
            "sha256": crypto.stream_digest(chunks),
            "chunk_sha256": [hashlib.sha256(chunk).digest() for chunk in chunks],
        }
        start["puzzle"] = solve(http, "upload", uuid.UUID(attachment_id).bytes)
        assert post(http, "/api/v1/uploads", start).status_code == 200  # the same again
        put = f"/api/v1/uploads/{attachment_id}/chunks"
        octets = {"content-type": "application/octet-stream"}
        assert http.put(f"{put}/0", content=chunks[0], headers=octets).status_code == 204
        assert http.put(f"{put}/0", content=chunks[0], headers=octets).status_code == 204
        assert http.put(f"{put}/0", content=chunks[1], headers=octets).json()["code"] == "conflict"
        assert http.put(f"{put}/7", content=chunks[1], headers=octets).status_code == 404
        body = sealed(client, http)
        body["attachments"] = [attachment_id]
        _refused(url, post(http, "/api/v1/reports", body), 422, "upload-incomplete")
        assert http.get(f"/api/v1/uploads/{attachment_id}").json()["received"] == [0]
        for position in (2, 1):
            assert http.put(f"{put}/{position}", content=chunks[position], headers=octets).status_code == 204
        assert post(http, "/api/v1/reports", body).status_code == 201
        assert http.get(f"/api/v1/uploads/{attachment_id}").json()["bound"] is True
        assert http.put(f"{put}/1", content=chunks[0], headers=octets).status_code == 409


# -- look-ups ----------------------------------------------------------------------------


def _lookup(http: TestClient[Litestar], secret: bytes) -> Any:
    verifier = crypto.lookup_verifier(secret)
    return post(http, "/api/v1/status", {"lookup_secret": secret, "puzzle": solve(http, "lookup", verifier)})


def test_an_unknown_lookup_secret_is_404_and_guesses_are_rate_limited(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys, lookup_burst=3, lookup_per_minute=1) as (_, http):
        answers = [_lookup(http, os.urandom(32)) for _ in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert answers[0].json()["code"] == "not-found"
    assert int(answers[3].headers["retry-after"]) >= 1


def test_many_failed_guesses_make_puzzles_harder_but_never_lock_reporters_out(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys, failed_lookups_per_minute=2) as (client, http):
        submitted = client.submit(draft())
        before = http.get("/api/v1/puzzle").json()["bits"]
        secret = os.urandom(32)
        stale = solve(http, "lookup", crypto.lookup_verifier(secret))  # solved before the pressure
        answers = [_lookup(http, os.urandom(32)).status_code for _ in range(3)]
        after = http.get("/api/v1/puzzle").json()["bits"]
        assert client.status(submitted.token).view.status == "received"  # still served
        old_puzzle = post(http, "/api/v1/status", {"lookup_secret": secret, "puzzle": stale})
    assert answers == [404, 404, 404]
    assert after == before + LookupLimits.PRESSURE_BITS
    assert old_puzzle.json()["code"] == "puzzle-failed"  # issued before the pressure: too easy now


def test_a_lookup_needs_its_own_puzzle(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys, puzzle_bits=12) as (_, http):
        secret = os.urandom(32)
        other = solve(http, "lookup", crypto.lookup_verifier(os.urandom(32)))
        answer = post(http, "/api/v1/status", {"lookup_secret": secret, "puzzle": other})
    assert answer.json()["code"] == "puzzle-failed"


def test_the_directory_and_policy_served_verify_against_the_root_key(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (_, http):
        signed = crypto.directory.decode_signed(http.get("/api/v1/directory").content)
        policy = crypto.directory.decode_signed(http.get("/api/v1/policy").content)
    directory = crypto.verify_directory(signed, keys.root_public, now=datetime.now(UTC))
    assert len(directory.bodies) == len(keys.body_seeds)
    assert crypto.verify_document(policy, "policy", keys.root_public)


def test_uploads_no_report_took_are_purged_after_six_hours_with_their_chunks(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        client.submit(draft(attachments=[Attachment("a.bin", "application/octet-stream", b"taken")]))
    old, fresh = uuid.uuid4(), uuid.uuid4()

    async def scenario() -> int:
        database = Database(url)
        now = datetime.now(UTC)
        try:
            async with database.write_session() as session:
                for upload_id, age in ((old, timedelta(hours=8)), (fresh, timedelta(hours=1))):
                    session.add(
                        Upload(
                            id=upload_id,
                            chunks=1,
                            sha256=bytes(32),
                            chunk_digests=hashlib.sha256(b"x" * 17).digest(),
                            created_hour=round_down_to_hour(now - age),
                        )
                    )
                    session.add(UploadChunk(upload_id=upload_id, position=0, data=b"x" * 17))
                await session.commit()
            async with database.write_session() as session:
                return await purge_abandoned(session, now)
        finally:
            await database.dispose()

    assert asyncio.run(scenario()) == 1
    assert table_counts(url)["uploads"] == 2  # the report's and the fresh one
    assert table_counts(url)["upload_chunks"] == 2


# -- what a hostile server could try against the reporter's device -------------------------


def test_the_client_seals_follow_ups_only_to_recipients_its_thread_tag_vouches_for(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        submitted = client.submit(draft(concerns="institution_management"))
        secrets = crypto.derive_from_token(submitted.token)
        view = client._post("/api/v1/status", client._lookup_body(secrets), wire.StatusView)
        assert client.follow_up_bodies(view, secrets, retaliation=False) == sorted(
            submitted.receipt.recipients
        )
        accused = "institution_management--tehran-central"
        assert accused not in submitted.receipt.recipients
        extra = wire.RecipientItem(body=accused)
        assert view.header is not None
        forged_routing = msgspec.structs.replace(view.header.routing, concerns="conditions")
        hostile = [
            msgspec.structs.replace(view, recipients=[*view.recipients, extra]),
            msgspec.structs.replace(view, recipients=view.recipients[1:]),  # one left out
            msgspec.structs.replace(
                view, header=msgspec.structs.replace(view.header, routing=forged_routing)
            ),
            msgspec.structs.replace(view, thread_tag=bytes(32)),
            msgspec.structs.replace(view, thread_tag=None),
            msgspec.structs.replace(
                view,
                header=msgspec.structs.replace(
                    view.header, recipient_key_ids=[*view.header.recipient_key_ids, bytes(16)]
                ),
            ),
        ]
        for answer in hostile:
            with pytest.raises(TrustError):
                client.follow_up_bodies(answer, secrets, retaliation=False)


def test_the_thread_tag_covers_every_part_of_the_header() -> None:
    thread_key = os.urandom(32)
    header = crypto.EnvelopeHeader(
        version=1,
        suite=1,
        report_id=str(uuid.uuid4()),
        routing=crypto.RoutingMetadata("i", "complaint", "health", "none", "family", "web", "normal"),
        reporter_key_id=os.urandom(16),
        recipient_key_ids=[os.urandom(16), os.urandom(16)],
        with_identity=False,
    )
    tag = crypto.thread_tag(thread_key, header.context())
    assert crypto.check_thread_tag(thread_key, header, tag)
    assert not crypto.check_thread_tag(os.urandom(32), header, tag)
    changes: list[dict[str, Any]] = [
        {"report_id": str(uuid.uuid4())},
        {"routing": msgspec.structs.replace(header.routing, category="judicial")},
        {"reporter_key_id": os.urandom(16)},
        {"recipient_key_ids": header.recipient_key_ids[:1]},
        {"with_identity": True},
        {"version": 2},
    ]
    for change in changes:
        assert not crypto.check_thread_tag(thread_key, msgspec.structs.replace(header, **change), tag)


def test_unknown_envelope_and_message_versions_are_refused_before_anything_is_stored(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, http):
        body = sealed(client, http)
        body["envelope"] = msgspec.structs.replace(body["envelope"], version=99, suite=1234)
        _refused(url, post(http, "/api/v1/reports", body), 422, "invalid-envelope")
        submitted = client.submit(draft())
        secrets = crypto.derive_from_token(submitted.token)
        view = client._post("/api/v1/status", client._lookup_body(secrets), wire.StatusView)
        message = crypto.seal_message(
            kind="follow-up",
            report_id=view.report_id,
            message_id=str(uuid.uuid4()),
            body=crypto.MessageBody(text="x"),
            recipients=[
                client.documents().public_key(b)
                for b in client.follow_up_bodies(view, secrets, retaliation=False)
            ],
            thread_key=secrets.thread_key,
        )
        odd = msgspec.structs.replace(message, version=7, suite=9)
        verifier = crypto.lookup_verifier(secrets.lookup_secret)
        answer = post(
            http,
            "/api/v1/follow-ups",
            {
                "lookup_secret": secrets.lookup_secret,
                "message": odd,
                "directory_serial": client.documents().serial,
                "puzzle": solve(http, "lookup", verifier),
            },
        )
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid-envelope"
    assert count(url, Message) == 0


def test_when_the_outcome_is_unknown_the_cli_still_prints_the_token(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, keys = seeded
    token = crypto.new_token()
    with in_process_client(url, keys) as (client, _):
        # The commit happened, the answer was lost: every retry failed in transport.
        original = client._call

        def lost_answer(method: str, path: str, **kwargs: Any) -> Any:
            if path == "/api/v1/reports":
                original(method, path, **kwargs)
                raise UnavailableError("unreachable", 0)
            return original(method, path, **kwargs)

        monkeypatch.setattr(client, "_call", lost_answer)
        monkeypatch.setattr(crypto, "new_token", lambda: token)
        with pytest.raises(OutcomeUnknownError) as unknown:
            client.submit(draft())
        assert unknown.value.token == token
        monkeypatch.setattr(client, "_call", original)
        assert client.status(unknown.value.token).view.status == "received"  # it was stored
    monkeypatch.setattr("kiosk_client.cli._client", lambda *_: client)
    monkeypatch.setattr(client, "submit", lambda _: (_ for _ in ()).throw(OutcomeUnknownError(token)))
    result = CliRunner().invoke(
        cli, ["report", "submit", "--institution", "tehran-central", "--category", "health"], input="x"
    )
    assert result.exit_code == 3
    assert token.grouped() in result.stdout


def test_server_text_printed_by_the_cli_cannot_draw_lines_or_reorder_them() -> None:
    hostile = "body\nreply from organization_inspection--national:\n  | closed\x1b[2J\u202e"
    shown = _plain(hostile)
    assert "\n" not in shown
    assert "\x1b" not in shown
    assert "\u202e" not in shown
    assert _plain("می\u200cشود") == "می\u200cشود"  # Persian's zero-width non-joiner stays


def test_a_replayed_submission_gets_its_original_receipt_after_an_escalation(seeded: Seeded) -> None:
    url, keys = seeded
    token = crypto.new_token()
    with in_process_client(url, keys) as (client, http):
        body = client.build_submission(draft(concerns="conditions"), crypto.derive_from_token(token))
        first = post(http, "/api/v1/reports", body)
        assert client.follow_up(token, "تهدید شدم", retaliation=True).added_bodies
        again = post(http, "/api/v1/reports", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()


def test_uploads_no_report_took_yet_are_bounded_by_the_bytes_they_hold(seeded: Seeded) -> None:
    url, keys = seeded
    chunks = [os.urandom(1000) for _ in range(3)]
    with in_process_client(url, keys, max_pending_upload_bytes=2500) as (_, http):
        for _ in range(5):  # announcing without sending fills nothing
            assert announce_upload(http, chunks)[1].status_code == 201
        target, announced = announce_upload(http, chunks)
        assert announced.status_code == 201
        octets = {"content-type": "application/octet-stream"}
        sent = [
            http.put(f"/api/v1/uploads/{target}/chunks/{n}", content=chunks[n], headers=octets)
            for n in range(3)
        ]
    assert [answer.status_code for answer in sent] == [204, 204, 503]
    assert sent[2].json()["code"] == "unavailable"
    assert "retry-after" in sent[2].headers


def test_a_client_holding_the_current_directory_gets_304(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (_, http):
        first = http.get("/api/v1/directory")
        again = http.get("/api/v1/directory", headers={"if-none-match": first.headers["etag"]})
        other = http.get("/api/v1/directory", headers={"if-none-match": '"0000"'})
    assert (first.status_code, again.status_code, other.status_code) == (200, 304, 200)
    assert again.content == b""


def test_a_stored_report_sent_again_after_its_puzzle_expired_still_gets_its_receipt(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys, puzzle_bits=8) as (client, http):
        body = sealed(client, http)
        first = post(http, "/api/v1/reports", body)
        body["puzzle"] = None  # as if expired: the stored report still answers
        again = post(http, "/api/v1/reports", body)
        fresh = sealed(client, http)
        fresh["puzzle"] = None
        refused = post(http, "/api/v1/reports", fresh)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert refused.json()["code"] == "puzzle-failed"


def test_a_failing_submission_in_a_group_commit_fails_alone(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        bodies = [
            client.build_submission(
                draft(f"گزارش {n}"), crypto.derive_from_token(crypto.new_token()), solve_puzzle=False
            )
            for n in range(3)
        ]
    bodies[1]["lookup_verifier"] = bodies[0]["lookup_verifier"]  # collides inside the batch
    submissions = [msgspec.json.decode(msgspec.json.encode(body), type=Submission) for body in bodies]

    async def scenario() -> list[Any]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                trusted = await TrustStore(None).current(session, datetime.now(UTC))
            plans = [plan_submission(trusted, submission, datetime.now(UTC)) for submission in submissions]
            committer = GroupCommitter(database)
            results = await asyncio.gather(
                *(committer.store(trusted, plan) for plan in plans), return_exceptions=True
            )
            await committer.stop()
            return results
        finally:
            await database.dispose()

    first, second, third = asyncio.run(scenario())
    assert first[1] is True
    assert third[1] is True
    assert isinstance(second, ConflictError)
    assert table_counts(url)["reports"] == 2
    assert table_counts(url)["status_events"] == 2


def test_the_client_solves_a_new_puzzle_once_when_its_first_is_refused(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, keys = seeded
    with in_process_client(url, keys, puzzle_bits=8) as (client, _):
        solve_ = client._solve
        calls: list[str] = []

        def first_one_stale(purpose: str, subject: bytes) -> dict[str, bytes] | None:
            calls.append(purpose)
            solved = solve_(purpose, subject)
            if len(calls) == 1 and solved is not None:
                return {**solved, "nonce": b"stale"}  # as if difficulty rose meanwhile
            return solved

        monkeypatch.setattr(client, "_solve", first_one_stale)
        receipt = client.submit(draft()).receipt
    assert calls == ["submit", "submit"]
    assert receipt.recipients


def test_an_answer_for_another_report_is_an_unknown_outcome_not_a_receipt(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        post_ = client._post

        def wrong_receipt(path: str, body: dict[str, Any], kind: type[Any]) -> Any:
            answer = post_(path, body, kind)
            if path == "/api/v1/reports":
                return msgspec.structs.replace(answer, report_id=str(uuid.uuid4()))
            return answer

        monkeypatch.setattr(client, "_post", wrong_receipt)
        with pytest.raises(OutcomeUnknownError):
            client.submit(draft())


def test_stopping_the_committer_answers_every_waiting_submission_with_503(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        bodies = [
            client.build_submission(draft(), crypto.derive_from_token(crypto.new_token())) for _ in range(3)
        ]
    submissions = [msgspec.json.decode(msgspec.json.encode(body), type=Submission) for body in bodies]

    async def scenario() -> list[Any]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                trusted = await TrustStore(None).current(session, datetime.now(UTC))
            committer = GroupCommitter(database)
            stuck = asyncio.Event()

            async def slow_database(_: Any) -> None:
                await stuck.wait()  # a commit that never returns

            monkeypatch.setattr(committer, "_store_batch", slow_database)
            plans = [plan_submission(trusted, submission, datetime.now(UTC)) for submission in submissions]
            waiting = [asyncio.create_task(committer.store(trusted, plan)) for plan in plans]
            await asyncio.sleep(0.05)
            await committer.stop(grace=0.1)
            results = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), 5)
            try:
                await committer.store(trusted, plans[0])
            except ServiceUnavailableError as late:
                results.append(late)
            return results
        finally:
            await database.dispose()

    results = asyncio.run(scenario())
    assert len(results) == 4
    assert all(isinstance(result, ServiceUnavailableError) for result in results), results
    assert table_counts(url)["reports"] == 0


def test_a_repeat_in_a_group_commit_gets_its_receipt_and_the_others_are_stored(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        bodies = [
            client.build_submission(draft(), crypto.derive_from_token(crypto.new_token()), solve_puzzle=False)
            for _ in range(3)
        ]
    submissions = [msgspec.json.decode(msgspec.json.encode(body), type=Submission) for body in bodies]

    async def scenario() -> tuple[Any, list[Any]]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                trusted = await TrustStore(None).current(session, datetime.now(UTC))
            plans = [plan_submission(trusted, submission, datetime.now(UTC)) for submission in submissions]
            committer = GroupCommitter(database)
            first = await committer.store(trusted, plans[0])
            again = [plans[0], plans[1], plans[0], plans[2]]
            results = await asyncio.gather(*(committer.store(trusted, plan) for plan in again))
            await committer.stop()
            return first, results
        finally:
            await database.dispose()

    first, (repeat, second, repeat_again, third) = asyncio.run(scenario())
    assert first[1] is True
    assert (repeat, repeat_again) == ((first[0], False), (first[0], False))
    assert second[1] is True
    assert third[1] is True
    assert table_counts(url)["reports"] == 3


# -- escrowed escalation wraps, referrals and protection (PROTOCOL.md §3.6-3.7) -----------


def report_row(url: str, report_id: str) -> Report:
    async def work() -> Report:
        database = Database(url)
        try:
            async with database.sessions() as session:
                report = await session.get(Report, uuid.UUID(report_id))
                assert report is not None
                return report
        finally:
            await database.dispose()

    return asyncio.run(work())


def test_a_report_escrows_a_wrap_to_each_body_an_escalation_would_reach(seeded_any: Seeded) -> None:
    url, keys = seeded_any
    secrets = crypto.derive_from_token(crypto.new_token())
    signed = draft("گزارش امضاشده", identity=crypto.ReporterIdentity(name="نام"))
    with in_process_client(url, keys) as (client, http):
        body = client.build_submission(signed, secrets)
        assert post(http, "/api/v1/reports", body).status_code == 201
        decision, docs = client.decide(signed), client.documents()
    envelope: crypto.ReportEnvelope = body["envelope"]
    facts = facts_from_metadata(envelope.routing, datetime.now(UTC))
    targets = escalation_targets(decision.recipients, facts, docs.routing)
    escrowed = escrow_of(url, envelope.report_id)
    assert targets
    assert sorted(escrowed) == [t.body for t in targets]
    for target in targets:
        wrap = escrowed[target.body]
        assert wrap.key_id == crypto.public_key_of(keys.body_seeds[target.body]).key_id
        opened = crypto.open_report(envelope, keys.body_seeds[target.body], wrap)
        assert opened.payload.text == signed.text
        assert (opened.identity is not None) is target.identity
    report = report_row(url, envelope.report_id)
    ids = [wrap.key_id for wrap in escrowed.values()]
    assert report.escrow_tag == crypto.escrow_tag(secrets.thread_key, envelope.context(), ids)
    assert report.watch_until == report.received_hour + timedelta(days=90)  # about staff: a watch


def test_a_report_about_conditions_opens_no_retaliation_watch(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        submitted = client.submit(draft(concerns="conditions"))
    assert report_row(url, submitted.receipt.report_id).watch_until is None


def _tokenless(client: SedaClient, http: TestClient[Litestar]) -> dict[str, Any]:
    """A report without a token (no reply key, no thread key), with its escrow."""
    docs = client.documents()
    decision = client.decide(draft())
    envelope, report_keys = crypto.seal_report(
        report_id=str(uuid.uuid4()),
        routing=crypto.RoutingMetadata(
            "tehran-central", "complaint", "health", "staff_member", "family", "web", "normal"
        ),
        payload=crypto.ReportPayload(text="بی‌نشانی"),
        recipients=[docs.public_key(r.body) for r in decision.recipients],
        reporter_public_key=None,
    )
    return {
        "envelope": envelope,
        "directory_serial": docs.serial,
        "escrow": client.escrow(decision, envelope, report_keys),
        "puzzle": solve(http, "submit", uuid.UUID(envelope.report_id).bytes),
    }


def test_a_report_without_a_token_escrows_without_a_tag(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, http):
        body = _tokenless(client, http)
        tagged = post(http, "/api/v1/reports", {**body, "escrow_tag": os.urandom(32)})
        assert (tagged.status_code, tagged.json()["code"]) == (422, "invalid-envelope")
        assert post(http, "/api/v1/reports", body).status_code == 201
    assert len(escrow_of(url, body["envelope"].report_id)) == len(body["escrow"]) > 0
    assert report_row(url, body["envelope"].report_id).escrow_tag is None


def test_an_older_client_without_escrow_is_stored_and_nothing_is_escrowed(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, http):
        body = sealed(client, http)
        older = {k: v for k, v in body.items() if k not in ("escrow", "escrow_tag")}
        assert post(http, "/api/v1/reports", older).status_code == 201
    assert count(url, EscrowWrap) == 0
    assert report_row(url, body["envelope"].report_id).escrow_tag is None


def _escrow_changes(body: dict[str, Any], docs: Any) -> dict[str, tuple[dict[str, Any], str]]:
    """Submissions whose escrow does not hold, and the problem each must get."""
    escrow = body["escrow"]
    key_of = {entry.body: entry.key_id for entry in docs.directory.bodies}
    stranger = "institution_management--tehran-central"  # a recipient, never an escalation target
    outsider = "judiciary_protection_intelligence--national"
    assert outsider not in {item["body"] for item in escrow}
    forged = crypto.RecipientWrap(key_of[outsider], escrow[0]["wrap"].wrapped)
    misaddressed = crypto.RecipientWrap(key_of[stranger], escrow[0]["wrap"].wrapped)
    return {
        "one left out": ({**body, "escrow": escrow[1:]}, "routing-refused"),
        "another body": (
            {**body, "escrow": [*escrow, {"body": outsider, "wrap": forged}]},
            "routing-refused",
        ),
        "twice": ({**body, "escrow": [*escrow, escrow[0]]}, "routing-refused"),
        "another key": (
            {**body, "escrow": [{**escrow[0], "wrap": misaddressed}, *escrow[1:]]},
            "routing-refused",
        ),
        "no tag": ({**body, "escrow_tag": None}, "invalid-envelope"),
        "a tag without escrow": ({**body, "escrow": []}, "invalid-envelope"),
    }


def test_escrow_that_is_not_exactly_routings_escalation_targets_is_refused_and_stores_nothing(
    seeded: Seeded,
) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, http):
        body = sealed(client, http)
        assert len(body["escrow"]) >= 2
        before = table_counts(url)
        for name, (changed, code) in _escrow_changes(body, client.documents()).items():
            answer = post(http, "/api/v1/reports", changed)
            assert (answer.status_code, answer.json()["code"]) == (422, code), name
        assert table_counts(url) == before
        assert count(url, EscrowWrap) == 0
        assert post(http, "/api/v1/reports", body).status_code == 201  # the genuine one is stored


def _follow_up_sealed_to(url: str, keys: DemoKeys, report_id: str, body: str, thread_key: bytes) -> str:
    """The text of the report's last follow-up, opened with ``body``'s seed."""
    _, message = last_message(url, report_id, "follow-up")
    return crypto.open_message(message, keys.body_seeds[body], thread_key).text


def test_follow_ups_reach_a_body_an_escalation_released_or_a_tagged_referral_added(
    seeded_any: Seeded,
) -> None:
    url, keys = seeded_any
    with in_process_client(url, keys) as (client, _):
        submitted = client.submit(draft(concerns="conditions"))
        report_id, holder = submitted.receipt.report_id, submitted.receipt.recipients[0]
        thread_key = crypto.derive_from_token(submitted.token).thread_key
        escalated = min(escrow_of(url, report_id))
        release_escrow(url, report_id, escalated, from_body=holder)
        client.follow_up(submitted.token, "پس از ارجاع به بالاتر")
        assert _follow_up_sealed_to(url, keys, report_id, escalated, thread_key) == "پس از ارجاع به بالاتر"
        # An officer of a holding body refers the report on their device, and tags the referral.
        envelope, opened = Officer(url, keys, holder).open(report_id)
        referred = "judiciary_protection_intelligence--national"
        assert opened.payload.thread_key == thread_key
        wrap = crypto.rewrap_for_referral(
            envelope, opened.keys, client.documents().public_key(referred), include_identity=False
        )
        tag = crypto.referral_tag(thread_key, envelope.context(), wrap.key_id)
        add_referral(url, report_id, referred, from_body=holder, wrap=wrap, tag=tag)
        client.follow_up(submitted.token, "پس از ارجاع")
        assert _follow_up_sealed_to(url, keys, report_id, referred, thread_key) == "پس از ارجاع"
        # A referral whose tag does not hold (the server's word only) stops the device.
        untagged = "special_inspection_citizens_rights--national"
        other = crypto.rewrap_for_referral(
            envelope, opened.keys, client.documents().public_key(untagged), include_identity=False
        )
        add_referral(url, report_id, untagged, from_body=holder, wrap=other, tag=tag)  # another body's tag
        with pytest.raises(TrustError):
            client.follow_up(submitted.token, "نباید برود")


def test_the_client_trusts_an_escalated_body_only_under_the_reporters_escrow_tag(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        submitted = client.submit(draft(concerns="institution_management"))
        secrets = crypto.derive_from_token(submitted.token)
        report_id = submitted.receipt.report_id
        escalated = min(escrow_of(url, report_id))
        release_escrow(url, report_id, escalated, from_body=submitted.receipt.recipients[0])
        view = client._post("/api/v1/status", client._lookup_body(secrets), wire.StatusView)
        assert escalated in client.follow_up_bodies(view, secrets, retaliation=False)
        accused = "institution_management--tehran-central"
        accused_key = crypto.public_key_of(keys.body_seeds[accused]).key_id
        steered = [*view.recipients, wire.RecipientItem(body=accused)]
        hostile = [
            msgspec.structs.replace(view, escrow_tag=None),
            msgspec.structs.replace(view, escrow_tag=bytes(32)),
            msgspec.structs.replace(view, escrow_key_ids=view.escrow_key_ids[1:]),
            msgspec.structs.replace(
                view, recipients=steered, escrow_key_ids=[*view.escrow_key_ids, accused_key]
            ),
            msgspec.structs.replace(
                view,
                recipients=[*view.recipients, wire.RecipientItem(accused, referral_tag=os.urandom(32))],
            ),
        ]
        for answer in hostile:
            with pytest.raises(TrustError):
                client.follow_up_bodies(answer, secrets, retaliation=False)


def test_a_reporter_can_ask_for_protection_and_read_the_measures_taken(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        submitted = client.submit(draft())
        report_id, holder = submitted.receipt.report_id, submitted.receipt.recipients[0]
        thread_key = crypto.derive_from_token(submitted.token).thread_key
        client.follow_up(submitted.token, "فقط اطلاعات")
        assert not report_row(url, report_id).protection_requested
        Officer(url, keys, holder).reply(report_id, "پیگیری می‌کنیم")
        monkeypatch.setattr("kiosk_client.cli._client", lambda *_: client)
        sent = CliRunner().invoke(
            report_cli, ["follow-up", submitted.token.grouped(), "--protection"], input="تهدید می‌شوم"
        )
        assert sent.exit_code == 0, sent.output
        assert report_row(url, report_id).protection_requested
        assert _follow_up_sealed_to(url, keys, report_id, holder, thread_key) == "تهدید می‌شوم"
        record_measure(url, report_id, holder, ProtectionKind.SEPARATION)
        view = client.status(submitted.token).view
        assert view.protection_requested
        assert [(m.measure, m.body) for m in view.measures] == [("separation", holder)]
        shown = CliRunner().invoke(report_cli, ["status", submitted.token.grouped()])
    assert shown.exit_code == 0, shown.output
    assert "protection measure:" in shown.stdout
    assert "separation" in shown.stdout
