// Routing in the browser: who receives a report (routing/decide.py, routing/policy.py,
// routing/rules.py; docs/ROUTING.md). The web form seals a report to exactly the recipients
// Python's route() would choose, because the server re-runs route() and refuses anything else.
//
// Data has one source: routing/tables.py, exported at install time to
// web/generated/routing-tables.json (web/tools/export_routing_tables.py). Only the logic is
// ported here; tests/vectors/routing-v1.json and an exhaustive cross-check against Python
// (tests/test_routing_js.py) hold both halves to the same answers.
import { parse as parseToml } from "smol-toml";
import tables from "../generated/routing-tables.json" with { type: "json" };
import { digest, equalBytes, fromBase64 } from "./encoding.mjs";
import { verifyDocument } from "./directory.mjs";

// ---------------------------------------------------------------------------------------
// Errors (routing/errors.py). Messages name the rule or the field at fault, never report text.

export class RoutingError extends Error {}

// A policy file is malformed, unsigned, altered, or not the one the directory names. `rule`
// is "format", "signature" or "fallback" (docs/ROUTING.md §4), as in Python.
export class PolicyError extends RoutingError {
  constructor(rule, message) {
    super(`[${rule}] ${message}`);
    this.name = "PolicyError";
    this.rule = rule;
  }
}

// A decision would break an always-hold rule even with the fallback; `rule` names it.
export class RoutingRuleError extends RoutingError {
  constructor(rule, message) {
    super(`[${rule}] ${message}`);
    this.name = "RoutingRuleError";
    this.rule = rule;
  }
}

// A body, institution or category is not in the directory or the taxonomy.
export class UnknownBodyError extends RoutingError {
  constructor(message) {
    super(message);
    this.name = "UnknownBodyError";
  }
}

// ---------------------------------------------------------------------------------------
// The tables, as lookups.

const freezeAll = (value) => {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.values(value).forEach(freezeAll);
    Object.freeze(value);
  }
  return value;
};

// The generated tables, read-only (a form may list categories, concerns and so on from them).
export const routingTables = freezeAll(tables);

const BODY_TYPES = new Map(routingTables.body_types.map((kind) => [kind.code, kind]));
const CATEGORIES = new Map(routingTables.categories.map((category) => [category.code, category]));
const REPORT_TYPES = new Set(routingTables.report_types);
const CONCERNS = new Set(routingTables.concerns);
const URGENCY = new Set(routingTables.urgency);
const LEVELS = new Set(routingTables.levels);
const POLICY_REASONS = new Set(routingTables.policy_reasons);
const SCOPES = ["institution", "province", "national"]; // routing.policy.Scope
const SCOPE_SET = new Set(SCOPES);

// The logic below names some codes itself (as routing/rules.py does). If the tables ever
// lose one, or change format, fail on import rather than route differently from Python.
if (routingTables.format !== "seda/routing-tables/v1") {
  throw new Error(`routing tables of format ${routingTables.format}: rebuild web/generated (scripts/bootstrap)`);
}
function expectInTables(set, codes, what) {
  for (const code of codes) {
    if (!set.has(code)) throw new Error(`routing tables (${routingTables.format}) lack the ${what} ${code}`);
  }
}
expectInTables(new Set(routingTables.authorities), ["prisons_organization"], "authority");
expectInTables(LEVELS, SCOPES, "level");
expectInTables(URGENCY, ["urgent"], "urgency");
expectInTables(
  CONCERNS,
  ["staff_member", "institution_management", "provincial_directorate", "prisons_organization", "judge",
    "protection_intelligence", "inspection_office", "prisoners_rights_office"],
  "concern",
);
expectInTables(
  BODY_TYPES,
  ["sentence_execution_judge", "protection_intelligence_office", "institution_protection_intelligence_representative",
    "organization_inspection", "institution_inspection_representative", "prisoners_rights_protection"],
  "body type",
);

// ---------------------------------------------------------------------------------------
// Policies (routing/policy.py): parsed and shape-checked as strictly as msgspec's Policy.

