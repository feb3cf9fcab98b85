// The review console (/console): sign in, the body's inbox, a case opened on this device and
// acted on, and the body's administration. Every text goes in through textContent; the keys
// live in this page's memory only (a reload asks for the passphrase again).
import { UnverifiedKeyError, fromBase64, grantBodyKey, keyFingerprint, newSeed, publicKeyOf, toBase64 } from "../protocol/index.mjs";
import { createApi } from "../app/api.mjs";
import { byId, el, formErrors, progress, show } from "../app/dom.mjs";
import { pageI18n } from "../app/i18n.mjs";
import { failureText } from "../app/messages.mjs";
import { bodyName, loadTrust, pinnedRootKey } from "../app/trust.mjs";
import { createWorker } from "../app/worker-client.mjs";
import { createBoxes } from "./boxes.mjs";
import { openAttachmentOf, openCase, referral, retagAfterRotation, sealNote, sealReply } from "./case.mjs";
import { signIn } from "./officer.mjs";
import { createSummaries } from "./summaries.mjs";

const i18n = pageI18n();
const { t } = i18n;
let csrf = "";
const api = createApi({ language: i18n.language, credentials: "same-origin", headers: () => ({ "x-csrf-token": csrf }) });
const root = pinnedRootKey();
let worker = null;
let trust = null;
let keys = null;
let kase = null;
let cursor = null;
const separator = i18n.language === "fa" ? "، " : ", ";
const nameOf = (code) => (code ? bodyName(trust, code, i18n.language, code) : "");
// The server renders the institutions' names; a code it does not name is shown as it is.
const institutionNames = JSON.parse(byId("seda-institutions").textContent);
const institutionName = (code) => institutionNames[code] ?? code;
const DAY = 24 * 60 * 60 * 1000;
const SECTIONS = ["inbox", "case", "admin", "boxes", "summaries"];
const only = (visible) => SECTIONS.forEach((id) => show(byId(id), id === visible));
const boxes = createBoxes({
  api,
  i18n,
  trust: () => trust,
  worker: () => (worker ??= createWorker()),
  hideOthers: () => only(null),
  institutionName,
});
const summaries = createSummaries({ api, i18n, hideOthers: () => only(null) });
// Box transcribers work in the boxes section; officers of the bodies that oversee boxes see it too.
const BOX_OVERSIGHT = ["institution_inspection_representative", "institution_management", "provincial_dg_prisons", "organization_inspection"];

// How long ago an hour-rounded moment was, in whole days.
function age(iso) {
  const days = Math.floor((Date.now() - new Date(iso).getTime()) / DAY);
  return days < 1 ? t("console.js.age.today") : t("console.js.age", { days });
}

function done(sentence) {
  const box = byId("case-done");
  box.textContent = sentence;
  show(box, true);
  box.focus();
}

// Run an act with the page's error summary; `after` refreshes what changed.
async function acting(work, sentence, after = refreshCase) {
  const errors = formErrors();
  errors.clear();
  show(byId("case-done"), false);
  try {
    await work(errors);
    if (errors.count > 0) return errors.announce();
    await after();
    if (sentence) done(sentence);
  } catch (error) {
    errors.general(error instanceof UnverifiedKeyError ? t("console.js.fingerprint_mismatch") : failureText(i18n, error));
    errors.announce();
  }
}

// -- sign-in ---------------------------------------------------------------------------
async function onSignIn(event) {
  event.preventDefault();
  const errors = formErrors();
  errors.clear();
  const username = byId("username").value.trim().toLowerCase();
  const passphrase = byId("passphrase").value;
  const totp = byId("totp").value.trim();
  if (!username) errors.field("username", t("web.js.error.required"));
  if (!passphrase) errors.field("passphrase", t("web.js.error.required"));
  if (!/^[0-9]{6}$/.test(totp)) errors.field("totp", t("console.js.totp_format"));
  if (errors.count > 0) return errors.announce();
  const bar = progress();
  bar.set(t("console.js.progress.sign_in"), null);
  try {
    worker ??= createWorker();
    keys = await signIn({ api, worker, username, passphrase, totp, setCsrf: (token) => (csrf = token) });
    if (root !== null) trust = await loadTrust(api, root);
    for (const id of ["passphrase", "totp"]) byId(id).value = "";
    byId("who").textContent = keys.officer.display_name;
    const body = keys.officer.body;
    byId("who-body").textContent = body ? (i18n.language === "fa" ? body.name_fa : body.name_en) : "";
    show(byId("show-admin"), keys.officer.role === "body_admin");
    const transcribes = keys.officer.role === "box_transcriber";
    show(byId("show-boxes"), transcribes || BOX_OVERSIGHT.includes(body?.body_type));
    // A summary reader reads no report: its console is the summaries (and the boxes it oversees).
    const readsOnly = keys.officer.role === "summary_reader";
    show(byId("show-inbox"), !transcribes && !readsOnly);
    show(byId("show-summaries"), await summaries.available());
    show(byId("sign-in"), false);
    show(byId("workspace"), true);
    if (transcribes) await boxes.showBoxes(true);
    else if (readsOnly) await summaries.showSummaries();
    else await showInbox();
  } catch (error) {
    errors.general(error?.code === "unauthorized" ? t("console.js.sign_in_refused") : failureText(i18n, error));
    errors.announce();
  } finally {
    bar.done();
  }
}

