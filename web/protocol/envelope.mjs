// Report envelopes (crypto/envelope.py). Envelopes are plain JSON objects, bytes in base64,
// exactly as the server stores and serves them.
import { openChunks, streamDigest } from "./attachments.mjs";
import {
  PROTOCOL_VERSION,
  compareBytes,
  equalBytes,
  fields,
  fromBase64,
  sha256,
  toBase64,
  uuidBytes,
} from "./encoding.mjs";
import { EnvelopeFormatError, OpenError, opaquely } from "./errors.mjs";
import {
  KEY_BYTES,
  KEY_ID_BYTES,
  SUITE_XWING_SHA256_AES256GCM,
  XWING_PUBLIC_BYTES,
  hkdf,
  hmacSha256,
  keyId,
  openOnce,
  sealOnce,
  xwingPublicBytes,
} from "./primitives.mjs";
import { checkHeader, findWrap, recipientIdsBinding, unwrapBundle, wrapBundle } from "./sealing.mjs";
import { UUID4, reportPayload, reporterIdentity } from "./shapes.mjs";

export const ROUTING_FIELDS = Object.freeze([
  "institution",
  "report_type",
  "category",
  "concerns",
  "reporter_type",
  "channel",
  "urgency",
]);
const CODE = /^[a-z0-9][a-z0-9_.-]{0,79}$/;
const WRAP_PURPOSE = "seda/v1/wrap/report";
const MAX_RECIPIENTS = 32;
const MAX_PAYLOAD_BYTES = 256 * 1024;
const MAX_IDENTITY_BYTES = 16 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function routingBinding(routing) {
  const keys = Object.keys(routing ?? {});
  const valid = (name) => typeof routing[name] === "string" && CODE.test(routing[name]);
  if (keys.length !== ROUTING_FIELDS.length || !ROUTING_FIELDS.every(valid)) {
    throw new EnvelopeFormatError("routing metadata must be exactly the routing codes");
  }
  return ROUTING_FIELDS.map((name) => routing[name]);
}

// The inputs of an envelope's context without its ciphertext (docs/PROTOCOL.md §3.6), as the
// server returns it with a status: key ids and bytes in base64.
export async function envelopeHeader(envelope) {
  const reporterKey = envelope.reporter_key == null ? null : fromBase64(envelope.reporter_key);
  if (reporterKey && reporterKey.length !== XWING_PUBLIC_BYTES) throw new EnvelopeFormatError("bad reply key");
  return {
    version: envelope.version,
    suite: envelope.suite,
    report_id: envelope.report_id,
    routing: envelope.routing,
    reporter_key_id: reporterKey ? toBase64(await keyId(reporterKey)) : null,
    recipient_key_ids: envelope.recipients.map((wrap) => wrap.key_id),
    with_identity: envelope.identity != null,
  };
}

export async function headerContext(header) {
  checkHeader(header.version, header.suite);
  const reporterKeyId = header.reporter_key_id == null ? new Uint8Array(0) : fromBase64(header.reporter_key_id);
  if (header.reporter_key_id != null && reporterKeyId.length !== 16) throw new EnvelopeFormatError("bad key id");
  return sha256(
    "seda/v1/report",
    header.version,
    header.suite,
    uuidBytes(header.report_id),
    ...routingBinding(header.routing),
    reporterKeyId,
    recipientIdsBinding(header.recipient_key_ids.map((id) => ({ key_id: id }))),
    header.with_identity ? 1 : 0,
  );
}

// HMAC-SHA256(HKDF(threadKey, purpose, ctx), fields(ctx, ...parts)) (crypto.envelope._report_tag):
// only holders of the thread key (the reporter, officers who opened the report) can make one.
async function reportTag(threadKey, purpose, context, ...parts) {
  return hmacSha256(await hkdf(threadKey, purpose, context), fields(context, ...parts));
}

// A key id given as bytes or as base64 text (as headers and directories carry them).
function keyIdBytes(id) {
  const bytes = typeof id === "string" ? fromBase64(id) : id;
  if (!(bytes instanceof Uint8Array) || bytes.length !== KEY_ID_BYTES) throw new EnvelopeFormatError("a key id is 16 bytes");
  return bytes;
}

// Does `make(ctx)` of this header give `tag`? Never throws.
async function checkTag(header, tag, make) {
  try {
    return equalBytes(await make(await headerContext(header)), tag);
  } catch {
    return false;
  }
}

