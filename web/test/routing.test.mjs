// The JavaScript routing (web/protocol/routing.mjs) makes every decision in
// tests/vectors/routing-v1.json exactly as Python does, refuses the policies Python refuses, and
// loads only the signed policy the directory names. tests/test_routing_js.py adds an exhaustive
// cross-check against Python itself.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { fromBase64, fromHex, toBase64 } from "../protocol/encoding.mjs";
import { verifyDirectory } from "../protocol/directory.mjs";
import {
  PolicyError,
  RoutingRuleError,
  UnknownBodyError,
  directoryFromSigned,
  escalate,
  escalationTargets,
  factsFromMetadata,
  isUrgent,
  loadSignedPolicy,
  parsePolicyToml,
  route,
  routingTables,
  satisfiesRules,
} from "../protocol/routing.mjs";
import { RECEIVED_AT, errorOf, outcome } from "./route-driver.mjs";

const vectors = JSON.parse(await readFile(new URL("../../tests/vectors/routing-v1.json", import.meta.url), "utf8"));
const encode = (text) => new TextEncoder().encode(text);
const DEFAULT_TOML = vectors.policies.default.toml;
const signed = vectors.signed_policy;
const root = fromHex(signed.root_public_key);

// A vector's policy file: an edit of the default policy (first occurrence), or a whole file.
function policyBytes(spec) {
  if ("hex" in spec) return fromHex(spec.hex);
  if ("toml" in spec) return encode(spec.toml);
  const [old, replacement] = spec.edit;
  const at = DEFAULT_TOML.indexOf(old);
  assert.ok(at >= 0, `the edit "${old}" applies to the default policy`);
  return encode(DEFAULT_TOML.slice(0, at) + replacement + DEFAULT_TOML.slice(at + old.length));
}

async function rejectsWith(promise, rule, what) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof PolicyError, `${what}: expected PolicyError, got ${error?.name}: ${error?.message}`);
    assert.equal(error.rule, rule, `${what}: ${error.message}`);
    return true;
  });
}

const policies = {};
for (const [name, policy] of Object.entries(vectors.policies)) {
  policies[name] = await parsePolicyToml(encode(policy.toml));
}
const defaultPolicy = policies.default;
const full = vectors.directories.full;
const healthReport = (changes = {}) =>
  factsFromMetadata(
    {
      institution: "tehran-central",
      report_type: "complaint",
      category: "health",
      concerns: "none",
      reporter_type: "prisoner",
      channel: "web",
      urgency: "normal",
      ...changes,
    },
    RECEIVED_AT,
  );

test("the generated tables are the ones the vectors were made with", () => {
  assert.equal(routingTables.format, "seda/routing-tables/v1");
  const types = new Set(routingTables.body_types.map((t) => t.code));
  for (const body of full.bodies) assert.ok(types.has(body.body_type), body.body_type);
  assert.ok(Object.isFrozen(routingTables.body_types[0].levels));
});

test("the vectors' policies parse, with their version and hash", () => {
  for (const [name, policy] of Object.entries(vectors.policies)) {
    assert.equal(toBase64(policies[name].sha256), policy.sha256, name);
  }
  assert.equal(defaultPolicy.version, "2026.1");
  assert.ok(Object.isFrozen(defaultPolicy) && Object.isFrozen(defaultPolicy.rule[0].targets[0]));
});

test("every vector decision is Python's", () => {
  assert.ok(vectors.cases.length > 200);
  vectors.cases.forEach((c, index) => {
    const got = outcome(policies[c.policy], vectors.directories[c.directory], c);
    assert.deepEqual(got, c.expected, `case ${index} (${c.policy}/${c.directory}) ${c.note ?? ""}`);
  });
});

test("every vector case's escalation targets are Python's", () => {
  assert.ok(vectors.escalation_targets.length > 50);
  assert.ok(vectors.escalation_targets.some((entry) => entry.escalation_targets.length > 1));
  for (const entry of vectors.escalation_targets) {
    const c = vectors.cases[entry.case];
    const got = outcome(policies[c.policy], vectors.directories[c.directory], c, { escalation: true });
    assert.deepEqual(got.escalation_targets, entry.escalation_targets, `case ${entry.case}`);
  }
});

