// The console's case logic after a key rotation: this device vouches for (re-tags) and seals to
// a body key only if it holds that key's seed, whatever key id the server names as current.
import assert from "node:assert/strict";
import { test } from "node:test";
import { retagAfterRotation, sealNote } from "../console/case.mjs";

const keyId = (byte) => Buffer.alloc(16, byte).toString("base64");
const OLD_KEY = keyId(1);
const NEW_KEY = keyId(2);
const OTHER_BODYS_KEY = keyId(3);

function rotatedCase({ holdsCurrent, bodyPublic = null }) {
  return {
    data: { report_id: "r-1", rekey_key_id: null, envelope: { recipients: [{ key_id: OLD_KEY }] } },
    opened: { context: new Uint8Array(48) },
    threadKey: new Uint8Array(32).fill(7),
    holdsCurrent,
    bodyPublic,
  };
}

function recordingApi() {
  const sent = [];
  return { sent, send: async (path, body) => sent.push({ path, body }) };
}

test("a page that does not hold the named key's seed never re-tags for it", async () => {
  const api = recordingApi();
  assert.equal(await retagAfterRotation(api, rotatedCase({ holdsCurrent: false }), OTHER_BODYS_KEY), false);
  assert.deepEqual(api.sent, []);
});

test("a page holding the body's current key re-tags an old report once", async () => {
  const api = recordingApi();
  const kase = rotatedCase({ holdsCurrent: true });
  assert.equal(await retagAfterRotation(api, kase, NEW_KEY), true);
  assert.equal(api.sent.length, 1);
  assert.equal(api.sent[0].path, "/console/api/reports/r-1/rekey-tag");
  assert.equal(api.sent[0].body.key_id, NEW_KEY);
  assert.equal(await retagAfterRotation(api, kase, NEW_KEY), false);
  assert.equal(api.sent.length, 1);
});

test("without the body's current key nothing is sealed, not even to the report's older key", () => {
  assert.throws(() => sealNote(rotatedCase({ holdsCurrent: false }), "a note"), /current key/);
});