// -- the inbox -------------------------------------------------------------------------
function inboxQuery() {
  const query = new URLSearchParams();
  const state = byId("filter-state").value;
  if (state) query.set("state", state);
  const category = byId("filter-category").value;
  if (category) query.set("category", category);
  if (byId("filter-overdue").checked) query.set("overdue", "true");
  if (cursor) query.set("cursor", cursor);
  return query.toString();
}

function inboxItem(item) {
  const flags = [
    t(`status.${item.state}`),
    item.overdue && t("console.js.flag.overdue"),
    item.escalated && t("console.js.flag.escalated"),
    item.via !== "policy" && t(`console.js.via.${item.via}`),
    item.retaliation && t("console.js.flag.retaliation"),
    item.protection_requested && t("console.js.flag.protection"),
    item.awaiting_key && t("console.js.flag.awaiting_key"),
    item.urgency === "urgent" && t("console.js.flag.urgent"),
  ].filter(Boolean);
  const deadlines = [
    item.acknowledge_by && item.state === "received" && t("console.js.inbox.acknowledge_by", { date: i18n.deadline(item.acknowledge_by) }),
    item.feedback_by && item.state !== "closed" && t("console.js.inbox.feedback_by", { date: i18n.deadline(item.feedback_by) }),
  ].filter(Boolean);
  const open = el(
    "button",
    { type: "button", class: "button inbox-open", "data-report": item.report_id },
    el("span", { text: `${t(`report_type.${item.report_type}`)}: ${t(`category.${item.category}`)}` }),
  );
  open.addEventListener("click", () => showCase(item.report_id));
  return el(
    "li",
    {},
    open,
    el("span", { class: "reason", text: [institutionName(item.institution), i18n.instant(item.received_hour), age(item.received_hour)].join(separator) }),
    el("span", { class: "reason", text: deadlines.join(separator) }),
    el("span", { class: "flags", text: flags.join(separator) }),
  );
}

async function loadInbox(more = false) {
  if (!more) cursor = null;
  const query = inboxQuery();
  const page = await api.getJson(query ? `/console/api/inbox?${query}` : "/console/api/inbox");
  const list = byId("inbox-list");
  const items = page.items.map(inboxItem);
  if (more) list.append(...items);
  else list.replaceChildren(...items);
  cursor = page.next_cursor;
  show(byId("inbox-more"), cursor !== null);
  byId("inbox-total").textContent = t(page.more ? "console.js.inbox.total_more" : "console.js.inbox.total", {
    count: page.total,
  });
}

async function showInbox() {
  only("inbox");
  await loadInbox();
  byId("inbox").focus();
}

// -- a case ----------------------------------------------------------------------------
function fact(list, label, value) {
  list.append(el("dt", { text: label }), el("dd", { text: value || "—" }));
}

// A sealed form field as the officer reads it: known fields and values in the page's words,
// anything else as the reporter's device wrote it.
const FIELD_VALUES = { relationship: "relationship", prisoner_consent: "consent", protection_measure: "protection" };

function fieldText(name, value) {
  const label = `console.js.field.${name}`;
  const known = t(label) !== label;
  const prefix = FIELD_VALUES[name];
  const shown = value === "yes" ? t("console.js.yes") : prefix ? t(`${prefix}.${value}`) : value;
  return `${known ? t(label) : name}: ${shown}`;
}

