// The officer's side of the console, without the page: enrolment, sign-in, the keys opened on
// this device (docs/CONSOLE.md, PROTOCOL.md §6). The passphrase, the wrap key and every
// private seed stay here; the server gets the authentication value and sealed material only.
import {
  fromBase64,
  keyFingerprint,
  keyId,
  newSeed,
  openBodyKeyGrant,
  protectOfficerSeed,
  publicKeyOf,
  toBase64,
  unlockOfficerSeed,
} from "../protocol/index.mjs";

export const MIN_PASSPHRASE = 14;

// Enrolment, step one: make the officer's key pair and register it; the TOTP to set up.
export async function enrol({ api, worker, username, code, passphrase }) {
  const account = await api.postJson("/console/api/enrolment/begin", { username, code });
  const secrets = await worker.passphrase(passphrase.normalize("NFC"), fromBase64(account.salt));
  const seed = newSeed();
  const { publicKey } = await publicKeyOf(seed);
  const setup = await api.postJson("/console/api/enrolment/complete", {
    username,
    code,
    auth_value: toBase64(secrets.authValue),
    public_key: toBase64(publicKey),
    protected_seed: toBase64(await protectOfficerSeed(seed, secrets)),
  });
  return { account, setup, fingerprint: await keyFingerprint(publicKey) };
}

// Enrolment, step two: the first code from the authenticator; the fingerprint to read out.
export async function confirmEnrolment({ api, username, code, totp }) {
  return (await api.postJson("/console/api/enrolment/confirm", { username, code, totp })).fingerprint;
}

// Sign in: the salt, the derivation in the worker, the session; then the keys opened here.
export async function signIn({ api, worker, username, passphrase, totp, setCsrf }) {
  const { salt } = await api.postJson("/console/api/salt", { username });
  const secrets = await worker.passphrase(passphrase.normalize("NFC"), fromBase64(salt));
  const signed = await api.postJson("/console/api/session", {
    username,
    auth_value: toBase64(secrets.authValue),
    totp,
  });
  setCsrf(signed.csrf_token);
  return unlockKeys(api, secrets);
}

// The officer's seed, opened with the passphrase-derived wrap key, and every body seed granted
// to it (by body key id, in base64).
export async function unlockKeys(api, secrets) {
  const me = await api.getJson("/console/api/me");
  const publicKey = fromBase64(me.public_key);
  const seed = await unlockOfficerSeed(fromBase64(me.protected_seed), await keyId(publicKey), secrets);
  const bodySeeds = new Map();
  for (const grant of me.grants) {
    bodySeeds.set(grant.body_key_id, await openBodyKeyGrant(fromBase64(grant.grant), fromBase64(grant.body_key_id), seed));
  }
  return { officer: me.officer, seed, publicKey, bodySeeds };
}
