// The console's boxes section (docs/BOXES.md): the boxes of the account's reach with their
// missed weeks; for a transcriber, an opening's facts, then each letter transcribed and
// sealed on this device as a report of channel "box", then the minutes. A slip's claim code
// is stretched here (Argon2id in the worker) and opens the slip's thread key here: the server
// sees the claim id only, and nobody here ever sees the slip's token (PROTOCOL.md §13).
import { TokenFormatError, fromBase64, openSlip, parseClaimCode, toBase64 } from "../protocol/index.mjs";
import { ApiError } from "../app/api.mjs";
import { byId, el, formErrors, progress, show } from "../app/dom.mjs";
import { failureText } from "../app/messages.mjs";
import { sealSubmission } from "../app/submission.mjs";
import { bodyName } from "../app/trust.mjs";

const MAX_SCAN_BYTES = 10 * 1024 * 1024;
const TEHRAN_OFFSET = "+03:30"; // Iran keeps +03:30 all year (routing/deadlines.py)

export function createBoxes({ api, i18n, trust, worker, hideOthers, institutionName }) {
  const { t } = i18n;
  let opening = null;
  let box = null;
  const letterBar = progress(byId("letter-progress-text"), byId("letter-progress-bar"));

  function done(sentence) {
    const notice = byId("boxes-done");
    notice.textContent = sentence;
    show(notice, true);
    notice.focus();
  }

  async function guarded(work) {
    const errors = formErrors();
    errors.clear();
    show(byId("boxes-done"), false);
    try {
      await work(errors);
      if (errors.count > 0) errors.announce();
    } catch (error) {
      errors.general(failureText(i18n, error));
      errors.announce();
    }
  }

  function weekText(iso) {
    return t("console.js.boxes.week", { date: i18n.day(iso) });
  }

  function boxItem(info, transcribes) {
    const missed = info.missed_weeks;
    const item = el(
      "li",
      { "data-box": info.code },
      el("strong", { text: `${info.code} — ${info.place}` }),
      el("span", { class: "reason", text: institutionName(info.institution) }),
      el("span", {
        class: "reason",
        text: info.last_opened_at ? t("console.js.boxes.last", { date: i18n.instant(info.last_opened_at) }) : t("console.js.boxes.never"),
      }),
    );
    if (info.state === "removed") item.append(el("span", { class: "flags", text: t("console.js.boxes.removed") }));
    if (missed.length > 0) {
      item.append(
        el("span", { class: "flags missed-weeks", text: t("console.js.boxes.missed", { count: missed.length }) }),
        el("ul", { class: "reason" }, ...missed.map((week) => el("li", { text: weekText(week) }))),
      );
    }
    if (transcribes && info.state === "installed") {
      const button = el("button", {
        type: "button",
        class: "button",
        text: info.open_opening ? t("console.js.boxes.continue") : t("console.js.boxes.record"),
      });
      button.addEventListener("click", () =>
        guarded(async () => {
          box = info;
          if (info.open_opening) await showOpening(info.open_opening);
          else startOpening(info);
        }),
      );
      item.append(button);
    }
    return item;
  }

  let transcribing = false;

  async function listBoxes() {
    const boxes = await api.getJson("/console/api/boxes/");
    byId("boxes-list").replaceChildren(...boxes.map((info) => boxItem(info, transcribing)));
  }

  async function showBoxes(transcribes) {
    transcribing = transcribes;
    hideOthers();
    show(byId("boxes"), true);
    show(byId("opening-form"), false);
    show(byId("opening"), false);
    await listBoxes();
    byId("boxes").focus();
  }

  function startOpening(info) {
    byId("opening-form").reset();
    byId("opening-title").textContent = t("console.js.boxes.opening_of", { box: `${info.code} — ${info.place}` });
    show(byId("opening"), false);
    show(byId("opening-form"), true);
    byId("opened-at").focus();
  }

  function lines(text, split) {
    return text
      .split(split)
      .map((line) => line.trim())
      .filter(Boolean);
  }

  async function submitOpening(errors) {
    const when = byId("opened-at").value;
    const witnesses = lines(byId("witnesses").value, /\n/);
    const seals = lines(byId("seal-numbers").value, /[,،\n]/);
    const count = Number(byId("letter-count").value);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(when)) errors.field("opened-at", t("web.js.error.required"));
    if (witnesses.length === 0) errors.field("witnesses", t("web.js.error.required"));
    if (byId("letter-count").value === "" || !Number.isInteger(count) || count < 0 || count > 500) {
      errors.field("letter-count", t("console.js.boxes.count_range"));
    }
    if (errors.count > 0) return;
    const opened = await api.postJson(`/console/api/boxes/${box.box_id}/openings`, {
      opened_at: `${when.slice(0, 16)}:00${TEHRAN_OFFSET}`,
      witnesses,
      seal_numbers: seals,
      letter_count: count,
    });
    show(byId("opening-form"), false);
    render(opened);
    await listBoxes();
    done(t("console.js.boxes.opened"));
  }

  async function showOpening(openingId) {
    render(await api.getJson(`/console/api/boxes/openings/${openingId}`));
  }

  function fact(list, label, value) {
    list.append(el("dt", { text: label }), el("dd", { text: value || "—" }));
  }

  function bodiesText(codes) {
    const separator = i18n.language === "fa" ? "، " : ", ";
    return codes.map((code) => bodyName(trust(), code, i18n.language, code)).join(separator);
  }

  function render(info) {
    opening = info;
    byId("opening-heading").textContent = t("console.js.boxes.opening_of", { box: `${info.box} — ${info.place}` });
    const facts = byId("opening-facts");
    facts.replaceChildren();
    fact(facts, t("console.boxes.opened_at"), i18n.instant(info.opened_at));
    fact(facts, t("console.js.boxes.week_label"), weekText(info.week_start));
    fact(facts, t("console.js.boxes.transcriber"), info.transcriber);
    fact(facts, t("console.boxes.witnesses"), info.witnesses.join(i18n.language === "fa" ? "، " : ", "));
    fact(facts, t("console.boxes.seals"), info.seal_numbers.join(", ") || t("console.js.boxes.no_seal"));
    fact(facts, t("console.boxes.letter_count"), i18n.digits(info.letter_count));
    byId("opening-letters").replaceChildren(
      ...info.letters.map((letter) =>
        el(
          "li",
          { "data-letter": String(letter.position) },
          el("span", {
            text: [
              t(`report_type.${letter.report_type}`),
              t(letter.signed ? "console.js.boxes.signed" : "console.js.boxes.unsigned"),
              letter.claimed ? t("console.js.boxes.with_slip") : null,
            ]
              .filter(Boolean)
              .join(" · "),
          }),
          el("span", { class: "reason", text: t("console.js.boxes.routed_to", { bodies: bodiesText(letter.bodies) }) }),
        ),
      ),
    );
    const remaining = info.letter_count - info.letters.length;
    const closed = info.closed_at !== null;
    show(byId("letter-form"), !closed && remaining > 0);
    if (!closed && remaining > 0) {
      byId("letter-form").reset();
      show(byId("letter-identity"), false);
      byId("letter-title").textContent = t("console.js.boxes.letter_n", { n: info.letters.length + 1, total: info.letter_count });
    }
    show(byId("make-minutes"), !closed && remaining === 0);
    show(byId("count-form"), !closed && transcribing);
    byId("count-correction").value = String(info.letter_count);
    const link = byId("minutes-link");
    show(link, closed);
    link.href = closed ? `/console/api/boxes/openings/${info.opening_id}/minutes` : "#";
    const hash = byId("minutes-hash");
    show(hash, closed && Boolean(info.minutes_sha256));
    hash.textContent = closed && info.minutes_sha256 ? `SHA-256: ${toHex(fromBase64(info.minutes_sha256))}` : "";
    show(byId("opening"), true);
  }

  const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const value = (name) => byId("letter-form").elements.namedItem(name)?.value ?? "";

  // A claim code: the slip's record, opened with the code's key on this device.
  async function slipSecrets(errors) {
    const typed = byId("letter-claim").value.trim();
    if (!typed) return null;
    let digits;
    try {
      digits = parseClaimCode(typed);
    } catch (error) {
      if (!(error instanceof TokenFormatError)) throw error;
      errors.field("letter-claim", t(`console.js.boxes.claim.${error.reason}`));
      return undefined;
    }
    letterBar.set(t("console.js.boxes.progress.claim"), null);
    const claim = await worker().claim(digits);
    let record;
    try {
      record = await api.postJson("/console/api/boxes/claims", { claim_id: toBase64(claim.claimId) });
    } catch (error) {
      if (error instanceof ApiError && error.code === "not-found") {
        errors.field("letter-claim", t("console.js.boxes.claim.unknown"));
        return undefined;
      }
      throw error;
    }
    const threadKey = await openSlip(claim, record);
    return {
      claimId: record.claim_id,
      secrets: {
        lookupVerifier: fromBase64(record.lookup_verifier),
        reporterPublicKey: fromBase64(record.reporter_key),
        threadKey,
      },
    };
  }

  async function submitLetter(errors) {
    const text = byId("letter-text").value;
    const signed = byId("letter-signed").checked;
    const name = byId("letter-name").value.trim();
    if (!value("letter-category")) errors.field("letter-category", t("web.js.error.required"));
    if (!value("letter-concerns")) errors.field("letter-concerns", t("web.js.error.required"));
    if (!text.trim()) errors.field("letter-text", t("web.js.error.required"));
    if (signed && !name) errors.field("letter-name", t("web.js.error.required"));
    const file = byId("letter-scan").files?.[0] ?? null;
    if (file && file.size > MAX_SCAN_BYTES) errors.field("letter-scan", t("console.js.boxes.scan_too_large"));
    if (errors.count > 0) return;
    try {
      const slip = await slipSecrets(errors);
      if (slip === undefined) return;
      const attachments = file
        ? [{ name: file.name, mediaType: file.type, data: new Uint8Array(await file.arrayBuffer()) }]
        : [];
      const draft = {
        channel: "box",
        institution: opening.institution,
        reportType: value("letter-type"),
        category: value("letter-category"),
        concerns: value("letter-concerns"),
        reporterType: "prisoner",
        urgent: false,
        text,
        fields: {},
        identity: signed ? { name, contact: byId("letter-contact").value.trim(), fields: {} } : null,
        attachments,
        reporterChoices: [],
        language: i18n.language,
      };
      const { body } = await sealSubmission({
        api,
        worker: worker(),
        trust: trust(),
        draft,
        secrets: slip?.secrets ?? null,
        onProgress: ({ step }) => letterBar.set(t(`console.js.boxes.progress.${step}`), null),
      });
      letterBar.set(t("console.js.boxes.progress.sending"), null);
      try {
        await api.postJson(`/console/api/boxes/openings/${opening.opening_id}/letters`, {
          submission: body,
          claim_id: slip ? slip.claimId : null,
        });
      } catch (error) {
        if (!(error instanceof ApiError) || error.code !== "slip-used") throw error;
        errors.field("letter-claim", t("console.js.boxes.claim.used"));
        return;
      }
    } finally {
      letterBar.done();
    }
    await showOpening(opening.opening_id);
    done(t("console.js.boxes.letter_stored"));
  }

  async function makeMinutes() {
    const made = await api.postJson(`/console/api/boxes/openings/${opening.opening_id}/close`, { language: i18n.language });
    await showOpening(made.opening_id);
    await listBoxes();
    done(t("console.js.boxes.minutes_made"));
  }

  async function correctCount(errors) {
    const count = Number(byId("count-correction").value);
    if (!Number.isInteger(count) || count < opening.letters.length || count > 500) {
      return errors.field("count-correction", t("console.js.boxes.count_range"));
    }
    render(await api.postJson(`/console/api/boxes/openings/${opening.opening_id}/count`, { letter_count: count }));
    done(t("console.js.boxes.count_corrected"));
  }

  function wire() {
    byId("count-form").addEventListener("submit", (event) => {
      event.preventDefault();
      guarded(correctCount);
    });
    byId("opening-form").addEventListener("submit", (event) => {
      event.preventDefault();
      guarded(submitOpening);
    });
    byId("letter-form").addEventListener("submit", (event) => {
      event.preventDefault();
      guarded(submitLetter);
    });
    byId("letter-signed").addEventListener("change", () => show(byId("letter-identity"), byId("letter-signed").checked));
    byId("make-minutes").addEventListener("click", () => guarded(makeMinutes));
  }

  return { showBoxes, wire };
}

