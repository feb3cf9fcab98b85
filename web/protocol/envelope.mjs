// Report envelopes (crypto/envelope.py). Envelopes are plain JSON objects, bytes in base64,
// exactly as the server stores and serves them.
import {
  PROTOCOL_VERSION,
  fromBase64,
  sha256,
  toBase64,
  uuidBytes,
} from "./encoding.mjs";
import { EnvelopeFormatError, OpenError, opaquely } from "./errors.mjs";
import {
  KEY_BYTES,
  SUITE_XWING_SHA256_AES256GCM,
  XWING_PUBLIC_BYTES,
  hkdf,
  keyId,
  openOnce,
  sealOnce,
  xwingPublicBytes,
} from "./primitives.mjs";
import { checkHeader, findWrap, recipientIdsBinding, unwrapBundle, wrapBundle } from "./sealing.mjs";

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
  if (keys.length !== ROUTING_FIELDS.length || !ROUTING_FIELDS.every((name) => CODE.test(routing[name] ?? ""))) {
    throw new EnvelopeFormatError("routing metadata must be exactly the routing codes");
  }
  return ROUTING_FIELDS.map((name) => routing[name]);
}

export async function envelopeContext(envelope) {
  checkHeader(envelope.version, envelope.suite);
  const reporterKey = envelope.reporter_key == null ? null : fromBase64(envelope.reporter_key);
  if (reporterKey && reporterKey.length !== XWING_PUBLIC_BYTES) throw new EnvelopeFormatError("bad reply key");
  return sha256(
    "seda/v1/report",
    envelope.version,
    envelope.suite,
    uuidBytes(envelope.report_id),
    ...routingBinding(envelope.routing),
    reporterKey ? await keyId(reporterKey) : new Uint8Array(0),
    recipientIdsBinding(envelope.recipients),
    envelope.identity == null ? 0 : 1,
  );
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

function normalisePayload(payload) {
  return {
    text: String(payload.text ?? ""),
    fields: { ...(payload.fields ?? {}) },
    attachments: [...(payload.attachments ?? [])],
    language: String(payload.language ?? "fa"),
  };
}

function normaliseIdentity(identity) {
  return { name: String(identity.name), contact: String(identity.contact ?? ""), fields: { ...(identity.fields ?? {}) } };
}

async function wrap(keys, context, publicKey, includeIdentity) {
  const bundle = [keys.contentKey];
  if (includeIdentity && keys.identityKey) bundle.push(keys.identityKey);
  return wrapBundle(WRAP_PURPOSE, SUITE_XWING_SHA256_AES256GCM, context, bundle, publicKey);
}

// Seal a report to X-Wing public keys (Uint8Array each). Returns { envelope, keys }.
export async function sealReport({
  reportId,
  routing,
  payload,
  recipients,
  reporterPublicKey = null,
  identity = null,
  identityRecipients = null,
}) {
  const payloadBytes = encoder.encode(JSON.stringify(normalisePayload(payload)));
  const identityBytes = identity ? encoder.encode(JSON.stringify(normaliseIdentity(identity))) : null;
  if (payloadBytes.length > MAX_PAYLOAD_BYTES || (identityBytes && identityBytes.length > MAX_IDENTITY_BYTES)) {
    throw new EnvelopeFormatError("report too large");
  }
  if (recipients.length < 1 || recipients.length > MAX_RECIPIENTS) {
    throw new EnvelopeFormatError("between 1 and 32 distinct recipients");
  }
  const keys = {
    contentKey: crypto.getRandomValues(new Uint8Array(KEY_BYTES)),
    identityKey: identity ? crypto.getRandomValues(new Uint8Array(KEY_BYTES)) : null,
  };
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

function parseJson(bytes) {
  try {
    return JSON.parse(decoder.decode(bytes));
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
  );
  let identity = null;
  if (envelope.identity != null && keys.identityKey) {
    const sealed = await opaquely(() => fromBase64(envelope.identity));
    identity = parseJson(await openOnce(await identityKey(keys.identityKey, context), sealed, context));
  }
  return { payload, identity, identityWithheld: envelope.identity != null && identity === null, keys, context };
}

export async function rewrapForReferral(envelope, keys, newRecipientPublicKey, includeIdentity) {
  return wrap(keys, await envelopeContext(envelope), newRecipientPublicKey, includeIdentity);
}
