// Client puzzles (docs/PROTOCOL.md §11), solved in the worker and bound to one request.
import { fromBase64, toBase64 } from "../protocol/index.mjs";
import { ApiError } from "./api.mjs";

// A solved puzzle for `purpose` and `subject` (bytes), or null when the server asks none.
// `onProgress(fraction)` follows the expected work (2^bits hashes).
export async function solvePuzzleFor(api, worker, purpose, subject, onProgress) {
  const puzzle = await api.getJson("/api/v1/puzzle");
  if (puzzle.bits === 0) return null;
  const expected = 2 ** puzzle.bits;
  const nonce = await worker.solve(fromBase64(puzzle.challenge), puzzle.bits, purpose, subject, (tries) =>
    onProgress?.(Math.min(0.95, tries / expected)),
  );
  return { challenge: puzzle.challenge, nonce: toBase64(nonce) };
}

// Post `body` (which carries a solved puzzle); if the server found it stale or too easy
// meanwhile (its difficulty rises under attack), solve a new one once and post again.
export async function postSolved(api, worker, path, body, purpose, subject, onProgress) {
  try {
    return await api.postJson(path, body);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== "puzzle-failed") throw error;
  }
  return api.postJson(path, { ...body, puzzle: await solvePuzzleFor(api, worker, purpose, subject, onProgress) });
}
