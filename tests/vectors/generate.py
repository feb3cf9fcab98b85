"""Generate ``tests/vectors/protocol-v1.json``: known-answer vectors for every implementation.

Randomness comes from a fixed deterministic stream, so every value is reproducible except
HPKE's own ephemeral randomness (``cryptography`` takes none from the caller): HPKE outputs
are fixed in the file, and every implementation must *open* them. So the committed file is not
regenerated as a whole; a new section is written into it beside the others:

    .venv/bin/python -m tests.vectors.generate --section slips

(Without ``--section`` every section is made afresh, HPKE outputs included: for a new version.)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

import crypto
from crypto import puzzle
from crypto.encoding import fields, sha256
from crypto.primitives import hkdf, key_id, seal_once, xwing_public_bytes

OUT = Path(__file__).with_name("protocol-v1.json")
# Small Argon2id cost so that vectors run fast everywhere; one vector uses the real v1 set.
FAST = crypto.Argon2Params(memory_kib=256, iterations=1, lanes=1)


class Stream:
    """Deterministic 'randomness': SHAKE-256 over a label and a counter."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.counter = 0

    def __call__(self, size: int) -> bytes:
        self.counter += 1
        return hashlib.shake_256(f"{self.label}/{self.counter}".encode()).digest(size)


def _fixed(number: int) -> Callable[[int], int]:
    """A ``randbelow`` that always answers ``number`` (for reproducible tokens)."""
    return lambda _bound: number


def _below(stream: Stream) -> Callable[[int], int]:
    """A ``randbelow`` over the stream (its slight modulo bias does not matter in a vector)."""
    return lambda bound: int.from_bytes(stream(16), "big") % bound


def h(data: bytes) -> str:
    return data.hex()


def js(value: Any) -> Any:
    return json.loads(msgspec.json.encode(value))


def encoding_vectors() -> list[dict[str, Any]]:
    cases: list[list[Any]] = [[], ["seda"], ["سلام", 1, b"\x00\xff"], [b"", 255, "a" * 3]]
    out = []
    for parts in cases:
        typed = [
            {"bytes": p.hex()} if isinstance(p, bytes) else {"int": p} if isinstance(p, int) else {"str": p}
            for p in parts
        ]
        out.append({"parts": typed, "fields": h(fields(*parts))})
    return out


def hkdf_vectors() -> list[dict[str, Any]]:
    secret = bytes(range(32))
    return [
        {
            "secret": h(secret),
            "purpose": "seda/v1/test",
            "context": [],
            "output": h(hkdf(secret, "seda/v1/test")),
        },
        {
            "secret": h(secret),
            "purpose": "seda/v1/test",
            "context": [h(b"abc"), h(b"")],
            "output": h(hkdf(secret, "seda/v1/test", b"abc", b"")),
        },
    ]


def token_vectors() -> dict[str, Any]:
    numbers = [0, 1, 1234567890123456789, 9999999999999999999, 4242424242424242424]
    tokens = []
    for number in numbers:
        token = crypto.new_token(_fixed(number))
        tokens.append(
            {
                "random": str(number),  # a string: JSON numbers lose digits in JavaScript
                "digits": token.digits,
                "grouped": token.grouped(),
                "grouped_persian": token.grouped(persian=True),
            }
        )
    valid = tokens[2]["digits"]
    persian = valid.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    arabic = valid.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    accepted = [
        {"typed": tokens[2]["grouped"], "digits": valid},
        {"typed": tokens[2]["grouped_persian"], "digits": valid},
        {"typed": " ".join([arabic[:10], arabic[10:]]), "digits": valid},
        {"typed": persian[:5] + valid[5:], "digits": valid},
        # As copied from a right-to-left messenger: direction marks and isolates around groups.
        {
            "typed": "\u2067\u200f"
            + "\u200e-".join(tokens[2]["grouped_persian"].split("-"))
            + "\u061c\u2069",
            "digits": valid,
        },
    ]
    wrong_digit = valid[:7] + str((int(valid[7]) + 1) % 10) + valid[8:]
    swapped = valid[:3] + valid[4] + valid[3] + valid[5:]
    refused = [
        {"typed": wrong_digit, "reason": "check"},
        {"typed": swapped if swapped != valid else valid[:-1], "reason": "check"},
        {"typed": valid[:-1], "reason": "length"},
        {"typed": valid + "0", "reason": "length"},
        {"typed": valid[:10] + "x" + valid[10:], "reason": "character"},
        {"typed": "", "reason": "length"},
    ]
    return {"tokens": tokens, "accepted": accepted, "refused": refused}


