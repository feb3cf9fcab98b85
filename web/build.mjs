// Build the browser bundles from the pinned npm packages (run by scripts/bootstrap).
// Output goes to server/static/js/, which is generated, not committed.
import { build } from "esbuild";
import { mkdir } from "node:fs/promises";

const outdir = new URL("../server/static/js/", import.meta.url).pathname;
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: { "seda-protocol": new URL("./protocol/index.mjs", import.meta.url).pathname },
  outdir,
  bundle: true,
  format: "esm",
  minify: true,
  sourcemap: false,
  target: ["chrome110", "firefox115", "safari16"],
  legalComments: "eof",
  logLevel: "warning",
});
console.log(`built ${outdir}seda-protocol.js`);
