// The signed directory and routing policy, verified in the page against the root key the
// page pins (docs/PROTOCOL.md §7). Nothing is sealed to a key that did not verify.
import { fromBase64, verifyDirectory } from "../protocol/index.mjs";
import { directoryFromSigned, loadSignedPolicy } from "../protocol/routing.mjs";
import { UnavailableError } from "./api.mjs";

// The directory or policy did not verify: seal nothing, tell the reporter.
export class TrustError extends Error {
  constructor(message = "the directory or policy does not verify against the pinned root key") {
    super(message);
    this.name = "TrustError";
  }
}

// The root public key the server put in the page (a <meta> element), as bytes; null when
// the page was served out of service.
export function pinnedRootKey(doc = document) {
  const hex = doc.querySelector('meta[name="seda-root-key"]')?.content ?? "";
  if (!/^[0-9a-f]{64}$/.test(hex)) return null;
  return Uint8Array.from(hex.match(/../g), (byte) => parseInt(byte, 16));
}

// Fetch and verify both documents. Network and server refusals propagate as ApiError;
// anything that does not verify is TrustError. `minSerial` refuses a replayed older directory.
export async function loadTrust(api, rootPublic, { now = new Date(), minSerial = 1 } = {}) {
  const signedDirectory = await api.getJson("/api/v1/directory");
  const signedPolicy = await api.getJson("/api/v1/policy");
  let directory;
  let policy;
  try {
    directory = await verifyDirectory(signedDirectory, rootPublic, { now, minSerial });
    policy = await loadSignedPolicy(signedPolicy, rootPublic, directory.policy ?? null);
  } catch {
    throw new TrustError();
  }
  const byCode = new Map(directory.bodies.map((entry) => [entry.body, entry]));
  return {
    serial: directory.serial,
    directory,
    routing: directoryFromSigned(directory),
    policy,
    entry: (code) => byCode.get(code) ?? null,
    // The key to seal to: only ever from the verified directory.
    publicKey(code) {
      const entry = byCode.get(code);
      if (!entry) throw new TrustError("a recipient is not in the signed directory");
      return fromBase64(entry.public_key);
    },
  };
}

// A body's name in the page's language, from the signed directory.
export function bodyName(trust, code, language, fallback) {
  const entry = trust?.entry(code);
  if (!entry) return fallback;
  return language === "fa" ? entry.name_fa : entry.name_en;
}

// A directory newer than `serial`, after the server said the page's one is stale. Another
// server process may lag a moment behind (it rechecks once a second), so an answer that is not
// newer is asked again a few times; an older one is never accepted (rollback).
export async function loadNewerTrust(api, rootPublic, serial, { attempts = 4, sleep } = {}) {
  const wait = sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    const fresh = await loadTrust(api, rootPublic);
    if (fresh.serial > serial) return fresh;
    if (attempt < attempts) await wait(750 * attempt);
  }
  throw new UnavailableError("stale-directory", 409);
}
