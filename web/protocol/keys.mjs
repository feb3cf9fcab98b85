// Body keys and officer keys (crypto/keys.py).
import { PROTOCOL_VERSION, concat, equalBytes, fields, sha256 } from "./encoding.mjs";
import { OpenError } from "./errors.mjs";
import {
  SEED_BYTES,
  SUITE_XWING_SHA256_AES256GCM,
  hkdf,
  hpkeOpen,
  hpkeSeal,
  keyId,
  openOnce,
  sealOnce,
  xwingPublicBytes,
} from "./primitives.mjs";

export function newSeed() {
  return crypto.getRandomValues(new Uint8Array(SEED_BYTES));
}

export async function publicKeyOf(seed) {
  const publicKey = await xwingPublicBytes(seed);
  return { keyId: await keyId(publicKey), publicKey };
}

// 24 digits (about 80 bits) in six groups, for people to compare before a grant (§6.1).
export async function keyFingerprint(publicKey) {
  const hash = await sha256("seda/v1/key-fingerprint", publicKey);
  let number = 0n;
  for (const byte of hash.subarray(0, 16)) number = (number << 8n) | BigInt(byte);
  const digits = (number % 10n ** 24n).toString().padStart(24, "0");
  return digits.match(/.{4}/g).join(" ");
}

export class UnverifiedKeyError extends Error {
  constructor() {
    super("this key does not match the confirmed fingerprint: do not grant");
    this.name = "UnverifiedKeyError";
  }
}

function grantInfo(bodyKeyId, officerKeyId) {
  return fields("seda/v1/wrap/body-key", PROTOCOL_VERSION, SUITE_XWING_SHA256_AES256GCM, bodyKeyId, officerKeyId);
}

export async function grantBodyKey(bodySeed, officerPublicKey, confirmedFingerprint) {
  if ((await keyFingerprint(officerPublicKey)) !== String(confirmedFingerprint).trim()) {
    throw new UnverifiedKeyError();
  }
  const info = grantInfo((await publicKeyOf(bodySeed)).keyId, await keyId(officerPublicKey));
  return hpkeSeal(SUITE_XWING_SHA256_AES256GCM, officerPublicKey, info, bodySeed);
}

export async function openBodyKeyGrant(grant, bodyKeyId, officerSeed) {
  const info = grantInfo(bodyKeyId, (await publicKeyOf(officerSeed)).keyId);
  const bodySeed = await hpkeOpen(SUITE_XWING_SHA256_AES256GCM, officerSeed, info, grant);
  if (bodySeed.length !== SEED_BYTES || !equalBytes((await publicKeyOf(bodySeed)).keyId, bodyKeyId)) {
    throw new OpenError();
  }
  return bodySeed;
}

const BLOB_SALT_BYTES = 16;

function officerAad(officerKeyId) {
  return fields("seda/v1/officer-seed", PROTOCOL_VERSION, officerKeyId);
}

function seedKey(secrets, officerKeyId, blobSalt) {
  return hkdf(secrets.wrapKey, "seda/v1/officer/seed-key", officerKeyId, blobSalt);
}

export async function protectOfficerSeed(officerSeed, secrets) {
  const officerKeyId = (await publicKeyOf(officerSeed)).keyId;
  const blobSalt = crypto.getRandomValues(new Uint8Array(BLOB_SALT_BYTES));
  const sealed = await sealOnce(await seedKey(secrets, officerKeyId, blobSalt), officerSeed, officerAad(officerKeyId));
  return concat([blobSalt, sealed]);
}

export async function unlockOfficerSeed(protectedSeed, officerKeyId, secrets) {
  if (protectedSeed.length <= BLOB_SALT_BYTES) throw new OpenError();
  const blobSalt = protectedSeed.subarray(0, BLOB_SALT_BYTES);
  const key = await seedKey(secrets, officerKeyId, blobSalt);
  const seed = await openOnce(key, protectedSeed.subarray(BLOB_SALT_BYTES), officerAad(officerKeyId));
  if (seed.length !== SEED_BYTES || !equalBytes((await publicKeyOf(seed)).keyId, officerKeyId)) throw new OpenError();
  return seed;
}