def derivation_vectors() -> list[dict[str, Any]]:
    out = []
    first = crypto.new_token(lambda _bound: 1234567890123456789)
    zero = crypto.new_token(lambda _bound: 0)
    for token, params in [(first, FAST), (zero, FAST), (first, crypto.TOKEN_PARAMS_V1)]:
        secrets = crypto.derive_from_token(token, params)
        out.append(
            {
                "token": token.digits,
                "params": js(params),
                "lookup_secret": h(secrets.lookup_secret),
                "reporter_seed": h(secrets.reporter_seed),
                "reporter_key_id": h(key_id(secrets.reporter_public_key)),
                "thread_key": h(secrets.thread_key),
                "lookup_verifier": h(crypto.lookup_verifier(secrets.lookup_secret)),
            }
        )
    return out


def xwing_vectors(rng: Stream) -> list[dict[str, Any]]:
    out = []
    for seed in [bytes(32), bytes(range(32)), rng(32)]:
        public = xwing_public_bytes(seed)
        out.append(
            {
                "seed": h(seed),
                "public_key_sha256": h(hashlib.sha256(public).digest()),
                "public_key_head": h(public[:16]),
                "public_key_tail": h(public[-32:]),
                "key_id": h(key_id(public)),
                "fingerprint": crypto.key_fingerprint(public),
            }
        )
    return out


