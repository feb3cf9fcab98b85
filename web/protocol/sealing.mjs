// Key bundles wrapped per recipient (crypto/sealing.py).
import { PROTOCOL_VERSION, compareBytes, equalBytes, fields, fromBase64, toBase64, toHex } from "./encoding.mjs";
import { EnvelopeFormatError, OpenError } from "./errors.mjs";
import { KEY_BYTES, KEY_ID_BYTES, SUITE_XWING_SHA256_AES256GCM, hpkeOpen, hpkeSeal, keyId } from "./primitives.mjs";

export function checkHeader(version, suite) {
  if (version !== PROTOCOL_VERSION || suite !== SUITE_XWING_SHA256_AES256GCM) {
    throw new EnvelopeFormatError("unsupported protocol version or suite");
  }
}

export function recipientIdsBinding(recipients) {
  const ids = recipients.map((wrap) => fromBase64(wrap.key_id));
  if (ids.some((id) => id.length !== KEY_ID_BYTES)) throw new EnvelopeFormatError("bad key id");
  const unique = new Map(ids.map((id) => [toHex(id), id]));
  if (unique.size !== ids.length) throw new EnvelopeFormatError("a recipient key appears twice");
  return fields(...[...unique.values()].sort(compareBytes));
}

export async function wrapBundle(purpose, suite, context, bundle, recipientPublicKey) {
  const recipient = await keyId(recipientPublicKey);
  const info = fields(purpose, PROTOCOL_VERSION, suite, recipient, context);
  const wrapped = await hpkeSeal(suite, recipientPublicKey, info, fields(...bundle));
  return { key_id: toBase64(recipient), wrapped: toBase64(wrapped) };
}

export async function unwrapBundle(purpose, suite, context, wrap, seed) {
  const info = fields(purpose, PROTOCOL_VERSION, suite, fromBase64(wrap.key_id), context);
  return splitBundle(await hpkeOpen(suite, seed, info, fromBase64(wrap.wrapped)));
}

function splitBundle(data) {
  const keys = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at < data.length) {
    if (data.length - at < 4 + KEY_BYTES || view.getUint32(at) !== KEY_BYTES) throw new OpenError();
    keys.push(data.slice(at + 4, at + 4 + KEY_BYTES));
    at += 4 + KEY_BYTES;
  }
  if (keys.length < 1 || keys.length > 2) throw new OpenError();
  return keys;
}

export function findWrap(recipients, recipientKeyId) {
  for (const wrap of recipients) {
    if (equalBytes(fromBase64(wrap.key_id), recipientKeyId)) return wrap;
  }
  throw new OpenError();
}
