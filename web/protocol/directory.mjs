// The signed key directory (crypto/directory.py): verify against a pinned Ed25519 root key,
// then decode as strictly as Python does. Every refusal is SignatureError.
import { equalBytes, fields, fromBase64, sha256 } from "./encoding.mjs";
import { SignatureError } from "./errors.mjs";
import { KEY_ID_BYTES, XWING_PUBLIC_BYTES, keyId } from "./primitives.mjs";

const CODE = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ENTRY_FIELDS = ["body", "body_type", "level", "province", "institution", "name_fa", "name_en", "key_id", "public_key"];

export async function rootKeyId(rootPublic) {
  return (await sha256("seda/v1/root-key-id", rootPublic)).slice(0, KEY_ID_BYTES);
}

// The exact document bytes, if the pinned root key signed them as `kind`.
export async function verifyDocument(signed, kind, pinnedRootPublic) {
  try {
    if (signed.kind !== kind || !equalBytes(fromBase64(signed.root_key_id), await rootKeyId(pinnedRootPublic))) {
      throw new SignatureError();
    }
    const document = fromBase64(signed.document);
    const key = await crypto.subtle.importKey("raw", pinnedRootPublic, { name: "Ed25519" }, false, ["verify"]);
    const message = fields("seda/v1/signed-document", kind, document);
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, fromBase64(signed.signature), message);
    if (!ok) throw new SignatureError();
    return document;
  } catch {
    throw new SignatureError();
  }
}

function check(condition) {
  if (!condition) throw new SignatureError();
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const keysAre = (value, allowed, required) =>
  isObject(value) &&
  Object.keys(value).every((k) => allowed.includes(k)) &&
  required.every((k) => k in value);
const optionalCode = (v) => v === null || (typeof v === "string" && CODE.test(v));
const text = (v) => typeof v === "string" && [...v].length <= 300;

async function checkEntry(entry) {
  check(keysAre(entry, ENTRY_FIELDS, ENTRY_FIELDS));
  check([entry.body, entry.body_type, entry.level].every((v) => typeof v === "string" && CODE.test(v)));
  check(optionalCode(entry.province) && optionalCode(entry.institution));
  check(text(entry.name_fa) && text(entry.name_en));
  const publicKey = fromBase64(entry.public_key);
  check(publicKey.length === XWING_PUBLIC_BYTES);
  check(equalBytes(fromBase64(entry.key_id), await keyId(publicKey)));
}

function instant(value) {
  check(typeof value === "string" && INSTANT.test(value));
  return Date.parse(value);
}

// `now` is a Date (time is passed in); `minSerial` the newest serial this client accepted.
export async function verifyDirectory(signed, pinnedRootPublic, { now, minSerial = 1 }) {
  const document = await verifyDocument(signed, "directory", pinnedRootPublic);
  try {
    const directory = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(document));
    check(keysAre(directory, ["serial", "issued_at", "expires_at", "bodies", "policy", "institutions"], ["serial", "issued_at", "expires_at", "bodies"]));
    check(Number.isSafeInteger(directory.serial) && directory.serial >= minSerial && directory.serial >= 1);
    const issued = instant(directory.issued_at);
    const expires = instant(directory.expires_at);
    check(expires > issued && issued <= now.getTime() && now.getTime() < expires);
    check(Array.isArray(directory.bodies) && directory.bodies.length <= 10000);
    for (const entry of directory.bodies) await checkEntry(entry);
    check(new Set(directory.bodies.map((e) => e.body)).size === directory.bodies.length);
    // Two bodies with one key would read each other's reports (as in crypto/directory.py).
    check(new Set(directory.bodies.map((e) => e.key_id)).size === directory.bodies.length);
    const institutions = directory.institutions ?? [];
    check(Array.isArray(institutions) && institutions.length <= 10000);
    const provinces = new Map();
    for (const inst of institutions) {
      check(keysAre(inst, ["code", "province"], ["code", "province"]) && CODE.test(inst.code) && CODE.test(inst.province));
      check(!provinces.has(inst.code));
      provinces.set(inst.code, inst.province);
    }
    for (const entry of directory.bodies) {
      if (entry.institution !== null && provinces.size > 0) check(provinces.get(entry.institution) === entry.province);
    }
    const policy = directory.policy ?? null;
    check(policy === null || (keysAre(policy, ["version", "sha256"], ["version", "sha256"]) &&
      typeof policy.version === "string" && [...policy.version].length <= 64 && fromBase64(policy.sha256).length === 32));
    return directory;
  } catch {
    throw new SignatureError();
  }
}
