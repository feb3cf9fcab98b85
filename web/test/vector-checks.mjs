// The checks every JavaScript runtime (Node and Chromium) runs over tests/vectors/protocol-v1.json.
// `p` is the protocol module (source in Node, the built bundle in the browser).

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function refuses(p, promise, ErrorType) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ErrorType) return;
    throw new Error(`expected ${ErrorType.name}, got ${error?.name}: ${error?.message}`);
  }
  throw new Error(`expected ${ErrorType.name}, but it succeeded`);
}

function flipBase64(p, text, bit) {
  const bytes = p.fromBase64(text);
  const position = bit % (bytes.length * 8);
  bytes[position >> 3] ^= 1 << (position & 7);
  return p.toBase64(bytes);
}

const clone = (value) => JSON.parse(JSON.stringify(value));

function partOf(p, typed) {
  if ("bytes" in typed) return p.fromHex(typed.bytes);
  if ("str" in typed) return typed.str;
  return typed.int;
}

export function vectorChecks(v, p) {
  const hex = p.toHex;
  const b = p.fromHex;
  const report = v.report;
  const seeds = report.recipient_seeds.map(b);
  const checks = {};

  checks["field encoding"] = async () => {
    for (const c of v.encoding) assert(hex(p.fields(...c.parts.map((t) => partOf(p, t)))) === c.fields, "fields");
  };
  checks["hkdf expansions"] = async () => {
    for (const c of v.hkdf) {
      assert(hex(await p.hkdf(b(c.secret), c.purpose, ...c.context.map(b))) === c.output, "hkdf");
    }
  };
  checks["tokens: encode, group, parse"] = async () => {
    for (const c of v.token.tokens) {
      const digits = p.tokenFromNumber(BigInt(c.random));
      assert(digits === c.digits, "digits");
      assert(p.groupToken(digits) === c.grouped, "grouped");
      assert(p.groupToken(digits, true) === c.grouped_persian, "grouped persian");
    }
    for (const c of v.token.accepted) assert(p.parseToken(c.typed) === c.digits, "accepted");
    for (const c of v.token.refused) {
      let reason = null;
      try {
        p.parseToken(c.typed);
      } catch (error) {
        reason = error.reason;
      }
      assert(reason === c.reason, `refused for ${c.reason}, got ${reason}`);
    }
    const fresh = p.newToken();
    assert(p.parseToken(fresh) === fresh, "a new token parses");
  };
  checks["token derivation (Argon2id + expansions)"] = async () => {
    for (const c of v.derivation) {
      const s = await p.deriveFromToken(c.token, c.params);
      assert(hex(s.lookupSecret) === c.lookup_secret, "lookup secret");
      assert(hex(s.reporterSeed) === c.reporter_seed, "reporter seed");
      assert(hex(await p.keyId(s.reporterPublicKey)) === c.reporter_key_id, "reporter key id");
      assert(hex(await p.lookupVerifier(s.lookupSecret)) === c.lookup_verifier, "verifier");
    }
  };
  checks["X-Wing keys from seeds"] = async () => {
    for (const c of v.xwing) {
      const publicKey = await p.xwingPublicBytes(b(c.seed));
      assert(hex(await p.digest(publicKey)) === c.public_key_sha256, "public key");
      assert(hex(await p.keyId(publicKey)) === c.key_id, "key id");
    }
  };
  checks["report context and payload sealing"] = async () => {
    const context = await p.envelopeContext(report.envelope);
    assert(hex(context) === report.context, "context");
    const key = await p.hkdf(b(report.content_key), "seda/v1/report/payload", context);
    assert(hex(await p.sealOnce(key, b(report.payload_plaintext), context)) === report.payload_ciphertext, "payload");
  };
  checks["report opens per recipient, identity only where granted"] = async () => {
    for (const c of report.opened) {
      const opened = await p.openReport(report.envelope, seeds[c.seed_index]);
      assert(JSON.stringify(opened.payload) === JSON.stringify(c.payload), "payload");
      assert(JSON.stringify(opened.identity) === JSON.stringify(c.identity), "identity");
      assert(opened.identityWithheld === c.identity_withheld, "withheld");
      assert(hex(opened.keys.contentKey) === report.content_key, "content key");
    }
  };
  checks["referral wrap opens without identity"] = async () => {
    const r = report.referral;
    const opened = await p.openReport(report.envelope, seeds[r.seed_index], r.wrap);
    assert(opened.identity === null && opened.identityWithheld === r.identity_withheld, "referral");
  };
  checks["anonymous report opens"] = async () => {
    const c = report.anonymous_opened;
    const opened = await p.openReport(report.anonymous_envelope, seeds[c.seed_index]);
    assert(opened.payload.text === c.text, "text");
  };
  checks["attachment stream"] = async () => {
    const a = report.attachment;
    const data = new Uint8Array(a.data.length).map((_, i) => i % 251);
    const context = await p.envelopeContext(report.envelope);
    const key = await p.attachmentKey({ contentKey: b(report.content_key) }, context, a.attachment_id);
    assert(hex(key) === a.key, "attachment key");
    const chunks = await p.sealChunks(key, data);
    assert(chunks.length === a.chunk_count, "chunk count");
    for (let i = 0; i < chunks.length; i++) assert(hex(await p.digest(chunks[i])) === a.chunk_sha256[i], "chunk");
    assert(hex(await p.streamDigest(chunks)) === a.stream_digest, "stream digest");
    assert(hex(await p.openChunks(key, chunks)) === hex(data), "opened");
    await refuses(p, p.openChunks(key, [chunks[1], chunks[0]]), p.OpenError);
    await refuses(p, p.openChunks(key, chunks.slice(0, 1)), p.OpenError);
  };
  checks["reply opens for reporter and body"] = async () => {
    const m = v.message;
    assert(hex(await p.messageContext(m.reply)) === m.context, "context");
    for (const seed of [b(report.reporter_seed), seeds[0]]) {
      assert((await p.openMessage(m.reply, seed)).text === m.text, "text");
    }
  };
  checks["body key grant and officer passphrase"] = async () => {
    const k = v.keys;
    const bodySeed = await p.openBodyKeyGrant(b(k.grant), b(k.body_key_id), b(k.officer_seed));
    assert(hex(bodySeed) === k.body_seed, "grant");
    for (const passphrase of [k.passphrase, k.passphrase_nfd_equivalent]) {
      const s = await p.deriveFromPassphrase(passphrase, b(k.salt), k.params);
      assert(hex(s.wrapKey) === k.wrap_key && hex(s.authValue) === k.auth_value, "passphrase keys");
      const seed = await p.unlockOfficerSeed(b(k.protected_seed), b(k.officer_key_id), s);
      assert(hex(seed) === k.officer_seed, "officer seed");
      assert(hex(await p.protectOfficerSeed(seed, s)) === k.protected_seed, "protect");
    }
  };
  checks["signed directory against the pinned root only"] = async () => {
    const d = v.directory;
    const root = b(d.root_public_key);
    assert(hex(await p.rootKeyId(root)) === d.root_key_id, "root key id");
    const directory = await p.verifyDirectory(d.signed, root);
    assert(directory.serial === d.serial, "serial");
    assert(JSON.stringify(directory.bodies.map((e) => e.body)) === JSON.stringify(d.body_codes), "bodies");
    await refuses(p, p.verifyDirectory(d.signed, b(d.other_root_public_key)), p.SignatureError);
    await refuses(p, p.verifyDirectory(d.signed, root, d.serial + 1), p.SignatureError);
    const forged = { ...d.signed, signature: flipBase64(p, d.signed.signature, 9) };
    await refuses(p, p.verifyDirectory(forged, root), p.SignatureError);
  };
  checks["tampering is refused"] = async () => {
    const env = report.envelope;
    const tamper = async (change) => {
      const copy = clone(env);
      change(copy);
      await refuses(p, p.openReport(copy, seeds[0]), p.OpenError);
    };
    await refuses(p, p.openReport(env, p.newSeed()), p.OpenError);
    await refuses(p, p.openReport(env, seeds[2]), p.OpenError);
    for (const bit of [0, 77, 1000, 9999]) {
      await tamper((e) => (e.payload = flipBase64(p, e.payload, bit)));
      await tamper((e) => (e.recipients[0].wrapped = flipBase64(p, e.recipients[0].wrapped, bit)));
      await tamper((e) => (e.identity = flipBase64(p, e.identity, bit)));
    }
    await tamper((e) => (e.routing.category = "health"));
    await tamper((e) => (e.routing = clone(report.anonymous_envelope.routing)));
    await tamper((e) => (e.report_id = "00000000-0000-4000-8000-000000000000"));
    await tamper((e) => (e.identity = null));
    await tamper((e) => (e.recipients = e.recipients.slice(0, 1)));
    await tamper((e) => (e.payload = p.toBase64(p.fromBase64(e.payload).slice(0, -1))));
    await tamper((e) => (e.version = 2));
  };
  checks["seal in JavaScript, open in JavaScript"] = async () => {
    const publicKeys = await Promise.all(seeds.map((s) => p.xwingPublicBytes(s)));
    const { envelope, keys } = await p.sealReport({
      reportId: p.newUuid(),
      routing: report.envelope.routing,
      payload: { text: "آزمون", fields: { a: "b" } },
      recipients: publicKeys.slice(0, 2),
      identity: { name: "نام" },
      identityRecipients: [publicKeys[1]],
    });
    const first = await p.openReport(envelope, seeds[0]);
    const second = await p.openReport(envelope, seeds[1]);
    assert(first.payload.text === "آزمون" && first.identityWithheld && second.identity.name === "نام", "round trip");
    const referral = await p.rewrapForReferral(envelope, keys, publicKeys[2], true);
    assert((await p.openReport(envelope, seeds[2], referral)).identity.name === "نام", "referral with identity");
  };
  return checks;
}

export async function runVectorChecks(v, p) {
  const results = [];
  for (const [name, check] of Object.entries(vectorChecks(v, p))) {
    try {
      await check();
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: `${error?.name}: ${error?.message}` });
    }
  }
  return results;
}
