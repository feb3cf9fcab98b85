// The pages' worker: Argon2id (64 MiB, about a second on a phone: a token, a box slip's claim
// code, an officer's passphrase) and client puzzles run here, off the page's thread, so the
// page stays responsive and can show progress.
import { deriveFromPassphrase, deriveFromToken } from "../protocol/derive.mjs";
import { solvePuzzle } from "../protocol/puzzle.mjs";
import { deriveClaim } from "../protocol/slips.mjs";

self.onmessage = async ({ data }) => {
  const { id, op } = data;
  try {
    if (op === "derive") {
      postMessage({ id, result: await deriveFromToken(data.token, data.params) });
    } else if (op === "claim") {
      postMessage({ id, result: await deriveClaim(data.digits, data.params) });
    } else if (op === "passphrase") {
      postMessage({ id, result: await deriveFromPassphrase(data.passphrase, data.salt) });
    } else if (op === "solve") {
      const onProgress = (tries) => postMessage({ id, progress: tries });
      postMessage({ id, result: await solvePuzzle(data.challenge, data.bits, data.purpose, data.subject, { onProgress }) });
    } else {
      postMessage({ id, error: "unknown operation" });
    }
  } catch (error) {
    postMessage({ id, error: error?.name ?? "Error" }); // the name only: never secret data
  }
};
