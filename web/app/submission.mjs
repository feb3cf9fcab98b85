// Filing a report from the page, as kiosk_client.SedaClient.submit does in Python: route
// with the verified policy, seal attachments and the report on this device, upload, submit
// exactly once (the report id is made here), and check the receipt is for this envelope.
import {
  attachmentKey,
  digest,
  envelopeContext,
  escrowTag,
  lookupVerifier,
  newReportKeys,
  newToken,
  newUuid,
  reportContext,
  rewrapForReferral,
  sealChunks,
  sealReport,
  streamDigest,
  threadTag,
  toBase64,
  uuidBytes,
} from "../protocol/index.mjs";
import { escalationTargets, factsFromMetadata, route } from "../protocol/routing.mjs";
import { ApiError, UnavailableError } from "./api.mjs";
import { postSolved, solvePuzzleFor } from "./puzzles.mjs";

export const CHANNEL = "web";
const MAX_NAME = 200;
const MAX_MEDIA_TYPE = 100;
const encoder = new TextEncoder();

// The routing metadata of a draft: what the server may read (docs/PROTOCOL.md §3.1).
export function routingOf(draft) {
  return {
    institution: draft.institution,
    report_type: draft.reportType,
    category: draft.category,
    concerns: draft.concerns,
    reporter_type: draft.reporterType,
    channel: draft.channel ?? CHANNEL,
    urgency: draft.urgent ? "urgent" : "normal",
  };
}

// Who receives `draft` under the verified policy and directory (throws the routing errors).
export function decide(trust, draft, now = new Date()) {
  return route(factsFromMetadata(routingOf(draft), now), trust.policy, trust.routing, draft.reporterChoices ?? []);
}

// The report's keys wrapped, as for a referral, to every body an escalation would reach
// first (docs/PROTOCOL.md §3.7), the identity key only to those routing allows it; with the
// reporter's escrow tag over their key ids (kiosk_client.SedaClient.escrow does the same).
async function escrowFor(trust, decision, envelope, keys, threadKey) {
  // Without a token there is no thread key and no tag: the wraps go alone (PROTOCOL.md §3.7).
  const facts = factsFromMetadata(envelope.routing, new Date());
  const escrow = [];
  for (const target of escalationTargets(decision.recipients, facts, trust.routing)) {
    escrow.push({ body: target.body, wrap: await rewrapForReferral(envelope, keys, trust.publicKey(target.body), target.identity) });
  }
  if (escrow.length === 0 || threadKey === null) return { escrow, escrow_tag: null };
  const tag = await escrowTag(threadKey, await envelopeContext(envelope), escrow.map((item) => item.wrap.key_id));
  return { escrow, escrow_tag: toBase64(tag) };
}

// The directory changed under the reporter and the new one routes the report to other
// bodies: nothing was stored; the page shows the new recipients and lets the reporter decide.
export class RecipientsChangedError extends Error {
  constructor(trust) {
    super("the signed directory changed and with it the report's recipients");
    this.name = "RecipientsChangedError";
    this.trust = trust;
  }
}

const bodiesOf = (decision) => decision.recipients.map((recipient) => recipient.body).sort();
const sameList = (a, b) => a.length === b.length && a.every((item, index) => item === b[index]);

// Did the server answer for this very report? The same id, the SHA-256 of the envelope as the
// server re-encodes it (the same field order), and the bodies this page sealed to.
async function receiptFits(receipt, envelope, decision) {
  const sent = toBase64(await digest(encoder.encode(JSON.stringify(envelope))));
  return (
    receipt?.report_id === envelope.report_id &&
    receipt?.envelope_sha256 === sent &&
    Array.isArray(receipt?.recipients) &&
    sameList([...receipt.recipients].sort(), bodiesOf(decision))
  );
}

// Seal and submit `draft`. Returns {token, receipt, decision, trust}; `receipt` is null when
// the outcome is unknown — the submission went out and no readable answer for it came back —
// and the token must still be shown, so the reporter can check later (a retry of the same
// envelope is harmless: the report id makes it idempotent). A definite refusal throws
// ApiError: nothing was stored (docs/API.md). `reload(serial)` fetches a newer verified
// directory when the server says the page's one is stale; if it routes the report to other
// bodies, RecipientsChangedError.
export async function submitReport({ api, worker, trust, reload, draft, onProgress = () => {} }) {
  const token = newToken();
  onProgress({ step: "token" });
  const secrets = await worker.derive(token);
  let current = trust;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const { body, decision } = await buildSubmission(api, worker, current, draft, secrets, onProgress);
    onProgress({ step: "sending" });
    let receipt;
    try {
      receipt = await postSolved(api, worker, "/api/v1/reports", body, "submit", uuidBytes(body.envelope.report_id));
    } catch (error) {
      const refused = error instanceof ApiError && !(error instanceof UnavailableError);
      if (refused && error.code === "stale-directory") {
        const fresh = await reload(current.serial);
        if (!sameList(bodiesOf(decide(fresh, draft)), bodiesOf(decision))) throw new RecipientsChangedError(fresh);
        current = fresh;
        continue;
      }
      if (refused || error?.code === "not-published") throw error;
      return { token, receipt: null, decision, trust: current }; // sent; maybe stored; no answer
    }
    const fits = await receiptFits(receipt, body.envelope, decision);
    return { token, receipt: fits ? receipt : null, decision, trust: current };
  }
  throw new UnavailableError("stale-directory", 409);
}

