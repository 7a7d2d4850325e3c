/**
 * The result cache's rules (issue 17), one table run on both stores: the local cluster's disk
 * store (rules-local.test.ts) and the cluster on Redis (redis.test.ts, real redis-server and
 * `weft worker` processes). Each store's test file describes how to open a client on it, how to
 * start a user's program on it in another process, and how to read what it holds.
 *
 * - the key is honest: a miss after each change that matters, a hit after each that does not;
 * - impure tasks, errors and `cache: false` (what `@task nocache` compiles to) are never cached;
 * - the write rule: a trivial result is not written, one that ran 10 ms or more always is;
 * - two clients computing the same key at once compute it once (the lock by cache key);
 * - the size cap evicts the least recently used entries;
 * - `close()` resolves only after the pending writes: the next process finds them.
 */
import { execFile } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeEach, describe, expect, test } from "vitest"
import type { Client } from "weft"
import { countedDouble, neverCachedCalls, slowBlock, slowDouble } from "./slow-tasks.js"

/** A run's counts, as the store recorded them at close. */
export interface Counts {
  readonly hits: number
  readonly misses: number
  readonly written: number
  readonly notWorthWriting: number
}

/** One store the rules run on. */
export interface CacheTarget {
  /** A client with the cache on (`maxSize`: the cache's cap). */
  client(options?: { maxSize?: string }): Promise<Client>
  /** The JavaScript expression that opens a client with the cache on, in a program run as its own process. */
  readonly openInProgram: string
  /** The environment that program needs (where the cache is). */
  env(): Record<string, string>
  /** The last run's counts. */
  lastRun(): Promise<Counts>
  /** The task (`parts.task`) of every entry, and the bytes the store counts. */
  contents(): Promise<{ tasks: string[]; bytes: number }>
  /** Empties the store. */
  clear(): Promise<void>
  /**
   * A program's code changes between its runs: in place (a process per run sees the new files),
   * or, on a cluster whose worker processes keep the modules they imported, in a fresh copy of
   * the project per run (a moved checkout, which must not matter either).
   */
  readonly editsInPlace: boolean
  /**
   * Tasks run with the program's environment (local workers inherit it). A cluster's worker
   * processes have their own: a declared variable is keyed by the client's value, and a worker
   * whose value differs refuses the task (docs/cache.md, Limits).
   */
  readonly tasksSeeClientEnv: boolean
}

const exec = promisify(execFile)
const weft = pathToFileURL(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/runtime/index.js")
).href

const lock = (version: string) =>
  JSON.stringify({
    name: "proj",
    lockfileVersion: 3,
    packages: { "": { name: "proj" }, "node_modules/left-pad": { version } }
  })

