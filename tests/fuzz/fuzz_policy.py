"""The routing policy: TOML as an author writes it (``parse_policy``), and signed as clients
and the server load it (``decode_signed`` then ``load_signed_policy``).

Accepted: ``PolicyError`` from parsing and loading; ``EnvelopeFormatError`` from decoding the
signed document. The fuzzed TOML is also signed with the test root key, so that it reaches the
parser behind the signature check. Invariants: a loaded policy is the file that was signed
(its hash), and is refused when the directory names another version or hash.
"""

from __future__ import annotations

import hashlib

import crypto
from crypto.directory import decode_signed, encode_signed
from routing.errors import PolicyError
from routing.policy import load_signed_policy, parse_policy
from tests.fuzz import samples
from tests.fuzz.provider import Provider
from tests.routing_helpers import DEFAULT_POLICY_BYTES

_DEFAULT = parse_policy(DEFAULT_POLICY_BYTES)
_RULES = {"format", "independent_body", "conflict_of_interest", "outside_organization", "fallback"}
_PLACED = DEFAULT_POLICY_BYTES + (
    b'\n[[rule]]\nid = "placed"\nreason = "provincial_directorate"\n'
    b'when = { provinces = ["tehran", "qom"], institutions = ["qom-central"], urgent = true }\n'
    b'targets = [{ body_type = "provincial_dg_prisons", scope = "province" }]\n'
)


def seeds() -> list[bytes]:
    signed = encode_signed(crypto.sign_document("policy", DEFAULT_POLICY_BYTES, samples.ROOT_SEED))
    return [bytes([0]) + DEFAULT_POLICY_BYTES, bytes([0]) + _PLACED, bytes([1]) + signed]


def TestOneInput(data: bytes) -> None:  # noqa: N802 (libFuzzer's name)
    provider = Provider(data)
    if provider.byte() % 2 == 0:
        policy_file(provider.rest())
    else:
        signed_policy(provider.rest())


def policy_file(data: bytes) -> None:
    try:
        policy = parse_policy(data)
    except PolicyError as error:
        assert error.rule in _RULES  # noqa: PT017 (a harness, not a pytest test)
        return
    assert policy.sha256 == hashlib.sha256(data).digest()
    signed = crypto.sign_document("policy", data, samples.ROOT_SEED)
    reference = crypto.PolicyReference(version=policy.version, sha256=policy.sha256)
    assert load_signed_policy(signed, samples.ROOT_PUBLIC, reference) == policy
    for other in (crypto.PolicyReference(version=policy.version, sha256=bytes(32)), None):
        try:
            load_signed_policy(signed, samples.ROOT_PUBLIC, other)
        except PolicyError as error:
            assert error.rule == "signature"  # noqa: PT017 (a harness, not a pytest test)
        else:
            raise AssertionError("a policy the directory does not name was loaded")


def signed_policy(data: bytes) -> None:
    try:
        signed = decode_signed(data)
    except crypto.EnvelopeFormatError:
        return
    reference = crypto.PolicyReference(version=_DEFAULT.version, sha256=_DEFAULT.sha256)
    try:
        policy = load_signed_policy(signed, samples.ROOT_PUBLIC, reference)
    except PolicyError:
        return
    assert signed.document == DEFAULT_POLICY_BYTES
    assert policy == _DEFAULT
