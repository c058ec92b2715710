// dist/ is checked in (pages serve it directly): it must be exactly what tsc
// makes from src/ now.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

test("dist/ is what `npm run build` makes from src/", { timeout: 60_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), "status-poller-dist-"));
  try {
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.json"), "--outDir", out], { cwd: root, stdio: "pipe" });
    const built = readdirSync(out).sort();
    assert.deepEqual(readdirSync(join(root, "dist")).sort(), built, "dist/ has other files than a fresh build; run npm run build");
    assert.deepEqual(built, ["index.d.ts", "index.js"]);
    for (const name of built) {
      assert.equal(readFileSync(join(root, "dist", name), "utf8"), readFileSync(join(out, name), "utf8"), `dist/${name} is stale; run npm run build`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("dist/index.js is a self-contained ES module (no imports, no console)", () => {
  const js = readFileSync(join(root, "dist", "index.js"), "utf8");
  assert.doesNotMatch(js, /^\s*import\s/m);
  assert.doesNotMatch(js, /\brequire\(/);
  assert.doesNotMatch(js, /\bconsole\./);
  assert.match(js, /^export function pollStatus\(/m);
});