test("every vector escalation step is Python's", () => {
  assert.ok(vectors.escalations.length >= 10);
  for (const step of vectors.escalations) {
    const facts = factsFromMetadata(step.routing, RECEIVED_AT);
    const recipients = step.recipients.map((body) => ({ body, via: "policy", reason: "provincial_directorate" }));
    let got;
    try {
      got = escalate(recipients, facts, vectors.directories[step.directory], step.overdue);
    } catch (error) {
      got = errorOf(error);
    }
    assert.deepEqual(got, step.expected, step.note);
  }
});

test("escalation targets are never recipients, and sorted by code", () => {
  const facts = healthReport({ concerns: "conditions" });
  const { recipients } = route(facts, defaultPolicy, full);
  const targets = escalationTargets(recipients, facts, full);
  const held = new Set(recipients.map((r) => r.body));
  assert.ok(targets.length > 0);
  assert.ok(targets.every((t) => !held.has(t.body) && t.reason.startsWith("escalation_from:")));
  assert.deepEqual(targets.map((t) => t.body), targets.map((t) => t.body).sort());
  assert.deepEqual(escalationTargets([], facts, full), []);
});

test("policies Python refuses are refused, naming the same rule", async () => {
  assert.ok(vectors.policy_refusals.length > 30);
  for (const refusal of vectors.policy_refusals) {
    await rejectsWith(parsePolicyToml(policyBytes(refusal)), refusal.rule, refusal.name);
  }
});

test("unusual policies Python accepts are accepted, with the same hash", async () => {
  for (const accepted of vectors.policy_accepts) {
    const policy = await parsePolicyToml(policyBytes(accepted));
    assert.equal(policy.version, accepted.version, accepted.name);
    assert.equal(toBase64(policy.sha256), accepted.sha256, accepted.name);
  }
});

test("the signed policy loads against the directory's reference; every refusal names its rule", async () => {
  const policy = await loadSignedPolicy(signed.signed, root, signed.reference);
  assert.equal(policy.version, "2026.1");
  assert.equal(toBase64(policy.sha256), signed.reference.sha256);
  for (const refusal of signed.refusals) {
    const document = refusal.signed === "policy" ? signed.signed : refusal.signed;
    const pinned = fromHex(refusal.root_public_key);
    await rejectsWith(loadSignedPolicy(document, pinned, refusal.reference), refusal.rule, refusal.fault);
  }
});

test("a verified signed directory becomes Python's routing directory, and routes as Python does", async () => {
  const vector = signed.directory;
  const verified = await verifyDirectory(vector.signed, root, { now: new Date(vector.valid_at) });
  const directory = directoryFromSigned(verified);
  assert.deepEqual(directory, vector.routing_directory);
  const policy = await loadSignedPolicy(signed.signed, root, verified.policy);
  assert.deepEqual(outcome(policy, directory, vector.case), vector.case.expected);
});

// --- Refusals written out here, one by one ---

test("a policy with an unknown body type is refused", async () => {
  const toml = DEFAULT_TOML.replace('body_type = "provincial_dg_prisons"', 'body_type = "ombudsman"');
  await rejectsWith(parsePolicyToml(encode(toml)), "format", "unknown body type");
});

test("a policy with a bad version string is refused", async () => {
  for (const version of ["", "2026 1", "2026/1", "v".repeat(65), "2026.1\n"]) {
    const toml = DEFAULT_TOML.replace('version = "2026.1"', `version = ${JSON.stringify(version)}`);
    await rejectsWith(parsePolicyToml(encode(toml)), "format", JSON.stringify(version));
  }
});

test("a policy with an unknown field anywhere is refused", async () => {
  const places = [
    ['fallback_independent = "general_inspection_organization"', '$&\ncomment = "x"'],
    ['id = "judicial"', '$&\nenabled = true'],
    ['when = { categories = ["judicial"] }', 'when = { categories = ["judicial"], city = ["qom"] }'],
    ['scope = "province" }', 'scope = "province", x = 1 }'],
    ['acknowledge = "24h"', '$&\nremind = "1h"'],
    ['fallback_independent = "general_inspection_organization"', '$&\n__proto__ = "x"'],
  ];
  for (const [old, replacement] of places) {
    assert.ok(DEFAULT_TOML.includes(old), old);
    await rejectsWith(parsePolicyToml(encode(DEFAULT_TOML.replace(old, replacement))), "format", replacement);
  }
});

