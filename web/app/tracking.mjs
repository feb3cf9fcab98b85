// Following a report from the page, as kiosk_client.SedaClient.status and follow_up do in
// Python: the token is stretched in the worker; only the lookup secret is sent; replies are
// opened and authenticated here; follow-ups go only to bodies the reporter's tag vouches for.
import {
  checkEscrowTag,
  checkReferralTag,
  checkRekeyTag,
  checkThreadTag,
  fromBase64,
  keyId,
  lookupVerifier,
  newUuid,
  openMessage,
  parseToken,
  sealMessage,
  toBase64,
} from "../protocol/index.mjs";
import { factsFromMetadata, route } from "../protocol/routing.mjs";
import { ApiError, UnavailableError } from "./api.mjs";
import { postSolved, solvePuzzleFor } from "./puzzles.mjs";
import { TrustError } from "./trust.mjs";

// Derive the token's secrets (throws TokenFormatError for a mistyped token, whose `reason`
// says what to fix).
export async function secretsOf(worker, typed) {
  return worker.derive(parseToken(typed));
}

async function lookupBody(api, worker, secrets, onProgress) {
  const verifier = await lookupVerifier(secrets.lookupSecret);
  onProgress({ step: "puzzle" });
  const puzzle = await solvePuzzleFor(api, worker, "lookup", verifier, (fraction) =>
    onProgress({ step: "puzzle", fraction }),
  );
  return { verifier, body: { lookup_secret: toBase64(secrets.lookupSecret), puzzle } };
}

// The server's status view of the token's report (ApiError "not-found" for no report).
export async function statusView(api, worker, secrets, onProgress = () => {}) {
  const { verifier, body } = await lookupBody(api, worker, secrets, onProgress);
  onProgress({ step: "lookup" });
  return postSolved(api, worker, "/api/v1/status", body, "lookup", verifier);
}

// Replies opened and authenticated on this device; `text` null for one that did not open
// or authenticate (a forgery, or a message that is not this report's reply).
export async function openReplies(view, secrets) {
  const opened = [];
  for (const item of view.replies ?? []) {
    let text = null;
    if (item.message?.kind === "reply" && item.message?.report_id === view.report_id) {
      try {
        text = (await openMessage(item.message, secrets.reporterSeed, secrets.threadKey)).text;
      } catch {
        text = null;
      }
    }
    opened.push({ atHour: item.at_hour, body: item.body ?? null, text });
  }
  return opened;
}

// Listed bodies whose referral tag (made with the thread key) names their directory key.
async function referred(view, secrets, keyIds) {
  const bodies = new Set();
  for (const item of view.recipients ?? []) {
    const keyId = keyIds.get(item.body);
    if (item.referral_tag && keyId && (await checkReferralTag(secrets.threadKey, view.header, keyId, fromBase64(item.referral_tag)))) {
      bodies.add(item.body);
    }
  }
  return bodies;
}

// Listed bodies whose re-tag (made with the thread key after a key rotation, PROTOCOL.md
// §6.1) names their directory key.
async function rekeyed(view, secrets, keyIds) {
  const bodies = new Set();
  for (const item of view.recipients ?? []) {
    const keyId = keyIds.get(item.body);
    if (item.rekey_tag && keyId && (await checkRekeyTag(secrets.threadKey, view.header, keyId, fromBase64(item.rekey_tag)))) {
      bodies.add(item.body);
    }
  }
  return bodies;
}

// Bodies whose directory keys the reporter's own escrow tag covers (an escalation may add them).
async function escrowed(view, secrets, keyIds) {
  const ids = view.escrow_key_ids ?? [];
  if (!view.escrow_tag || !(await checkEscrowTag(secrets.threadKey, view.header, ids, fromBase64(view.escrow_tag)))) {
    return new Set();
  }
  const covered = new Set(ids);
  return new Set([...keyIds].filter(([, keyId]) => covered.has(keyId)).map(([body]) => body));
}

