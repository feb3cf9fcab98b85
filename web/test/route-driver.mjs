// Runs routing.mjs's route() over cases read as JSON, for tests/test_routing_js.py's exhaustive
// cross-check against Python:
//
//   node web/test/route-driver.mjs --stdin < batches.json > outcomes.json
//
// Input:  {"batches": [{"policy_toml": "...", "directory": {...}, "escalation": true, "cases":
//          [{"routing": {...}, "retaliation": false, "reporter_choices": []}, ...]}, ...]}
// Output: {"batches": [[outcome, ...], ...]}, each outcome as `outcome` below makes it, the same
//          shape as tests/vectors/generate_routing.py's `outcome` (with `escalation`, each
//          decision also lists its escalation targets).
//
// `node --test test/` loads every .mjs under test/, this one included: without --stdin it only
// exports `outcome` (web/test/routing.test.mjs uses it) and reads nothing.
import {
  RoutingRuleError,
  UnknownBodyError,
  escalationTargets,
  factsFromMetadata,
  parsePolicyToml,
  route,
} from "../protocol/routing.mjs";

// Deadlines are not compared, so any instant will do.
export const RECEIVED_AT = new Date("2026-11-23T09:30:00Z");

// Python's name for the error a case raised. facts_from_metadata raises ValueError for a code
// outside the vocabulary, where factsFromMetadata throws RangeError.
function errorName(error) {
  if (error instanceof UnknownBodyError) return "UnknownBodyError";
  if (error instanceof RoutingRuleError) return "RoutingRuleError";
  if (error instanceof RangeError) return "ValueError";
  throw error;
}

// The error a call raised, as Python's vectors write it: {error, rule}.
export const errorOf = (error) => ({ error: errorName(error), rule: error.rule ?? null });

// The decision for one case, or the error it raised; with `escalation`, the decision also
// lists its escalation targets.
export function outcome(policy, directory, { routing, retaliation, reporter_choices: choices }, { escalation = false } = {}) {
  try {
    const facts = factsFromMetadata(routing, RECEIVED_AT, { retaliation });
    const decision = route(facts, policy, directory, choices);
    if (!escalation) return decision;
    return { ...decision, escalation_targets: escalationTargets(decision.recipients, facts, directory) };
  } catch (error) {
    return errorOf(error);
  }
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function main() {
  const { batches } = JSON.parse(await readStdin());
  const out = [];
  for (const batch of batches) {
    const policy = await parsePolicyToml(new TextEncoder().encode(batch.policy_toml));
    out.push(batch.cases.map((c) => outcome(policy, batch.directory, c, { escalation: batch.escalation === true })));
  }
  process.stdout.write(JSON.stringify({ batches: out }));
}

if (process.argv.includes("--stdin")) await main();