/** A user's project: a `task()` that calls a helper module and declares an environment variable. */
const projectFiles = (open: string): Record<string, string> => ({
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
export const big = task(import.meta, function big(n) {
  const end = Date.now() + 12
  while (Date.now() < end);
  return "x".repeat(n)
})
`,
  "run.mjs": `import { Client } from ${JSON.stringify(weft)}
import { big, work } from "./tasks.mjs"
const client = await ${open}
const value = process.env.BIG === undefined
  ? await client.submit(work, Number(process.env.ARG ?? 1)).result()
  : (await client.submit(big, Number(process.env.BIG)).result()).length
await client.close()
console.log(JSON.stringify(value))
`
})

/** Registers the rules' tests for `target()` (called once its store is up). */
export function cacheRules(target: () => CacheTarget): void {
  const base = mkdtempSync(path.join(tmpdir(), "weft-cache-rules-"))
  afterAll(() => rmSync(base, { recursive: true, force: true }))
  let projects = 0
  beforeEach(() => target().clear())

  /** A new project folder; `run` runs its program, `edit` changes a file (see `editsInPlace`). */
  const project = () => {
    let dir = path.join(base, `p${++projects}`)
    mkdirSync(dir)
    for (const [file, text] of Object.entries(projectFiles(target().openInProgram)))
      writeFileSync(path.join(dir, file), text)
    const moveIfNeeded = () => {
      if (target().editsInPlace) return
      const next = path.join(base, `p${++projects}`)
      cpSync(dir, next, { recursive: true })
      dir = next
    }
    return {
      dir: () => dir,
      async run(env: Record<string, string> = {}): Promise<{ value: unknown; hit: boolean }> {
        const { stdout } = await exec(process.execPath, ["run.mjs"], {
          cwd: dir,
          env: { PATH: process.env.PATH, ...target().env(), ...env }
        })
        const last = await target().lastRun()
        expect(last.hits + last.misses).toBe(1)
        return { value: JSON.parse(stdout.trim().split("\n").pop()!), hit: last.hits === 1 }
      },
      edit(file: string, from: string, to: string) {
        moveIfNeeded()
        const full = path.join(dir, file)
        const text = readFileSync(full, "utf8")
        expect(text).toContain(from)
        writeFileSync(full, text.replace(from, to))
      },
      move() {
        const next = path.join(base, `p${++projects}`)
        cpSync(dir, next, { recursive: true })
        dir = next
      }
    }
  }

  /** Runs `body` on a client with the cache on and closes it (its writes are done then); the run's counts. */
  const session = async <T>(body: (client: Client) => Promise<T>, options?: { maxSize?: string }) => {
    const client = await target().client(options)
    try {
      const value = await body(client)
      await client.close()
      return { value, counts: await target().lastRun() }
    } finally {
      await client.close()
    }
  }

  describe("cache rules", () => {
    test("the key: a miss after each change that matters, a hit after each that does not", async () => {
      const a = project()
      expect(await a.run()).toEqual({ value: "2:", hit: false })
      expect(await a.run()).toEqual({ value: "2:", hit: true })

      // A comment in a module the task does not import: a hit.
      a.edit("other.mjs", "export const unrelated = 1", "// a comment\nexport const unrelated = 1")
      expect((await a.run()).hit).toBe(true)

      // The same project at another path (a second checkout): a hit.
      a.move()
      expect(await a.run()).toEqual({ value: "2:", hit: true })

      // A changed argument: a miss.
      expect(await a.run({ ARG: "5" })).toEqual({ value: "10:", hit: false })

      // A declared environment variable changes: a miss; back to the old value: a hit again.
      const url = "https://example.test"
      if (target().tasksSeeClientEnv) {
        expect(await a.run({ API_URL: url })).toEqual({ value: `2:${url}`, hit: false })
        expect((await a.run({ API_URL: url })).hit).toBe(true)
      } else {
        // The workers' API_URL (unset) differs from the client's: the task is refused, so no
        // result is cached under a key that does not describe it; the message names the
        // variable, never its value.
        const refusal = () =>
          a.run({ API_URL: url }).then(
            () => "ran",
            (error: Error) => error.message
          )
        const refused = await refusal()
        expect(refused).toMatch(/TaskDefinitionError.*declares API_URL as input of its cached result/)
        expect(refused).not.toContain(url)
        // Nothing was cached under that key: a second run is refused again rather than a hit.
        expect(await refusal()).toBe(refused)
      }
      expect((await a.run()).hit).toBe(true)

      // An edit of the helper it calls (another module): a miss with the new result.
      a.edit("helper.mjs", "x * 2", "x * 3")
      expect(await a.run()).toEqual({ value: "3:", hit: false })

      // An edit of the task itself: a miss.
      a.edit("tasks.mjs", 'helper(x) + ":"', 'helper(x) + "|"')
      expect(await a.run()).toEqual({ value: "3|", hit: false })
      expect((await a.run()).hit).toBe(true)

      // A dependency upgrade in the lockfile: a miss.
      a.edit("package-lock.json", '"version":"1.0.0"', '"version":"1.3.0"')
      expect((await a.run()).hit).toBe(false)
      expect((await a.run()).hit).toBe(true)
    }, 300_000)

    test("close() resolves only after the pending writes: the next process finds them", async () => {
      const a = project()
      // 3 MB: its write takes a while after the result is in.
      expect(await a.run({ BIG: "3000000" })).toEqual({ value: 3_000_000, hit: false })
      expect((await target().contents()).tasks).toEqual(["tasks.mjs#big"])
      expect(await a.run({ BIG: "3000000" })).toEqual({ value: 3_000_000, hit: true })
    }, 60_000)

    test("impure tasks, failed tasks and cache: false (@task nocache) are never cached", async () => {
      for (let run = 0; run < 2; run++) {
        const { value, counts } = await session(neverCachedCalls)
        expect(value).toEqual([2, 4])
        expect(counts).toMatchObject({ hits: 0, misses: 0, written: 0 })
        expect((await target().contents()).tasks).toEqual([])
      }
    }, 60_000)

    test("the write rule: trivial results are not written; a task that ran 10 ms or more always is", async () => {
      const trivial = (x: number) => x + 1
      const items = Array.from({ length: 200 }, (_, i) => i)
      const { value, counts } = await session(async (c) => {
        const quick = await c.gather(c.map(trivial, items))
        return [quick.length, await c.gather(c.map(slowDouble, [1, 2, 3]))]
      })
      expect(value).toEqual([200, [2, 4, 6]])
      const tasks = (await target().contents()).tasks
      expect(tasks.filter((task) => task === "inline#slowDouble")).toHaveLength(3)
      // A trivial run preempted for 10 ms or more (a loaded machine) is written by the same rule: a few at most.
      expect(tasks.filter((task) => task === "inline#trivial").length).toBeLessThanOrEqual(5)
      expect(counts.notWorthWriting).toBeGreaterThanOrEqual(195)
    }, 60_000)

    test("two clients computing the same key at once compute it once (a lock by cache key)", async () => {
      const file = path.join(base, `count-${++projects}`)
      writeFileSync(file, "")
      const [a, b] = await Promise.all([target().client(), target().client()])
      try {
        const values = await Promise.all([
          a.submit(countedDouble, file, 7).result(),
          b.submit(countedDouble, file, 7).result()
        ])
        expect(values).toEqual([14, 14])
        expect(readFileSync(file, "utf8")).toBe("ran\n")
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    }, 60_000)

    test("past the cap the least recently used entry is evicted; the recently used one stays", async () => {
      const cap = { maxSize: "250 KB" }
      const blocks = async (client: Client, ns: number[]) =>
        (await client.gather(ns.map((n) => client.submit(slowBlock, n, 100)))).map((b) => (b as Uint8Array)[0])
      expect((await session((c) => blocks(c, [1, 2]), cap)).counts).toMatchObject({ written: 2 })
      // Use 1 again (now the most recent), then write 3: past the cap, the least recently used (2) goes.
      expect(await session((c) => blocks(c, [1]), cap)).toMatchObject({ value: [1], counts: { hits: 1 } })
      expect((await session((c) => blocks(c, [3]), cap)).value).toEqual([3])
      expect((await target().contents()).bytes).toBeLessThanOrEqual(250_000)
      expect(await session((c) => blocks(c, [2]), cap)).toMatchObject({ value: [2], counts: { hits: 0, misses: 1 } })
      expect(await session((c) => blocks(c, [3]), cap)).toMatchObject({ value: [3], counts: { hits: 1, misses: 0 } })
    }, 90_000)
  })
}
