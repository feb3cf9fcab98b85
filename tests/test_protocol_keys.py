"""Body-key operations: add an officer, remove one (with rotation), and passphrase protection."""

from __future__ import annotations

import os
import uuid

import pytest

import crypto
from crypto.keys import new_seed

FAST = crypto.Argon2Params(memory_kib=256, iterations=1)


def test_adding_an_officer_is_a_grant_made_from_an_existing_grant() -> None:
    body_seed, admin_seed, newcomer_seed = new_seed(), new_seed(), new_seed()
    body = crypto.public_key_of(body_seed)
    admin = crypto.public_key_of(admin_seed).public_key
    admin_grant = crypto.grant_body_key(body_seed, admin, crypto.key_fingerprint(admin))
    # On the admin's device: open the own grant, compare fingerprints, grant to the newcomer.
    opened = crypto.open_body_key_grant(admin_grant, body.key_id, admin_seed)
    newcomer = crypto.public_key_of(newcomer_seed).public_key
    newcomer_grant = crypto.grant_body_key(opened, newcomer, crypto.key_fingerprint(newcomer))
    assert crypto.open_body_key_grant(newcomer_grant, body.key_id, newcomer_seed) == body_seed


def test_removing_an_officer_rotates_the_key_and_new_reports_are_out_of_their_reach() -> None:
    staying, leaving = new_seed(), new_seed()
    staying_public = crypto.public_key_of(staying).public_key
    new_body_seed, grants = crypto.rotate_body_key([(staying_public, crypto.key_fingerprint(staying_public))])
    new_body = crypto.public_key_of(new_body_seed)
    assert set(grants) == {crypto.public_key_of(staying).key_id}
    assert crypto.open_body_key_grant(
        grants[crypto.public_key_of(staying).key_id], new_body.key_id, staying
    ) == (new_body_seed)
    envelope, _ = crypto.seal_report(
        report_id=str(uuid.uuid4()),
        routing=crypto.RoutingMetadata(
            institution="yazd-central",
            report_type="complaint",
            category="health",
            concerns="staff_member",
            reporter_type="prisoner",
            channel="kiosk",
            urgency="normal",
        ),
        payload=crypto.ReportPayload(text="after rotation"),
        recipients=[new_body.public_key],
        reporter_public_key=None,
    )
    assert crypto.open_report(envelope, new_body_seed).payload.text == "after rotation"
    with pytest.raises(crypto.OpenError):
        crypto.open_report(envelope, leaving)


def test_a_new_passphrase_needs_a_new_salt_and_still_unlocks_the_same_seed() -> None:
    officer_seed = new_seed()
    officer_key_id = crypto.public_key_of(officer_seed).key_id
    first = crypto.derive_from_passphrase("first passphrase", os.urandom(16), FAST)
    second = crypto.derive_from_passphrase("second passphrase", os.urandom(16), FAST)
    protected_first = crypto.protect_officer_seed(officer_seed, first)
    protected_second = crypto.protect_officer_seed(officer_seed, second)
    assert first.wrap_key != second.wrap_key
    assert crypto.unlock_officer_seed(protected_second, officer_key_id, second) == officer_seed
    with pytest.raises(crypto.OpenError):
        crypto.unlock_officer_seed(protected_first, officer_key_id, second)


def test_short_salts_are_refused() -> None:
    with pytest.raises(ValueError, match="salt"):
        crypto.derive_from_passphrase("x", b"short", FAST)
