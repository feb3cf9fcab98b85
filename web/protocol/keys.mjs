// Body keys and officer keys (crypto/keys.py).
import { PROTOCOL_VERSION, equalBytes, fields } from "./encoding.mjs";
import { OpenError } from "./errors.mjs";
import { SEED_BYTES, SUITE_XWING_SHA256_AES256GCM, hpkeOpen, hpkeSeal, keyId, openOnce, sealOnce, xwingPublicBytes } from "./primitives.mjs";

export function newSeed() {
  return crypto.getRandomValues(new Uint8Array(SEED_BYTES));
}

export async function publicKeyOf(seed) {
  const publicKey = await xwingPublicBytes(seed);
  return { keyId: await keyId(publicKey), publicKey };
}

function grantInfo(bodyKeyId, officerKeyId) {
  return fields("seda/v1/wrap/body-key", PROTOCOL_VERSION, SUITE_XWING_SHA256_AES256GCM, bodyKeyId, officerKeyId);
}

export async function grantBodyKey(bodySeed, officerPublicKey) {
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

function officerAad(officerKeyId) {
  return fields("seda/v1/officer-seed", PROTOCOL_VERSION, officerKeyId);
}

export async function protectOfficerSeed(officerSeed, secrets) {
  return sealOnce(secrets.wrapKey, officerSeed, officerAad((await publicKeyOf(officerSeed)).keyId));
}

export async function unlockOfficerSeed(protectedSeed, officerKeyId, secrets) {
  const seed = await openOnce(secrets.wrapKey, protectedSeed, officerAad(officerKeyId));
  if (!equalBytes((await publicKeyOf(seed)).keyId, officerKeyId)) throw new OpenError();
  return seed;
}
