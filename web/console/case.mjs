// One case opened on the officer's device, and what the officer seals for it: replies (to the
// reporter's key from the verified envelope and this body), internal notes (to this body),
// referral wraps and tags (PROTOCOL.md §3.5–3.6), re-tags after a key rotation (§6.1). The
// server stores what comes out of here.
import {
  fromBase64,
  newUuid,
  openAttachment,
  openMessage,
  openReport,
  publicKeyOf,
  referralTag,
  rekeyTag,
  rewrapForReferral,
  sealMessage,
  toBase64,
} from "../protocol/index.mjs";

// `currentKeyId`: the body's key id (base64) in the verified directory. After a rotation the
// report may be wrapped to the body's old key while messages are sealed to either key, so each
// is opened with the body seed it is sealed to, and new messages are sealed to the current key.
export async function openCase(api, keys, reportId, currentKeyId = null) {
  const data = await api.getJson(`/console/api/reports/${reportId}`);
  const seed = data.wrap ? keys.bodySeeds.get(data.wrap.key_id) : undefined;
  if (!seed) return { data, opened: null };
  const opened = await openReport(data.envelope, seed, data.wrap);
  const threadKey = opened.payload.thread_key ? fromBase64(opened.payload.thread_key) : null;
  const messages = [];
  for (const item of data.messages) {
    let text = null;
    const sealedTo = (item.message.recipients ?? []).map((r) => keys.bodySeeds.get(r.key_id)).find(Boolean);
    if (threadKey && sealedTo) {
      try {
        text = (await openMessage(item.message, sealedTo, threadKey)).text;
      } catch {
        text = null; // not authentic
      }
    }
    messages.push({ ...item, text });
  }
  // The body's current key only if this device holds its seed: a grant opens only to the seed
  // of its own key id, so the server cannot make the page seal to (or vouch for) a key it
  // chose. Never the report's older key instead: what is sealed now goes to the current key.
  const holdsCurrent = Boolean(currentKeyId && keys.bodySeeds.has(currentKeyId));
  const current = currentKeyId ? keys.bodySeeds.get(currentKeyId) : seed;
  const bodyPublic = current ? (await publicKeyOf(current)).publicKey : null;
  return { data, opened, seed, threadKey, messages, bodyPublic, holdsCurrent };
}

// After the body's key was rotated (PROTOCOL.md §6.1) the reporter's device knows the body
// only by its old key id; this device, holding the thread key, vouches for the body's current
// key with a re-tag, once per key. Does nothing when the report was sealed to the current key,
// has no thread key, or is already re-tagged for it. Returns whether it sent one.
export async function retagAfterRotation(api, kase, currentKeyId) {
  const { data, opened, threadKey } = kase;
  if (!opened || !threadKey || !currentKeyId || data.rekey_key_id === currentKeyId) return false;
  if (!kase.holdsCurrent) return false; // vouch only for a key of this officer's own body
  if (data.envelope.recipients.some((wrap) => wrap.key_id === currentKeyId)) return false;
  const tag = await rekeyTag(threadKey, opened.context, currentKeyId);
  await api.send(`/console/api/reports/${data.report_id}/rekey-tag`, { key_id: currentKeyId, tag: toBase64(tag) });
  data.rekey_key_id = currentKeyId;
  return true;
}

function seal(kase, kind, recipients, text, fields = {}) {
  if (!kase.threadKey) throw new TypeError("this report has no thread key: nobody can be answered");
  if (!kase.bodyPublic) throw new TypeError("this device does not hold the body's current key");
  return sealMessage({
    kind,
    reportId: kase.data.report_id,
    messageId: newUuid(),
    body: { text, fields },
    recipients,
    threadKey: kase.threadKey,
  });
}

// A reply the reporter (with the token) can open, which this body's officers can read too.
export function sealReply(kase, text, fields = {}) {
  const reporterKey = kase.data.envelope.reporter_key;
  if (!reporterKey) throw new TypeError("this report has no reply key");
  return seal(kase, "reply", [fromBase64(reporterKey), kase.bodyPublic], text, fields);
}

export function sealNote(kase, text) {
  return seal(kase, "note", [kase.bodyPublic], text);
}

// The report's keys wrapped to another body's verified key, and the tag that lets the
// reporter's device trust that body for follow-ups.
export async function referral(kase, targetPublicKey, includeIdentity) {
  const wrap = await rewrapForReferral(kase.data.envelope, kase.opened.keys, targetPublicKey, includeIdentity);
  const tag = kase.threadKey ? await referralTag(kase.threadKey, kase.opened.context, wrap.key_id) : null;
  return { wrap, tag };
}

// An attachment, fetched chunk by chunk and opened here; checked against its reference.
export async function openAttachmentOf(api, kase, ref) {
  const chunks = [];
  for (let position = 0; position < ref.chunks; position += 1) {
    chunks.push(
      await api.getBytes(`/console/api/reports/${kase.data.report_id}/attachments/${ref.attachment_id}/chunks/${position}`),
    );
  }
  return openAttachment(kase.opened.keys, kase.opened.context, ref, chunks);
}
