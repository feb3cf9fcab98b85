// Attachments as chunked AEAD streams (crypto/attachments.py).
import { concat, digest } from "./encoding.mjs";
import { OpenError, opaquely } from "./errors.mjs";

export const CHUNK_BYTES = 64 * 1024;
const TAG_BYTES = 16;

function nonce(index, last) {
  const n = new Uint8Array(12);
  const view = new DataView(n.buffer);
  view.setUint32(7, index);
  n[11] = last ? 1 : 0;
  return n;
}

export async function sealChunks(key, data) {
  const aes = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  const count = Math.max(1, Math.ceil(data.length / CHUNK_BYTES));
  const chunks = [];
  for (let i = 0; i < count; i++) {
    const piece = data.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
    const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce(i, i === count - 1) }, aes, piece);
    chunks.push(new Uint8Array(sealed));
  }
  return chunks;
}

export async function streamDigest(chunks) {
  const parts = [];
  for (const chunk of chunks) {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, chunk.length);
    parts.push(length, chunk);
  }
  return digest(concat(parts));
}

export async function openChunks(key, chunks) {
  if (chunks.length === 0) throw new OpenError();
  const aes = await opaquely(() => crypto.subtle.importKey("raw", key, "AES-GCM", false, ["decrypt"]));
  const out = [];
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i];
    if (chunk.length < TAG_BYTES || chunk.length > CHUNK_BYTES + TAG_BYTES) throw new OpenError();
    const iv = nonce(i, i === chunks.length - 1);
    out.push(new Uint8Array(await opaquely(() => crypto.subtle.decrypt({ name: "AES-GCM", iv }, aes, chunk))));
  }
  return concat(out);
}
