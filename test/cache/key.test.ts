/**
 * The cache key is honest: a user's project in a temporary folder, run as a separate process (as a
 * build step reruns a pipeline) with one shared cache folder. Each run reports the last run's
 * hits and misses, which the cache records at close.
 */
import { execFileSync } from "node:child_process"
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { afterAll, describe, expect, test } from "vitest"

const weft = pathToFileURL(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/runtime/index.js")
).href
const base = mkdtempSync(path.join(tmpdir(), "weft-cache-key-"))
const cacheDir = path.join(base, "cache")
afterAll(() => rmSync(base, { recursive: true, force: true }))

const lock = (version: string) =>
  JSON.stringify({
    name: "proj",
    lockfileVersion: 3,
    packages: { "": { name: "proj" }, "node_modules/left-pad": { version } }
  })

const files: Record<string, string> = {
  "package.json": JSON.stringify({ name: "proj", version: "1.0.0", type: "module" }),
  "package-lock.json": lock("1.0.0"),
  "helper.mjs": "export const helper = (x) => x * 2\n",
  "other.mjs": "export const unrelated = 1\n",
  "tasks.mjs": `import { task } from ${JSON.stringify(weft)}
import { helper } from "./helper.mjs"
export const work = task(
  import.meta,
  function work(x) {
    const end = Date.now() + 12 // long enough to be always written
    while (Date.now() < end);
    return helper(x) + ":" + (process.env.API_URL ?? "")
  },
  { cacheInputs: { env: ["API_URL"] } }
)
`,
  "run.mjs": `import { Client } from ${JSON.stringify(weft)}
import { work } from "./tasks.mjs"
const client = await Client.local({ workers: 0, cache: { dir: process.env.CACHE_DIR } })
const value = await client.submit(work, Number(process.env.ARG ?? 1)).result()
await client.close()
console.log(JSON.stringify(value))
`
}

const makeProject = (name: string): string => {
  const dir = path.join(base, name)
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text, { flag: "w" })
  return dir
}

/** Runs the project once; its value and whether the cache hit. */
const run = (dir: string, env: Record<string, string> = {}): { value: string; hit: boolean } => {
  const out = execFileSync(process.execPath, ["run.mjs"], {
    cwd: dir,
    env: { PATH: process.env.PATH, CACHE_DIR: cacheDir, ...env },
    encoding: "utf8"
  })
  const last = JSON.parse(readFileSync(path.join(cacheDir, "weft", "last-run.json"), "utf8"))
  expect(last.hits + last.misses).toBe(1)
  return { value: JSON.parse(out.trim().split("\n").pop()!), hit: last.hits === 1 }
}

const edit = (dir: string, file: string, from: string, to: string) => {
  const full = path.join(dir, file)
  const text = readFileSync(full, "utf8")
  expect(text).toContain(from)
  writeFileSync(full, text.replace(from, to))
}

describe("cache key", () => {
  test("misses after each change that matters, hits after each that does not", () => {
    execFileSync("mkdir", ["-p", path.join(base, "a")])
    const a = makeProject("a")
    expect(run(a)).toEqual({ value: "2:", hit: false })
    expect(run(a)).toEqual({ value: "2:", hit: true })

    // A comment in a module the task does not import: a hit.
    edit(a, "other.mjs", "export const unrelated = 1", "// a comment\nexport const unrelated = 1")
    expect(run(a).hit).toBe(true)

    // The same project at another path (a second checkout): a hit.
    const moved = path.join(base, "moved")
    cpSync(a, moved, { recursive: true })
    expect(run(moved)).toEqual({ value: "2:", hit: true })

    // A changed argument: a miss.
    expect(run(a, { ARG: "5" })).toEqual({ value: "10:", hit: false })

    // A declared environment variable changes: a miss; back to the old value: a hit again.
    expect(run(a, { API_URL: "https://example.test" })).toEqual({ value: "2:https://example.test", hit: false })
    expect(run(a).hit).toBe(true)

    // An edit of the helper it calls (another module): a miss with the new result.
    edit(a, "helper.mjs", "x * 2", "x * 3")
    expect(run(a)).toEqual({ value: "3:", hit: false })

    // An edit of the task itself: a miss.
    edit(a, "tasks.mjs", 'helper(x) + ":"', 'helper(x) + "|"')
    expect(run(a)).toEqual({ value: "3|", hit: false })
    expect(run(a).hit).toBe(true)

    // A dependency upgrade in the lockfile: a miss.
    writeFileSync(path.join(a, "package-lock.json"), lock("1.3.0"))
    expect(run(a).hit).toBe(false)
    expect(run(a).hit).toBe(true)
  }, 60_000)
})