const MAX_POLICY_BYTES = 256 * 1024;
// Python's patterns end in \Z; a JavaScript `$` without the m flag also matches only at the end.
const CODE = /^[a-z][a-z0-9_]{0,59}$/;
const PLACE_CODE = /^[a-z0-9][a-z0-9_.-]{0,79}$/;
const VERSION = /^[0-9A-Za-z._-]{1,64}$/;
const DURATION = /^([1-9][0-9]{0,3})([hdwm])$/; // routing/deadlines.py
// What msgspec decodes into bytes: standard alphabet, padded, nothing else.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const WHEN_FIELDS = ["types", "categories", "concerns", "urgent", "retaliation", "provinces", "institutions"];

// Policies this module parsed: route() takes no other (a hand-built object skips every check).
const parsedPolicies = new WeakSet();

class ShapeError extends Error {}

function shape(condition, message) {
  if (!condition) throw new ShapeError(message);
}

// smol-toml makes tables with a null prototype; dates are objects too, but not tables.
function isTable(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype;
}

// msgspec's forbid_unknown_fields: exactly these fields, the required ones present.
function fieldsOf(value, required, optional, where) {
  shape(isTable(value), `${where} must be a table`);
  for (const key of Object.keys(value)) {
    shape(required.includes(key) || optional.includes(key), `${where}: unknown field ${key}`);
  }
  for (const key of required) shape(Object.hasOwn(value, key), `${where}: missing field ${key}`);
}

function text(value, pattern, where) {
  shape(typeof value === "string" && (pattern === null || pattern.test(value)), `${where}: not a valid value`);
  return value;
}

function listOf(value, item, where, min = 0, max = Infinity) {
  if (value === undefined) value = [];
  shape(Array.isArray(value) && value.length >= min && value.length <= max, `${where}: not a valid list`);
  return value.map((element, index) => item(element, `${where}[${index}]`));
}

const member = (set) => (value, where) => {
  shape(typeof value === "string" && set.has(value), `${where}: not a known value`);
  return value;
};

function optionalBoolean(value, where) {
  if (value === undefined) return null;
  shape(typeof value === "boolean", `${where}: not true or false`);
  return value;
}

function whenOf(value, where) {
  if (value === undefined) value = {};
  fieldsOf(value, [], WHEN_FIELDS, where);
  return {
    types: listOf(value.types, member(REPORT_TYPES), `${where}.types`),
    categories: listOf(value.categories, (v, w) => text(v, CODE, w), `${where}.categories`),
    concerns: listOf(value.concerns, member(CONCERNS), `${where}.concerns`),
    urgent: optionalBoolean(value.urgent, `${where}.urgent`),
    retaliation: optionalBoolean(value.retaliation, `${where}.retaliation`),
    provinces: listOf(value.provinces, (v, w) => text(v, PLACE_CODE, w), `${where}.provinces`),
    institutions: listOf(value.institutions, (v, w) => text(v, PLACE_CODE, w), `${where}.institutions`),
  };
}

function targetOf(value, where) {
  fieldsOf(value, ["body_type", "scope"], [], where);
  return {
    body_type: text(value.body_type, CODE, `${where}.body_type`),
    scope: member(SCOPE_SET)(value.scope, `${where}.scope`),
  };
}

function ruleOf(value, where) {
  fieldsOf(value, ["id", "reason", "targets"], ["when"], where);
  return {
    id: text(value.id, CODE, `${where}.id`),
    reason: text(value.reason, CODE, `${where}.reason`),
    targets: listOf(value.targets, targetOf, `${where}.targets`, 1, 32),
    when: whenOf(value.when, `${where}.when`),
  };
}

function deadlineOf(value, where) {
  fieldsOf(value, ["acknowledge", "feedback"], ["when"], where);
  return {
    acknowledge: text(value.acknowledge, null, `${where}.acknowledge`),
    feedback: text(value.feedback, null, `${where}.feedback`),
    when: whenOf(value.when, `${where}.when`),
  };
}

