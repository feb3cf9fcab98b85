"""Support for the boxes tests: reading a slip sheet back and pairing its halves."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

import crypto
from server.db.lifecycle import Database
from server.db.models import SlipClaim
from tests.intake_support import run_coroutine
from tests.pdf_support import pdf_text

TOKEN = re.compile(r"(?<![0-9-])[0-9]{4}(?:-[0-9]{4}){4}(?![0-9-])")
CLAIM = re.compile(r"(?<![0-9-])[0-9]{4}(?:-[0-9]{4}){3}(?![0-9-])")


def slips_of(pdf: bytes) -> tuple[list[crypto.TrackingToken], list[crypto.ClaimCode]]:
    """The tokens and claim codes printed on a slip sheet, from their Latin-digit forms."""
    words = "\n".join(pdf_text(pdf))
    tokens = [crypto.parse_token(found) for found in TOKEN.findall(words)]
    claims = [crypto.parse_claim_code(found) for found in CLAIM.findall(words)]
    return tokens, claims


def pair_slips(
    url: str, tokens: list[crypto.TrackingToken], claims: list[crypto.ClaimCode]
) -> dict[crypto.ClaimCode, crypto.TrackingToken]:
    """Which token was printed with which claim code: the stored record of each claim code
    (found by its claim id) holds the verifier of exactly one token. Fails unless every claim
    code and every token are paired, one to one."""
    with ThreadPoolExecutor(2) as pool:
        verifiers = list(
            pool.map(lambda t: crypto.lookup_verifier(crypto.derive_from_token(t).lookup_secret), tokens)
        )
        claim_ids = list(pool.map(lambda c: crypto.derive_claim(c).claim_id, claims))

    async def stored() -> dict[bytes, bytes | None]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                rows = await session.execute(select(SlipClaim.claim_id, SlipClaim.lookup_verifier))
                return {row.claim_id: row.lookup_verifier for row in rows}
        finally:
            await database.dispose()

    records = run_coroutine(stored())
    by_verifier = dict(zip(verifiers, tokens, strict=True))
    pairs = {claim: by_verifier[records[claim_id]] for claim, claim_id in zip(claims, claim_ids, strict=True)}  # type: ignore[index]
    assert len(set(pairs.values())) == len(tokens) == len(claims)
    return pairs
