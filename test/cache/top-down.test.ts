/**
 * Top-down lookups (issue 17): a warm rerun of a graph looks up the results asked for first; a hit
 * settles them and their inputs are neither looked up nor run. Lookups are counted at the store
 * (`DiskStore.get`), tasks run from the run's record and from a side channel.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { afterAll, afterEach, describe, expect, test, vi } from "vitest"
import { Client, delayed, type ClientOptions, type Delayed } from "weft"
import { DiskStore } from "../../dist/cache/disk-store.js"
import { slowAdd, slowDouble } from "./slow-tasks.js"

const base = mkdtempSync(path.join(tmpdir(), "weft-cache-top-down-"))
afterAll(() => rmSync(base, { recursive: true, force: true }))
afterEach(() => void vi.restoreAllMocks())
let folders = 0
const freshDir = () => path.join(base, `c${++folders}`)
const lastRun = (dir: string) => JSON.parse(readFileSync(path.join(dir, "weft", "last-run.json"), "utf8"))

const slowInc = (x: number) => {
  const end = Date.now() + 12
  while (Date.now() < end);
  return x + 1
}

/** Four leaves, two pairs, one root (7 tasks); only the root is asked for. */
const tree = (inputs: number[]): Delayed<number> => {
  const leaves = inputs.map((x) => delayed(slowDouble)(x))
  return delayed(slowAdd)(delayed(slowAdd)(leaves[0], leaves[1]), delayed(slowAdd)(leaves[2], leaves[3]))
}

/** A chain of 6: inc(inc(...inc(1))). */
const chain = (): Delayed<number> => {
  let d: Delayed<number> = delayed(slowInc)(1)
  for (let i = 1; i < 6; i++) d = delayed(slowInc)(d)
  return d
}

const executors: Array<[string, ClientOptions]> = [
  ["in-process", { workers: 0 }],
  ["threads", { workers: 2 }]
]

describe.each(executors)(
  "top-down lookups on %s",
  (_name, options) => {
    /** Computes `graph` on a fresh client over `dir`; the value, the run's counts and the keys read from the store. */
    const run = async (dir: string, graph: Delayed<number>) => {
      const reads: string[] = []
      const get = DiskStore.prototype.get
      const spy = vi.spyOn(DiskStore.prototype, "get").mockImplementation(function (this: DiskStore, key: string) {
        reads.push(key)
        return get.call(this, key)
      })
      const client = await Client.local({ ...options, cache: { dir } })
      try {
        const [value] = await client.gather(client.compute([graph]))
        await client.close()
        return { value, counts: lastRun(dir), reads }
      } finally {
        await client.close()
        spy.mockRestore()
      }
    }

    test("a warm rerun of a tree looks up only the root and runs nothing", async () => {
      const dir = freshDir()
      const cold = await run(dir, tree([1, 2, 3, 4]))
      expect(cold.value).toBe(20)
      expect(cold.counts).toMatchObject({ hits: 0, misses: 7, written: 7 })
      // Nothing was in the store: no read at all (a function with no entries is a miss without one).
      expect(cold.reads).toHaveLength(0)

      const warm = await run(dir, tree([1, 2, 3, 4]))
      expect(warm.value).toBe(20)
      expect(warm.counts).toMatchObject({ hits: 1, misses: 0, lookups: 1 })
      expect(warm.reads).toHaveLength(1)
    })

    test("a warm rerun of a chain looks up only its end", async () => {
      const dir = freshDir()
      expect((await run(dir, chain())).value).toBe(7)
      const warm = await run(dir, chain())
      expect(warm.value).toBe(7)
      expect(warm.counts).toMatchObject({ hits: 1, misses: 0 })
      expect(warm.reads).toHaveLength(1)
    })

    test("after a miss the lookups descend only into what missed", async () => {
      const dir = freshDir()
      await run(dir, tree([1, 2, 3, 4]))
      // One leaf changed: the root misses, the left pair hits, the right pair misses; of its
      // leaves, the unchanged one hits and the changed one misses: 5 reads; 3 tasks run.
      const changed = await run(dir, tree([1, 2, 3, 5]))
      expect(changed.value).toBe(22)
      expect(changed.counts).toMatchObject({ hits: 2, misses: 3 })
      expect(changed.reads).toHaveLength(5)
    })

    test("an intermediate asked for later is looked up then", async () => {
      const dir = freshDir()
      const leaves = [1, 2, 3, 4].map((x) => delayed(slowDouble)(x))
      const pair = delayed(slowAdd)(leaves[0], leaves[1])
      const root = delayed(slowAdd)(pair, delayed(slowAdd)(leaves[2], leaves[3]))
      await run(dir, root)
      const client = await Client.local({ ...options, cache: { dir } })
      try {
        const [rootFuture] = client.compute([root])
        expect(await rootFuture.result()).toBe(20)
        // The same graph's inner key asked for now: its record may be held back by the cache; it still settles.
        const [pairFuture] = client.compute([pair])
        expect(await pairFuture.result()).toBe(6)
        await client.close()
        expect(lastRun(dir)).toMatchObject({ misses: 0 })
      } finally {
        await client.close()
      }
    })
  },
  60_000
)