// The Policy struct's shape (msgspec.convert(..., Policy, strict=True)).
function policyOf(raw) {
  // `sha256` is a field of Python's Policy with a default, so a file may carry one (any valid
  // base64); it is always replaced by the hash of the file's bytes.
  fieldsOf(raw, ["version", "fallback_independent", "rule", "deadline"], ["sha256"], "the policy");
  if (Object.hasOwn(raw, "sha256")) text(raw.sha256, BASE64, "sha256");
  return {
    version: text(raw.version, VERSION, "version"),
    fallback_independent: text(raw.fallback_independent, CODE, "fallback_independent"),
    rule: listOf(raw.rule, ruleOf, "rule", 1, 500),
    deadline: listOf(raw.deadline, deadlineOf, "deadline", 1, 100),
  };
}

const isEmptyWhen = (when) =>
  WHEN_FIELDS.every((field) => (Array.isArray(when[field]) ? when[field].length === 0 : when[field] === null));

// routing.policy._check_codes: what the struct's types cannot say.
function checkCodes(policy) {
  const ids = policy.rule.map((rule) => rule.id);
  if (new Set(ids).size !== ids.length) throw new PolicyError("format", "rule ids must be unique");
  for (const rule of policy.rule) {
    if (!POLICY_REASONS.has(rule.reason)) {
      throw new PolicyError("format", `rule ${rule.id}: unknown reason code ${rule.reason} (docs/ROUTING.md §5)`);
    }
    for (const target of rule.targets) {
      const kind = BODY_TYPES.get(target.body_type);
      if (kind === undefined) throw new PolicyError("format", `rule ${rule.id}: unknown body type ${target.body_type}`);
      if (!kind.levels.includes(target.scope)) {
        throw new PolicyError("format", `rule ${rule.id}: ${target.body_type} has no ${target.scope} offices`);
      }
    }
    const unknown = rule.when.categories.filter((code) => !CATEGORIES.has(code));
    if (unknown.length > 0) throw new PolicyError("format", `rule ${rule.id}: unknown categories ${unknown.sort()}`);
  }
  // Like Python, deadline rules' categories are not checked against the taxonomy.
  for (const deadline of policy.deadline) {
    for (const duration of [deadline.acknowledge, deadline.feedback]) {
      if (!DURATION.test(duration)) {
        throw new PolicyError("format", `durations look like 24h, 7d, 2w or 1m, not ${JSON.stringify(duration)}`);
      }
    }
  }
  if (!isEmptyWhen(policy.deadline[policy.deadline.length - 1].when)) {
    throw new PolicyError("format", "the last deadline rule must apply to every report (an empty when)");
  }
}

// The first part of routing.policy._check_always_hold_rules, and the only part ported.
//
// Python's loader also tries every type × category × concern × urgency × retaliation × place
// and refuses a policy that would break an always-hold rule for any of them. That check only
// refuses a bad policy *earlier*: route() (here as in Python) checks the rules again on every
// concrete decision, over the active bodies it actually chose, adds the fallback when they do
// not hold and throws RoutingRuleError when even that fails. So for a policy Python would
// refuse at load time, this route() still never returns a decision that breaks a rule; and a
// policy a client uses is signed, which `seda keys sign-policy` does only after parse_policy
// (with the full check) has accepted it.
function checkFallback(policy) {
  const kind = BODY_TYPES.get(policy.fallback_independent);
  if (kind === undefined) throw new PolicyError("fallback", `unknown body type ${policy.fallback_independent}`);
  if (!kind.levels.includes("national") || kind.authority === "prisons_organization") {
    throw new PolicyError("fallback", "the fallback must be a national body outside the prisons organisation");
  }
}

// TOML: smol-toml reads TOML 1.1, a superset of the TOML 1.0 that Python's tomllib reads, so a
// few spellings (a multi-line inline table, "\x41", "\e") parse here and not in Python. A
// document valid in TOML 1.0 means the same in both, and a signed policy is one Python read.
function readToml(bytes) {
  let source;
  try {
    source = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new PolicyError("format", "not a valid policy file: not UTF-8");
  }
  // tomllib refuses a byte-order mark; smol-toml would skip it.
  if (source.startsWith("\uFEFF")) throw new PolicyError("format", "not a valid policy file: a byte-order mark");
  try {
    return parseToml(source, { unsafeKeyBehaviour: "throw" });
  } catch {
    throw new PolicyError("format", "not a valid policy file: not TOML");
  }
}