def report_vectors(rng: Stream) -> dict[str, Any]:
    seeds = [rng(32) for _ in range(3)]
    token = crypto.new_token(_fixed(4242424242424242424))
    reporter = crypto.derive_from_token(token, FAST)
    reporter_seed = reporter.reporter_seed
    publics = [xwing_public_bytes(s) for s in seeds]
    attachment_id = "11111111-2222-4333-8444-555555555555"
    data = bytes(i % 251 for i in range(70_000))
    routing = crypto.RoutingMetadata(
        institution="tehran-central",
        report_type="complaint",
        category="ill_treatment",
        concerns="staff_member",
        reporter_type="prisoner",
        channel="kiosk",
        urgency="urgent",
    )
    # The attachment's key depends on the report's keys and context, which depend on nothing
    # in the payload: seal once to learn them, then again with the attachment's reference.
    draft_payload = crypto.ReportPayload(text="draft")
    identity = crypto.ReporterIdentity(name="ناشناس نمونه", contact="0912-000-0000")
    report_id = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
    draft, draft_keys = crypto.seal_report(
        report_id=report_id,
        routing=routing,
        payload=draft_payload,
        recipients=publics[:2],
        reporter_public_key=xwing_public_bytes(reporter_seed),
        identity=crypto.ReporterIdentity(name="x"),
        identity_recipients=[publics[0]],
        random_bytes=Stream("seda/v1/test-vectors/report"),
    )
    chunks = crypto.seal_chunks(crypto.attachment_key(draft_keys, draft.context(), attachment_id), data)
    ref = crypto.AttachmentRef(
        attachment_id=attachment_id,
        name="عکس.jpg",
        media_type="image/jpeg",
        size=len(data),
        chunks=len(chunks),
        sha256=crypto.stream_digest(chunks),
    )
    payload = crypto.ReportPayload(
        text="در بند ۴ با زندانیان بدرفتاری می‌شود. «canary»",
        fields={"ward": "4"},
        attachments=[ref],
        thread_key=reporter.thread_key,
    )
    envelope, keys = crypto.seal_report(
        report_id=report_id,
        routing=routing,
        payload=payload,
        recipients=publics[:2],
        reporter_public_key=xwing_public_bytes(reporter_seed),
        identity=identity,
        identity_recipients=[publics[0]],
        random_bytes=Stream("seda/v1/test-vectors/report"),
    )
    context = envelope.context()
    assert keys == draft_keys
    assert context == draft.context()
    payload_bytes = msgspec.json.encode(payload)
    identity_bytes = msgspec.json.encode(identity)
    referral = crypto.rewrap_for_referral(envelope, keys, publics[2], include_identity=False)
    anonymous, _ = crypto.seal_report(
        report_id="a0a0a0a0-b1b1-4c2c-8d3d-e4e4e4e4e4e4",
        routing=msgspec.structs.replace(routing, reporter_type="family", channel="web", urgency="normal"),
        payload=crypto.ReportPayload(text="short"),
        recipients=[publics[1]],
        reporter_public_key=None,
        random_bytes=rng,
    )
    return {
        "recipient_seeds": [h(s) for s in seeds],
        "token": token.digits,
        "token_params": js(FAST),
        "reporter_seed": h(reporter_seed),
        "thread_key": h(reporter.thread_key),
        "content_key": h(keys.content_key),
        "identity_key": h(keys.identity_key or b""),
        "context": h(context),
        "payload_plaintext": h(payload_bytes),
        "identity_plaintext": h(identity_bytes),
        "payload_ciphertext": h(
            seal_once(hkdf(keys.content_key, "seda/v1/report/payload", context), payload_bytes, context)
        ),
        "envelope": js(envelope),
        "opened": [
            {"seed_index": 0, "payload": js(payload), "identity": js(identity), "identity_withheld": False},
            {"seed_index": 1, "payload": js(payload), "identity": None, "identity_withheld": True},
        ],
        "referral": {"seed_index": 2, "wrap": js(referral), "identity_withheld": True},
        "attachment": {
            "attachment_id": attachment_id,
            "data": {"pattern": "i mod 251", "length": len(data)},
            "key": h(crypto.attachment_key(keys, context, attachment_id)),
            "chunk_count": len(chunks),
            "chunk_sha256": [h(hashlib.sha256(c).digest()) for c in chunks],
            "chunks_hex_of_last": h(chunks[-1][:64]),
            "stream_digest": h(crypto.stream_digest(chunks)),
        },
        "anonymous_envelope": js(anonymous),
        "anonymous_opened": {"seed_index": 1, "text": "short"},
    }


def message_vectors(rng: Stream, report: dict[str, Any]) -> dict[str, Any]:
    body_seed = bytes.fromhex(report["recipient_seeds"][0])
    reporter_seed = bytes.fromhex(report["reporter_seed"])
    thread_key = bytes.fromhex(report["thread_key"])
    reply = crypto.seal_message(
        kind="reply",
        report_id=report["envelope"]["report_id"],
        message_id="22222222-3333-4444-8555-666666666666",
        body=crypto.MessageBody(text="گزارش شما بررسی شد."),
        recipients=[xwing_public_bytes(reporter_seed), xwing_public_bytes(body_seed)],
        thread_key=thread_key,
        random_bytes=rng,
    )
    return {
        "reply": js(reply),
        "text": "گزارش شما بررسی شد.",
        "context": h(reply.context()),
        "auth": h(reply.auth),
    }


def key_vectors(rng: Stream) -> dict[str, Any]:
    body_seed, officer_seed = rng(32), rng(32)
    body = crypto.public_key_of(body_seed)
    officer = crypto.public_key_of(officer_seed)
    grant = crypto.grant_body_key(body_seed, officer.public_key, crypto.key_fingerprint(officer.public_key))
    salt = rng(16)
    passphrase = unicodedata.normalize("NFC", "گذرواژهٔ بلند و یکتا، café")
    secrets = crypto.derive_from_passphrase(passphrase, salt, FAST)
    protected = crypto.protect_officer_seed(officer_seed, secrets, random_bytes=rng)
    return {
        "body_seed": h(body_seed),
        "body_key_id": h(body.key_id),
        "officer_seed": h(officer_seed),
        "officer_key_id": h(officer.key_id),
        "officer_fingerprint": crypto.key_fingerprint(officer.public_key),
        "grant": h(grant),
        "passphrase": passphrase,
        "passphrase_nfd_equivalent": unicodedata.normalize("NFD", passphrase),
        "salt": h(salt),
        "params": js(FAST),
        "wrap_key": h(secrets.wrap_key),
        "auth_value": h(secrets.auth_value),
        "protected_seed": h(protected),
    }


