// The protocol's errors (crypto/errors.py). One opaque OpenError for every failure to open.
export class CryptoError extends Error {}

export class OpenError extends CryptoError {
  constructor() {
    super("could not open: wrong key, or the data was altered");
    this.name = "OpenError";
  }
}

export class TokenFormatError extends CryptoError {
  constructor(reason, message) {
    super(message);
    this.name = "TokenFormatError";
    this.reason = reason; // "character" | "length" | "check": for translated messages
  }
}

export class EnvelopeFormatError extends CryptoError {
  constructor(message) {
    super(message);
    this.name = "EnvelopeFormatError";
  }
}

export class SignatureError extends CryptoError {
  constructor() {
    super("signature does not verify against the pinned root key");
    this.name = "SignatureError";
  }
}

// Run fn; turn any failure into OpenError so callers learn nothing about which check failed.
export async function opaquely(fn) {
  try {
    return await fn();
  } catch {
    throw new OpenError();
  }
}