/**
 * Parse and validate a policy file (routing.policy.parse_policy).
 *
 * `bytes` is a Uint8Array of the file. Resolves to a frozen policy object
 * {version, fallback_independent, rule, deadline, sha256}, where sha256 (a Uint8Array) is the
 * SHA-256 of exactly these bytes. Rejects with PolicyError: rule "format" for anything malformed
 * (shape, codes, durations), "fallback" for a fallback that is not a national body outside the
 * prisons organisation. (The combinatorial always-hold check is Python's alone: see checkFallback.)
 */
export async function parsePolicyToml(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_POLICY_BYTES) {
    throw new PolicyError("format", `a policy file is bytes, at most ${MAX_POLICY_BYTES} of them`);
  }
  const raw = readToml(bytes);
  let policy;
  try {
    policy = policyOf(raw);
  } catch (error) {
    if (error instanceof ShapeError) throw new PolicyError("format", `not a valid policy file: ${error.message}`);
    throw error;
  }
  checkCodes(policy);
  checkFallback(policy);
  freezeAll(policy);
  const parsed = Object.freeze({ ...policy, sha256: await digest(bytes) });
  parsedPolicies.add(parsed);
  return parsed;
}

function sameHash(base64, bytes) {
  try {
    return typeof base64 === "string" && equalBytes(fromBase64(base64), bytes);
  } catch {
    return false;
  }
}

/**
 * The policy, if the pinned root key signed exactly these bytes (routing.policy.load_signed_policy).
 *
 * `signed` is a signed document as JSON (bytes in base64), `pinnedRootPublic` the root's 32-byte
 * Ed25519 key, `expectedRef` the `policy` of a verified, unexpired signed directory
 * ({version, sha256 in base64}), or null when it names none. The policy must be exactly that
 * version and hash, so an older signed policy cannot be replayed. Every refusal is PolicyError:
 * rule "signature" (unsigned, altered, another key, no or another reference), else as
 * parsePolicyToml.
 */
export async function loadSignedPolicy(signed, pinnedRootPublic, expectedRef) {
  let document;
  try {
    document = await verifyDocument(signed, "policy", pinnedRootPublic);
  } catch {
    throw new PolicyError("signature", "the policy is unsigned, altered, or signed by another key");
  }
  if (expectedRef === null || expectedRef === undefined) {
    throw new PolicyError("signature", "the signed directory names no policy");
  }
  const policy = await parsePolicyToml(document);
  if (expectedRef.version !== policy.version || !sameHash(expectedRef.sha256, policy.sha256)) {
    throw new PolicyError("signature", "the policy is not the one the signed directory names");
  }
  return policy;
}

// ---------------------------------------------------------------------------------------
// Directory and facts.

/**
 * Routing's directory from a *verified* signed directory (the object verifyDirectory returns),
 * as routing.decide.directory_from_signed: bodies, keys and jurisdictions all come from what
 * the root key signed. Returns {bodies: [{code, body_type, level, province, institution,
 * active: true, key_id (base64, as in the directory)}], institutions: [{code, province}]}.
 * Throws RangeError for a level this version does not know (Python's ValueError).
 */
export function directoryFromSigned(verifiedDirectory) {
  const bodies = verifiedDirectory.bodies.map((entry) => {
    if (!LEVELS.has(entry.level)) throw new RangeError(`unknown level ${entry.level}`);
    return {
      code: entry.body,
      body_type: entry.body_type,
      level: entry.level,
      province: entry.province,
      institution: entry.institution,
      active: true,
      key_id: entry.key_id,
    };
  });
  const institutions = (verifiedDirectory.institutions ?? []).map(({ code, province }) => ({ code, province }));
  return freezeAll({ bodies, institutions });
}

function vocabulary(set, value, what) {
  if (!set.has(value)) throw new RangeError(`unknown ${what} ${value}`);
  return value;
}

