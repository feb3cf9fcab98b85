// Strict shapes of the sealed JSON documents, mirroring the msgspec structs in crypto/:
// exact field sets, types and limits. Sealing validates before it seals (EnvelopeFormatError),
// opening validates what it opened (OpenError), so JS never seals what Python cannot open.
import { fromBase64 } from "./encoding.mjs";
import { EnvelopeFormatError } from "./errors.mjs";

export const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function fail(what) {
  throw new EnvelopeFormatError(`malformed ${what}`);
}

function exactKeys(value, required, optional, what) {
  if (!isObject(value)) fail(what);
  const allowed = new Set([...required, ...optional]);
  for (const key of Object.keys(value)) if (!allowed.has(key)) fail(what);
  for (const key of required) if (!(key in value)) fail(what);
}

function string(value, what, max = Infinity) {
  if (typeof value !== "string" || [...value].length > max) fail(what);
  return value;
}

function stringMap(value, what) {
  if (value === undefined) return {};
  if (!isObject(value)) fail(what);
  for (const [k, v] of Object.entries(value)) {
    string(k, what);
    string(v, what);
  }
  return { ...value };
}

function bytesB64(value, what, length) {
  let bytes;
  try {
    bytes = fromBase64(value);
  } catch {
    fail(what);
  }
  if (length !== undefined && bytes.length !== length) fail(what);
  return value;
}

function integer(value, what, min) {
  if (!Number.isSafeInteger(value) || value < min) fail(what);
  return value;
}

function attachmentRef(ref) {
  exactKeys(ref, ["attachment_id", "name", "media_type", "size", "chunks", "sha256"], [], "attachment");
  if (typeof ref.attachment_id !== "string" || !UUID4.test(ref.attachment_id)) fail("attachment");
  return {
    attachment_id: ref.attachment_id,
    name: string(ref.name, "attachment", 200),
    media_type: string(ref.media_type, "attachment", 100),
    size: integer(ref.size, "attachment", 0),
    chunks: integer(ref.chunks, "attachment", 1),
    sha256: bytesB64(ref.sha256, "attachment", 32),
  };
}

// ReportPayload: {text, fields, attachments, language, thread_key}.
export function reportPayload(value) {
  exactKeys(value, ["text"], ["fields", "attachments", "language", "thread_key"], "payload");
  const attachments = value.attachments ?? [];
  if (!Array.isArray(attachments) || attachments.length > 32) fail("payload");
  const threadKey = value.thread_key ?? null;
  return {
    text: string(value.text, "payload"),
    fields: stringMap(value.fields, "payload"),
    attachments: attachments.map(attachmentRef),
    language: string(value.language ?? "fa", "payload", 16),
    thread_key: threadKey === null ? null : bytesB64(threadKey, "payload", 32),
  };
}

// ReporterIdentity: {name, contact, fields}.
export function reporterIdentity(value) {
  exactKeys(value, ["name"], ["contact", "fields"], "identity");
  return {
    name: string(value.name, "identity"),
    contact: string(value.contact ?? "", "identity"),
    fields: stringMap(value.fields, "identity"),
  };
}

// MessageBody: {text, fields}.
export function messageBody(value) {
  exactKeys(value, ["text"], ["fields"], "message");
  return { text: string(value.text, "message"), fields: stringMap(value.fields, "message") };
}
