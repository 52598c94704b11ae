// Bundles src/widget.ts into one minified file the server embeds
// (crates/server/assets/widget.js, committed). `--check` rebuilds in memory
// and fails when the committed file differs from what the sources give.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, "../../crates/server/assets/widget.js");
const check = process.argv.includes("--check");

const result = await build({
  entryPoints: [resolve(here, "../src/widget.ts")],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2019",
  legalComments: "none",
  charset: "utf8",
  write: false,
  logLevel: "warning",
});
const banner = "/* Switchboard chat widget. Built from widget/src by `npm run build` in widget/; do not edit. */\n";
const code = banner + result.outputFiles[0].text;

if (check) {
  const committed = readFileSync(out, "utf8");
  if (committed !== code) {
    console.error(
      "crates/server/assets/widget.js is not what widget/src builds to: run `npm run build` in widget/ and commit the result",
    );
    process.exit(1);
  }
  console.log("crates/server/assets/widget.js matches widget/src");
} else {
  writeFileSync(out, code);
  console.log(`wrote ${out} (${code.length} bytes)`);
}