// The bodies a follow-up may be sealed to, checked with the thread key, never taken on the
// server's word (docs/PROTOCOL.md §3.6-3.7): the report's initial recipients (whose key ids the
// reporter's own tag covers), the bodies routing adds for retaliation, bodies listed with a
// valid referral tag or re-tag (after a key rotation) for their key, and bodies whose keys the reporter's escrow tag covers.
// TrustError if the server's account does not hold up.
export async function followUpBodies(view, secrets, trust, { retaliation }) {
  const header = view.header;
  const ownKeyId = toBase64(await keyId(secrets.reporterPublicKey));
  const tagged =
    header &&
    view.thread_tag &&
    header.report_id === view.report_id &&
    header.reporter_key_id === ownKeyId &&
    (await checkThreadTag(secrets.threadKey, header, fromBase64(view.thread_tag)));
  if (!tagged) throw new TrustError("the server's account of this report does not match the reporter's tag");
  const keyIds = new Map(trust.directory.bodies.map((entry) => [entry.body, entry.key_id]));
  const sealedTo = new Set(header.recipient_key_ids);
  const initial = new Set([...keyIds].filter(([, id]) => sealedTo.has(id)).map(([body]) => body));
  const vouched = new Set([
    ...initial,
    ...(await referred(view, secrets, keyIds)),
    ...(await rekeyed(view, secrets, keyIds)),
    ...(await escrowed(view, secrets, keyIds)),
  ]);
  const forRetaliation = new Set();
  if (retaliation || view.retaliation) {
    const facts = factsFromMetadata(header.routing, new Date(view.received_hour), { retaliation: true });
    for (const recipient of route(facts, trust.policy, trust.routing).recipients) forRetaliation.add(recipient.body);
  }
  const listed = new Set((view.recipients ?? []).map((item) => item.body));
  if (![...listed].every((body) => vouched.has(body) || forRetaliation.has(body))) {
    throw new TrustError("the server lists a recipient this device cannot verify");
  }
  if (![...initial].every((body) => listed.has(body))) {
    throw new TrustError("the server leaves out a body the report was sealed to");
  }
  // A new retaliation report goes at once to the bodies the server adds for it too.
  const bodies = new Set(listed);
  if (retaliation && !view.retaliation) for (const body of forRetaliation) bodies.add(body);
  return [...bodies].sort();
}

// A follow-up went out and no readable answer came: it may or may not be stored. `message`
// is the sealed message: sent again unchanged it cannot be stored twice (its id is the key).
export class FollowUpUnknownError extends Error {
  constructor(message, trust) {
    super("the follow-up's outcome is unknown: send the same sealed message again");
    this.name = "FollowUpUnknownError";
    this.sealed = message;
    this.trust = trust;
  }
}

// The sealed fields of a follow-up: what the reporter asks for, as kiosk_client does.
const followUpFields = (flags) => Object.fromEntries(Object.entries(flags).filter(([, on]) => on).map(([name]) => [name, "yes"]));

async function sealFollowUp(api, worker, trust, secrets, { text, retaliation, protection }, onProgress) {
  const view = await statusView(api, worker, secrets, onProgress);
  const bodies = await followUpBodies(view, secrets, trust, { retaliation });
  onProgress({ step: "follow_up" });
  return sealMessage({
    kind: "follow-up",
    reportId: view.report_id,
    messageId: newUuid(),
    body: { text, fields: followUpFields({ retaliation, protection }) },
    recipients: bodies.map((body) => trust.publicKey(body)),
    threadKey: secrets.threadKey,
  });
}

// Seal a follow-up to the verified bodies and send it; returns {receipt, trust}. With
// `protection` the reporter asks for protection. `sealed` is a message whose earlier sending
// had no answer (FollowUpUnknownError): it is sent as it is. A stale directory is fetched
// again with `reload(serial)` and the message sealed anew once.
export async function sendFollowUp({
  api,
  worker,
  trust,
  reload,
  secrets,
  text,
  retaliation,
  protection = false,
  sealed = null,
  onProgress = () => {},
}) {
  let current = trust;
  let message = sealed;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    message ??= await sealFollowUp(api, worker, current, secrets, { text, retaliation, protection }, onProgress);
    const { verifier, body } = await lookupBody(api, worker, secrets, onProgress);
    onProgress({ step: "sending" });
    const request = { ...body, message, directory_serial: current.serial, retaliation, protection };
    try {
      return { receipt: await postSolved(api, worker, "/api/v1/follow-ups", request, "lookup", verifier), trust: current };
    } catch (error) {
      const refused = error instanceof ApiError && !(error instanceof UnavailableError);
      if (refused && error.code === "stale-directory" && attempt === 0) {
        current = await reload(current.serial);
        message = null; // not stored (the server checks the id first): seal anew for the new keys
        continue;
      }
      if (refused || error instanceof TrustError) throw error;
      throw new FollowUpUnknownError(message, current);
    }
  }
  throw new UnavailableError("stale-directory", 409);
}