def directory_vectors(report: dict[str, Any]) -> dict[str, Any]:
    root_seed = bytes(range(100, 132))
    entries = []
    for index, code in enumerate(
        ["provincial_dg_prisons--tehran", "general_inspection_organization--national"]
    ):
        public = xwing_public_bytes(bytes.fromhex(report["recipient_seeds"][index]))
        entries.append(
            crypto.DirectoryEntry(
                body=code,
                body_type=code.split("--")[0],
                level="province" if index == 0 else "national",
                province="tehran" if index == 0 else None,
                institution=None,
                name_fa="نهاد نمونه",
                name_en="Sample body",
                key_id=key_id(public),
                public_key=public,
            )
        )
    directory = crypto.KeyDirectory(
        institutions=[
            crypto.DirectoryInstitution(code="tehran-central", province="tehran"),
            crypto.DirectoryInstitution(code="qom-central", province="qom"),
        ],
        serial=7,
        issued_at="2026-11-23T00:00:00Z",
        expires_at="2027-05-23T00:00:00Z",
        bodies=entries,
        policy=crypto.PolicyReference(version="2026.1", sha256=hashlib.sha256(b"policy").digest()),
    )
    signed = crypto.sign_directory(directory, root_seed)
    refusals = []
    for fault in ("key_id", "duplicate", "unknown_field", "short_key", "never_expires", "bad_code", "moved"):
        document = json.loads(signed.document)
        entry = document["bodies"][0]
        if fault == "key_id":
            entry["key_id"] = base64.b64encode(bytes(16)).decode()
        elif fault == "duplicate":
            document["bodies"].append(dict(entry))
        elif fault == "unknown_field":
            entry["extra"] = 1
        elif fault == "short_key":
            entry["public_key"] = base64.b64encode(bytes(32)).decode()
        elif fault == "never_expires":
            document["expires_at"] = document["issued_at"]
        elif fault == "moved":  # an institution-level body claimed for another province
            entry.update(level="institution", institution="tehran-central", province="qom")
        else:
            entry["body"] = "<script>"
        bad = crypto.sign_document("directory", json.dumps(document).encode(), root_seed)
        refusals.append({"fault": fault, "signed": js(bad)})
    return {
        "root_seed": h(root_seed),
        "root_public_key": h(crypto.root_public_key(root_seed)),
        "root_key_id": h(crypto.root_key_id(crypto.root_public_key(root_seed))),
        "signed": js(signed),
        "serial": 7,
        "valid_at": "2026-12-01T00:00:00Z",
        "expired_at": "2027-05-23T00:00:00Z",
        "before_issue_at": "2026-11-22T23:59:59Z",
        "body_codes": [e.body for e in entries],
        "other_root_public_key": h(crypto.root_public_key(bytes(32))),
        "refusals": refusals,
    }


def thread_tag_vectors(report: dict[str, Any]) -> dict[str, Any]:
    """The reporter's tag over the report vector's envelope (§3.6) and one altered header."""
    envelope = crypto.decode_envelope(json.dumps(report["envelope"]).encode())
    header = envelope.header()
    thread_key = bytes.fromhex(report["thread_key"])
    altered = msgspec.structs.replace(
        header, routing=msgspec.structs.replace(header.routing, category="judicial")
    )
    return {
        "header": js(header),
        "thread_key": report["thread_key"],
        "context": h(header.context()),
        "tag": h(crypto.thread_tag(thread_key, header.context())),
        "altered_header": js(altered),
    }