// The reporter's tag over a report's context, made with the thread key (§3.6).
export async function threadTag(threadKey, context) {
  return reportTag(threadKey, "seda/v1/report/thread-tag", context);
}

// Does `tag` prove the reporter sealed a report with exactly this header? Never throws.
export async function checkThreadTag(threadKey, header, tag) {
  return checkTag(header, tag, (context) => threadTag(threadKey, context));
}

// The reporter's tag over the key ids of the report's escrowed escalation wraps (§3.7),
// made at submission (crypto.escrow_tag): the ids (bytes or base64) are sorted and
// de-duplicated, so order and repeats do not matter. EnvelopeFormatError for a bad key id.
export async function escrowTag(threadKey, context, keyIds) {
  const unique = new Map(keyIds.map(keyIdBytes).map((id) => [toBase64(id), id]));
  const sorted = [...unique.values()].sort(compareBytes);
  return reportTag(threadKey, "seda/v1/report/escrow-tag", context, fields(...sorted));
}

// Does `tag` prove the reporter escrowed wraps to exactly these key ids? Never throws.
export async function checkEscrowTag(threadKey, header, keyIds, tag) {
  return checkTag(header, tag, (context) => escrowTag(threadKey, context, keyIds));
}

// The referring officer's tag over the report's context and the referred body's key id
// (bytes or base64), with the thread key from the opened payload (crypto.referral_tag, §3.6).
// EnvelopeFormatError for a bad key id.
export async function referralTag(threadKey, context, keyId) {
  return reportTag(threadKey, "seda/v1/report/referral-tag", context, keyIdBytes(keyId));
}

// Does `tag` prove a holder of the thread key referred this report to the body of `keyId`?
// Never throws.
export async function checkReferralTag(threadKey, header, keyId, tag) {
  return checkTag(header, tag, (context) => referralTag(threadKey, context, keyId));
}

// The tag an officer's device makes after its body's key was rotated (§6.1), over the
// report's context and the body's new key id (bytes or base64), with the thread key from the
// opened payload (crypto.rekey_tag, §3.6). EnvelopeFormatError for a bad key id.
export async function rekeyTag(threadKey, context, keyId) {
  return reportTag(threadKey, "seda/v1/report/rekey-tag", context, keyIdBytes(keyId));
}

// Does `tag` prove a holder of the thread key vouched for the body key `keyId` for this
// report? Never throws.
export async function checkRekeyTag(threadKey, header, keyId, tag) {
  return checkTag(header, tag, (context) => rekeyTag(threadKey, context, keyId));
}

export async function envelopeContext(envelope) {
  return headerContext(await envelopeHeader(envelope));
}

function payloadKey(keys, context) {
  return hkdf(keys.contentKey, "seda/v1/report/payload", context);
}

function identityKey(key, context) {
  return hkdf(key, "seda/v1/report/identity", context);
}

export function attachmentKey(keys, context, attachmentId) {
  return hkdf(keys.contentKey, "seda/v1/report/attachment", context, uuidBytes(attachmentId));
}


async function wrap(keys, context, publicKey, includeIdentity) {
  const bundle = [keys.contentKey];
  if (includeIdentity && keys.identityKey) bundle.push(keys.identityKey);
  return wrapBundle(WRAP_PURPOSE, SUITE_XWING_SHA256_AES256GCM, context, bundle, publicKey);
}

// Fresh keys for one report (crypto.new_report_keys): made before sealing when attachments
// are sealed first, under keys derived from the report's context.
export function newReportKeys({ withIdentity }) {
  return {
    contentKey: crypto.getRandomValues(new Uint8Array(KEY_BYTES)),
    identityKey: withIdentity ? crypto.getRandomValues(new Uint8Array(KEY_BYTES)) : null,
  };
}

// The context (§3.1) a report sealed with these facts will have (crypto.report_context).
export async function reportContext({ reportId, routing, recipients, reporterPublicKey = null, withIdentity }) {
  return headerContext({
    version: PROTOCOL_VERSION,
    suite: SUITE_XWING_SHA256_AES256GCM,
    report_id: reportId,
    routing,
    reporter_key_id: reporterPublicKey ? toBase64(await keyId(reporterPublicKey)) : null,
    recipient_key_ids: await Promise.all(recipients.map(async (p) => toBase64(await keyId(p)))),
    with_identity: withIdentity,
  });
}

