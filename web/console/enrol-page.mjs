// The enrolment page (/enrol): code and passphrase → keys made here → TOTP → fingerprint.
import qrcode from "qrcode-generator";
import { createApi } from "../app/api.mjs";
import { byId, formErrors, progress, show } from "../app/dom.mjs";
import { pageI18n } from "../app/i18n.mjs";
import { failureText } from "../app/messages.mjs";
import { createWorker } from "../app/worker-client.mjs";
import { MIN_PASSPHRASE, confirmEnrolment, enrol } from "./officer.mjs";

const i18n = pageI18n();
const { t } = i18n;
const api = createApi({ language: i18n.language });
let worker = null;
let enrolling = null;

// The otpauth URI as a QR code, drawn module by module (no markup, no third-party service).
function drawQr(canvas, text) {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const scale = Math.floor(canvas.width / (count + 8));
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = "#000000";
  for (let row = 0; row < count; row += 1) {
    for (let column = 0; column < count; column += 1) {
      if (qr.isDark(row, column)) context.fillRect((column + 4) * scale, (row + 4) * scale, scale, scale);
    }
  }
}

async function onStart(event) {
  event.preventDefault();
  const errors = formErrors();
  errors.clear();
  const username = byId("username").value.trim().toLowerCase();
  const code = byId("code").value.trim();
  const passphrase = byId("passphrase").value;
  if (!username) errors.field("username", t("web.js.error.required"));
  if (!code) errors.field("code", t("web.js.error.required"));
  if ([...passphrase].length < MIN_PASSPHRASE) {
    errors.field("passphrase", t("console.js.passphrase_short", { count: MIN_PASSPHRASE }));
  } else if (passphrase !== byId("passphrase2").value) {
    errors.field("passphrase2", t("console.js.passphrase_mismatch"));
  }
  if (errors.count > 0) return errors.announce();
  const bar = progress();
  bar.set(t("console.js.progress.keys"), null);
  try {
    worker ??= createWorker();
    const result = await enrol({ api, worker, username, code, passphrase });
    enrolling = { username, code };
    byId("passphrase").value = "";
    byId("passphrase2").value = "";
    byId("totp-secret").textContent = result.setup.totp_secret;
    drawQr(byId("totp-qr"), result.setup.otpauth_uri);
    show(byId("enrol-form"), false);
    show(byId("totp-step"), true);
    byId("totp-step").focus();
  } catch (error) {
    errors.general(error?.code === "unauthorized" ? t("console.js.enrol_refused") : failureText(i18n, error));
    errors.announce();
  } finally {
    bar.done();
  }
}

async function onConfirm(event) {
  event.preventDefault();
  const errors = formErrors();
  errors.clear();
  const totp = byId("totp").value.trim();
  if (!/^[0-9]{6}$/.test(totp)) {
    errors.field("totp", t("console.js.totp_format"));
    return errors.announce();
  }
  try {
    const fingerprint = await confirmEnrolment({ api, ...enrolling, totp });
    byId("fingerprint").textContent = fingerprint;
    byId("totp-secret").textContent = "";
    show(byId("totp-step"), false);
    show(byId("enrolled"), true);
    byId("enrolled").focus();
  } catch (error) {
    errors.field("totp", error?.code === "unauthorized" ? t("console.js.totp_wrong") : failureText(i18n, error));
    errors.announce();
  }
}

byId("enrol-form").addEventListener("submit", onStart);
byId("totp-form").addEventListener("submit", onConfirm);
byId("enrol-form").dataset.ready = "true";
