// The report form (/report): fields, live recipients, validation, sealing with progress,
// and the token view. Nothing is stored in the browser; leaving the page wipes it.
import { groupToken } from "../protocol/index.mjs";
import { createApi } from "./api.mjs";
import { byId, el, formErrors, progress, show } from "./dom.mjs";
import { pageI18n } from "./i18n.mjs";
import { failureText, progressOf } from "./messages.mjs";
import { RecipientsChangedError, decide, submitReport } from "./submission.mjs";
import { TrustError, bodyName, loadNewerTrust, loadTrust, pinnedRootKey } from "./trust.mjs";
import { createWorker } from "./worker-client.mjs";

const i18n = pageI18n();
const { t } = i18n;
const form = byId("report-form");
const api = createApi({ language: i18n.language });
const root = pinnedRootKey();
const limits = {
  attachments: Number(form.dataset.maxAttachments),
  attachmentBytes: Number(form.dataset.maxAttachmentBytes),
  text: Number(form.dataset.maxText),
  choices: Number(form.dataset.maxChoices),
};
const LEVEL_ORDER = { national: 0, province: 1, institution: 2 };
let trust = null;
let worker = null;
let shownToken = "";

const value = (name) => form.elements.namedItem(name)?.value ?? "";
const checked = (id) => byId(id).checked;

async function reload(serial) {
  trust = await loadNewerTrust(api, root, serial);
  return trust;
}

function draftOf(attachments) {
  const onBehalf = ["family", "lawyer"].includes(value("reporter_type")) && checked("on_behalf");
  const fields = onBehalf
    ? { on_behalf_of_prisoner: "yes", relationship: value("relationship"), prisoner_consent: value("consent") }
    : {};
  const prisonerName = onBehalf ? byId("prisoner_name").value.trim() : "";
  const signed = value("identity") === "signed";
  // The identity part holds the reporter's name, and the prisoner's if given: both are sealed
  // apart from the text and only to the bodies routing lets see an identity.
  const identity = signed || prisonerName
    ? {
        name: signed ? byId("name").value.trim() : "",
        contact: signed ? byId("contact").value.trim() : "",
        fields: prisonerName ? { prisoner_name: prisonerName } : {},
      }
    : null;
  return {
    institution: value("institution"),
    reportType: value("report_type"),
    category: value("category"),
    concerns: value("concerns"),
    reporterType: value("reporter_type"),
    urgent: checked("urgent"),
    text: byId("text").value,
    fields,
    identity,
    attachments,
    reporterChoices: [...byId("extra-bodies-list").querySelectorAll("input:checked")].map((box) => box.value),
    language: i18n.language,
  };
}

// -- showing who receives the report ---------------------------------------------------
function routable(draft) {
  return trust && draft.institution && draft.category && draft.concerns && draft.reportType && draft.reporterType;
}

function renderRecipients() {
  const preview = byId("recipients-preview");
  const draft = draftOf([]);
  renderExtraBodies(draft);
  if (!routable(draft)) {
    preview.replaceChildren(el("p", { class: "muted", text: t("web.js.recipients.choose_first") }));
    return;
  }
  try {
    const decision = decide(trust, draft);
    const items = decision.recipients.map((recipient) => {
      const item = el("li", {}, el("span", { text: bodyName(trust, recipient.body, i18n.language, recipient.body) }));
      item.append(el("span", { class: "reason", text: t(`via.${recipient.via}`) }));
      if (!recipient.identity && draft.identity) {
        item.append(el("span", { class: "reason", text: t("web.js.recipients.identity_withheld") }));
      }
      return item;
    });
    preview.replaceChildren(
      el("p", { text: t("web.js.recipients.title") }),
      el("ul", { class: "recipients", "aria-describedby": "recipients-hint" }, ...items),
    );
  } catch {
    preview.replaceChildren(el("p", { class: "field-error", text: t("web.js.recipients.failed") }));
  }
}

