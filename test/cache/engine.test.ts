/**
 * The result cache in the engine, on each local executor: a warm rerun runs nothing, a changed
 * input reruns its branch only, impure tasks, errors and `cache: false` are never cached, and
 * `close()` resolves after the writes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, test } from "vitest"
import { Client, progress, type ClientOptions } from "weft"
import { DiskStore } from "../../dist/cache/disk-store.js"
import { neverCachedCalls, slowAdd, slowDouble } from "./slow-tasks.js"

const base = mkdtempSync(path.join(tmpdir(), "weft-cache-engine-"))
afterAll(() => rmSync(base, { recursive: true, force: true }))
let folders = 0
const freshDir = () => path.join(base, `c${++folders}`)

const lastRun = (dir: string) => JSON.parse(readFileSync(path.join(dir, "weft", "last-run.json"), "utf8"))

const executors: Array<[string, ClientOptions]> = [
  ["in-process", { workers: 0 }],
  ["threads", { workers: 2 }],
  ["processes", { workers: 1, isolation: "process" }]
]

describe.each(executors)(
  "result cache on %s",
  (_name, options) => {
    /** Runs `body` with a client on the cache folder `dir`, closes it, returns the last run's counts. */
    const session = async <T>(dir: string, body: (client: Client) => Promise<T>) => {
      const client = await Client.local({ ...options, cache: { dir } })
      try {
        const value = await body(client)
        await client.close()
        return { value, counts: lastRun(dir) }
      } finally {
        await client.close()
      }
    }

    /** Four leaves, two pairs, one root: 7 tasks. */
    const pipeline = (client: Client, inputs: number[]) => {
      const leaves = client.map(slowDouble, inputs)
      const left = client.submit(slowAdd, leaves[0], leaves[1])
      const right = client.submit(slowAdd, leaves[2], leaves[3])
      return client.submit(slowAdd, left, right).result()
    }

    test("a warm rerun runs nothing; a changed input reruns only its branch", async () => {
      const dir = freshDir()
      const cold = await session(dir, (c) => pipeline(c, [1, 2, 3, 4]))
      expect(cold.value).toBe(20)
      expect(cold.counts).toMatchObject({ hits: 0, misses: 7, written: 7 })
      // close() resolved after the writes: every result is on disk now.
      expect((await new DiskStore(dir, 1e9).stats()).entries).toBe(7)

      const warm = await session(dir, (c) => pipeline(c, [1, 2, 3, 4]))
      expect(warm.value).toBe(20)
      expect(warm.counts).toMatchObject({ hits: 7, misses: 0 })

      // One leaf changed: it, its pair and the root run (a Future argument's key is part of its dependent's).
      const changed = await session(dir, (c) => pipeline(c, [1, 2, 3, 5]))
      expect(changed.value).toBe(22)
      expect(changed.counts).toMatchObject({ misses: 3 })
    })

    test("impure tasks, failed tasks and cache: false are never cached", async () => {
      const dir = freshDir()
      const first = await session(dir, neverCachedCalls)
      expect(first.value).toEqual([2, 4])
      expect(first.counts).toMatchObject({ hits: 0, misses: 0, written: 0 })
      expect((await new DiskStore(dir, 1e9).stats()).entries).toBe(0)
    })

    test("a result cached by one executor serves the others (same key, same value)", async () => {
      const dir = freshDir()
      const a = await session(dir, async (c) => c.submit(slowDouble, { deep: [1, 2] } as never).result())
      expect(a.counts.written).toBe(1)
      const b = await session(dir, async (c) => c.submit(slowDouble, { deep: [1, 2] } as never).result())
      expect(b.counts.hits).toBe(1)
      expect(b.value).toEqual(a.value)
    })

    test("progress shows cache hits", async () => {
      const dir = freshDir()
      await session(dir, async (c) => c.gather(c.map(slowDouble, [1, 2, 3])))
      let text = ""
      const stream = Object.assign(
        {
          write(chunk: string) {
            text += chunk
            return true
          }
        },
        { isTTY: false }
      ) as unknown as NodeJS.WritableStream
      await session(dir, async (c) => {
        const futures = c.map(slowDouble, [1, 2, 3, 4])
        await progress(futures, { stream, interval: 10_000 })
      })
      expect(text).toMatch(/slowDouble .* 4\/4 {2}3 cached/)
    })
  },
  60_000
)
