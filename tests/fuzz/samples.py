"""Valid inputs the harnesses start from and open with: the protocol test vectors, and a small
signed directory and policy with the server's view of them (``Trusted``) built in memory.

Nothing here is written to disk or sent anywhere; seeds are fixed (``_seed``) so that every run
starts from the same corpus and a crash reproduces.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import msgspec

import crypto
from crypto.directory import encode_signed
from routing.decide import directory_from_signed, escalation_targets, facts_from_metadata, route
from routing.policy import parse_policy
from server.intake.trust import Trusted
from tests.routing_helpers import DEFAULT_POLICY_BYTES, demo_directory

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "protocol-v1.json").read_text("utf-8")
)
REPORT = VECTORS["report"]
RECIPIENT_SEEDS = [bytes.fromhex(seed) for seed in REPORT["recipient_seeds"]]
REPORTER_SEED = bytes.fromhex(REPORT["reporter_seed"])
THREAD_KEY = bytes.fromhex(REPORT["thread_key"])
ENVELOPE_JSON = json.dumps(REPORT["envelope"]).encode()
ANONYMOUS_JSON = json.dumps(REPORT["anonymous_envelope"]).encode()
REPLY_JSON = json.dumps(VECTORS["message"]["reply"]).encode()
ROOT_SEED = bytes.fromhex(VECTORS["directory"]["root_seed"])
ROOT_PUBLIC = bytes.fromhex(VECTORS["directory"]["root_public_key"])
DIRECTORY_SIGNED_JSON = json.dumps(VECTORS["directory"]["signed"]).encode()
DIRECTORY_VALID_AT = datetime.fromisoformat(VECTORS["directory"]["valid_at"])
# Any instant: the harnesses pass the clock in (the core reads none).
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _seed(label: str) -> bytes:
    return hashlib.sha256(f"seda/fuzz/{label}".encode()).digest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@cache
def opened_vector() -> crypto.OpenedReport:
    """The vector report as recipient 0 opens it (its keys seal the fuzzed attachments)."""
    return crypto.open_report(crypto.decode_envelope(ENVELOPE_JSON), RECIPIENT_SEEDS[0])


class World(msgspec.Struct, frozen=True):
    """A signed directory and policy for one province, the server's ``Trusted`` view of them,
    and the body seeds (so harnesses can seal valid reports to the routed bodies)."""

    trusted: Trusted
    body_seeds: dict[str, bytes]
    directory_json: bytes
    policy_json: bytes


@cache
def world() -> World:
    routing_directory = demo_directory(provinces=1)
    policy = parse_policy(DEFAULT_POLICY_BYTES)
    seeds = {ref.code: _seed(f"body/{ref.code}") for ref in routing_directory.bodies}
    entries = []
    for ref in routing_directory.bodies:
        public = crypto.public_key_of(seeds[ref.code])
        entries.append(
            crypto.DirectoryEntry(
                body=ref.code,
                body_type=ref.body_type,
                level=ref.level.value,
                province=ref.province,
                institution=ref.institution,
                name_fa="نهاد",
                name_en="Body",
                key_id=public.key_id,
                public_key=public.public_key,
            )
        )
    issued = NOW - timedelta(days=1)
    directory = crypto.KeyDirectory(
        serial=3,
        issued_at=issued.strftime("%Y-%m-%dT%H:%M:%SZ"),
        expires_at=(issued + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        bodies=entries,
        policy=crypto.PolicyReference(version=policy.version, sha256=policy.sha256),
        institutions=[
            crypto.DirectoryInstitution(i.code, i.province) for i in routing_directory.institutions
        ],
    )
    directory_json = encode_signed(crypto.sign_directory(directory, ROOT_SEED))
    policy_json = encode_signed(crypto.sign_document("policy", DEFAULT_POLICY_BYTES, ROOT_SEED))
    trusted = Trusted(
        serial=directory.serial,
        expires_at=issued + timedelta(days=90),
        root_public_key=ROOT_PUBLIC,
        directory=directory,
        routing=directory_from_signed(directory),
        policy=policy,
        directory_signed=directory_json,
        policy_signed=policy_json,
        public_keys={entry.body: entry.public_key for entry in entries},
        key_ids={entry.body: entry.key_id for entry in entries},
        body_ids={entry.body: number for number, entry in enumerate(entries, start=1)},
        institution_ids={i.code: n for n, i in enumerate(routing_directory.institutions, start=1)},
    )
    return World(trusted, seeds, directory_json, policy_json)


def routing_metadata(category: str = "health", concerns: str = "staff_member") -> crypto.RoutingMetadata:
    institution = world().trusted.routing.institutions[0].code
    return crypto.RoutingMetadata(
        institution=institution,
        report_type="complaint",
        category=category,
        concerns=concerns,
        reporter_type="family",
        channel="web",
        urgency="normal",
    )


def submission(*, tokened: bool, escrow: bool, category: str = "health") -> dict[str, Any]:
    """A submission ``plan_submission`` accepts (as the JSON-ready dict a client posts)."""
    trusted = world().trusted
    routing = routing_metadata(category)
    decision = route(facts_from_metadata(routing, NOW), trusted.policy, trusted.routing)
    recipients = [trusted.public_keys[r.body] for r in decision.recipients]
    reporter = crypto.public_key_of(REPORTER_SEED).public_key if tokened else None
    report_id = str(uuid.UUID(bytes=_seed(f"report/{tokened}/{escrow}/{category}")[:16], version=4))
    envelope, keys = crypto.seal_report(
        report_id=report_id,
        routing=routing,
        payload=crypto.ReportPayload(text="fuzz seed", thread_key=THREAD_KEY if tokened else None),
        recipients=recipients,
        reporter_public_key=reporter,
    )
    body: dict[str, Any] = {"envelope": msgspec.to_builtins(envelope), "directory_serial": trusted.serial}
    if tokened:
        body["lookup_verifier"] = b64(crypto.lookup_verifier(_seed("lookup")))
        body["thread_tag"] = b64(crypto.thread_tag(THREAD_KEY, envelope.context()))
    if escrow:
        facts = facts_from_metadata(routing, NOW)
        targets = escalation_targets(decision.recipients, facts, trusted.routing)
        wraps = [
            (t.body, crypto.rewrap_for_referral(envelope, keys, trusted.public_keys[t.body], False))
            for t in targets
        ]
        body["escrow"] = [{"body": code, "wrap": msgspec.to_builtins(wrap)} for code, wrap in wraps]
        if tokened:
            tag = crypto.escrow_tag(THREAD_KEY, envelope.context(), [wrap.key_id for _, wrap in wraps])
            body["escrow_tag"] = b64(tag)
    return body


def message(kind: str = "follow-up") -> crypto.SealedMessage:
    """A follow-up (or note, reply) sealed to the vector report's first recipient."""
    return crypto.seal_message(
        kind=kind,  # type: ignore[arg-type]
        report_id=REPORT["envelope"]["report_id"],
        message_id=str(uuid.UUID(bytes=_seed(f"message/{kind}")[:16], version=4)),
        body=crypto.MessageBody(text="fuzz seed", fields={"a": "b"}),
        recipients=[crypto.public_key_of(RECIPIENT_SEEDS[0]).public_key],
        thread_key=THREAD_KEY,
    )


def json_bytes(value: object) -> bytes:
    return msgspec.json.encode(value)
