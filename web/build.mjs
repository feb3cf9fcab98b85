// Build the browser bundles from the pinned npm packages (run by scripts/bootstrap, after it
// writes web/generated/routing-tables.json from routing/). Output goes to server/static/js/
// and server/static/fonts/, which are generated, not committed.
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";

const here = (path) => new URL(path, import.meta.url).pathname;
const staticDir = here("../server/static/");
const common = {
  outdir: `${staticDir}js/`,
  bundle: true,
  minify: true,
  sourcemap: false,
  target: ["chrome110", "firefox115", "safari16"],
  legalComments: "eof",
  logLevel: "warning",
};

await mkdir(`${staticDir}js/`, { recursive: true });
// The protocol alone (its browser tests load it), the reporters' pages' scripts, the console's.
await build({
  ...common,
  format: "esm",
  entryPoints: {
    "seda-protocol": here("./protocol/index.mjs"),
    "seda-report": here("./app/report-page.mjs"),
    "seda-status": here("./app/status-page.mjs"),
    "seda-console": here("./console/console-page.mjs"),
    "seda-enrol": here("./console/enrol-page.mjs"),
  },
});
// The worker is a classic script, which every browser with workers can start.
await build({ ...common, format: "iife", entryPoints: { "seda-worker": here("./app/worker.mjs") } });

// The Persian font (SIL Open Font License), served by Sedā itself: no third-party resource.
await mkdir(`${staticDir}fonts/`, { recursive: true });
const fonts = here("./node_modules/vazirmatn/");
for (const name of ["Vazirmatn-Regular.woff2", "Vazirmatn-Bold.woff2"]) {
  await copyFile(`${fonts}fonts/webfonts/${name}`, `${staticDir}fonts/${name}`);
}
await copyFile(`${fonts}OFL.txt`, `${staticDir}fonts/OFL.txt`);
console.log(`built ${staticDir}js/ and ${staticDir}fonts/`);