function renderCase() {
  const { data, opened } = kase;
  const routing = data.envelope.routing;
  const facts = byId("case-facts");
  facts.replaceChildren();
  fact(facts, t("web.form.report_type"), t(`report_type.${routing.report_type}`));
  fact(facts, t("web.form.category"), t(`category.${routing.category}`));
  fact(facts, t("web.form.concerns"), t(`concern.${routing.concerns}`));
  fact(facts, t("web.form.institution"), institutionName(routing.institution));
  fact(facts, t("web.form.reporter_type"), t(`reporter_type.${routing.reporter_type}`));
  fact(facts, t("web.token.received"), i18n.instant(data.received_hour));
  fact(facts, t("web.token.acknowledge_by"), i18n.deadline(data.acknowledge_by));
  fact(facts, t("web.token.feedback_by"), i18n.deadline(data.feedback_by));
  fact(facts, t("console.js.case.state"), t(`status.${data.state}`));
  fact(facts, t("console.case.triage"), data.triage ? t(`triage.${data.triage}`) : "");
  fact(facts, t("console.js.case.flags"), [
    data.overdue && t("console.js.flag.overdue"),
    data.retaliation && t("console.js.flag.retaliation"),
    data.protection_requested && t("console.js.flag.protection"),
    data.watch_until && t("console.js.flag.watch", { date: i18n.instant(data.watch_until) }),
  ].filter(Boolean).join(separator));
  byId("case-text").textContent = opened ? opened.payload.text : t("console.js.case.no_key");
  byId("case-fields").replaceChildren(
    ...Object.entries(opened?.payload.fields ?? {}).map(([k, v]) => el("p", { class: "reason", text: fieldText(k, v) })),
  );
  const identity = opened?.identity;
  byId("case-identity").textContent = identity
    ? [identity.name, identity.contact, ...Object.values(identity.fields ?? {})].filter(Boolean).join(separator)
    : t(opened?.identityWithheld ? "console.js.case.identity_withheld" : "console.js.case.anonymous");
  renderAttachments();
  byId("case-messages").replaceChildren(
    ...kase.messages.map((m) =>
      el(
        "article",
        { class: "reply" },
        el("p", { class: "reply-meta", text: `${t(`console.js.kind.${m.kind}`)} · ${nameOf(m.body) || t("console.js.reporter")} · ${i18n.instant(m.at_hour)}` }),
        el("p", { text: m.text ?? t("console.js.case.sealed_elsewhere") }),
      ),
    ),
  );
  byId("case-recipients").replaceChildren(
    ...data.recipients.map((r) =>
      el("li", {}, el("span", { text: nameOf(r.body) }), el("span", { class: "reason", text: `${t(`console.js.via.${r.via}`)} · ${t(`status.${r.state}`)}${r.awaiting_key ? ` · ${t("console.js.flag.awaiting_key")}` : ""}` })),
    ),
  );
  byId("case-history").replaceChildren(
    ...data.history.map((e) => el("li", { text: [t(`status.${e.status}`), i18n.instant(e.at_hour), nameOf(e.body)].filter(Boolean).join(separator) })),
  );
  renderReferralTargets();
  show(byId("approve-close"), Boolean(data.close_waiting));
  byId("acknowledge").disabled = data.state !== "received";
}

function renderAttachments() {
  const refs = kase.opened?.payload.attachments ?? [];
  byId("case-attachments").replaceChildren(
    ...refs.map((ref) => {
      const button = el("button", { type: "button", class: "button", text: t("console.js.case.download", { name: ref.name }) });
      button.addEventListener("click", () =>
        acting(async () => {
          const data = await openAttachmentOf(api, kase, ref);
          const url = URL.createObjectURL(new Blob([data], { type: ref.media_type }));
          const link = el("a", { href: url, download: ref.name });
          document.body.append(link);
          link.click();
          link.remove();
          setTimeout(() => URL.revokeObjectURL(url), 1000);
        }, null, async () => undefined),
      );
      return el("li", {}, button);
    }),
  );
}

function renderReferralTargets() {
  const select = byId("refer-to");
  const holders = new Set(kase.data.recipients.map((r) => r.body));
  const options = (trust?.directory.bodies ?? [])
    .filter((entry) => !holders.has(entry.body))
    .map((entry) => el("option", { value: entry.body, text: nameOf(entry.body) }));
  select.replaceChildren(el("option", { value: "", text: t("web.form.choose") }), ...options);
}

