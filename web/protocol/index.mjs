// The Sedā protocol v1 in JavaScript: the same safe API as the Python `crypto` package.
// Specified in docs/PROTOCOL.md; tested against tests/vectors/protocol-v1.json.
export * from "./encoding.mjs";
export * from "./errors.mjs";
export { hkdf, keyId, openOnce, sealOnce, xwingPublicBytes } from "./primitives.mjs";
export * from "./token.mjs";
export * from "./derive.mjs";
export * from "./slips.mjs";
export * from "./envelope.mjs";
export * from "./messages.mjs";
export * from "./attachments.mjs";
export * from "./keys.mjs";
export * from "./directory.mjs";
export * from "./puzzle.mjs";
