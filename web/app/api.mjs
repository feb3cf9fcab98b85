// Talking to the Sedā server from a page: same origin only, no cookies, no cache, nothing
// secret in a URL. Every refusal becomes an ApiError carrying the server's problem code.
export class ApiError extends Error {
  constructor(code, status, detail = "") {
    super(`the server refused the request: ${code} (${status})`);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.detail = detail;
  }
}

// The server could not be reached, or stayed busy through every retry.
export class UnavailableError extends ApiError {
  constructor(code = "unreachable", status = 0) {
    super(code, status);
    this.name = "UnavailableError";
  }
}

// Retried with the same body, as kiosk_client does: every 5xx (a proxy's too) and 429.
const transient = (status) => status >= 500 || status === 429;
const sleepFor = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const REQUEST_TIMEOUT_MS = 60_000;

async function problemOf(response) {
  try {
    const problem = await response.json();
    return { code: String(problem.code ?? "unknown"), detail: String(problem.detail ?? "") };
  } catch {
    return { code: "unknown", detail: "" };
  }
}

function retryDelay(response, attempt) {
  const header = Number(response?.headers.get("retry-after"));
  const base = Number.isFinite(header) && header > 0 ? header * 1000 : 400 * 2 ** attempt;
  return Math.min(base, 15_000) * (0.5 + Math.random() / 2);
}

// `language` goes in Accept-Language, so refusals come back in the page's language.
export function createApi({
  language,
  fetchImpl = globalThis.fetch.bind(globalThis),
  retries = 4,
  sleep = sleepFor,
  timeoutMs = REQUEST_TIMEOUT_MS,
  // The console signs in with a cookie and proves each change with its anti-forgery token;
  // the reporters' pages send no credentials at all.
  credentials = "omit",
  headers: extra = () => ({}),
}) {
  // One request; network failures, time-outs, 5xx and 429 are retried with the same body,
  // which is safe because every write is idempotent by an id the client made (docs/API.md).
  // An answer that came but cannot be read is the caller's to judge (Response.json throws).
  async function call(method, path, { json, bytes } = {}) {
    let response = null;
    for (let attempt = 0; attempt <= retries; attempt += 1) {
      const headers = { accept: "application/json", "accept-language": language, ...extra() };
      if (json !== undefined) headers["content-type"] = "application/json";
      if (bytes !== undefined) headers["content-type"] = "application/octet-stream";
      try {
        response = await fetchImpl(path, {
          method,
          headers,
          body: json !== undefined ? JSON.stringify(json) : bytes,
          cache: "no-store",
          credentials,
          redirect: "error",
          referrerPolicy: "no-referrer",
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch {
        response = null;
      }
      if (response !== null && !transient(response.status)) {
        if (response.ok) return response;
        const { code, detail } = await problemOf(response);
        throw new ApiError(code, response.status, detail);
      }
      if (attempt < retries) await sleep(retryDelay(response, attempt));
    }
    if (response === null) throw new UnavailableError();
    throw new UnavailableError((await problemOf(response)).code, response.status);
  }

  return {
    call,
    getJson: async (path) => (await call("GET", path)).json(),
    postJson: async (path, body) => (await call("POST", path, { json: body })).json(),
    // A POST whose answer may be empty (204): its JSON, or null.
    send: async (path, body = {}) => {
      const response = await call("POST", path, { json: body });
      return response.status === 204 ? null : response.json();
    },
    put: (path, bytes) => call("PUT", path, { bytes }),
    delete: (path) => call("DELETE", path),
    getBytes: async (path) => new Uint8Array(await (await call("GET", path)).arrayBuffer()),
  };
}