test("a policy must be bytes, and at most 256 KiB of them", async () => {
  await rejectsWith(parsePolicyToml(DEFAULT_TOML), "format", "a string");
  const padded = DEFAULT_TOML + "#".repeat(256 * 1024 - encode(DEFAULT_TOML).length);
  assert.equal((await parsePolicyToml(encode(padded))).version, "2026.1");
  await rejectsWith(parsePolicyToml(encode(padded + "#")), "format", "one byte too many");
});

test("an altered signed policy is refused", async () => {
  const document = fromBase64(signed.signed.document);
  document[document.length - 2] ^= 1;
  const altered = { ...signed.signed, document: toBase64(document) };
  await rejectsWith(loadSignedPolicy(altered, root, signed.reference), "signature", "altered");
  const resigned = { ...signed.signed, signature: toBase64(new Uint8Array(64)) };
  await rejectsWith(loadSignedPolicy(resigned, root, signed.reference), "signature", "bad signature");
});

test("a signed policy whose hash is not the directory's reference is refused", async () => {
  const otherHash = { version: signed.reference.version, sha256: toBase64(new Uint8Array(32)) };
  await rejectsWith(loadSignedPolicy(signed.signed, root, otherHash), "signature", "another hash");
  const notBase64 = { version: signed.reference.version, sha256: "not base64!" };
  await rejectsWith(loadSignedPolicy(signed.signed, root, notBase64), "signature", "a malformed hash");
  await rejectsWith(loadSignedPolicy(signed.signed, root, null), "signature", "no reference");
});

test("facts with an unknown category, institution or body are refused", () => {
  assert.throws(() => route(healthReport({ category: "weather" }), defaultPolicy, full), UnknownBodyError);
  assert.throws(() => isUrgent(healthReport({ category: "weather" })), UnknownBodyError);
  assert.throws(() => route(healthReport({ institution: "nowhere" }), defaultPolicy, full), UnknownBodyError);
  assert.throws(() => route(healthReport(), defaultPolicy, full, ["nobody--national"]), UnknownBodyError);
  assert.throws(() => satisfiesRules(["nobody--national"], healthReport(), full), UnknownBodyError);
});

test("facts outside the vocabulary are refused when they are read", () => {
  assert.throws(() => healthReport({ report_type: "petition" }), RangeError);
  assert.throws(() => healthReport({ concerns: "weather" }), RangeError);
  assert.throws(() => healthReport({ urgency: "soon" }), RangeError);
  const handMade = { ...healthReport(), urgency: "soon" };
  assert.throws(() => route(handMade, defaultPolicy, full), RangeError);
});

test("route() takes only a policy this module parsed", () => {
  const copy = { ...defaultPolicy };
  assert.throws(() => route(healthReport(), copy, full), TypeError);
});

test("a directory that cannot meet the rules is a RoutingRuleError naming the rule", () => {
  const onlyInstitution = { ...full, bodies: full.bodies.filter((b) => b.level === "institution") };
  assert.throws(
    () => route(healthReport(), defaultPolicy, onlyInstitution),
    (error) => error instanceof RoutingRuleError && error.rule === "independent_body",
  );
});

test("the rule check counts active bodies only", () => {
  const report = healthReport({ concerns: "provincial_directorate" });
  const codes = ["provincial_dg_prisons--tehran", "special_inspection_citizens_rights--national"];
  assert.equal(satisfiesRules(codes, report, full), true);
  const inactive = {
    ...full,
    bodies: full.bodies.map((b) => (b.code === codes[1] ? { ...b, active: false } : b)),
  };
  assert.equal(satisfiesRules(codes, report, inactive), false);
});

test("directoryFromSigned refuses a level this version does not know", () => {
  const entry = { body: "x--national", body_type: "x", level: "planet", province: null, institution: null, key_id: "" };
  assert.throws(() => directoryFromSigned({ bodies: [entry] }), RangeError);
  assert.deepEqual(directoryFromSigned({ bodies: [] }), { bodies: [], institutions: [] });
});
