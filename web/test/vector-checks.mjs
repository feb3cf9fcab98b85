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
      assert(hex(s.threadKey) === c.thread_key, "thread key");
      assert(hex(await p.lookupVerifier(s.lookupSecret)) === c.lookup_verifier, "verifier");
    }
  };
  checks["X-Wing keys from seeds"] = async () => {
    for (const c of v.xwing) {
      const publicKey = await p.xwingPublicBytes(b(c.seed));
      assert(hex(await p.digest(publicKey)) === c.public_key_sha256, "public key");
      assert(hex(await p.keyId(publicKey)) === c.key_id, "key id");
      assert((await p.keyFingerprint(publicKey)) === c.fingerprint, "fingerprint");
      assert(hex(publicKey.subarray(0, 16)) === c.public_key_head && hex(publicKey.subarray(-32)) === c.public_key_tail, "parts");
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
  checks["attachment stream matches the payload's reference"] = async () => {
    const a = report.attachment;
    const data = new Uint8Array(a.data.length).map((_, i) => i % 251);
    const opened = await p.openReport(report.envelope, seeds[0]);
    const key = await p.attachmentKey(opened.keys, opened.context, a.attachment_id);
    assert(hex(key) === a.key, "attachment key");
    const chunks = await p.sealChunks(key, data);
    assert(chunks.length === a.chunk_count, "chunk count");
    for (let i = 0; i < chunks.length; i++) assert(hex(await p.digest(chunks[i])) === a.chunk_sha256[i], "chunk");
    assert(hex(chunks[chunks.length - 1].subarray(0, 64)) === a.chunks_hex_of_last, "last chunk");
    assert(hex(await p.streamDigest(chunks)) === a.stream_digest, "stream digest");
    const ref = opened.payload.attachments[0];
    assert(hex(await p.openAttachment(opened.keys, opened.context, ref, chunks)) === hex(data), "opened");
    await refuses(p, p.openAttachment(opened.keys, opened.context, ref, chunks.slice(0, 1)), p.OpenError);
    await refuses(p, p.openChunks(key, [chunks[1], chunks[0]]), p.OpenError);
    await refuses(p, p.openChunks(key, chunks.slice(0, 1)), p.OpenError);
    assert(hex(p.fromBase64(opened.payload.thread_key)) === report.thread_key, "thread key in payload");
  };
  checks["reply opens for reporter and body, and only with the thread key"] = async () => {
    const m = v.message;
    assert(hex(await p.messageContext(m.reply)) === m.context, "context");
    const reporter = await p.deriveFromToken(report.token, report.token_params);
    assert(hex(reporter.reporterSeed) === report.reporter_seed, "reporter seed from token");
    for (const seed of [reporter.reporterSeed, seeds[0]]) {
      assert((await p.openMessage(m.reply, seed, reporter.threadKey)).text === m.text, "text");
    }
    await refuses(p, p.openMessage(m.reply, reporter.reporterSeed, p.newSeed()), p.OpenError);
    const tamper = async (change) => {
      const copy = clone(m.reply);
      change(copy);
      await refuses(p, p.openMessage(copy, reporter.reporterSeed, reporter.threadKey), p.OpenError);
    };
    await tamper((c) => (c.body = flipBase64(p, c.body, 5)));
    await tamper((c) => (c.auth = flipBase64(p, c.auth, 5)));
    await tamper((c) => (c.kind = "note"));
    await tamper((c) => (c.kind = "gossip"));
    await tamper((c) => (c.message_id = "00000000-0000-4000-8000-000000000000"));
    const forged = await p.sealMessage({
      kind: "reply",
      reportId: m.reply.report_id,
      messageId: p.newUuid(),
      body: { text: "forged by the server" },
      recipients: [reporter.reporterPublicKey],
      threadKey: p.newSeed(),
    });
    await refuses(p, p.openMessage(forged, reporter.reporterSeed, reporter.threadKey), p.OpenError);
  };
  checks["body key grant and officer passphrase"] = async () => {
    const k = v.keys;
    const bodySeed = await p.openBodyKeyGrant(b(k.grant), b(k.body_key_id), b(k.officer_seed));
    assert(hex(bodySeed) === k.body_seed, "grant");
    await refuses(p, p.openBodyKeyGrant(b(k.grant), b(k.body_key_id), p.newSeed()), p.OpenError);
    const officer = await p.publicKeyOf(b(k.officer_seed));
    assert((await p.keyFingerprint(officer.publicKey)) === k.officer_fingerprint, "fingerprint");
    const stranger = await p.publicKeyOf(p.newSeed());
    await refuses(p, p.grantBodyKey(bodySeed, stranger.publicKey, k.officer_fingerprint), p.UnverifiedKeyError);
    const regrant = await p.grantBodyKey(bodySeed, officer.publicKey, k.officer_fingerprint);
    assert(hex(await p.openBodyKeyGrant(regrant, b(k.body_key_id), b(k.officer_seed))) === k.body_seed, "regrant");
    for (const passphrase of [k.passphrase, k.passphrase_nfd_equivalent]) {
      const s = await p.deriveFromPassphrase(passphrase, b(k.salt), k.params);
      assert(hex(s.wrapKey) === k.wrap_key && hex(s.authValue) === k.auth_value, "passphrase keys");
      const seed = await p.unlockOfficerSeed(b(k.protected_seed), b(k.officer_key_id), s);
      assert(hex(seed) === k.officer_seed, "officer seed");
      const again = await p.protectOfficerSeed(seed, s);
      assert(hex(again) !== k.protected_seed, "a fresh blob salt every time");
      assert(hex(await p.unlockOfficerSeed(again, b(k.officer_key_id), s)) === k.officer_seed, "protect");
    }
    const wrong = await p.deriveFromPassphrase("not the passphrase", b(k.salt), k.params);
    await refuses(p, p.unlockOfficerSeed(b(k.protected_seed), b(k.officer_key_id), wrong), p.OpenError);
  };
  checks["signed directory against the pinned root only"] = async () => {
    const d = v.directory;
    const root = b(d.root_public_key);
    assert(hex(await p.rootKeyId(root)) === d.root_key_id, "root key id");
    const now = new Date(d.valid_at);
    const directory = await p.verifyDirectory(d.signed, root, { now });
    assert(directory.serial === d.serial, "serial");
    assert(JSON.stringify(directory.bodies.map((e) => e.body)) === JSON.stringify(d.body_codes), "bodies");
    await refuses(p, p.verifyDirectory(d.signed, b(d.other_root_public_key), { now }), p.SignatureError);
    await refuses(p, p.verifyDirectory(d.signed, root, { now, minSerial: d.serial + 1 }), p.SignatureError);
    for (const stale of [d.expired_at, d.before_issue_at]) {
      await refuses(p, p.verifyDirectory(d.signed, root, { now: new Date(stale) }), p.SignatureError);
    }
    const forged = { ...d.signed, signature: flipBase64(p, d.signed.signature, 9) };
    await refuses(p, p.verifyDirectory(forged, root, { now }), p.SignatureError);
    for (const refusal of d.refusals) {
      await refuses(p, p.verifyDirectory(refusal.signed, root, { now }), p.SignatureError);
    }
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
    await tamper((e) => (e.reporter_key = p.toBase64(new Uint8Array(1216).fill(7))));
    await tamper((e) => (e.routing.channel = 107));
  };
  checks["sealing refuses what Python could not open"] = async () => {
    const publicKey = await p.xwingPublicBytes(seeds[0]);
    const base = { reportId: p.newUuid(), routing: report.envelope.routing, recipients: [publicKey] };
    for (const payload of [
      { text: "x", language: "a-language-tag-far-too-long" },
      { text: "x", fields: { n: 1 } },
      { text: "x", smuggled: true },
      { text: ["not", "text"] },
      { text: "x", attachments: [{ attachment_id: "x" }] },
    ]) {
      await refuses(p, p.sealReport({ ...base, payload }), p.EnvelopeFormatError);
    }
    await refuses(p, p.sealReport({ ...base, payload: { text: "x" }, reportId: "not-a-uuid" }), p.EnvelopeFormatError);
    const routing = { ...report.envelope.routing, channel: 107 };
    await refuses(p, p.sealReport({ ...base, routing, payload: { text: "x" } }), p.EnvelopeFormatError);
    await refuses(p, p.deriveFromToken(p.groupToken(report.token), report.token_params), p.TokenFormatError);
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
  checks["thread tag over the header, refused for an altered header"] = async () => {
    const t = v.thread_tag;
    const header = await p.envelopeHeader(v.report.envelope);
    assert(JSON.stringify(header) === JSON.stringify(t.header), "header from the envelope");
    assert(hex(await p.headerContext(header)) === t.context, "context");
    const key = p.fromHex(t.thread_key);
    assert(hex(await p.threadTag(key, await p.headerContext(header))) === t.tag, "tag");
    assert(await p.checkThreadTag(key, t.header, p.fromHex(t.tag)), "tag checks");
    assert(!(await p.checkThreadTag(key, t.altered_header, p.fromHex(t.tag))), "altered header refused");
    assert(!(await p.checkThreadTag(p.newSeed(), t.header, p.fromHex(t.tag))), "other key refused");
  };
  checks["escrow and referral tags over the report's context"] = async () => {
    const r = v.report_tags;
    const [key, context] = [b(r.thread_key), b(r.context)];
    const escrowed = r.escrow_key_ids.map(b);
    const referred = b(r.referral_key_id);
    assert(hex(await p.escrowTag(key, context, escrowed)) === r.escrow_tag, "escrow tag");
    assert(hex(await p.escrowTag(key, context, escrowed.map(p.toBase64).reverse())) === r.escrow_tag, "ids as base64, any order");
    assert(hex(await p.escrowTag(key, context, [])) === r.escrow_tag_of_none, "escrow tag of no wraps");
    assert(hex(await p.referralTag(key, context, referred)) === r.referral_tag, "referral tag");
    assert(hex(await p.referralTag(key, context, p.toBase64(referred))) === r.referral_tag, "referral id as base64");
    const header = v.thread_tag.header;
    const altered = v.thread_tag.altered_header;
    const [escrow, referral] = [b(r.escrow_tag), b(r.referral_tag)];
    assert(await p.checkEscrowTag(key, header, escrowed, escrow), "escrow tag checks");
    assert(!(await p.checkEscrowTag(key, altered, escrowed, escrow)), "altered header refused");
    assert(!(await p.checkEscrowTag(key, header, escrowed.slice(0, 1), escrow)), "an id left out refused");
    assert(!(await p.checkEscrowTag(key, header, [...escrowed, new Uint8Array(16)], escrow)), "an id added refused");
    assert(!(await p.checkEscrowTag(p.newSeed(), header, escrowed, escrow)), "other key refused");
    assert(!(await p.checkEscrowTag(key, header, [new Uint8Array(5)], escrow)), "a malformed id refused");
    assert(await p.checkReferralTag(key, header, referred, referral), "referral tag checks");
    assert(!(await p.checkReferralTag(key, altered, referred, referral)), "altered header refused");
    assert(!(await p.checkReferralTag(key, header, escrowed[0], referral)), "another body refused");
    assert(!(await p.checkReferralTag(key, header, referred, escrow)), "another purpose refused");
    await refuses(p, p.referralTag(key, context, new Uint8Array(17)), p.EnvelopeFormatError);
    await refuses(p, p.escrowTag(key, context, [new Uint8Array(15)]), p.EnvelopeFormatError);
  };
  checks["a rekey tag for a rotated body's new key"] = async () => {
    const r = v.rekey_tags;
    const [key, context, newKeyId, tag] = [b(r.thread_key), b(r.context), b(r.new_key_id), b(r.rekey_tag)];
    assert(p.toHex((await p.publicKeyOf(b(r.new_body_seed))).keyId) === r.new_key_id, "new key id from its seed");
    assert(hex(await p.rekeyTag(key, context, newKeyId)) === r.rekey_tag, "rekey tag");
    assert(hex(await p.rekeyTag(key, context, p.toBase64(newKeyId))) === r.rekey_tag, "key id as base64");
    assert(hex(await p.referralTag(key, context, newKeyId)) === r.referral_tag_of_same_key, "another purpose");
    const header = v.thread_tag.header;
    assert(await p.checkRekeyTag(key, header, newKeyId, tag), "rekey tag checks");
    assert(!(await p.checkRekeyTag(key, v.thread_tag.altered_header, newKeyId, tag)), "altered header refused");
    assert(!(await p.checkRekeyTag(key, header, new Uint8Array(16), tag)), "another key refused");
    assert(!(await p.checkRekeyTag(p.newSeed(), header, newKeyId, tag)), "another thread key refused");
    assert(!(await p.checkRekeyTag(key, header, newKeyId, b(r.referral_tag_of_same_key))), "a referral tag refused");
    assert(!(await p.checkReferralTag(key, header, newKeyId, tag)), "not a referral tag");
    await refuses(p, p.rekeyTag(key, context, new Uint8Array(15)), p.EnvelopeFormatError);
  };
  checks["puzzle solution verifies and a fixed prefix finds the same nonce"] = async () => {
    const z = v.puzzle;
    const [challenge, subject] = [p.fromHex(z.challenge), p.fromHex(z.subject)];
    assert(await p.puzzleSolves(challenge, z.bits, z.purpose, subject, p.fromHex(z.nonce)), "solves");
    assert(!(await p.puzzleSolves(challenge, z.bits, "lookup", subject, p.fromHex(z.nonce))), "purpose bound");
    const found = await p.solvePuzzle(challenge, z.bits, z.purpose, subject, { prefix: new Uint8Array(8) });
    assert(hex(found) === z.nonce, "same nonce");
  };
  checks["slips: a claim code opens its token's thread key (§13)"] = async () => {
    for (const c of v.slips.slips) {
      assert(p.parseClaimCode(c.claim_code) === c.claim_code, "canonical claim code");
      assert(p.dammCheckDigit(c.claim_code.slice(0, -1)) === c.claim_code.slice(-1), "check digit");
      assert(p.groupClaimCode(c.claim_code) === c.grouped, "grouped");
      assert(p.groupClaimCode(c.claim_code, true) === c.grouped_persian, "grouped persian");
      // The real parameter set through the default argument, so the default is pinned too.
      const real = JSON.stringify(c.params) === JSON.stringify(p.TOKEN_PARAMS_V1);
      const claim = real ? await p.deriveClaim(c.claim_code) : await p.deriveClaim(c.claim_code, c.params);
      assert(hex(claim.claimId) === c.claim_id && hex(claim.claimKey) === c.claim_key, "claim secrets");
      const token = await p.deriveFromToken(c.token, c.params);
      const threadKey = await p.openSlip(claim, c.record);
      assert(hex(threadKey) === hex(token.threadKey), "the token's thread key");
      const [verifier, sealed] = [p.fromBase64(c.record.lookup_verifier), p.fromBase64(c.record.sealed_thread_key)];
      assert(hex(verifier) === hex(await p.lookupVerifier(token.lookupSecret)), "verifier");
      assert(hex(p.fromBase64(c.record.reporter_key)) === hex(token.reporterPublicKey), "reply key");
      const aad = p.fields("seda/v1/claim/thread-key", claim.claimId, verifier, await p.keyId(token.reporterPublicKey));
      assert(hex(await p.sealOnce(claim.claimKey, token.threadKey, aad)) === hex(sealed), "sealed as §13 writes it");
    }
  };
  checks["slips: a record tampered with is refused"] = async () => {
    const first = v.slips.slips[0];
    const claim = { claimId: b(first.claim_id), claimKey: b(first.claim_key) };
    assert(v.slips.refused_records.some((c) => c.fault === "reporter_key"), "a swapped reply key is among them");
    for (const c of v.slips.refused_records) await refuses(p, p.openSlip(claim, c.record), p.OpenError);
    const record = first.record;
    const flipped = { ...record, sealed_thread_key: flipBase64(p, record.sealed_thread_key, 100) };
    await refuses(p, p.openSlip(claim, flipped), p.OpenError);
    await refuses(p, p.openSlip(claim, { ...record, sealed_thread_key: "not base64!" }), p.OpenError);
    await refuses(p, p.openSlip({ ...claim, claimKey: p.newSeed() }, record), p.OpenError);
    await refuses(p, p.deriveClaim(first.grouped, first.params), p.TokenFormatError);
  };
  checks["slips: claim codes as typed"] = async () => {
    for (const c of v.slips.accepted) assert(p.parseClaimCode(c.typed) === c.digits, "accepted");
    const reasonOf = (parse, typed) => {
      try {
        parse(typed);
      } catch (error) {
        return error instanceof p.TokenFormatError ? error.reason : error?.name;
      }
      return null;
    };
    for (const c of v.slips.refused) {
      const reason = reasonOf(p.parseClaimCode, c.typed);
      assert(reason === c.reason, `refused for ${c.reason}, got ${reason}`);
    }
    assert(p.CLAIM_DIGITS === 16, "claim digits");
    assert(reasonOf(p.parseToken, v.slips.slips[0].claim_code) === "length", "a claim code is no token");
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
