"""RFC 9180 Appendix A.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM), base mode.

``cryptography``'s single-shot HPKE API takes no AAD, and the RFC's encryptions all use one;
so the test seals the RFC's plaintext under the RFC's ``key`` and ``base_nonce`` with an empty
AAD and checks that HPKE, given the RFC's ``skRm``, ``enc`` and ``info``, opens it. That holds
only if the KEM decapsulation and the key schedule match the RFC exactly.
"""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

A1 = {
    "info": "4f6465206f6e2061204772656369616e2055726e",
    "skRm": "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
    "pkRm": "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
    "enc": "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
    "key": "4531685d41d65f03dc48f6b8302c05b0",
    "base_nonce": "56d890e5accaaf011cff4b7d",
    "pt": "4265617574792069732074727574682c20747275746820626561757479",
    # The RFC's first encryption (aad "Count-0"): opened with the key schedule's outputs.
    "aad0": "436f756e742d30",
    "ct0": "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a",
}
SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
b = bytes.fromhex


def test_the_rfc_key_and_nonce_produce_the_rfc_ciphertext() -> None:
    sealed = AESGCM(b(A1["key"])).encrypt(b(A1["base_nonce"]), b(A1["pt"]), b(A1["aad0"]))
    assert sealed.hex() == A1["ct0"]


def test_the_recipient_key_matches_the_rfc() -> None:
    private = X25519PrivateKey.from_private_bytes(b(A1["skRm"]))
    assert private.public_key().public_bytes_raw().hex() == A1["pkRm"]


def test_hpke_decapsulation_and_key_schedule_match_the_rfc() -> None:
    sealed = AESGCM(b(A1["key"])).encrypt(b(A1["base_nonce"]), b(A1["pt"]), b"")
    private = X25519PrivateKey.from_private_bytes(b(A1["skRm"]))
    opened = SUITE.decrypt(b(A1["enc"]) + sealed, private, info=b(A1["info"]))
    assert opened == b(A1["pt"])


@pytest.mark.parametrize("field", ["info", "enc"])
def test_a_changed_info_or_enc_does_not_open(field: str) -> None:
    sealed = AESGCM(b(A1["key"])).encrypt(b(A1["base_nonce"]), b(A1["pt"]), b"")
    private = X25519PrivateKey.from_private_bytes(b(A1["skRm"]))
    info, enc = b(A1["info"]), b(A1["enc"])
    if field == "info":
        info = info + b"!"
    else:
        enc = bytes([enc[0] ^ 1]) + enc[1:]
    with pytest.raises(InvalidTag):
        SUITE.decrypt(enc + sealed, private, info=info)
