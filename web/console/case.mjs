// One case opened on the officer's device, and what the officer seals for it: replies (to the
// reporter's key from the verified envelope and this body), internal notes (to this body),
// referral wraps and tags (PROTOCOL.md §3.5–3.6). The server stores what comes out of here.
import {
  fromBase64,
  newUuid,
  openAttachment,
  openMessage,
  openReport,
  publicKeyOf,
  referralTag,
  rewrapForReferral,
  sealMessage,
} from "../protocol/index.mjs";

export async function openCase(api, keys, reportId) {
  const data = await api.getJson(`/console/api/reports/${reportId}`);
  const seed = data.wrap ? keys.bodySeeds.get(data.wrap.key_id) : undefined;
  if (!seed) return { data, opened: null };
  const opened = await openReport(data.envelope, seed, data.wrap);
  const threadKey = opened.payload.thread_key ? fromBase64(opened.payload.thread_key) : null;
  const messages = [];
  for (const item of data.messages) {
    let text = null;
    if (threadKey) {
      try {
        text = (await openMessage(item.message, seed, threadKey)).text;
      } catch {
        text = null; // sealed to another body only, or not authentic
      }
    }
    messages.push({ ...item, text });
  }
  return { data, opened, seed, threadKey, messages, bodyPublic: (await publicKeyOf(seed)).publicKey };
}

function seal(kase, kind, recipients, text, fields = {}) {
  if (!kase.threadKey) throw new TypeError("this report has no thread key: nobody can be answered");
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
