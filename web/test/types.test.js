// The published dist/index.d.ts serves a strict TypeScript consumer:
// test/types/consumer.ts must compile, its @ts-expect-error lines included.
import { test } from "node:test";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

test("dist/index.d.ts type-checks a strict consumer (and rejects misuse)", { timeout: 60_000 }, () => {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", join(root, "test", "types", "tsconfig.json")], { cwd: root, stdio: "pipe" });
  } catch (error) {
    throw new Error(`tsc failed:\n${error.stdout}${error.stderr}`);
  }
});