/**
 * The routing facts of an envelope's routing metadata (routing.decide.facts_from_metadata):
 * {institution, report_type, category, concerns, urgency, received_at, retaliation}.
 * `receivedAt` is passed in (a Date; routing reads no clock). Throws RangeError (Python's
 * ValueError) for a report type, concern or urgency this version lacks; an unknown category or
 * institution is route()'s UnknownBodyError, as in Python.
 */
export function factsFromMetadata(routing, receivedAt, { retaliation = false } = {}) {
  if (typeof retaliation !== "boolean") throw new TypeError("retaliation is true or false");
  return Object.freeze({
    institution: routing.institution,
    report_type: vocabulary(REPORT_TYPES, routing.report_type, "report type"),
    category: routing.category,
    concerns: vocabulary(CONCERNS, routing.concerns, "concern"),
    urgency: vocabulary(URGENCY, routing.urgency, "urgency"),
    received_at: receivedAt,
    retaliation,
  });
}

// Facts not made by factsFromMetadata get the same checks (Python's types guarantee them).
function checkFacts(facts) {
  vocabulary(REPORT_TYPES, facts.report_type, "report type");
  vocabulary(CONCERNS, facts.concerns, "concern");
  vocabulary(URGENCY, facts.urgency, "urgency");
  if (typeof facts.retaliation !== "boolean") throw new TypeError("retaliation is true or false");
}

// ---------------------------------------------------------------------------------------
// The always-hold rules (routing/rules.py), on bodies seen from one report:
// {type (a body type row), level, local (in the report's own institution, province, or national)}.

// Independent of the institution: not one of the institution's own offices.
const isIndependent = (body) => body.level !== "institution" || !body.local;

// Is the body concerned by the report, or under a body that is? Location matters for offices
// of one place; a whole chain of command is concerned wherever its offices sit.
function isConflicted(body, concern) {
  const code = body.type.code;
  const prisons = body.type.authority === "prisons_organization";
  switch (concern) {
    case "staff_member":
    case "institution_management":
      return body.local && body.level === "institution";
    case "provincial_directorate":
      return body.local && prisons && (body.level === "institution" || body.level === "province");
    case "prisons_organization":
      return prisons;
    case "judge":
      return body.local && code === "sentence_execution_judge";
    case "protection_intelligence":
      return code === "protection_intelligence_office" || code === "institution_protection_intelligence_representative";
    case "inspection_office":
      return code === "organization_inspection" || code === "institution_inspection_representative";
    case "prisoners_rights_office":
      return code === "prisoners_rights_protection";
    default:
      return false;
  }
}

const independentUnconflicted = (body, concern) => isIndependent(body) && !isConflicted(body, concern);
const outsideOrganization = (body) => body.type.authority !== "prisons_organization";

// Python sorts str by code point; `<` compares UTF-16 code units. They agree for the codes a
// verified directory can hold (ASCII), and localeCompare would not.
const compareCodes = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const byCode = (a, b) => compareCodes(a.code, b.code);

function categoryOf(code) {
  const category = CATEGORIES.get(code);
  if (category === undefined) throw new UnknownBodyError(`unknown category ${code}`);
  return category;
}

function bodyIn(directory, code) {
  const ref = directory.bodies.find((candidate) => candidate.code === code);
  if (ref === undefined) throw new UnknownBodyError(`unknown body ${code}`);
  return ref;
}

function institutionIn(directory, code) {
  const institution = directory.institutions.find((candidate) => candidate.code === code);
  if (institution === undefined) throw new UnknownBodyError(`unknown institution ${code}`);
  return institution;
}

// Bodies seen from one report: locality, conflicts, and the rule check (decide._View).
class View {
  constructor(facts, directory) {
    checkFacts(facts);
    this.category = categoryOf(facts.category);
    this.facts = facts;
    this.directory = directory;
    this.province = institutionIn(directory, facts.institution).province;
  }

  seen(ref) {
    const local =
      ref.level === "national" ||
      (ref.level === "province" && ref.province === this.province) ||
      (ref.level === "institution" && ref.institution === this.facts.institution);
    const type = BODY_TYPES.get(ref.body_type);
    if (type === undefined) throw new UnknownBodyError(`body ${ref.code} has a type this version does not know`);
    return { type, level: ref.level, local };
  }