async function buildSubmission(api, worker, trust, draft, secrets, onProgress) {
  const { body, decision } = await sealSubmission({ api, worker, trust, draft, secrets, onProgress });
  onProgress({ step: "puzzle" });
  body.puzzle = await solvePuzzleFor(api, worker, "submit", uuidBytes(body.envelope.report_id), (fraction) =>
    onProgress({ step: "puzzle", fraction }),
  );
  return { body, decision };
}

// Route and seal `draft` on this device and upload its attachments: the submission's body
// without a puzzle (the web form adds one; the console's box letters need none). `secrets` are
// a token's (§5.1), or, for a box letter with a slip, the slip's `{lookupVerifier,
// reporterPublicKey, threadKey}` (§13), or null for a report no one can track.
export async function sealSubmission({ api, worker, trust, draft, secrets, onProgress = () => {} }) {
  const decision = decide(trust, draft);
  const recipients = decision.recipients.map((r) => trust.publicKey(r.body));
  const identityRecipients = decision.recipients.filter((r) => r.identity).map((r) => trust.publicKey(r.body));
  const routing = routingOf(draft);
  const reportId = newUuid();
  const withIdentity = draft.identity !== null;
  const keys = newReportKeys({ withIdentity });
  const reporterPublicKey = secrets?.reporterPublicKey ?? null;
  const threadKey = secrets?.threadKey ?? null;
  const context = await reportContext({ reportId, routing, recipients, reporterPublicKey, withIdentity });
  const refs = [];
  for (const [index, attachment] of draft.attachments.entries()) {
    onProgress({ step: "attachment", n: index + 1, total: draft.attachments.length });
    refs.push(await upload(api, worker, keys, context, attachment));
  }
  onProgress({ step: "sealing" });
  const { envelope } = await sealReport({
    reportId,
    routing,
    payload: {
      text: draft.text,
      fields: draft.fields,
      attachments: refs,
      language: draft.language,
      thread_key: threadKey ? toBase64(threadKey) : null,
    },
    recipients,
    reporterPublicKey,
    identity: draft.identity,
    identityRecipients,
    keys,
  });
  const verifier = secrets?.lookupVerifier ?? (secrets?.lookupSecret ? await lookupVerifier(secrets.lookupSecret) : null);
  const body = {
    envelope,
    directory_serial: trust.serial,
    reporter_choices: draft.reporterChoices ?? [],
    lookup_verifier: verifier ? toBase64(verifier) : null,
    attachments: refs.map((ref) => ref.attachment_id),
    thread_tag: threadKey ? toBase64(await threadTag(threadKey, await envelopeContext(envelope))) : null,
    ...(await escrowFor(trust, decision, envelope, keys, threadKey)),
  };
  return { body, decision };
}

// Seal one attachment under the report's keys and upload it: announce its chunks' digests
// (so the server checks each on arrival), then send the chunks the server does not hold.
async function upload(api, worker, keys, context, attachment) {
  const attachmentId = newUuid();
  const chunks = await sealChunks(await attachmentKey(keys, context, attachmentId), attachment.data);
  const streamSha = toBase64(await streamDigest(chunks));
  const subject = uuidBytes(attachmentId);
  const start = {
    attachment_id: attachmentId,
    chunks: chunks.length,
    sha256: streamSha,
    chunk_sha256: await Promise.all(chunks.map(async (chunk) => toBase64(await digest(chunk)))),
    puzzle: await solvePuzzleFor(api, worker, "upload", subject),
  };
  const state = await postSolved(api, worker, "/api/v1/uploads", start, "upload", subject);
  const held = new Set(state.received ?? []);
  for (const [position, chunk] of chunks.entries()) {
    if (!held.has(position)) await api.put(`/api/v1/uploads/${attachmentId}/chunks/${position}`, chunk);
  }
  const mediaType = attachment.mediaType && attachment.mediaType.length <= MAX_MEDIA_TYPE
    ? attachment.mediaType
    : "application/octet-stream";
  return {
    attachment_id: attachmentId,
    name: [...attachment.name].slice(0, MAX_NAME).join(""),
    media_type: mediaType,
    size: attachment.data.length,
    chunks: chunks.length,
    sha256: streamSha,
  };
}
