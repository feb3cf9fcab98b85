// Tracking tokens (crypto/token.py): 19 random digits and a Damm check digit; the reading and
// grouping they share with box slips' claim codes (slips.mjs).
import { TokenFormatError } from "./errors.mjs";

export const RANDOM_DIGITS = 19;
export const TOKEN_DIGITS = 20;
const GROUP = 4;
// Spaces, dashes and the invisible marks text copied from a Persian messenger carries
// (zero-width space and non-joiner, direction marks and isolates, the Arabic letter mark).
const SEPARATORS = new Set(
  " -_.\u00a0\u200b\u200c\u200e\u200f\u2010\u2011\u2012\u2013\u2014\u2212\u061c\u2066\u2067\u2068\u2069",
);
const PERSIAN = "۰۱۲۳۴۵۶۷۸۹";
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

function digitValue(char) {
  const code = char.codePointAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x6f0 && code <= 0x6f9) return code - 0x6f0; // Persian
  if (code >= 0x660 && code <= 0x669) return code - 0x660; // Arabic-Indic
  return -1;
}

export function dammCheckDigit(digits) {
  let interim = 0;
  for (const char of digits) interim = DAMM[interim][char.charCodeAt(0) - 0x30];
  return String(interim);
}

export function tokenFromNumber(number) {
  const body = BigInt(number).toString().padStart(RANDOM_DIGITS, "0");
  if (body.length !== RANDOM_DIGITS) throw new RangeError("token number out of range");
  return body + dammCheckDigit(body);
}

// A uniform integer below 10^19 from the CSPRNG (rejection sampling over 64 bits).
export function newToken() {
  const bound = 10n ** 19n;
  const limit = (2n ** 64n / bound) * bound;
  const view = new DataView(new ArrayBuffer(8));
  for (;;) {
    crypto.getRandomValues(new Uint8Array(view.buffer));
    const value = view.getBigUint64(0);
    if (value < limit) return tokenFromNumber(value % bound);
  }
}

// Groups of four separated by dashes, read left to right, in Latin or Persian digits.
export function groupDigits(digits, persian = false) {
  const groups = [];
  for (let i = 0; i < digits.length; i += GROUP) groups.push(digits.slice(i, i + GROUP));
  const text = groups.join("-");
  return persian ? text.replace(/[0-9]/g, (d) => PERSIAN[Number(d)]) : text;
}

export function groupToken(digits, persian = false) {
  return groupDigits(digits, persian);
}

// The canonical Latin digits of a checked number as a person typed it (a tracking token, a box
// slip's claim code; crypto/token.py's read_digits). The error's `reason` says what to fix,
// never what was typed. `checkNoun` only because parseToken's message has always said "this token".
export function readDigits(text, count, noun, checkNoun = noun) {
  const digits = [];
  const input = String(text);
  for (const char of input.slice(0, 200)) {
    const value = digitValue(char);
    if (value >= 0) digits.push(String(value));
    else if (!SEPARATORS.has(char)) {
      throw new TokenFormatError("character", `a ${noun} has only digits (and optional spaces or dashes)`);
    }
  }
  if (input.length > 200 || digits.length !== count) {
    throw new TokenFormatError("length", `a ${noun} has exactly ${count} digits`);
  }
  const canonical = digits.join("");
  if (dammCheckDigit(canonical) !== "0") {
    throw new TokenFormatError("check", `this ${checkNoun} has a typing mistake: check each digit and try again`);
  }
  return canonical;
}

// Read a token as typed (readDigits: a TokenFormatError says what to fix).
export function parseToken(text) {
  return readDigits(text, TOKEN_DIGITS, "tracking token", "token");
}
