// The console's summaries section (docs/SUMMARIES.md): the monthly analytic summaries of the
// account's reach, chosen by month, unit and view, shown as the PDF shows them — the view's
// banner, the key figures, the charts (SVG drawn by the server), the causes and factors, the
// units one level down and every table — with downloads of the signed JSON, the CSV and the
// PDF. A withheld figure is shown as the mark and the legend says why, never as a number;
// a comparison that does not apply is blank. Numbers are written as server/summaries/labels.py
// writes them, so the page, the PDF and the CSV read alike.
import { ApiError } from "../app/api.mjs";
import { byId, el, formErrors, show } from "../app/dom.mjs";
import { failureText } from "../app/messages.mjs";

const BASE = "/console/api/summaries";
const MARK = "—"; // server/summaries/charts.py WITHHELD_MARK
// The charts the server draws by name (server/summaries/charts.py CHARTS); each bar chart
// shows the table of the same name.
const BAR_CHARTS = ["category", "channel", "report_type"];
const UNITS_TITLE = { province: "units.province", national: "units.national" };
const BODY_TABLES = new Set(["recipient_body", "escalation"]);
const SECTIONS = ["received", "handled"];
// Before a sign, a left-to-right mark keeps it on the left of the digits in Persian text.
const LRM = "\u200e";
const PERSIAN_SEPARATORS = { ".": "٫", ",": "٬" };

