/**
 * Redis restarts under a running map. Clients and workers reconnect and carry on. With AOF
 * (`appendfsync always`) nothing finished is lost: no task that had finished runs again. Without
 * persistence every key is gone: finished pure results are recomputed from their lineage when
 * `gather` needs them, queued batches that vanished are sent again, and nothing hangs.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect, onTestFinished, test } from "vitest"
import { wait, type Future } from "weft"
import { clusterFor, eventually } from "./fail-support.js"

/**
 * x * 10 after `ms` ms; appends `x` to the file `log` each time it runs, so a test sees what ran
 * twice. (Inline: a registered task's source hash differs between vitest's transform here and
 * tsx's in the workers; `process.getBuiltinModule` because vitest rewrites `import()`.)
 */
const logged = async (x: number, ms: number, log: string) => {
  await new Promise((resolve) => setTimeout(resolve, ms))
  const fs = process.getBuiltinModule("node:fs") as typeof import("node:fs")
  fs.appendFileSync(log, `${x}\n`)
  return x * 10
}

function runLog(): { file: string; runs: () => number[] } {
  const dir = mkdtempSync(join(tmpdir(), "weft-restart-"))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, "runs.log")
  return {
    file,
    runs: () => {
      try {
        return readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map(Number)
      } catch {
        return []
      }
    }
  }
}

const finished = (futures: Future<number>[]) => futures.filter((f) => f.status === "finished")

for (const aof of [true, false])
  test(`Redis restarted (SIGKILL) mid-map ${aof ? "with AOF: nothing finished runs again" : "without persistence: the vanished results are computed again from their lineage"}`, async () => {
    const cluster = await clusterFor({ redis: aof ? { appendonly: true, appendfsync: "always" } : {} })
    const client = await cluster.connect()
    const log = runLog()
    const items = Array.from({ length: 24 }, (_, i) => i)
    const futures = client.starmap(
      logged,
      items.map((x) => [x, 300, log.file] as [number, number, string])
    )
    // About a third done, the rest queued or running.
    await eventually(() => finished(futures).length >= 8 || futures.some((f) => f.status === "error"), 30_000)
    const failed = futures.find((f) => f.status === "error")
    expect(failed === undefined ? undefined : String(await failed.exception())).toBeUndefined()
    expect(finished(futures).length).toBeGreaterThanOrEqual(8)
    const before = new Set(finished(futures).map((f) => items[futures.indexOf(f)]))
    await cluster.redis.restart({ signal: "SIGKILL" })
    const restartedAt = Date.now()
    if (aof) {
      const values = await client.gather(futures)
      expect(values).toEqual(items.map((x) => x * 10))
      // What had finished before the restart ran exactly once.
      const runs = log.runs()
      for (const x of before) expect(runs.filter((r) => r === x)).toHaveLength(1)
    } else {
      // Every key is gone: the finished pure results are computed again from their lineage when
      // gather needs them, and the batches that vanished are sent again.
      const values = await client.gather(futures)
      expect(values).toEqual(items.map((x) => x * 10))
      console.log(`restart without AOF: gather right ${Date.now() - restartedAt} ms after the restart`)
      // What had finished before the restart ran again (its result had vanished).
      const runs = log.runs()
      for (const x of before) expect(runs.filter((r) => r === x).length).toBeGreaterThanOrEqual(2)
    }
    // The workers are still there after the restart, and take new work.
    expect(await client.workerCount()).toBe(2)
    const after = await wait(client.map((x: number) => x + 1, [100, 200]))
    expect(after.notDone).toHaveLength(0)
  }, 120_000)
