// The status page (/status): a token typed in any digits → status, deadlines, bodies and
// replies opened on this device; follow-ups and retaliation reports. The token is turned
// into keys in the worker and the input is cleared; nothing is stored in the browser.
import { createApi } from "./api.mjs";
import { byId, el, formErrors, progress, show } from "./dom.mjs";
import { pageI18n } from "./i18n.mjs";
import { failureText, progressOf } from "./messages.mjs";
import { FollowUpUnknownError, openReplies, secretsOf, sendFollowUp, statusView } from "./tracking.mjs";
import { TrustError, bodyName, loadNewerTrust, loadTrust, pinnedRootKey } from "./trust.mjs";
import { createWorker } from "./worker-client.mjs";

const i18n = pageI18n();
const { t } = i18n;
const api = createApi({ language: i18n.language });
const root = pinnedRootKey();
let worker = null;
let trust = null;
let secrets = null;
let lastReplies = [];
// A follow-up that went out without an answer: sent again unchanged if the reporter resends
// the same text (it cannot be stored twice), dropped if they change it.
let pending = null;
const separator = i18n.language === "fa" ? "، " : ", ";

const nameOf = (code) => (code ? bodyName(trust, code, i18n.language, t("web.js.status.unknown_body")) : "");

async function ensureTrust() {
  if (trust === null && root !== null) trust = await loadTrust(api, root);
  return trust;
}

function render(view, replies) {
  byId("status-value").textContent = t(`status.${view.status}`);
  show(byId("status-retaliation"), Boolean(view.retaliation));
  show(byId("status-protection"), Boolean(view.protection_requested));
  byId("status-received").textContent = i18n.instant(view.received_hour);
  byId("status-acknowledge").textContent = i18n.deadline(view.acknowledge_by);
  byId("status-feedback").textContent = i18n.deadline(view.feedback_by);
  byId("status-history").replaceChildren(
    ...view.history.map((item) => {
      const parts = [t(`status.${item.status}`), i18n.instant(item.at_hour), nameOf(item.body)].filter(Boolean);
      return el("li", { text: parts.join(separator) });
    }),
  );
  byId("status-bodies").replaceChildren(
    ...view.recipients.map((item) => {
      const entry = el("li", { text: nameOf(item.body) });
      if (item.awaiting_key) entry.append(el("span", { class: "reason", text: t("web.js.status.awaiting_key") }));
      return entry;
    }),
  );
  const measures = view.measures ?? [];
  byId("status-measures").replaceChildren(
    ...measures.map((item) => {
      const parts = [t(`protection.${item.measure}`), i18n.instant(item.at_hour), nameOf(item.body)].filter(Boolean);
      return el("li", { text: parts.join(separator) });
    }),
  );
  show(byId("status-measures-block"), measures.length > 0);
  const shown = replies.filter((reply) => reply.text !== null);
  const forged = replies.length - shown.length;
  const blocks = shown.map((reply) =>
    el(
      "article",
      { class: "reply" },
      el("p", { class: "reply-meta", text: t("web.js.status.reply_from", { body: nameOf(reply.body), time: i18n.instant(reply.atHour) }) }),
      el("p", { text: reply.text }),
    ),
  );
  if (forged > 0) blocks.push(el("p", { class: "notice notice-error reply-unverified", text: t("web.js.status.reply_unverified") }));
  if (blocks.length === 0) blocks.push(el("p", { class: "muted", text: t("web.js.status.no_replies") }));
  byId("status-replies").replaceChildren(...blocks);
}

async function onLookup(event) {
  event.preventDefault();
  const errors = formErrors();
  errors.clear();
  forget({ keepInput: true }); // nothing of an earlier look-up stays on screen under a new one
  const input = byId("token");
  if (!input.value.trim()) {
    errors.field("token", t("web.js.error.required"));
    errors.announce();
    return;
  }
  const bar = progress();
  const button = byId("show-status");
  button.disabled = true;
  try {
    worker ??= createWorker();
    bar.set(...progressOf(i18n, { step: "token" }));
    secrets = await secretsOf(worker, input.value);
    const view = await statusView(api, worker, secrets, (step) => bar.set(...progressOf(i18n, step)));
    bar.set(...progressOf(i18n, { step: "opening" }));
    lastReplies = await openReplies(view, secrets);
    try {
      await ensureTrust();
    } catch {
      trust = null; // names fall back to "an oversight body"; follow-ups will say why they fail
    }
    render(view, lastReplies);
    input.value = ""; // the token stays only as keys in this page's memory
    show(byId("status-view"), true);
    byId("status-view").focus();
  } catch (error) {
    secrets = null;
    const field = error?.name === "TokenFormatError" || error?.code === "not-found";
    if (field) errors.field("token", failureText(i18n, error));
    else errors.general(failureText(i18n, error));
    errors.announce();
  } finally {
    bar.done();
    button.disabled = false;
  }
}