// The officer's body's key id in the verified directory (base64), or null without one.
const currentBodyKeyId = () => trust?.directory.bodies.find((e) => e.body === keys.officer.body?.code)?.key_id ?? null;

async function refreshCase() {
  kase = await openCase(api, keys, kase.data.report_id, currentBodyKeyId());
  renderCase();
}

async function showCase(reportId) {
  await acting(async () => {
    kase = await openCase(api, keys, reportId, currentBodyKeyId());
    renderCase();
    only("case");
    byId("case").focus();
    // After the body's key was rotated: vouch for the new key so the reporter can write to it
    // (after the case is shown, so a failure to send is reported over a readable case).
    await retagAfterRotation(api, kase, currentBodyKeyId());
  }, null, async () => undefined);
}

const post = (action, body = {}) => api.send(`/console/api/reports/${kase.data.report_id}/${action}`, body);

function text(errors, id) {
  const value = byId(id).value.trim();
  if (!value) errors.field(id, t("web.js.error.required"));
  return value;
}

function wireCase() {
  byId("acknowledge").addEventListener("click", () => acting(() => post("acknowledge"), t("console.js.done.acknowledged")));
  byId("triage-form").addEventListener("submit", (event) => {
    event.preventDefault();
    acting(async (errors) => {
      const value = byId("triage-form").elements.namedItem("triage").value;
      if (!value) return errors.field("triage-group", t("web.js.error.choose"));
      await post("triage", { triage: value });
    }, t("console.js.done.triaged"));
  });
  byId("reply-form").addEventListener("submit", (event) => {
    event.preventDefault();
    acting(async (errors) => {
      const body = text(errors, "reply-text");
      if (!body) return;
      const status = byId("reply-status").value || null;
      const measure = byId("reply-measure").value || null;
      const fields = measure ? { protection_measure: measure } : {};
      await post("replies", { message: await sealReply(kase, body, fields), status, measure });
      byId("reply-form").reset();
    }, t("console.js.done.replied"));
  });
  byId("note-form").addEventListener("submit", (event) => {
    event.preventDefault();
    acting(async (errors) => {
      const body = text(errors, "note-text");
      if (!body) return;
      await post("notes", { message: await sealNote(kase, body) });
      byId("note-form").reset();
    }, t("console.js.done.noted"));
  });
  byId("refer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    acting(async (errors) => {
      const target = byId("refer-to").value;
      if (!target) return errors.field("refer-to", t("web.js.error.choose"));
      const { wrap, tag } = await referral(kase, trust.publicKey(target), byId("refer-identity").checked);
      const note = byId("refer-text").value.trim();
      await post("referrals", {
        to_body: target,
        wrap,
        referral_tag: tag ? toBase64(tag) : null,
        withdraw: byId("refer-withdraw").checked,
        message: note ? await sealReply(kase, note) : null,
      });
      byId("refer-form").reset();
    }, t("console.js.done.referred"));
  });
  byId("close-form").addEventListener("submit", (event) => {
    event.preventDefault();
    acting(async (errors) => {
      const outcome = byId("close-outcome").value;
      if (!outcome) errors.field("close-outcome", t("web.js.error.choose"));
      const body = text(errors, "close-text");
      if (!outcome || !body) return;
      const answer = await post("close", { outcome, message: await sealReply(kase, body) });
      byId("close-form").reset();
      if (answer?.waiting_for_approval) done(t("console.js.done.close_waiting"));
    }, null);
  });
  byId("approve-close").addEventListener("click", () => acting(() => post("close/approve"), t("console.js.done.closed")));
}

// -- administration --------------------------------------------------------------------
let granting = null;

async function showAdmin() {
  only("admin");
  const officers = await api.getJson("/console/api/body/officers");
  byId("admin-officers").replaceChildren(
    ...officers.map((o) => {
      const item = el("li", {}, el("span", { text: `${o.display_name} (${o.username})` }));
      const current = currentBodyKeyId();
      // After a rotation an officer with only the old key's grant needs the new one too.
      const granted = current ? (o.grant_key_ids ?? []).includes(current) : o.has_grant;
      const state = !o.active ? "off" : !o.enrolled ? "waiting" : granted ? "granted" : "needs_grant";
      item.append(el("span", { class: "reason", text: `${t(`role.${o.role}`)} · ${t(`console.js.officer.${state}`)}` }));
      if (state === "needs_grant") {
        const button = el("button", { type: "button", class: "button", text: t("console.admin.grant") });
        button.addEventListener("click", () => {
          granting = o;
          byId("grant-title").textContent = t("console.js.grant_for", { name: o.display_name });
          show(byId("grant-form"), true);
          byId("grant-fingerprint").focus();
        });
        item.append(button);
      }
      return item;
    }),
  );
  byId("admin").focus();
}