// Bodies the reporter may add (Art. 114: "any of the relevant bodies"): the national ones and
// those of the chosen institution's province and the institution itself, minus those the
// policy already chose. Boxes keep their state across changes.
function renderExtraBodies(draft) {
  const list = byId("extra-bodies-list");
  if (!trust || !draft.institution) {
    list.replaceChildren(el("p", { class: "muted", text: t("web.js.extra.choose_first") }));
    return;
  }
  const kept = new Set(draft.reporterChoices);
  const province = trust.routing.institutions.find((i) => i.code === draft.institution)?.province;
  let policyBodies = new Set();
  if (routable(draft)) {
    try {
      policyBodies = new Set(decide(trust, { ...draft, reporterChoices: [] }).recipients.map((r) => r.body));
    } catch {
      policyBodies = new Set();
    }
  }
  const candidates = trust.directory.bodies
    .filter((e) => e.level === "national" || (e.level === "province" && e.province === province) || e.institution === draft.institution)
    .filter((e) => !policyBodies.has(e.body))
    .sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] || (a.body < b.body ? -1 : 1));
  // The server takes at most `limits.choices` added bodies: once they are chosen, the other
  // boxes wait (the hint says why) instead of the server refusing the sealed report.
  const full = [...kept].filter((code) => candidates.some((e) => e.body === code)).length >= limits.choices;
  byId("extra-bodies-full").hidden = !full;
  list.replaceChildren(
    ...candidates.map((entry) => {
      const chosen = kept.has(entry.body);
      const box = el("input", {
        type: "checkbox",
        name: "extra_body",
        value: entry.body,
        checked: chosen,
        disabled: full && !chosen,
        "aria-describedby": "extra-bodies-full",
      });
      return el("label", { class: "choice" }, box, el("span", { text: bodyName(trust, entry.body, i18n.language, entry.body) }));
    }),
  );
}

// -- validation ------------------------------------------------------------------------
function validate(errors) {
  for (const name of ["reporter_type", "report_type"]) if (!value(name)) errors.field(`${name}-group`, t("web.js.error.choose"));
  for (const name of ["institution", "category", "concerns"]) if (!value(name)) errors.field(name, t("web.js.error.choose"));
  const onBehalf = ["family", "lawyer"].includes(value("reporter_type")) && checked("on_behalf");
  if (onBehalf && !value("relationship")) errors.field("relationship", t("web.js.error.choose"));
  if (onBehalf && !value("consent")) errors.field("consent-group", t("web.js.error.choose"));
  const text = byId("text").value;
  if (!text.trim()) errors.field("text", t("web.js.error.required"));
  else if ([...text].length > limits.text) errors.field("text", t("web.js.error.text_too_long", { count: limits.text }));
  if (value("identity") === "signed" && !byId("name").value.trim()) errors.field("name", t("web.js.error.required"));
  if (draftOf([]).reporterChoices.length > limits.choices) {
    errors.field("extra-bodies-list", t("web.js.error.too_many_bodies", { count: limits.choices }));
  }
  const files = [...byId("attachments").files];
  if (files.length > limits.attachments) {
    errors.field("attachments", t("web.js.error.too_many_attachments", { count: limits.attachments }));
  }
  for (const file of files) {
    if (file.size > limits.attachmentBytes) {
      const size = Math.floor(limits.attachmentBytes / (1024 * 1024));
      errors.field("attachments", t("web.js.error.attachment_too_large", { name: file.name, size }));
    }
  }
}

async function readAttachments() {
  const files = [...byId("attachments").files];
  return Promise.all(
    files.map(async (file) => ({ name: file.name, mediaType: file.type, data: new Uint8Array(await file.arrayBuffer()) })),
  );
}

// -- submitting ------------------------------------------------------------------------
async function onSubmit(event) {
  event.preventDefault();
  const errors = formErrors();
  errors.clear();
  if (trust === null) {
    // The keys did not verify (or never came): nothing may be sealed, whatever is clicked.
    errors.general(t(root === null ? "web.out_of_service.body" : "web.js.trust_failed.body"));
    errors.announce();
    return;
  }
  validate(errors);
  if (errors.count > 0) {
    errors.announce();
    return;
  }
  const bar = progress();
  const button = byId("submit-report");
  button.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    worker ??= createWorker();
    const draft = draftOf(await readAttachments());
    const result = await submitReport({
      api,
      worker,
      trust,
      reload,
      draft,
      onProgress: (step) => bar.set(...progressOf(i18n, step)),
    });
    trust = result.trust;
    showToken(result.token, result.receipt, result.decision);
  } catch (error) {
    if (error instanceof RecipientsChangedError) {
      trust = error.trust;
      renderRecipients(); // the reporter sees the new bodies before anything is sealed again
    }
    errors.general(failureText(i18n, error));
    if (error instanceof TrustError) show(byId("trust-error"), true);
    errors.announce();
    button.disabled = trust === null;
  } finally {
    bar.done();
    form.removeAttribute("aria-busy");
  }
}