async function onFollowUp(event) {
  event.preventDefault();
  const errors = formErrors();
  errors.clear();
  const text = byId("follow-up-text");
  const done = byId("follow-up-done");
  show(done, false);
  if (!text.value.trim()) {
    errors.field("follow-up-text", t("web.js.error.required"));
    errors.announce();
    return;
  }
  const bar = progress(byId("follow-up-progress-text"), byId("follow-up-progress-bar"));
  const button = byId("send-follow-up");
  button.disabled = true;
  try {
    const verified = await ensureTrust();
    if (verified === null) throw new TrustError();
    const retaliation = byId("retaliation").checked;
    const protection = byId("protection").checked;
    const earlier = pending;
    const again =
      earlier !== null && earlier.text === text.value && earlier.retaliation === retaliation && earlier.protection === protection;
    pending = null;
    const { receipt, trust: used } = await sendFollowUp({
      api,
      worker,
      trust: again ? earlier.trust : verified,
      reload: async (serial) => (trust = await loadNewerTrust(api, root, serial)),
      secrets,
      text: text.value,
      retaliation,
      protection,
      sealed: again ? earlier.sealed : null,
      onProgress: (step) => bar.set(...progressOf(i18n, step)),
    });
    trust = used;
    text.value = "";
    byId("retaliation").checked = false;
    byId("protection").checked = false;
    const sentences = [t("web.js.status.follow_up_sent")];
    if (receipt.added_bodies?.length) {
      sentences.push(t("web.js.status.escalated", { bodies: receipt.added_bodies.map(nameOf).join(separator) }));
    }
    done.textContent = sentences.join(" ");
    show(done, true);
    const view = await statusView(api, worker, secrets);
    lastReplies = await openReplies(view, secrets);
    render(view, lastReplies);
    done.focus();
  } catch (error) {
    if (error instanceof FollowUpUnknownError) {
      pending = {
        text: text.value,
        retaliation: byId("retaliation").checked,
        protection: byId("protection").checked,
        sealed: error.sealed,
        trust: error.trust,
      };
    }
    errors.general(error instanceof TrustError ? t("web.js.error.follow_up_trust") : failureText(i18n, error));
    errors.announce();
  } finally {
    bar.done();
    button.disabled = false;
  }
}

// Wipe what a look-up showed and the keys it derived (the token field too, unless asked not to).
function forget({ keepInput = false } = {}) {
  secrets = null;
  pending = null;
  lastReplies = [];
  for (const id of ["status-history", "status-bodies", "status-measures", "status-replies"]) byId(id).replaceChildren();
  for (const id of ["status-value", "status-received", "status-acknowledge", "status-feedback", "follow-up-done"]) {
    byId(id).textContent = "";
  }
  if (!keepInput) byId("token").value = "";
  byId("follow-up-text").value = "";
  byId("retaliation").checked = false;
  byId("protection").checked = false;
  show(byId("follow-up-done"), false);
  show(byId("status-measures-block"), false);
  show(byId("status-protection"), false);
  show(byId("status-view"), false);
}

function start() {
  byId("token-form").addEventListener("submit", onLookup);
  byId("follow-up-form").addEventListener("submit", onFollowUp);
  byId("forget").addEventListener("click", () => {
    forget();
    window.location.replace(window.location.pathname);
  });
  window.addEventListener("pagehide", () => forget());
  // A look-up needs no directory (a reporter can follow a report while none is valid);
  // follow-ups do, and say so when it does not verify.
  byId("show-status").disabled = false;
  byId("token-form").dataset.ready = "true";
}

start();
