// The signed key directory (crypto/directory.py): verify against a pinned Ed25519 root key.
import { equalBytes, fields, fromBase64, sha256 } from "./encoding.mjs";
import { SignatureError } from "./errors.mjs";
import { KEY_ID_BYTES, keyId } from "./primitives.mjs";

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

export async function verifyDirectory(signed, pinnedRootPublic, minSerial = 1) {
  const document = await verifyDocument(signed, "directory", pinnedRootPublic);
  let directory;
  try {
    directory = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(document));
  } catch {
    throw new SignatureError();
  }
  if (!Number.isInteger(directory.serial) || directory.serial < minSerial || !Array.isArray(directory.bodies)) {
    throw new SignatureError();
  }
  for (const entry of directory.bodies) {
    if (!equalBytes(fromBase64(entry.key_id), await keyId(fromBase64(entry.public_key)))) throw new SignatureError();
  }
  return directory;
}
