"""Preparation: seal the submissions and store the tracked reports before the timed phase.

``python -m benchmarks.load.prepare --base-url URL --keys-dir DIR --submissions N --lookups K
--out POOL`` writes a pool (``benchmarks/load/pool.py``) of N submissions sealed with the real
client (``SedaClient.build_submission``: routing under the signed policy, HPKE to the bodies'
directory keys, escrow, thread tag) and K status look-ups of reports it has just filed.

The K tracked reports are filed the way a reporter files them: a fresh tracking token,
stretched with Argon2id into the lookup secret, sealed and submitted with a solved puzzle.
The N load submissions carry random token secrets instead of an Argon2id derivation (0.1 s
each would make the pool cost hours): the server sees a lookup verifier and a reporter key,
which look the same either way. Every puzzle is solved last, against one challenge fetched
after sealing, so the pool stays valid for at least ten minutes from then (PROTOCOL.md §11).
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgspec

import crypto
from benchmarks.load import pool
from crypto import puzzle
from kiosk_client import wire
from kiosk_client.client import ReportDraft, SedaClient
from server.demo.keys import load_demo_keys
from tests.intake_support import draft

_T = TypeVar("_T")
TEXT = (
    "در بند ۴ از هفته گذشته به بیماران داروی لازم داده نشده است و درخواست ملاقات با پزشک بی‌پاسخ مانده است. "
) * 5
# A few kinds of report, so routing decides different recipient sets (all valid demo codes).
DRAFTS = (
    draft(TEXT),
    draft(TEXT, institution="isfahan-central", category="living_conditions", reporter_type="prisoner"),
    draft(TEXT, institution="fars-central", category="visits_contact", concerns="institution_management"),
    draft(TEXT, category="ill_treatment", reporter_type="lawyer", urgency="urgent"),
)


class _Sealed(msgspec.Struct):
    report_id: str
    envelope_sha256: bytes
    body: dict[str, Any]
    lookup_secret: bytes | None = None  # tracked reports: what a look-up sends


def _random_secrets() -> crypto.TokenSecrets:
    return crypto.TokenSecrets(
        lookup_secret=secrets.token_bytes(32),
        reporter_seed=crypto.new_seed(),
        thread_key=secrets.token_bytes(32),
    )


def _seal(client: SedaClient, report: ReportDraft, token: crypto.TokenSecrets) -> _Sealed:
    body = client.build_submission(report, token, solve_puzzle=False)
    envelope: crypto.ReportEnvelope = body["envelope"]
    digest = hashlib.sha256(crypto.encode_envelope(envelope)).digest()
    return _Sealed(envelope.report_id, digest, body)


def _challenge(http: httpx.Client) -> tuple[wire.Puzzle, float]:
    """A fresh puzzle challenge and the Unix time until which the server accepts it."""
    fetched = time.time()
    answer = http.get("/api/v1/puzzle")
    answer.raise_for_status()
    challenge = msgspec.json.decode(answer.content, type=wire.Puzzle)
    return challenge, fetched + challenge.expires_in


def _solution(challenge: wire.Puzzle, purpose: str, subject: bytes) -> dict[str, bytes] | None:
    if challenge.bits == 0:
        return None
    nonce = puzzle.solve(challenge.challenge, challenge.bits, purpose, subject)
    return {"challenge": challenge.challenge, "nonce": nonce}


def _armed(sealed: _Sealed, challenge: wire.Puzzle) -> pool.PreparedSubmission:
    subject = uuid.UUID(sealed.report_id).bytes
    body = {**sealed.body, "puzzle": _solution(challenge, "submit", subject)}
    return pool.PreparedSubmission(sealed.report_id, sealed.envelope_sha256, msgspec.json.encode(body))


def seal_share(base_url: str, keys_dir: str, count: int) -> tuple[list[pool.PreparedSubmission], float]:
    """``count`` submissions (one worker process's share), puzzles solved after sealing."""
    keys = load_demo_keys(Path(keys_dir))
    if keys is None:
        raise RuntimeError("no demo keys: run `seda demo` first")
    with httpx.Client(base_url=base_url, timeout=30) as http:
        client = SedaClient(http, keys.root_public)
        sealed = [_seal(client, DRAFTS[i % len(DRAFTS)], _random_secrets()) for i in range(count)]
        challenge, valid_until = _challenge(http)
        return [_armed(item, challenge) for item in sealed], valid_until


def file_tracked(base_url: str, keys_dir: str, count: int) -> tuple[list[pool.PreparedLookup], float]:
    """File ``count`` reports with real tokens (Argon2id); their look-up bodies, puzzles solved."""
    keys = load_demo_keys(Path(keys_dir))
    if keys is None:
        raise RuntimeError("no demo keys: run `seda demo` first")
    with httpx.Client(base_url=base_url, timeout=30) as http:
        client = SedaClient(http, keys.root_public)
        filed = []
        for i in range(count):
            token = crypto.derive_from_token(crypto.new_token())
            sealed = _seal(client, DRAFTS[i % len(DRAFTS)], token)
            challenge, _ = _challenge(http)
            body = _armed(sealed, challenge).body
            answer = http.post("/api/v1/reports", content=body, headers={"content-type": "application/json"})
            receipt = (
                msgspec.json.decode(answer.content, type=wire.Receipt) if answer.status_code == 201 else None
            )
            if receipt is None or receipt.report_id != sealed.report_id:
                raise RuntimeError(f"a tracked report was refused ({answer.status_code})")
            filed.append((sealed.report_id, token.lookup_secret))
        challenge, valid_until = _challenge(http)
        lookups = [
            pool.PreparedLookup(
                report_id,
                msgspec.json.encode(
                    {
                        "lookup_secret": secret,
                        "puzzle": _solution(challenge, "lookup", crypto.lookup_verifier(secret)),
                    }
                ),
            )
            for report_id, secret in filed
        ]
        return lookups, valid_until


def _in_worker(work: Callable[..., _T], *args: object) -> _T:
    """Run ``work`` in a worker process; its failure comes back as a plain ``RuntimeError``
    (the client's errors do not survive pickling, which would hide the cause)."""
    try:
        return work(*args)
    except Exception as error:  # noqa: BLE001 (any failure: report its kind and text)
        raise RuntimeError(f"{work.__name__}: {type(error).__name__}: {error}") from None


def prepare(base_url: str, keys_dir: Path, submissions: int, lookups: int, processes: int) -> pool.Pool:
    """The whole pool, sealed by ``processes`` worker processes (sealing is CPU-bound)."""
    shares = [submissions // processes + (1 if i < submissions % processes else 0) for i in range(processes)]
    with ProcessPoolExecutor(processes) as workers:
        tracked = workers.submit(_in_worker, file_tracked, base_url, str(keys_dir), lookups)
        sealed = [
            workers.submit(_in_worker, seal_share, base_url, str(keys_dir), share)
            for share in shares
            if share
        ]
        prepared, valid = [], [tracked.result()[1]]
        for future in sealed:
            items, valid_until = future.result()
            prepared += items
            valid.append(valid_until)
    return pool.Pool(prepared, tracked.result()[0], puzzles_valid_until=min(valid))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--keys-dir", type=Path, required=True, help="the demo keys `seda demo` made")
    parser.add_argument("--submissions", type=int, required=True)
    parser.add_argument("--lookups", type=int, required=True)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if not (0 <= args.submissions <= 500_000 and 1 <= args.lookups <= 1_000 and 1 <= args.processes <= 8):
        parser.error("--submissions 0..500000, --lookups 1..1000, --processes 1..8")
    started = time.monotonic()
    prepared = prepare(args.base_url, args.keys_dir, args.submissions, args.lookups, args.processes)
    pool.write(args.out, prepared)
    print(
        f"prepared {len(prepared.submissions)} submissions and {len(prepared.lookups)} tracked reports "
        f"in {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
