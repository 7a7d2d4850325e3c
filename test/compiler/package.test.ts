/**
 * The package as a user installs it: `npm pack` from a copy of the repository without `dist/`
 * (as a git clone is), the tarball installed into a fresh project (its dependencies from npm's
 * cache, or the registry the first time), then `import("weft")`, `weft/testing` with fast-check 4,
 * the `weft` bin, and the README's links.
 */
import { execFile, execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const npx = process.platform === "win32" ? "npx.cmd" : "npx"

/**
 * The environment of the npm commands: without `NODE_OPTIONS` (vitest's `--import tsx`) and
 * without the `npm_*` variables of an enclosing `npm test` (`npm_config_local_prefix` would point
 * `npm install` at this repository).
 */
const env = (): NodeJS.ProcessEnv => {
  const out: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (name === "NODE_OPTIONS" || name === "INIT_CWD") continue
    if (name.toLowerCase().startsWith("npm_") && !/^npm_config_(cache|registry|userconfig)$/i.test(name)) continue
    out[name] = value
  }
  return out
}

const run = (file: string, args: string[], cwd: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      file,
      args,
      { cwd, env: env(), timeout: 240_000, shell: process.platform === "win32" },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
  )

const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }
let scratch: string
let installed: string

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "weft-package-"))
  // A clone: the repository's files (committed or not, but not ignored ones such as dist/), with
  // this repository's node_modules for the build that `prepare` runs.
  const clone = join(scratch, "clone")
  mkdirSync(clone)
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: repoRoot })
  execFileSync("tar", ["--null", "-T", "-", "-cf", join(scratch, "clone.tar")], { cwd: repoRoot, input: files })
  execFileSync("tar", ["-xf", join(scratch, "clone.tar")], { cwd: clone })
  symlinkSync(join(repoRoot, "node_modules"), join(clone, "node_modules"), "junction")
  expect(existsSync(join(clone, "dist"))).toBe(false)

  const packed = await run(npm, ["pack", "--pack-destination", scratch, "--silent"], clone)
  expect(packed.code, `npm pack failed:\n${packed.stdout}${packed.stderr}`).toBe(0)
  const tarball = join(scratch, packed.stdout.trim().split("\n").at(-1)!)

  installed = join(scratch, "project")
  mkdirSync(installed)
  writeFileSync(join(installed, "package.json"), JSON.stringify({ name: "weft-user", private: true, type: "module" }))
  const install = await run(
    npm,
    ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball, "fast-check@4"],
    installed
  )
  expect(install.code, `npm install failed:\n${install.stdout}${install.stderr}`).toBe(0)
}, 480_000)

// Removing the installed project (a whole node_modules) can outlast the default hook timeout on a loaded machine.
afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
}, 120_000)