// A rotation's first step on this device (docs/KEYS.md): a new body seed, granted at once to
// this administrator's own key (made and unlocked here, so no fingerprint to compare), so the
// seed survives the page; the public key and its fingerprint go to the key ceremony. The other
// officers are granted it once the new directory is published (the form above).
async function newBodyKey() {
  const seed = newSeed();
  const { publicKey, keyId } = await publicKeyOf(seed);
  const own = (await publicKeyOf(keys.seed)).publicKey; // from this device's own seed
  const grant = await grantBodyKey(seed, own, await keyFingerprint(own));
  await api.send(`/console/api/body/officers/${keys.officer.id}/grant`, { body_key_id: toBase64(keyId), grant: toBase64(grant) });
  return { seed, publicKey, keyId };
}

function wireAdmin() {
  byId("grant-form").addEventListener("submit", (event) => {
    event.preventDefault();
    acting(async (errors) => {
      const typed = byId("grant-fingerprint").value.replace(/[^0-9]/g, "").replace(/(.{4})(?=.)/g, "$1 ");
      if (!typed) return errors.field("grant-fingerprint", t("web.js.error.required"));
      // The body's current key, as the verified directory names it (not an older one kept
      // from before a rotation).
      const bodyKeyId = currentBodyKeyId();
      const bodySeed = bodyKeyId ? keys.bodySeeds.get(bodyKeyId) : undefined;
      if (!bodySeed) return errors.field("grant-fingerprint", t("console.js.error.no_current_key"));
      const grant = await grantBodyKey(bodySeed, fromBase64(granting.public_key), typed);
      await api.send(`/console/api/body/officers/${granting.id}/grant`, { body_key_id: bodyKeyId, grant: toBase64(grant) });
      byId("grant-form").reset();
      show(byId("grant-form"), false);
    }, null, showAdmin);
  });
  byId("rotate-form").addEventListener("submit", (event) => {
    event.preventDefault();
    acting(async () => {
      const { seed, publicKey, keyId } = await newBodyKey();
      keys.bodySeeds.set(toBase64(keyId), seed);
      byId("rotate-public-key").textContent = toBase64(publicKey);
      byId("rotate-fingerprint").textContent = await keyFingerprint(publicKey);
      show(byId("rotate-result"), true);
    }, null, showAdmin);
  });
  byId("new-officer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    acting(async (errors) => {
      const username = text(errors, "new-username").toLowerCase();
      const displayName = text(errors, "new-name");
      if (!username || !displayName) return;
      const role = byId("new-officer-form").elements.namedItem("new-role").value;
      const created = await api.postJson("/console/api/body/officers/new", { username, display_name: displayName, role });
      byId("new-officer-form").reset();
      const code = byId("new-officer-code");
      code.textContent = t("console.js.enrolment_code", { code: created.enrolment_code });
      show(code, true);
    }, null, showAdmin);
  });
}

async function signOut() {
  try {
    await api.send("/console/api/session/end");
  } catch {
    // the session may have ended already
  }
  keys = null;
  kase = null;
  csrf = "";
  window.location.replace(window.location.pathname);
}

function start() {
  byId("sign-in-form").addEventListener("submit", onSignIn);
  byId("show-inbox").addEventListener("click", () => showInbox());
  byId("show-admin").addEventListener("click", () => acting(showAdmin, null, async () => undefined));
  byId("show-boxes").addEventListener("click", () =>
    acting(() => boxes.showBoxes(keys?.officer.role === "box_transcriber"), null, async () => undefined),
  );
  byId("show-summaries").addEventListener("click", () => acting(summaries.showSummaries, null, async () => undefined));
  byId("inbox-filters").addEventListener("change", () => loadInbox());
  byId("inbox-more").addEventListener("click", () => loadInbox(true));
  byId("sign-out").addEventListener("click", signOut);
  wireCase();
  wireAdmin();
  boxes.wire();
  summaries.wire();
  window.addEventListener("pagehide", () => {
    keys = null;
    kase = null;
  });
  byId("sign-in-form").dataset.ready = "true";
}

start();
