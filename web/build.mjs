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
// The kiosk's screen (kiosk_client/screen) serves the same font from its own static files.
const kioskStatic = here("../kiosk_client/screen/static/");
const fonts = here("./node_modules/vazirmatn/");
for (const target of [staticDir, kioskStatic]) {
  await mkdir(`${target}fonts/`, { recursive: true });
  for (const name of ["Vazirmatn-Regular.woff2", "Vazirmatn-Bold.woff2"]) {
    await copyFile(`${fonts}fonts/webfonts/${name}`, `${target}fonts/${name}`);
  }
  await copyFile(`${fonts}OFL.txt`, `${target}fonts/OFL.txt`);
}
console.log(`built ${staticDir}js/, ${staticDir}fonts/ and ${kioskStatic}fonts/`);
