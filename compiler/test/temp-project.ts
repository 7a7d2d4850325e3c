/**
 * Writes a small TypeScript project for the compiler tests: `package.json` (ESM), a strict
 * NodeNext `tsconfig.json` over `src/`, and the given sources. How `weft` resolves inside it is
 * up to the caller (a link to `dist/` or to the sources), so only that part differs per test file.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** The root of this repository. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

/** Writes the project files into `dir` (which must exist); `extraOptions` add to the compiler options. */
export function writeProject(
  dir: string,
  sources: Record<string, string>,
  extraOptions: Record<string, unknown> = {}
): void {
  const compilerOptions = {
    target: "ES2022",
    lib: ["ES2023"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    typeRoots: [join(repoRoot, "node_modules/@types")],
    types: ["node"],
    ...extraOptions
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }))
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["src"] }, null, 2))
  for (const [name, text] of Object.entries(sources)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
}
