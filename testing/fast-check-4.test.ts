/**
 * weft/testing with fast-check 4, the major a user's `npm install fast-check` brings, while weft's
 * own types and runtime resolve fast-check 3 (this repository's devDependency): the worst case,
 * two copies of fast-check in one program. fast-check 4 is installed once into
 * `node_modules/.cache/weft-tests/fast-check-4` (from npm's cache when it has it). Like the other
 * tests of the harness, it runs the built package (`weft/testing` is `dist/`: run `npm run build` first).
 */
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { checkTask, CheckFailed } from "weft/testing"

const repo = fileURLToPath(new URL("../", import.meta.url))
const prefix = join(repo, "node_modules", ".cache", "weft-tests", "fast-check-4")
const fc4Root = join(prefix, "node_modules", "fast-check")

const run = (file: string, args: string[], cwd: string) =>
  new Promise<{ code: number; output: string }>((resolve) => {
    const env = { ...process.env }
    delete env.NODE_OPTIONS
    execFile(file, args, { cwd, env, timeout: 180_000, shell: process.platform === "win32" }, (error, stdout, stderr) =>
      resolve({
        code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
        output: `${stdout}${stderr}`
      })
    )
  })

let scratch: string

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "weft-fc4-"))
  if (!existsSync(join(fc4Root, "package.json"))) {
    mkdirSync(prefix, { recursive: true })
    const npm = process.platform === "win32" ? "npm.cmd" : "npm"
    const installed = await run(
      npm,
      ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "--prefer-offline", "fast-check@4"],
      prefix
    )
    expect(installed.code, `npm install fast-check@4 failed:\n${installed.output}`).toBe(0)
  }
}, 180_000)
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const fc4Version = (): { version: string; engines: { node: string } } =>
  JSON.parse(readFileSync(join(fc4Root, "package.json"), "utf8"))

describe("fast-check 4", () => {
  it("is a major 4 whose engines admit Node 20 (weft's floor)", () => {
    const { version, engines } = fc4Version()
    expect(version).toMatch(/^4\./)
    const floor = /^>=\s*(\d+)(?:\.(\d+))?/.exec(engines.node)
    expect(floor, `engines.node: ${engines.node}`).not.toBeNull()
    expect(Number(floor![1])).toBeLessThanOrEqual(20)
  })

  it("checkTask and checkGraph type-check with fast-check 4 arbitraries (and still refuse wrong argument types)", async () => {
    const dts = (p: string) => join(repo, "dist", p)
    expect(existsSync(dts("testing/index.d.ts")), "dist/ is missing: run npm run build").toBe(true)
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ type: "module" }))
    writeFileSync(
      join(scratch, "fixture.ts"),
      [
        `import fc from "fast-check-4"`,
        `import { delayed } from "weft"`,
        `import { checkGraph, checkTask } from "weft/testing"`,
        ``,
        `const inc = (x: number): number => x + 1`,
        `await checkTask(inc, fc.tuple(fc.integer()))`,
        `await checkTask(inc, fc.tuple(fc.integer()), { numRuns: 5 })`,
        `// @ts-expect-error strings are not inc's arguments`,
        `await checkTask(inc, fc.tuple(fc.string()))`,
        `const graph = (xs: number[]) => delayed((ys: number[]) => ys.length)(xs)`,
        `await checkGraph(graph, fc.tuple(fc.array(fc.integer())))`,
        ``
      ].join("\n")
    )
    const compilerOptions = {
      target: "ES2022",
      lib: ["ESNext"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ["node"],
      typeRoots: [join(repo, "node_modules/@types")],
      // fast-check 4 under its own name; weft's declarations keep resolving fast-check 3.
      paths: {
        "fast-check-4": [join(fc4Root, "lib/fast-check.d.ts")],
        weft: [dts("runtime/index.d.ts")],
        "weft/testing": [dts("testing/index.d.ts")]
      }
    }
    writeFileSync(join(scratch, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["fixture.ts"] }))
    const tsc = await run(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", scratch], scratch)
    expect(tsc.output).toBe("")
    expect(tsc.code).toBe(0)
  }, 120_000)

  it("checkTask runs a fast-check 4 arbitrary: passes a pure task, and fails an impure one with CheckFailed", async () => {
    const fc = (await import(pathToFileURL(join(fc4Root, "lib/fast-check.js")).href)) as typeof import("fast-check")
    await checkTask((x: number) => x + 1, fc.tuple(fc.integer()), { numRuns: 10 })
    const failure = await checkTask((x: number) => x + Math.random(), fc.tuple(fc.integer()), { numRuns: 10 }).then(
      () => undefined,
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(CheckFailed)
    expect((failure as CheckFailed).message).toContain("determinism")
  }, 120_000)
})