describe("the packed package, installed", () => {
  it('import("weft") runs a task, and weft/testing checks one with fast-check 4', async () => {
    writeFileSync(
      join(installed, "main.mjs"),
      [
        `import { Client } from "weft"`,
        `import { checkTask } from "weft/testing"`,
        `import fc from "fast-check"`,
        `const client = await Client.local({ workers: 1 })`,
        `console.log(await client.submit((x) => x + 1, 1).result())`,
        `await client.close()`,
        `await checkTask((x) => x * 2, fc.tuple(fc.integer()), { numRuns: 5 })`,
        `console.log("checked with fast-check", (await import("fast-check/package.json", { with: { type: "json" } })).default.version.split(".")[0])`,
        ``
      ].join("\n")
    )
    const r = await run(process.execPath, ["main.mjs"], installed)
    expect(r.stderr).toBe("")
    expect(r.stdout).toBe("2\nchecked with fast-check 4\n")
    expect(r.code).toBe(0)
  }, 120_000)

  it("npx weft --version prints the version; npx weft with a misspelt command says what it meant", async () => {
    expect(await run(npx, ["weft", "--version"], installed)).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" })
    const wrong = await run(npx, ["weft", "biuld"], installed)
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain("did you mean 'build'?")
  }, 120_000)

  it("the README's compiled graph runs end to end: weft build, tsc, plain node", async () => {
    // The README's own code: the block after "A compiled graph, end to end", split into its two files.
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8")
    const section = readme.slice(readme.indexOf("### A compiled graph, end to end"))
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1]
    const main = code.indexOf("// src/main.ts")
    expect(main).toBeGreaterThan(0)
    const dir = join(scratch, "graph-project")
    mkdirSync(join(dir, "src"), { recursive: true })
    symlinkSync(join(installed, "node_modules"), join(dir, "node_modules"), "junction")
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }))
    writeFileSync(join(dir, "src", "flow.ts"), code.slice(0, main))
    writeFileSync(join(dir, "src", "main.ts"), code.slice(main))
    const compilerOptions = {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      skipLibCheck: true,
      outDir: "dist",
      rootDir: "src",
      types: ["node"],
      typeRoots: [join(repoRoot, "node_modules/@types")]
    }
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["src"] }))

    expect(await run(npx, ["weft", "build"], dir)).toEqual({
      code: 0,
      stdout: `wrote ${join("src", "flow.weft.ts")}\n`,
      stderr: ""
    })
    const tsc = await run(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", dir], dir)
    expect(tsc.stdout + tsc.stderr).toBe("")
    expect(await run(process.execPath, [join("dist", "main.js")], dir)).toEqual({ code: 0, stdout: "12\n", stderr: "" })
  }, 180_000)

  it("npx weft run: builds and runs a graph with a run-time fan-out under plain node (no tsx in the project)", async () => {
    const dir = join(scratch, "run-project")
    mkdirSync(join(dir, "src"), { recursive: true })
    mkdirSync(join(dir, "data"))
    symlinkSync(join(installed, "node_modules"), join(dir, "node_modules"), "junction")
    expect(existsSync(join(installed, "node_modules", "tsx"))).toBe(false)
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }))
    const compilerOptions = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true }
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["src"] }))
    writeFileSync(join(dir, "data", "a.txt"), "one")
    writeFileSync(join(dir, "data", "b.txt"), "three")
    writeFileSync(
      join(dir, "src", "pipeline.ts"),
      [
        `import { readdirSync, readFileSync } from "node:fs"`,
        `/** @task */`,
        `export function listFiles(dir: string): string[] {`,
        `  return readdirSync(dir).sort().map((f) => \`\${dir}/\${f}\`)`,
        `}`,
        `/** @task */`,
        `export async function size(path: string): Promise<number> {`,
        `  return readFileSync(path, "utf8").length`,
        `}`,
        `/** @task */`,
        `export function total(sizes: number[]): number {`,
        `  return sizes.reduce((a, b) => a + b, 0)`,
        `}`,
        `/** @graph */`,
        `export function report(dir: string) {`,
        `  return total(listFiles(dir).map((f) => size(f)))`,
        `}`,
        ``
      ].join("\n")
    )
    const r = await run(npx, ["weft", "run", "src/pipeline.ts#report", "--args", '["data"]', "--workers", "1"], dir)
    expect(r).toEqual({ code: 0, stdout: "8\n", stderr: "" })
  }, 180_000)

  it("ships docs/, and every relative link of its README resolves inside the package", () => {
    const root = join(installed, "node_modules", "weft")
    const readme = readFileSync(join(root, "README.md"), "utf8")
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1])
      .filter((l) => !/^[a-z]+:/i.test(l) && !l.startsWith("#"))
    expect(links.length).toBeGreaterThan(5)
    for (const link of links) expect(existsSync(join(root, link.split("#")[0])), `README links ${link}`).toBe(true)
    expect(readme).not.toMatch(/shared\/spec/)
    expect(existsSync(join(root, "docs", "architecture.md"))).toBe(true)
  })
})
