// Argon2id derivations (crypto/derive.py): token → lookup secret and reply key; passphrase → keys.
import { argon2id } from "hash-wasm";
import { sha256 } from "./encoding.mjs";
import { TokenFormatError } from "./errors.mjs";
import { parseToken } from "./token.mjs";
import { hkdf, xwingPublicBytes } from "./primitives.mjs";

export const TOKEN_PARAMS_V1 = Object.freeze({ memory_kib: 64 * 1024, iterations: 2, lanes: 1 });
export const OFFICER_PARAMS_V1 = Object.freeze({ memory_kib: 64 * 1024, iterations: 3, lanes: 1 });
const TOKEN_SALT_V1 = new TextEncoder().encode("seda/v1/tracking-token-salt");

export async function argon2(secret, salt, params) {
  return argon2id({
    password: secret,
    salt,
    parallelism: params.lanes,
    iterations: params.iterations,
    memorySize: params.memory_kib,
    hashLength: 32,
    outputType: "binary",
  });
}

// `digits` must be the canonical token (parseToken's result): any other text would derive
// a different, useless secret without an error.
export async function deriveFromToken(digits, params = TOKEN_PARAMS_V1) {
  if (parseToken(digits) !== digits) throw new TokenFormatError("character", "pass parseToken's result");
  const master = await argon2(new TextEncoder().encode(digits), TOKEN_SALT_V1, params);
  const lookupSecret = await hkdf(master, "seda/v1/token/lookup");
  const reporterSeed = await hkdf(master, "seda/v1/token/reporter-key");
  const threadKey = await hkdf(master, "seda/v1/token/thread");
  return { lookupSecret, reporterSeed, threadKey, reporterPublicKey: await xwingPublicBytes(reporterSeed) };
}

export async function lookupVerifier(lookupSecret) {
  return sha256("seda/v1/lookup-verifier", lookupSecret);
}

export async function deriveFromPassphrase(passphrase, salt, params = OFFICER_PARAMS_V1) {
  if (salt.length < 16) throw new TypeError("an officer salt is at least 16 bytes");
  const normalised = new TextEncoder().encode(passphrase.normalize("NFC"));
  const master = await argon2(normalised, salt, params);
  return {
    wrapKey: await hkdf(master, "seda/v1/officer/wrap-key"),
    authValue: await hkdf(master, "seda/v1/officer/auth"),
  };
}
