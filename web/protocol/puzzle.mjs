// Client puzzles (crypto/puzzle.py, docs/PROTOCOL.md §11): find a nonce whose hash with the
// server's challenge, the purpose and the request's subject starts with `bits` zero bits.
import { fields } from "./encoding.mjs";

const MAX_BITS = 32;

function leadingZeroBits(digest) {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

async function puzzleDigest(challenge, purpose, subject, nonce) {
  const data = fields("seda/v1/puzzle", challenge, purpose, subject, nonce);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

export async function puzzleSolves(challenge, bits, purpose, subject, nonce) {
  if (!(bits >= 0 && bits <= MAX_BITS) || nonce.length < 1 || nonce.length > 32) return false;
  return leadingZeroBits(await puzzleDigest(challenge, purpose, subject, nonce)) >= bits;
}

// About 2^bits hashes; `onProgress(tries)` is called every 4,096 tries (for a progress bar).
export async function solvePuzzle(challenge, bits, purpose, subject, { prefix, onProgress } = {}) {
  if (!(bits >= 0 && bits <= MAX_BITS)) throw new RangeError("puzzle difficulty out of range");
  const nonce = new Uint8Array(16);
  nonce.set(prefix ?? crypto.getRandomValues(new Uint8Array(8)));
  const view = new DataView(nonce.buffer);
  for (let counter = 0; ; counter += 1) {
    view.setUint32(8, Math.floor(counter / 2 ** 32));
    view.setUint32(12, counter >>> 0);
    if (await puzzleSolves(challenge, bits, purpose, subject, nonce)) return nonce.slice();
    if (onProgress && counter % 4096 === 4095) onProgress(counter + 1);
  }
}
