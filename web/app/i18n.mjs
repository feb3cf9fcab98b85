// Texts, digits and dates in the page's language. The texts come from the server's
// translation catalogues, embedded in the page as JSON (server/web/pages.py).
const PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
const TEHRAN = "Asia/Tehran";

export function createI18n(messages, language) {
  const persianDigits = language === "fa";
  const jalali = new Intl.DateTimeFormat(persianDigits ? "fa-IR-u-ca-persian-nu-arabext" : "en-GB-u-ca-persian", {
    dateStyle: "long",
    timeStyle: "short",
    timeZone: TEHRAN,
  });
  const jalaliDay = new Intl.DateTimeFormat(jalali.resolvedOptions().locale, { dateStyle: "long", timeZone: TEHRAN });
  const gregorian = new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeZone: TEHRAN });
  const clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: TEHRAN });

  // Persian digits on Persian pages; digits inside an inserted value are converted too.
  function digits(text) {
    const value = String(text);
    return persianDigits ? value.replace(/[0-9]/g, (d) => PERSIAN_DIGITS[Number(d)]) : value;
  }

  // The catalogue text for `key`, with `{name}` placeholders filled in (values are shown as
  // text, never as markup: callers put the result in textContent).
  function t(key, params = {}) {
    let text = messages[key] ?? key;
    for (const [name, value] of Object.entries(params)) {
      text = text.replaceAll(`{${name}}`, typeof value === "number" ? digits(value) : String(value));
    }
    return text;
  }

  // A moment as a Solar Hijri date and time in Tehran (English pages add the Gregorian date).
  function instant(iso) {
    if (!iso) return "—";
    const moment = new Date(iso);
    if (Number.isNaN(moment.getTime())) return "—";
    const text = jalali.format(moment);
    return persianDigits ? text : `${text} (${gregorian.format(moment)})`;
  }

  // A deadline: one that falls at local midnight (the end of a day, docs/ROUTING.md §6) is
  // shown as the end of the day before, which is how a reader understands it.
  function deadline(iso) {
    const moment = iso ? new Date(iso) : null;
    if (!moment || Number.isNaN(moment.getTime()) || clock.format(moment) !== "00:00") return instant(iso);
    const dayBefore = new Date(moment.getTime() - 1);
    const text = jalaliDay.format(dayBefore);
    return t("web.js.end_of_day", { date: persianDigits ? text : `${text} (${gregorian.format(dayBefore)})` });
  }

  // A day alone, as a Solar Hijri date in Tehran (a box's week starts on one).
  function day(iso) {
    const moment = iso ? new Date(iso) : null;
    if (!moment || Number.isNaN(moment.getTime())) return "—";
    const text = jalaliDay.format(moment);
    return persianDigits ? text : `${text} (${gregorian.format(moment)})`;
  }

  return { language, t, digits, instant, deadline, day };
}

// The i18n of the page this script runs in.
export function pageI18n(doc = document) {
  const messages = JSON.parse(doc.getElementById("seda-messages").textContent);
  return createI18n(messages, doc.documentElement.lang || "fa");
}