  conflicted(ref) {
    return isConflicted(this.seen(ref), this.facts.concerns);
  }

  // The first always-hold rule these recipients break (only active bodies count), or null.
  brokenRule(codes) {
    const concern = this.facts.concerns;
    const seen = [];
    for (const code of codes) {
      const ref = bodyIn(this.directory, code);
      if (ref.active) seen.push(this.seen(ref));
    }
    if (!seen.some(isIndependent)) return "independent_body";
    if (!seen.some((body) => independentUnconflicted(body, concern))) return "conflict_of_interest";
    const needsOutside = this.category.outside_organization || this.facts.retaliation;
    if (needsOutside && !seen.some((body) => outsideOrganization(body) && !isConflicted(body, concern))) {
      return "outside_organization";
    }
    return null;
  }

  situation(urgent) {
    const f = this.facts;
    return {
      report_type: f.report_type,
      category: f.category,
      concern: f.concerns,
      urgent,
      retaliation: f.retaliation,
      province: this.province,
      institution: f.institution,
    };
  }

  // The active bodies of a target's type at its scope, in the report's own place; by code.
  resolve(target) {
    return this.directory.bodies
      .filter((ref) => {
        if (ref.body_type !== target.body_type || ref.level !== target.scope || !ref.active) return false;
        if (ref.level === "province") return ref.province === this.province;
        if (ref.level === "institution") return ref.institution === this.facts.institution;
        return true;
      })
      .sort(byCode);
  }
}

// routing.policy.When.matches: an empty list (or null) means any.
const anyOf = (list, value) => list.length === 0 || list.includes(value);
function matches(when, s) {
  return (
    anyOf(when.types, s.report_type) &&
    anyOf(when.categories, s.category) &&
    anyOf(when.concerns, s.concern) &&
    (when.urgent === null || when.urgent === s.urgent) &&
    (when.retaliation === null || when.retaliation === s.retaliation) &&
    anyOf(when.provinces, s.province) &&
    anyOf(when.institutions, s.institution)
  );
}

/**
 * Urgent if the reporter said so, the category is urgent, or retaliation is reported
 * (routing.decide.is_urgent). Throws UnknownBodyError for an unknown category.
 */
export function isUrgent(facts) {
  return facts.urgency === "urgent" || categoryOf(facts.category).urgent || facts.retaliation === true;
}

/**
 * Do these recipients (body codes) meet every always-hold rule (docs/ROUTING.md §4), counting
 * active bodies only? Throws UnknownBodyError for a code, category or institution that is not
 * in the directory or the taxonomy.
 */
export function satisfiesRules(codes, facts, directory) {
  return new View(facts, directory).brokenRule(codes) === null;
}

/**
 * Decide the recipients of a report, exactly as routing.decide.route does.
 *
 * Every matching policy rule adds its targets (the first rule that adds a body gives its
 * reason); the reporter may add any other active body (Art. 114); if the result would break an
 * always-hold rule, the policy's national fallback body is added. Each recipient says whether it
 * may be given the reporter's identity: not if the report concerns it, unless the reporter chose
 * it. Returns {policy_version, urgent, recipients: [{body, via, reason, identity}]} sorted by
 * body code; deadlines are the server's (its receipt gives them).
 *
 * `policy` must come from parsePolicyToml or loadSignedPolicy (else TypeError). Throws
 * UnknownBodyError for an unknown institution, category, body or body type, or an inactive
 * choice; RoutingRuleError (with `rule`) if even the fallback cannot satisfy the rules;
 * RangeError for facts outside the vocabulary.
 */
