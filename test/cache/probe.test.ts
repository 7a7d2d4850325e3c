/**
 * A function not timed yet and with nothing in the cache (a client's first `map` of it): its first
 * task runs first (the probe), and the others wait for its run time. A trivial function's other
 * tasks then get no key and no lock (the cold overhead of `cache: true`); a slow function's are
 * each keyed, locked and written as before. Locks are counted at the store (`DiskStore.tryLock`).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, test, vi } from "vitest"
import { Client, type ClientOptions } from "weft"
import { DiskStore } from "../../dist/cache/disk-store.js"
import { slowDouble } from "./slow-tasks.js"

const base = mkdtempSync(path.join(tmpdir(), "weft-cache-probe-"))
afterAll(() => rmSync(base, { recursive: true, force: true }))
let folders = 0
const lastRun = (dir: string) => JSON.parse(readFileSync(path.join(dir, "weft", "last-run.json"), "utf8"))

const executors: Array<[string, ClientOptions]> = [
  ["in-process", { workers: 0 }],
  ["threads", { workers: 2 }]
]

describe.each(executors)(
  "a function's first tasks on %s",
  (_name, options) => {
    /** Maps `fn` over `items` on a fresh client and cache; the values, the run's counts and the locks taken. */
    const firstMap = async <T>(fn: (x: number) => T, items: number[]) => {
      const dir = path.join(base, `c${++folders}`)
      let locks = 0
      const tryLock = DiskStore.prototype.tryLock
      const spy = vi.spyOn(DiskStore.prototype, "tryLock").mockImplementation(function (this: DiskStore, key: string) {
        locks++
        return tryLock.call(this, key)
      })
      const client = await Client.local({ ...options, cache: { dir } })
      try {
        const values = await client.gather(client.map(fn, items))
        await client.close()
        return { values, counts: lastRun(dir), locks }
      } finally {
        await client.close()
        spy.mockRestore()
      }
    }

    test("a trivial function: only its first task is keyed and locked", async () => {
      const trivialInc = (x: number) => x + 1
      const items = Array.from({ length: 2000 }, (_, i) => i)
      const { values, counts, locks } = await firstMap(trivialInc, items)
      expect(values).toEqual(items.map((x) => x + 1))
      expect(counts).toMatchObject({ misses: 2000, hits: 0 })
      // The probe; a preempted probe (10 ms or more on a loaded machine) makes it look slow: a few more then.
      expect(locks).toBeLessThanOrEqual(5)
    })

    test("a slow function: every task is still keyed, locked and written", async () => {
      const { values, counts, locks } = await firstMap(slowDouble, [1, 2, 3, 4, 5, 6])
      expect(values).toEqual([2, 4, 6, 8, 10, 12])
      expect(counts).toMatchObject({ misses: 6, written: 6 })
      expect(locks).toBe(6)
    })
  },
  60_000
)
