// The page's side of the worker (web/app/worker.mjs): one request at a time per call, with
// progress callbacks.
export class WorkerError extends Error {
  constructor(name) {
    super(`the worker failed: ${name}`);
    this.name = "WorkerError";
  }
}

export const WORKER_URL = "/static/js/seda-worker.js";

// The pages enforce Trusted Types (server/http.py PAGE_CSP): a script URL must come from the
// "seda" policy, which vouches for the worker's address and nothing else.
let policy = null;

function workerScriptUrl() {
  policy ??= globalThis.trustedTypes?.createPolicy("seda", {
    createScriptURL(url) {
      if (url !== WORKER_URL) throw new TypeError("only the worker's own script may be loaded");
      return url;
    },
  });
  return policy ? policy.createScriptURL(WORKER_URL) : WORKER_URL;
}

export function createWorker() {
  const worker = new Worker(workerScriptUrl());
  const pending = new Map();
  let next = 0;
  worker.onmessage = ({ data }) => {
    const job = pending.get(data.id);
    if (!job) return;
    if ("progress" in data) {
      job.onProgress?.(data.progress);
      return;
    }
    pending.delete(data.id);
    if ("error" in data) job.reject(new WorkerError(data.error));
    else job.resolve(data.result);
  };
  worker.onerror = () => {
    for (const job of pending.values()) job.reject(new WorkerError("crashed"));
    pending.clear();
  };

  function run(message, onProgress) {
    const id = (next += 1);
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, onProgress });
      worker.postMessage({ id, ...message });
    });
  }

  return {
    derive: (token, params) => run({ op: "derive", token, params }),
    claim: (digits, params) => run({ op: "claim", digits, params }),
    passphrase: (passphrase, salt) => run({ op: "passphrase", passphrase, salt }),
    solve: (challenge, bits, purpose, subject, onProgress) =>
      run({ op: "solve", challenge, bits, purpose, subject }, onProgress),
    terminate: () => worker.terminate(),
  };
}