export function route(facts, policy, directory, reporterChoices = []) {
  if (!parsedPolicies.has(policy)) {
    throw new TypeError("route() takes a policy from parsePolicyToml or loadSignedPolicy");
  }
  const view = new View(facts, directory);
  const urgent = isUrgent(facts);
  const situation = view.situation(urgent);
  const chosen = new Map(); // body code → recipient; the first to add a body keeps it
  const add = (body, via, reason, identity = true) => {
    if (!chosen.has(body)) chosen.set(body, { body, via, reason, identity });
  };
  for (const rule of policy.rule) {
    if (!matches(rule.when, situation)) continue;
    for (const target of rule.targets) {
      for (const ref of view.resolve(target)) add(ref.code, "policy", rule.reason, !view.conflicted(ref));
    }
  }
  for (const code of reporterChoices) {
    const ref = bodyIn(directory, code);
    if (!ref.active) throw new UnknownBodyError(`body ${code} is not active`);
    add(ref.code, "reporter_choice", "reporter_choice");
  }
  if (view.brokenRule([...chosen.keys()]) !== null) {
    const [fallback] = view.resolve({ body_type: policy.fallback_independent, scope: "national" });
    if (fallback !== undefined) add(fallback.code, "policy", "fallback_independent");
    const broken = view.brokenRule([...chosen.keys()]);
    if (broken !== null) throw new RoutingRuleError(broken, "the directory lacks the bodies the rules require");
  }
  const recipients = [...chosen.values()].sort((a, b) => compareCodes(a.body, b.body));
  return { policy_version: policy.version, urgent, recipients };
}

// One step up the chain (routing.decide._up): the national office of the same type, else the
// type it escalates to (at province level from an institution, when that type has one there).
// Null at the top.
function up(typeCode, level) {
  const kind = BODY_TYPES.get(typeCode);
  if (level === "province" && kind.levels.includes("national")) return { body_type: kind.code, scope: "national" };
  if (kind.escalates_to === null) return null;
  const parent = BODY_TYPES.get(kind.escalates_to);
  if (level === "institution" && parent.levels.includes("province")) return { body_type: parent.code, scope: "province" };
  return { body_type: parent.code, scope: parent.levels.includes("national") ? "national" : parent.levels[0] };
}

/**
 * The next body up from a recipient that missed a deadline, exactly as routing.decide.escalate:
 * {body, via: "policy", reason: "escalation_from:<overdueBody>", identity: true}, or null at the
 * top. Climbs the chain (docs/ROUTING.md §6), skipping levels the directory lacks and bodies
 * that are inactive, concerned by the report, or already recipients.
 *
 * `recipients` are [{body, ...}] as route() returns them. Throws RoutingRuleError (rule
 * "escalation") when `overdueBody` is not a recipient; UnknownBodyError for a body,
 * institution or category not in the directory or the taxonomy.
 */
export function escalate(recipients, facts, directory, overdueBody) {
  const view = new View(facts, directory);
  const present = new Set(recipients.map((recipient) => recipient.body));
  if (!present.has(overdueBody)) {
    throw new RoutingRuleError("escalation", "only a body that holds the report can miss its deadline");
  }
  const overdue = bodyIn(directory, overdueBody);
  let step = { body_type: view.seen(overdue).type.code, scope: overdue.level };
  for (let i = 0; i < 20; i += 1) {
    step = up(step.body_type, step.scope);
    if (step === null) return null;
    for (const ref of view.resolve(step)) {
      if (!present.has(ref.code) && independentUnconflicted(view.seen(ref), facts.concerns)) {
        return { body: ref.code, via: "policy", reason: `escalation_from:${overdueBody}`, identity: true };
      }
    }
  }
  return null;
}

/**
 * Every body the first escalation from one of `recipients` would reach, exactly as
 * routing.decide.escalation_targets: the distinct bodies escalate() names (never a recipient
 * already), sorted by code, each with the reason "escalation_from:<code>" of the first
 * recipient, by code, that escalates to it, and `identity` as route() decides it. The page
 * escrows a wrap to each at submission (docs/PROTOCOL.md §3.7); the server checks it escrowed
 * to exactly these. Throws as escalate() does.
 */
export function escalationTargets(recipients, facts, directory) {
  const view = new View(facts, directory);
  const targets = new Map();
  const holders = [...recipients].sort((a, b) => compareCodes(a.body, b.body));
  for (const holder of holders) {
    const next = escalate(recipients, facts, directory, holder.body);
    if (next !== null && !targets.has(next.body)) {
      targets.set(next.body, { ...next, identity: !view.conflicted(bodyIn(directory, next.body)) });
    }
  }
  return [...targets.values()].sort((a, b) => compareCodes(a.body, b.body));
}
