// Box token slips (crypto/slips.py, docs/PROTOCOL.md §13), the transcriber's side: a claim code
// typed from the letter's half of a slip gives the claim id (sent, to find the slip's record)
// and the claim key (never sent), which opens the token's thread key sealed in that record.
import { equalBytes, fields, fromBase64 } from "./encoding.mjs";
import { OpenError, TokenFormatError, opaquely } from "./errors.mjs";
import { TOKEN_PARAMS_V1, argon2 } from "./derive.mjs";
import { KEY_BYTES, hkdf, keyId, openOnce } from "./primitives.mjs";
import { groupDigits, readDigits } from "./token.mjs";

export const CLAIM_DIGITS = 16;
// A fixed salt, as for tokens: the server finds a slip from the claim id alone.
const CLAIM_SALT_V1 = new TextEncoder().encode("seda/v1/claim-code-salt");

// The canonical 16 Latin digits of a claim code as typed; TokenFormatError (with its reason) otherwise.
export function parseClaimCode(text) {
  return readDigits(text, CLAIM_DIGITS, "claim code");
}

export function groupClaimCode(digits, persian = false) {
  return groupDigits(digits, persian);
}

// `digits` must be parseClaimCode's result: any other text would derive a useless key silently.
export async function deriveClaim(digits, params = TOKEN_PARAMS_V1) {
  if (parseClaimCode(digits) !== digits) throw new TokenFormatError("character", "pass parseClaimCode's result");
  const master = await argon2(new TextEncoder().encode(digits), CLAIM_SALT_V1, params);
  return { claimId: await hkdf(master, "seda/v1/claim/id"), claimKey: await hkdf(master, "seda/v1/claim/key") };
}

// The token's thread key from the slip's record as the server sends it (base64 fields), or
// OpenError unless the record is the one made for this claim code: a server that swapped in
// its own reply key or verifier is caught here.
export async function openSlip(claim, record) {
  const [claimId, verifier, reporterKey, sealed] = await opaquely(async () => [
    fromBase64(record.claim_id),
    fromBase64(record.lookup_verifier),
    fromBase64(record.reporter_key),
    fromBase64(record.sealed_thread_key),
  ]);
  if (!equalBytes(claim.claimId, claimId)) throw new OpenError();
  const aad = fields("seda/v1/claim/thread-key", claimId, verifier, await keyId(reporterKey));
  const threadKey = await openOnce(claim.claimKey, sealed, aad);
  if (threadKey.length !== KEY_BYTES) throw new OpenError();
  return threadKey;
}