// -- the token view --------------------------------------------------------------------
function showToken(token, receipt, decision) {
  shownToken = token;
  const persian = i18n.language === "fa";
  byId("token-value").textContent = groupToken(token, persian);
  byId("token-alt").textContent = groupToken(token, !persian);
  show(byId("token-unknown"), receipt === null);
  show(byId("token-lead"), receipt !== null);
  if (receipt) {
    byId("receipt-received").textContent = i18n.instant(receipt.received_hour);
    byId("receipt-acknowledge").textContent = i18n.deadline(receipt.acknowledge_by);
    byId("receipt-feedback").textContent = i18n.deadline(receipt.feedback_by);
    // The bodies this page routed to and sealed for (the receipt was checked to name them).
    byId("receipt-bodies").replaceChildren(
      ...decision.recipients.map((r) => el("li", { text: bodyName(trust, r.body, i18n.language, r.body) })),
    );
    show(byId("receipt"), true);
  }
  wipeForm();
  show(byId("report-view"), false);
  const view = byId("token-view");
  show(view, true);
  window.scrollTo(0, 0);
  view.focus();
}

function wipeForm() {
  form.reset();
  listAttachments();
  byId("extra-bodies-list").replaceChildren();
  byId("recipients-preview").replaceChildren();
}

function wipeToken() {
  shownToken = "";
  for (const id of ["token-value", "token-alt"]) byId(id).textContent = "";
}

function saveToken() {
  const text = t("web.js.token.file_text", { token: `${groupToken(shownToken, false)} / ${groupToken(shownToken, true)}` });
  const url = URL.createObjectURL(new Blob([text, "\n"], { type: "text/plain;charset=utf-8" }));
  const link = el("a", { href: url, download: "seda-token.txt" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// -- wiring ----------------------------------------------------------------------------
function listAttachments() {
  const names = [...byId("attachments").files].map((file) => file.name);
  byId("attachments-chosen").textContent = names.length
    ? t("web.js.attachments.chosen", { names: names.join(i18n.language === "fa" ? "، " : ", ") })
    : byId("attachments-chosen").dataset.none;
}

function toggleSections() {
  const reporter = value("reporter_type");
  show(byId("behalf"), reporter === "family" || reporter === "lawyer");
  show(byId("behalf-details"), checked("on_behalf"));
  show(byId("identity-details"), value("identity") === "signed");
}

async function start() {
  form.addEventListener("submit", onSubmit);
  byId("attachments-chosen").dataset.none = byId("attachments-chosen").textContent;
  form.addEventListener("change", () => {
    toggleSections();
    listAttachments();
    renderRecipients();
  });
  byId("print-token").addEventListener("click", () => window.print());
  byId("save-token").addEventListener("click", saveToken);
  byId("finish").addEventListener("click", () => {
    wipeToken();
    window.location.replace(document.querySelector(".brand").getAttribute("href"));
  });
  // Leaving the page (or the browser keeping it for "back") must not keep a token or text.
  window.addEventListener("pagehide", () => {
    wipeToken();
    wipeForm();
  });
  toggleSections();
  if (root === null) return; // served out of service: the page says so; nothing is sealed
  const loading = progress();
  loading.set(...progressOf(i18n, { step: "keys" })); // why the send button waits
  try {
    trust = await loadTrust(api, root);
    byId("submit-report").disabled = false;
    form.dataset.ready = "true";
    renderRecipients();
  } catch (error) {
    const errors = formErrors();
    errors.clear();
    if (error instanceof TrustError) show(byId("trust-error"), true);
    else {
      errors.general(failureText(i18n, error));
      errors.announce();
    }
    form.dataset.ready = "failed";
  } finally {
    loading.done();
  }
}

start();
