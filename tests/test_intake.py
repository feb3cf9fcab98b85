"""Intake and tracking through the API: submit, look up, reply, follow up (DESIGN.md §4.1-2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.intake_support import Officer, draft, in_process_client, seeded_sqlite


@pytest.fixture
def seeded(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())


def test_a_report_round_trips_through_the_api(seeded) -> None:  # type: ignore[no-untyped-def]
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        submitted = client.submit(draft("متن گزارش"))
        status = client.status(submitted.token)
        assert status.view.status == "received"
        assert status.view.report_id == submitted.receipt.report_id
        body = submitted.receipt.recipients[0]
        Officer(url, keys, body).reply(submitted.receipt.report_id, "پاسخ نهاد")
        replies = client.status(submitted.token.grouped(persian=True)).replies
        assert [reply.text for reply in replies] == ["پاسخ نهاد"]
        assert replies[0].body == body