// Seal a report to X-Wing public keys (Uint8Array each). Returns { envelope, keys }.
// `keys` (from newReportKeys) is given when attachments were sealed under them already.
export async function sealReport({
  reportId,
  routing,
  payload,
  recipients,
  reporterPublicKey = null,
  identity = null,
  identityRecipients = null,
  keys: givenKeys = null,
}) {
  if (typeof reportId !== "string" || !UUID4.test(reportId)) throw new EnvelopeFormatError("report ids are random UUIDs");
  const payloadBytes = encoder.encode(JSON.stringify(reportPayload(payload)));
  const identityBytes = identity ? encoder.encode(JSON.stringify(reporterIdentity(identity))) : null;
  if (payloadBytes.length > MAX_PAYLOAD_BYTES || (identityBytes && identityBytes.length > MAX_IDENTITY_BYTES)) {
    throw new EnvelopeFormatError("report too large");
  }
  if (recipients.length < 1 || recipients.length > MAX_RECIPIENTS) {
    throw new EnvelopeFormatError("between 1 and 32 distinct recipients");
  }
  const keys = givenKeys ?? newReportKeys({ withIdentity: identity !== null });
  if ((keys.identityKey !== null) !== (identity !== null)) {
    throw new EnvelopeFormatError("an identity key goes with an identity, and only with one");
  }
  const ids = await Promise.all(recipients.map((publicKey) => keyId(publicKey)));
  const draft = {
    version: PROTOCOL_VERSION,
    suite: SUITE_XWING_SHA256_AES256GCM,
    report_id: reportId,
    routing: Object.fromEntries(ROUTING_FIELDS.map((name) => [name, routing[name]])),
    reporter_key: reporterPublicKey ? toBase64(reporterPublicKey) : null,
    recipients: ids.map((id) => ({ key_id: toBase64(id), wrapped: "AA==" })),
    payload: "",
    identity: identityBytes ? "" : null,
  };
  const context = await envelopeContext(draft);
  const withIdentity = identityRecipients ?? recipients;
  const granted = new Set(await Promise.all(withIdentity.map(async (p) => toBase64(await keyId(p)))));
  draft.recipients = await Promise.all(
    recipients.map((publicKey, i) => wrap(keys, context, publicKey, granted.has(draft.recipients[i].key_id))),
  );
  draft.payload = toBase64(await sealOnce(await payloadKey(keys, context), payloadBytes, context));
  if (identityBytes) {
    draft.identity = toBase64(await sealOnce(await identityKey(keys.identityKey, context), identityBytes, context));
  }
  return { envelope: draft, keys };
}

function parseJson(bytes, shape) {
  try {
    return shape(JSON.parse(decoder.decode(bytes)));
  } catch {
    throw new OpenError();
  }
}

// Open a report with a recipient's seed; `ownWrap` is given for a referral wrap.
export async function openReport(envelope, seed, ownWrap = null) {
  const context = await opaquely(() => envelopeContext(envelope));
  const mine = ownWrap ?? findWrap(envelope.recipients, await keyId(await xwingPublicBytes(seed)));
  const bundle = await opaquely(() => unwrapBundle(WRAP_PURPOSE, envelope.suite, context, mine, seed));
  const keys = { contentKey: bundle[0], identityKey: bundle[1] ?? null };
  const payload = parseJson(
    await openOnce(await payloadKey(keys, context), await opaquely(() => fromBase64(envelope.payload)), context),
    reportPayload,
  );
  let identity = null;
  if (envelope.identity != null && keys.identityKey) {
    const sealed = await opaquely(() => fromBase64(envelope.identity));
    identity = parseJson(await openOnce(await identityKey(keys.identityKey, context), sealed, context), reporterIdentity);
  }
  return { payload, identity, identityWithheld: envelope.identity != null && identity === null, keys, context };
}

// Open an uploaded attachment and check it is exactly the one the payload's `ref` describes.
export async function openAttachment(keys, context, ref, chunks) {
  if (chunks.length !== ref.chunks || !equalBytes(await streamDigest(chunks), fromBase64(ref.sha256))) {
    throw new OpenError();
  }
  const data = await openChunks(await attachmentKey(keys, context, ref.attachment_id), chunks);
  if (data.length !== ref.size) throw new OpenError();
  return data;
}

export async function rewrapForReferral(envelope, keys, newRecipientPublicKey, includeIdentity) {
  return wrap(keys, await envelopeContext(envelope), newRecipientPublicKey, includeIdentity);
}