export function createSummaries({ api, i18n, hideOthers }) {
  const { t, language } = i18n;
  const persian = language === "fa";
  const say = (key, params) => t(`console.summary.${key}`, params);
  const separator = persian ? "، " : ", ";
  let index = null; // { months, units, full }
  let names = null; // the labels of tables and keys in the page's language
  let latest = 0; // the newest request: an older answer arriving late is dropped

  // -- numbers, as server/summaries/labels.py writes them -----------------------------
  function number(value) {
    const text = Number.isInteger(value)
      ? value.toLocaleString("en-US")
      : value.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    return persian ? i18n.digits(text.replace(/[.,]/g, (c) => PERSIAN_SEPARATORS[c])) : text;
  }
  const percent = (value) => (persian ? `${i18n.digits(value.toFixed(1).replace(".", "٫"))}٪` : `${value.toFixed(1)}%`);
  const signed = (value) =>
    value === 0 ? number(0) : `${persian ? LRM : ""}${value > 0 ? "+" : "−"}${number(Math.abs(value))}`;
  const absent = (value) => value === null || value === undefined;
  // A count that stands alone: the mark when withheld, "n/a" when it does not apply.
  const count = (value, withheld = false) => (withheld ? MARK : absent(value) ? say("not_applicable") : number(value));
  // A table's figure: the mark when withheld, blank when it does not apply.
  const figure = (value, withheld) => (withheld ? MARK : absent(value) ? "" : number(value));
  const share = (value, withheld) => (absent(value) ? (withheld ? MARK : "") : percent(value));
  const change = (value, withheld) => (absent(value) ? (withheld ? MARK : "") : signed(value));

  // -- names --------------------------------------------------------------------------
  function monthName(code) {
    const [year, month] = code.split("-");
    return `${say(`month.${Number(month)}`)} ${i18n.digits(year)}`;
  }

  function unitName(unit) {
    const name = persian ? i18n.digits(unit.name_fa) : unit.name_en;
    return unit.level === "province" ? say("province_of", { name }) : name;
  }

  const bodyName = (code) => names.body_types[code] ?? code;

  function keyLabel(table, key) {
    const own = names.keys[table]?.[key];
    if (own) return own;
    if (BODY_TABLES.has(table)) return bodyName(key);
    if (table === "referral" && key.includes(">")) {
      // Written in reading order, the referring body first; the arrow points to the body that
      // received the case (leftwards in Persian, as labels.py writes it).
      const [from, to] = key.split(">");
      return `${bodyName(from)} ${persian ? "←" : "→"} ${bodyName(to)}`;
    }
    return key;
  }

  const tableTitle = (name) => names.tables[name] ?? name;

  // -- choosing -----------------------------------------------------------------------
  const unitValue = (unit) => `${unit.level}/${unit.code}`;

  function fillChoices() {
    const months = byId("summary-month");
    const chosenMonth = months.value;
    months.replaceChildren(...index.months.map((code) => el("option", { value: code, text: monthName(code) })));
    if (index.months.includes(chosenMonth)) months.value = chosenMonth;

    const units = byId("summary-unit");
    const chosenUnit = units.value;
    const of = (level) => index.units.filter((unit) => unit.level === level);
    const options = (list) => list.map((unit) => el("option", { value: unitValue(unit), text: unitName(unit) }));
    const groups = [
      ...options(of("national")),
      ...[
        ["province", "choose.provinces"],
        ["institution", "choose.institutions"],
      ]
        .filter(([level]) => of(level).length > 0)
        .map(([level, key]) =>
          // A reader of one unit gets the option alone; a group only where there is a choice.
          index.units.length === 1 ? options(of(level)) : [el("optgroup", { label: say(key) }, ...options(of(level)))],
        )
        .flat(),
    ];
    units.replaceChildren(...groups);
    if (index.units.some((unit) => unitValue(unit) === chosenUnit)) units.value = chosenUnit;

    // The full view only for the Prisons Organization's own readers above the institutions.
    const views = byId("summary-view");
    const chosenView = views.value;
    const offered = index.full ? ["suppressed", "full"] : ["suppressed"];
    views.replaceChildren(...offered.map((view) => el("option", { value: view, text: say(`view.${view}.title`) })));
    if (offered.includes(chosenView)) views.value = chosenView;

    const none = index.months.length === 0 || index.units.length === 0;
    show(byId("summary-none"), none);
    show(byId("summary-form"), !none);
  }

  // Whether the account reads summaries at all (operators and box transcribers do not).
  async function available() {
    try {
      index = await api.getJson(`${BASE}/`);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === "forbidden") return false;
      throw error;
    }
  }

  async function showSummaries() {
    hideOthers();
    show(byId("summaries"), true);
    // Fetched again each time: a month that closed while the officer was signed in appears.
    index = await api.getJson(`${BASE}/`);
    names ??= await api.getJson(`${BASE}/labels/${language}`);
    fillChoices();
    byId("summaries").focus();
  }

  // -- reading one ---------------------------------------------------------------------
  function status(sentence) {
    const live = byId("summary-status");
    if (live.textContent !== sentence) live.textContent = sentence;
  }

  async function showSummary(errors) {
    const month = byId("summary-month").value;
    const [level, code] = byId("summary-unit").value.split("/");
    const view = byId("summary-view").value;
    if (!month) errors.field("summary-month", t("web.js.error.choose"));
    if (!code) errors.field("summary-unit", t("web.js.error.choose"));
    if (!view) errors.field("summary-view", t("web.js.error.choose"));
    if (errors.count > 0) return;
    const ticket = ++latest;
    const article = byId("summary");
    article.setAttribute("aria-busy", "true");
    status(say("loading"));
    const path = [BASE, month, level, code, view].map((part, i) => (i === 0 ? part : encodeURIComponent(part))).join("/");
    let answer;
    try {
      answer = await api.getJson(path);
    } catch (error) {
      if (ticket !== latest) return;
      article.removeAttribute("aria-busy");
      status("");
      if (error instanceof ApiError && error.code === "not-found") return errors.general(say("not_found"));
      throw error;
    }
    if (ticket !== latest) return;
    render(answer, path);
    article.removeAttribute("aria-busy");
    show(article, true);
    status(say("loaded", { title: monthName(answer.summary.month), scope: scopeText(answer.summary) }));
    article.focus();
  }

  function scopeText(summary) {
    const scope = unitName(summary.scope);
    return summary.province ? `${scope}${separator}${unitName(summary.province)}` : scope;
  }

  function render(answer, path) {
    const { summary } = answer;
    const full = summary.view === "full";
    byId("summary-title").textContent = `${say("title")} — ${monthName(summary.month)}`;
    byId("summary-scope").textContent = scopeText(summary);
    const banner = byId("summary-banner");
    banner.className = `notice ${full ? "notice-warning" : "notice-success"}`;
    banner.dataset.view = summary.view;
    banner.replaceChildren(
      el("p", {}, el("strong", { text: say(`view.${summary.view}.title`) }), ` — ${say(`view.${summary.view}.text`)}`),
    );
    const meta = byId("summary-meta");
    meta.replaceChildren();
    const lastDay = new Date(new Date(summary.ends).getTime() - 1).toISOString();
    fact(meta, say("period"), say("period_range", { start: i18n.day(summary.starts), end: i18n.day(lastDay) }));
    fact(meta, say("made_at"), i18n.instant(summary.made_at));
    byId("summary-legend").replaceChildren(el("strong", { text: MARK }), ` ${legend(summary)}`);
    show(byId("summary-legend"), !full);

    const figures = byId("summary-figures");
    figures.replaceChildren();
    for (const [label, value] of keyFigures(summary)) fact(figures, label, value);

    renderCharts(summary, path);
    renderGrowth(summary);
    renderUnits(summary);
    byId("summary-tables").replaceChildren(...SECTIONS.flatMap((section) => sectionOf(summary, section)));
    renderDownloads(answer, path);
  }

  function fact(list, label, value) {
    list.append(el("dt", { text: label }), el("dd", { text: value || MARK }));
  }

  function legend(summary) {
    const { thresholds } = summary;
    return say("legend.withheld", {
      threshold: number(thresholds.default),
      sensitive: number(thresholds.sensitive),
      sensitive_keys: thresholds.sensitive_keys.map((key) => keyLabel("category", key)).join(separator),
    });
  }

  const tableOf = (summary, name) => summary.tables.find((table) => table.name === name);
  const totalOf = (summary, name) => {
    const table = tableOf(summary, name);
    return table ? count(table.total, table.total_withheld) : say("not_applicable");
  };
  const timingOf = (summary, name) => summary.timings.find((timing) => timing.name === name);

  function within(summary, name) {
    const timing = timingOf(summary, name);
    if (!timing || (absent(timing.within_deadline_share) && !timing.withheld)) return "";
    return say("figure.within", { share: share(timing.within_deadline_share, timing.withheld) });
  }

  function hours(summary, name) {
    const timing = timingOf(summary, name);
    if (timing?.withheld) return MARK;
    if (!timing || absent(timing.median_hours) || absent(timing.p90_hours)) return say("not_applicable");
    return say("figure.hours_value", { median: number(timing.median_hours), p90: number(timing.p90_hours) });
  }

  // The same figures, in the same order, as the PDF's (server/summaries/documents.py).
  function keyFigures(summary) {
    const missed = new Map((tableOf(summary, "missed_deadline")?.cells ?? []).map((cell) => [cell.key, cell]));
    const missedCount = (key) => count(missed.get(key)?.value ?? 0, missed.get(key)?.withheld ?? false);
    const withNote = (value, note) => (note ? `${value} (${note})` : value);
    const { boxes } = summary;
    return [
      [say("figure.reports"), totalOf(summary, "report_type")],
      [say("figure.cases"), totalOf(summary, "recipient_body")],
      [say("figure.acknowledged"), withNote(totalOf(summary, "acknowledgement_deadline"), within(summary, "acknowledgement"))],
      [say("figure.closed"), withNote(totalOf(summary, "outcome"), within(summary, "closure"))],
      [say("figure.acknowledgement_hours"), hours(summary, "acknowledgement")],
      [say("figure.closure_hours"), hours(summary, "closure")],
      [say("figure.missed"), say("figure.missed_value", { acknowledgement: missedCount("acknowledgement"), feedback: missedCount("feedback") })],
      [say("figure.escalations"), totalOf(summary, "escalation")],
      [say("figure.referrals"), totalOf(summary, "referral")],
      [say("figure.retaliation"), totalOf(summary, "retaliation")],
      [
        say("figure.boxes"),
        say("figure.boxes_value", { opened: number(boxes.weeks_opened), expected: number(boxes.weeks_expected), boxes: number(boxes.boxes) }),
      ],
    ];
  }

  // -- charts: images the server draws, with the figures in words for those who cannot see them
  function renderCharts(summary, path) {
    const chart = (name, alt) => {
      const title = say(`chart.${name}`);
      return el(
        "figure",
        { class: "summary-chart", "data-chart": name },
        el("img", { src: `${path}/charts/${name}/${language}`, alt: alt(title), width: "100%" }),
        el("figcaption", { text: title }),
      );
    };
    const trendPoint = (point) =>
      `${monthName(point.month)} ${absent(point.reports) ? (point.withheld ? say("withheld") : say("chart.no_summary")) : number(point.reports)}`;
    byId("summary-charts").replaceChildren(
      chart("trend", (title) => say("chart.alt_trend", { title, points: summary.trend.map(trendPoint).join(separator) })),
      ...BAR_CHARTS.map((name) => chart(name, (title) => say("chart.alt_table", { title, table: tableTitle(name) }))),
    );
  }

  // -- tables ----------------------------------------------------------------------------
  // A table of figures: a caption, a row of column headings, a heading per row; cells after
  // the first `words` are numbers. A table without rows is a sentence under its caption.
  function dataTable({ caption, headings, rows, empty, attributes = {}, words = 0 }) {
    if (rows.length === 0) {
      return el("p", { ...attributes, class: "summary-empty" }, el("strong", { text: caption }), ` — ${empty}`);
    }
    const head = el("tr", {}, ...headings.map((text) => el("th", { scope: "col", text })));
    const body = rows.map(({ label, cells, attributes: own = {} }) =>
      el(
        "tr",
        own,
        el("th", { scope: "row", text: label }),
        ...cells.map((text, i) => el("td", { class: i < words ? null : "num", text })),
      ),
    );
    return el(
      "table",
      { ...attributes, class: "summary-table" },
      el("caption", { text: caption }),
      el("thead", {}, head),
      el("tbody", {}, ...body),
    );
  }

  const COLUMNS = ["item", "value", "share", "previous", "change_previous", "year_ago", "change_year_ago"];

  function summaryTable(table) {
    const title = tableTitle(table.name);
    const caption = table.has_total ? `${title} (${say("total", { total: count(table.total, table.total_withheld) })})` : title;
    return dataTable({
      caption,
      headings: COLUMNS.map((column) => say(`column.${column}`)),
      rows: table.cells.map((cell) => ({
        label: keyLabel(table.name, cell.key),
        attributes: { "data-key": cell.key, "data-withheld": cell.withheld ? "true" : null },
        cells: [
          figure(cell.value, cell.withheld),
          share(cell.share, cell.withheld || table.total_withheld),
          figure(cell.previous, false),
          change(cell.change_previous, cell.withheld),
          figure(cell.year_ago, false),
          change(cell.change_year_ago, cell.withheld),
        ],
      })),
      empty: say("none"),
      attributes: { "data-table": table.name },
    });
  }

  function sectionOf(summary, section) {
    const tables = summary.tables.filter((table) => table.section === section);
    if (tables.length === 0) return [];
    return [el("h4", { text: say(`section.${section}`) }), ...tables.map(summaryTable)];
  }

  function renderGrowth(summary) {
    byId("summary-growth").replaceChildren(
      ...["previous", "year_ago"].map((against) =>
        dataTable({
          caption: say(`growth.${against}`),
          headings: ["item", "table", "value", "earlier", "change"].map((column) => say(`column.${column}`)),
          rows: summary.growth
            .filter((growth) => growth.against === against)
            .map((growth) => ({
              label: keyLabel(growth.table, growth.key),
              cells: [tableTitle(growth.table), number(growth.value), number(growth.earlier), signed(growth.change)],
            })),
          empty: say("growth.none"),
          attributes: { "data-growth": against },
          words: 1,
        }),
      ),
    );
  }

  function renderUnits(summary) {
    const title = UNITS_TITLE[summary.scope.level];
    const shown = Boolean(title) && summary.units.length > 0;
    show(byId("summary-units-title"), shown);
    show(byId("summary-units"), shown);
    if (!shown) return byId("summary-units").replaceChildren();
    byId("summary-units-title").textContent = say(title);
    byId("summary-units").replaceChildren(
      dataTable({
        caption: say("units.caption", { month: monthName(summary.month) }),
        headings: [say("column.unit"), say("column.reports")],
        rows: summary.units.map((total) => ({
          label: unitName(total.unit),
          attributes: { "data-unit": total.unit.code },
          cells: [figure(total.reports, total.withheld)],
        })),
        empty: say("not_applicable"),
      }),
    );
  }

  // -- downloads -----------------------------------------------------------------------
  function renderDownloads(answer, path) {
    const { summary } = answer;
    const name = `seda-summary-${summary.month}-${summary.scope.level}-${summary.scope.code}-${summary.view}`;
    const link = (id, href, file, text) => {
      const anchor = byId(id);
      anchor.href = href;
      anchor.setAttribute("download", file);
      anchor.textContent = text;
    };
    link("summary-json", path, `${name}.json`, say("download.json"));
    link("summary-csv", `${path}/csv/${language}`, `${name}-${language}.csv`, say("download.csv"));
    link("summary-pdf", `${path}/pdf/${language}`, `${name}-${language}.pdf`, say("download.pdf"));
    // Break opportunities (no characters: a copied hash is the hash) so it wraps on a phone.
    const groups = answer.content_sha256.match(/.{1,16}/g) ?? [];
    byId("summary-hash").replaceChildren(...groups.flatMap((group, i) => (i === 0 ? [group] : [el("wbr"), group])));
    byId("summary-key").textContent = answer.key_id;
  }

  async function guarded(work) {
    const errors = formErrors();
    errors.clear();
    try {
      await work(errors);
      if (errors.count > 0) errors.announce();
    } catch (error) {
      errors.general(failureText(i18n, error));
      errors.announce();
    }
  }

  function wire() {
    byId("summary-form").addEventListener("submit", (event) => {
      event.preventDefault();
      guarded(showSummary);
    });
  }

  return { available, showSummaries, wire };
}
