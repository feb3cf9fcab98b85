// Sedā's uses of the primitives (crypto/primitives.py): HKDF, single-use AEAD, X-Wing, HPKE.
import { Aes256Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { XWing } from "@hpke/hybridkem-x-wing";
import { concat, fields, sha256 } from "./encoding.mjs";
import { OpenError, opaquely } from "./errors.mjs";

export const SEED_BYTES = 32;
export const KEY_BYTES = 32;
export const KEY_ID_BYTES = 16;
export const XWING_PUBLIC_BYTES = 1216;
export const XWING_ENC_BYTES = 1120;
export const SUITE_XWING_SHA256_AES256GCM = 1;
const SINGLE_USE_NONCE = new Uint8Array(12);

const suites = {
  [SUITE_XWING_SHA256_AES256GCM]: new CipherSuite({
    kem: new XWing(),
    kdf: new HkdfSha256(),
    aead: new Aes256Gcm(),
  }),
};

function suiteFor(id) {
  const suite = suites[id];
  if (!suite) throw new OpenError();
  return suite;
}

export async function hmacSha256(key, data) {
  const imported = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", imported, data));
}

// HKDF-SHA256, no salt (the RFC's all-zero salt), info = fields(purpose, ...context).
export async function hkdf(secret, purpose, ...context) {
  const key = await crypto.subtle.importKey("raw", secret, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: fields(purpose, ...context) },
    key,
    KEY_BYTES * 8,
  );
  return new Uint8Array(bits);
}

async function aesKey(key, usage) {
  return crypto.subtle.importKey("raw", key, "AES-GCM", false, [usage]);
}

export async function sealOnce(key, plaintext, aad) {
  const k = await aesKey(key, "encrypt");
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: SINGLE_USE_NONCE, additionalData: aad },
    k,
    plaintext,
  );
  return new Uint8Array(sealed);
}

export async function openOnce(key, ciphertext, aad) {
  return opaquely(async () => {
    const k = await aesKey(key, "decrypt");
    const opened = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: SINGLE_USE_NONCE, additionalData: aad },
      k,
      ciphertext,
    );
    return new Uint8Array(opened);
  });
}

// The library reads key bytes through .buffer: always hand it a fresh, exact copy.
const exact = (bytes) => new Uint8Array(bytes).slice();

export async function xwingPublicBytes(seed) {
  if (seed.length !== SEED_BYTES) throw new TypeError("an X-Wing seed is 32 bytes");
  const kem = suiteFor(SUITE_XWING_SHA256_AES256GCM).kem;
  const pair = await kem.generateKeyPairDerand(exact(seed));
  return new Uint8Array(await kem.serializePublicKey(pair.publicKey));
}

export async function keyId(publicKey) {
  return (await sha256("seda/v1/key-id", publicKey)).slice(0, KEY_ID_BYTES);
}

export async function hpkeSeal(suiteId, publicKey, info, plaintext) {
  const suite = suiteFor(suiteId);
  if (publicKey.length !== XWING_PUBLIC_BYTES) throw new TypeError("an X-Wing public key is 1216 bytes");
  const recipientPublicKey = await suite.kem.importKey("raw", exact(publicKey), true);
  const { ct, enc } = await suite.seal({ recipientPublicKey, info }, exact(plaintext));
  return concat([new Uint8Array(enc), new Uint8Array(ct)]);
}

export async function hpkeOpen(suiteId, seed, info, sealed) {
  return opaquely(async () => {
    const suite = suiteFor(suiteId);
    if (sealed.length <= XWING_ENC_BYTES) throw new OpenError();
    const recipientKey = await suite.kem.importKey("raw", exact(seed), false);
    const enc = exact(sealed.subarray(0, XWING_ENC_BYTES));
    const plaintext = await suite.open({ recipientKey, enc, info }, exact(sealed.subarray(XWING_ENC_BYTES)));
    return new Uint8Array(plaintext);
  });
}