def report_tag_vectors(report: dict[str, Any]) -> dict[str, Any]:
    """The escrow tag (§3.7) and a referral tag (§3.6) over the report vector's context: the
    escrowed ids given out of order and with a repeat, the referral to recipient seed 2."""
    envelope = crypto.decode_envelope(json.dumps(report["envelope"]).encode())
    context = envelope.context()
    thread_key = bytes.fromhex(report["thread_key"])
    referred = key_id(xwing_public_bytes(bytes.fromhex(report["recipient_seeds"][2])))
    other = sha256("seda/v1/test-vectors/escrow")[:16]
    escrowed = [other, referred, other]
    return {
        "thread_key": report["thread_key"],
        "context": h(context),
        "escrow_key_ids": [h(k) for k in escrowed],
        "escrow_tag": h(crypto.escrow_tag(thread_key, context, escrowed)),
        "escrow_tag_of_none": h(crypto.escrow_tag(thread_key, context, [])),
        "referral_key_id": h(referred),
        "referral_tag": h(crypto.referral_tag(thread_key, context, referred)),
    }


def rekey_tag_vectors(report: dict[str, Any]) -> dict[str, Any]:
    """A re-tag (§6.1, §3.6) over the report vector's context for a rotated body's new key:
    the seed is fixed from a label, and the referral tag over the same key id is given to
    show that the purposes differ."""
    envelope = crypto.decode_envelope(json.dumps(report["envelope"]).encode())
    context = envelope.context()
    thread_key = bytes.fromhex(report["thread_key"])
    new_seed = sha256("seda/v1/test-vectors/rotated-body-seed")
    new_key_id = key_id(xwing_public_bytes(new_seed))
    return {
        "thread_key": report["thread_key"],
        "context": h(context),
        "new_body_seed": h(new_seed),
        "new_key_id": h(new_key_id),
        "rekey_tag": h(crypto.rekey_tag(thread_key, context, new_key_id)),
        "referral_tag_of_same_key": h(crypto.referral_tag(thread_key, context, new_key_id)),
    }


def puzzle_vectors() -> dict[str, Any]:
    """A challenge under a fixed key, a solution found from a fixed nonce prefix (§11)."""
    secret = bytes(range(32))
    challenge = puzzle.issue_challenge(secret, 2_900_000, 8)
    subject = bytes.fromhex("0f1e2d3c4b5a49688776a5b4c3d2e1f0")
    nonce = puzzle.solve(challenge, 8, "submit", subject, random_bytes=bytes)
    return {
        "secret": h(secret),
        "window": 2_900_000,
        "bits": 8,
        "challenge": h(challenge),
        "purpose": "submit",
        "subject": h(subject),
        "nonce": h(nonce),
        "digest": h(sha256("seda/v1/puzzle", challenge, "submit", subject, nonce)),
    }


def slip_vectors() -> dict[str, Any]:
    """Box token slips (§13): two slips from the stream (one at the real v1 parameters), records
    tampered with as a server could, and claim codes as typed."""
    randbelow = _below(Stream("seda/v1/test-vectors/slips"))
    slips: list[dict[str, Any]] = []
    records: list[crypto.SlipRecord] = []
    for params in (FAST, crypto.TOKEN_PARAMS_V1):
        token, claim_code = crypto.new_token(randbelow), crypto.new_claim_code(randbelow)
        claim = crypto.derive_claim(claim_code, params)
        records.append(crypto.slip_record(crypto.derive_from_token(token, params), claim))
        slips.append(
            {
                "params": js(params),
                "token": token.digits,
                "claim_code": claim_code.digits,
                "grouped": claim_code.grouped(),
                "grouped_persian": claim_code.grouped(persian=True),
                "claim_id": h(claim.claim_id),
                "claim_key": h(claim.claim_key),
                "record": js(records[-1]),
            }
        )
    return {"slips": slips, "refused_records": _tampered_records(*records), **_claim_code_reading(slips[0])}


