/**
 * `weft run FILE#NAME` (issue 16 part 4): the built bin run by plain `node` (no tsx: NODE_OPTIONS
 * is dropped) in a project that has weft in its node_modules and no tsx. Usage errors are checked
 * in-process through the built `main`, which returns before starting anything.
 */
import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { main } from "../../dist/cli/weft.js"
import { startCluster } from "../cluster/helpers.js"

const repoRoot = fileURLToPath(new URL("../../", import.meta.url))
const bin = join(repoRoot, "dist/cli/weft.js")
let dir: string

const source = `import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

/** @task */
export function listFiles(dir: string): string[] {
  return readdirSync(dir).sort().map((f) => join(dir, f))
}

/** @task */
export async function parse(path: string): Promise<number> {
  return readFileSync(path, "utf8").trim().length
}

/** @task */
export function summarize(rows: number[]): { files: number; total: number } {
  return { files: rows.length, total: rows.reduce((a, b) => a + b, 0) }
}

/** @task */
export function missing(dir: string): string[] {
  throw new RangeError(\`no folder \${dir}\`)
}

/** @graph */
export async function report(dir: string) {
  const files = listFiles(dir)
  const rows = await Promise.all(files.map((f) => parse(f)))
  return summarize(rows)
}

/** @graph */
export function broken(dir: string) {
  const files = missing(dir)
  return summarize(files.map((f) => parse(f)))
}
`

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "weft-run-"))
  mkdirSync(join(dir, "src"))
  mkdirSync(join(dir, "data"))
  mkdirSync(join(dir, "node_modules"))
  symlinkSync(repoRoot, join(dir, "node_modules", "weft"), "dir")
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "run-user", private: true, type: "module" }))
  const compilerOptions = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true }
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit: true }, include: ["src"] })
  )
  writeFileSync(join(dir, "src", "pipeline.ts"), source)
  for (const [name, text] of [
    ["a.txt", "one"],
    ["b.txt", "three"],
    ["c.txt", "one"]
  ])
    writeFileSync(join(dir, "data", name), text)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The bin under plain node, without vitest's `--import tsx`. */
const weft = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const env = { ...process.env }
    delete env.NODE_OPTIONS
    execFile(process.execPath, [bin, ...args], { cwd: dir, env, timeout: 240_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
  })

/** `main` in-process, for usage errors (exit code and stderr). */
async function usage(args: string[]) {
  const err: string[] = []
  const out: string[] = []
  const code = await main(["run", ...args], {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    cwd: dir
  })
  return { code, stderr: err.join(""), stdout: out.join("") }
}

describe("weft run", () => {
  it("builds, runs a graph with a run-time fan-out on worker threads, prints the result as JSON on the last line", async () => {
    const r = await weft(["run", "src/pipeline.ts#report", "--args", '["data"]', "--workers", "2"])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout.trimEnd().split("\n").at(-1)!)).toEqual({ files: 3, total: 11 })
    expect(readFileSync(join(dir, "src", "pipeline.weft.ts"), "utf8")).toContain('"kind": "fanout"')
  }, 240_000)

  it("--out writes the JSON to the file; --progress draws one bar per task name on stderr", async () => {
    const r = await weft([
      "run",
      "src/pipeline.ts#report",
      "--args",
      '["data"]',
      "--out",
      "out.json",
      "--progress",
      "--workers",
      "1"
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe("wrote out.json\n")
    expect(JSON.parse(readFileSync(join(dir, "out.json"), "utf8"))).toEqual({ files: 3, total: 11 })
    expect(r.stderr).toMatch(/^done parse +\[#+\] 100% 3\/3/m)
    expect(r.stderr).toMatch(/^done summarize +\[#+\] 100% 1\/1/m)
  }, 240_000)

  it("a failed task: exit code 1, its error and a traceback into the source file on stderr, nothing on stdout", async () => {
    const r = await weft(["run", "src/pipeline.ts#broken", "--args", '["nowhere"]', "--workers", "1"])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr).toContain("weft run: src/pipeline.ts#broken failed:")
    expect(r.stderr).toContain("RangeError: no folder nowhere")
    expect(r.stderr).toMatch(/at missing \(src\/pipeline\.ts:21:\d+\)/)
  }, 240_000)

  it("--cluster: runs the graph on the workers of a Redis cluster", async () => {
    const cluster = await startCluster({ workers: 1, threads: 2 })
    try {
      const r = await weft([
        "run",
        "src/pipeline.ts#report",
        "--args",
        JSON.stringify([join(dir, "data")]),
        "--cluster",
        cluster.redis.url
      ])
      expect(r.stderr).toBe("")
      expect(r.code).toBe(0)
      expect(JSON.parse(r.stdout.trimEnd().split("\n").at(-1)!)).toEqual({ files: 3, total: 11 })
    } finally {
      await cluster.stop()
    }
  }, 240_000)

  it("a wrong command line: exit code 2 and a message naming the flag", async () => {
    const notJson = await usage(["src/pipeline.ts#report", "--args", "data"])
    expect(notJson.code).toBe(2)
    expect(notJson.stderr).toMatch(
      /^weft run: --args must be a JSON array of the graph's arguments, e\.g\. --args '\["data"\]'; "data" is not JSON/
    )
    expect((await usage(["src/pipeline.ts#report", "--args", '{"dir":"data"}'])).stderr).toMatch(
      /--args must be a JSON array/
    )
    expect((await usage(["src/pipeline.ts#report", "--worker", "2"])).stderr).toMatch(
      /unknown option '--worker'; did you mean '--workers'\?/
    )
    expect((await usage(["src/pipeline.ts#report", "--workers", "two"])).stderr).toMatch(
      /--workers must be a whole number >= 0 \(0 runs the tasks in this thread\), got 'two'/
    )
    expect((await usage(["src/pipeline.ts#report", "--workers", "2", "--cluster", "redis://x"])).stderr).toMatch(
      /--workers and --cluster exclude each other/
    )
    expect((await usage(["src/pipeline.ts#report", "--args"])).stderr).toMatch(/--args needs a value/)
    expect((await usage([])).stderr).toMatch(/expected one FILE#NAME/)
    expect((await usage(["src/pipeline.ts"])).stderr).toMatch(
      /expected FILE#NAME \(e\.g\. src\/pipeline\.ts#report\), got 'src\/pipeline\.ts'/
    )
    const arity = await usage(["src/pipeline.ts#report", "--args", '["data", 2]'])
    expect(arity).toMatchObject({ code: 2, stdout: "" })
    expect(arity.stderr).toContain(
      `the graph report takes 1 argument (dir), but --args gives 2: pass --args '["<dir>"]'`
    )
    const unknown = await usage(["src/pipeline.ts#nope"])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain(
      "no @graph 'nope' in src/pipeline.ts; the graphs are: src/pipeline.ts#report, src/pipeline.ts#broken"
    )
  }, 240_000)
})
