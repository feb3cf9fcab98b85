// Replies, follow-ups and notes (crypto/messages.py).
import { PROTOCOL_VERSION, equalBytes, fields, fromBase64, sha256, toBase64, uuidBytes } from "./encoding.mjs";
import { EnvelopeFormatError, OpenError, opaquely } from "./errors.mjs";
import { KEY_BYTES, SUITE_XWING_SHA256_AES256GCM, hkdf, hmacSha256, keyId, openOnce, sealOnce, xwingPublicBytes } from "./primitives.mjs";
import { checkHeader, findWrap, recipientIdsBinding, unwrapBundle, wrapBundle } from "./sealing.mjs";
import { messageBody } from "./shapes.mjs";

const WRAP_PURPOSE = "seda/v1/wrap/message";
const KINDS = new Set(["reply", "follow-up", "note"]);
const encoder = new TextEncoder();

export async function messageContext(message) {
  checkHeader(message.version, message.suite);
  if (!KINDS.has(message.kind)) throw new EnvelopeFormatError("unknown message kind");
  return sha256(
    "seda/v1/message",
    message.version,
    message.suite,
    message.kind,
    uuidBytes(message.report_id),
    uuidBytes(message.message_id),
    recipientIdsBinding(message.recipients),
  );
}

// HMAC-SHA256 under a key from the report's thread key: only the reporter (token) and the
// bodies that opened the report (payload) hold it, so the server cannot forge a message.
async function authTag(threadKey, context, body) {
  return hmacSha256(await hkdf(threadKey, "seda/v1/message/auth", context), fields(context, body));
}

export async function sealMessage({ kind, reportId, messageId, body, recipients, threadKey }) {
  if (!(threadKey instanceof Uint8Array) || threadKey.length !== KEY_BYTES) {
    throw new EnvelopeFormatError("a thread key is 32 bytes");
  }
  const key = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  const ids = await Promise.all(recipients.map((p) => keyId(p)));
  const draft = {
    version: PROTOCOL_VERSION,
    suite: SUITE_XWING_SHA256_AES256GCM,
    kind,
    report_id: reportId,
    message_id: messageId,
    recipients: ids.map((id) => ({ key_id: toBase64(id), wrapped: "AA==" })),
    body: "",
    auth: "",
  };
  const context = await messageContext(draft);
  draft.recipients = await Promise.all(
    recipients.map((p) => wrapBundle(WRAP_PURPOSE, draft.suite, context, [key], p)),
  );
  const plaintext = encoder.encode(JSON.stringify(messageBody(body)));
  const sealed = await sealOnce(await hkdf(key, "seda/v1/message/body", context), plaintext, context);
  draft.body = toBase64(sealed);
  draft.auth = toBase64(await authTag(threadKey, context, sealed));
  return draft;
}

export async function openMessage(message, seed, threadKey) {
  const context = await opaquely(() => messageContext(message));
  const sealedBody = await opaquely(() => fromBase64(message.body));
  const expected = await opaquely(() => authTag(threadKey, context, sealedBody));
  if (!equalBytes(expected, await opaquely(() => fromBase64(message.auth)))) throw new OpenError();
  const wrap = findWrap(message.recipients, await keyId(await xwingPublicBytes(seed)));
  const bundle = await opaquely(() => unwrapBundle(WRAP_PURPOSE, message.suite, context, wrap, seed));
  if (bundle.length !== 1) throw new OpenError();
  const plaintext = await openOnce(await hkdf(bundle[0], "seda/v1/message/body", context), sealedBody, context);
  return opaquely(() => messageBody(JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext))));
}