def _tampered_records(first: crypto.SlipRecord, second: crypto.SlipRecord) -> list[dict[str, Any]]:
    """Records the first slip's claim code must refuse: one field of the second slip's each."""
    replace = msgspec.structs.replace
    return [
        {"fault": "reporter_key", "record": js(replace(first, reporter_key=second.reporter_key))},
        {"fault": "lookup_verifier", "record": js(replace(first, lookup_verifier=second.lookup_verifier))},
        {
            "fault": "sealed_thread_key",
            "record": js(replace(first, sealed_thread_key=second.sealed_thread_key)),
        },
        {"fault": "claim_id", "record": js(second)},
    ]


def _claim_code_reading(slip: dict[str, Any]) -> dict[str, Any]:
    """The slip's claim code as people type it, and typed wrong (the reasons of §5.1)."""
    valid, persian = slip["claim_code"], slip["grouped_persian"]
    arabic = valid.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    wrong_digit = valid[:5] + str((int(valid[5]) + 1) % 10) + valid[6:]
    return {
        "accepted": [
            {"typed": persian, "digits": valid},
            {"typed": " ".join([arabic[:8], arabic[8:]]), "digits": valid},
            {"typed": "\u2067\u200f" + "\u200e-".join(persian.split("-")) + "\u2069", "digits": valid},
        ],
        "refused": [
            {"typed": wrong_digit, "reason": "check"},
            {"typed": valid[:-1], "reason": "length"},
            {"typed": slip["token"], "reason": "length"},  # the stub's token is no claim code
            {"typed": valid[:8] + "o" + valid[8:], "reason": "character"},
            {"typed": "", "reason": "length"},
        ],
    }


# Sections that need no HPKE randomness, each made from the vectors already in the file.
SECTIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "encoding": lambda _vectors: encoding_vectors(),
    "hkdf": lambda _vectors: hkdf_vectors(),
    "token": lambda _vectors: token_vectors(),
    "derivation": lambda _vectors: derivation_vectors(),
    "thread_tag": lambda vectors: thread_tag_vectors(vectors["report"]),
    "report_tags": lambda vectors: report_tag_vectors(vectors["report"]),
    "rekey_tags": lambda vectors: rekey_tag_vectors(vectors["report"]),
    "puzzle": lambda _vectors: puzzle_vectors(),
    "slips": lambda _vectors: slip_vectors(),
}


def write_section(name: str) -> None:
    """(Re)write one section into the committed file, leaving every other section as it is."""
    vectors = json.loads(OUT.read_text(encoding="utf-8"))
    vectors[name] = SECTIONS[name](vectors)
    OUT.write_text(json.dumps(vectors, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote the {name} section into {OUT}")  # noqa: T201 (a command-line tool reports what it wrote)


def main() -> None:
    parser = argparse.ArgumentParser(description="Known-answer vectors (docs/PROTOCOL.md §9).")
    parser.add_argument("--section", choices=sorted(SECTIONS), help="write only this section into the file")
    section = parser.parse_args().section
    if section:
        write_section(section)
        return
    rng = Stream("seda/v1/test-vectors")
    report = report_vectors(rng)
    vectors = {
        "protocol": "seda/v1",
        "about": "Known-answer vectors for the Sedā protocol v1; see docs/PROTOCOL.md §9.",
        "encoding": encoding_vectors(),
        "hkdf": hkdf_vectors(),
        "token": token_vectors(),
        "derivation": derivation_vectors(),
        "xwing": xwing_vectors(rng),
        "report": report,
        "message": message_vectors(rng, report),
        "keys": key_vectors(rng),
        "directory": directory_vectors(report),
        "thread_tag": thread_tag_vectors(report),
        "report_tags": report_tag_vectors(report),
        "rekey_tags": rekey_tag_vectors(report),
        "puzzle": puzzle_vectors(),
        "slips": slip_vectors(),
    }
    OUT.write_text(json.dumps(vectors, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")  # noqa: T201 (a command-line tool reports what it wrote)


if __name__ == "__main__":
    main()
