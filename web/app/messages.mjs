// Turning failures into sentences for the reporter, in the page's language. Texts say what
// happened and what to do; none repeats what the reporter typed or what the server sent,
// except the server's own fixed, translated problem detail.
import { TokenFormatError } from "../protocol/index.mjs";
import { ApiError, UnavailableError } from "./api.mjs";
import { TrustError } from "./trust.mjs";

export function failureText(i18n, error) {
  const { t } = i18n;
  if (error instanceof TrustError) return t("web.js.trust_failed.body");
  if (error instanceof TokenFormatError) return t(`web.js.error.token.${error.reason}`);
  if (error?.name === "RecipientsChangedError") return t("web.js.recipients.changed");
  if (error?.name === "FollowUpUnknownError") return t("web.js.status.follow_up_unknown");
  if (error instanceof UnavailableError) {
    if (error.code === "not-published") return t("web.out_of_service.body");
    if (error.status === 429) return t("web.js.error.too_many");
    return error.status === 0 ? t("web.js.error.network") : t("web.js.error.busy");
  }
  if (error instanceof ApiError) {
    if (error.code === "too-many-requests") return t("web.js.error.too_many");
    if (error.code === "not-found") return t("web.js.error.token.not_found");
    if (error.code === "not-published") return t("web.out_of_service.body");
    return error.detail || t("web.js.error.unexpected");
  }
  if (error?.name === "RoutingRuleError" || error?.name === "UnknownBodyError") return t("web.js.recipients.failed");
  return t("web.js.error.unexpected");
}

// The overall progress of a multi-step job, as a sentence and a fraction (null: the bar
// moves without a measure, while Argon2id runs).
export function progressOf(i18n, { step, n, total, fraction = 0 }) {
  const { t } = i18n;
  switch (step) {
    case "keys":
      return [t("web.js.progress.keys"), 0.05];
    case "token":
      return [t("web.js.progress.token"), null];
    case "attachment":
      return [t("web.js.progress.attachment", { n, total }), 0.2 + (0.5 * (n - 1)) / total];
    case "sealing":
      return [t("web.js.progress.sealing"), 0.72];
    case "puzzle":
      return [t("web.js.progress.puzzle"), 0.75 + 0.15 * fraction];
    case "lookup":
      return [t("web.js.progress.lookup"), 0.92];
    case "opening":
      return [t("web.js.progress.opening"), 0.97];
    case "follow_up":
      return [t("web.js.progress.follow_up"), 0.6];
    case "sending":
      return [t("web.js.progress.sending"), 0.95];
    default:
      return [t("web.js.progress.keys"), null];
  }
}
