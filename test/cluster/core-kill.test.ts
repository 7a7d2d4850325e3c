/**
 * A worker killed outright (SIGKILL) mid-batch: BullMQ's stalled-job check (a 4 s lock, checked
 * every 2 s) fails its job within seconds, the client counts a death for each task that had not
 * finished and reruns them on the other worker; no Future hangs.
 */
import { expect, test } from "vitest"
import { KilledWorkerError } from "weft"
import { startCluster } from "./helpers.js"

test("the tasks of a worker SIGKILLed mid-batch rerun on the other worker", async () => {
  const cluster = await startCluster({ workers: 2, threads: 1 })
  try {
    const client = await cluster.connect()
    const slow = (i: number) =>
      new Promise<number>((resolve) => setTimeout(() => resolve(process.pid * 1000 + i), 1_500))
    const futures = client.map(slow, [1, 2, 3, 4, 5, 6], { pure: false })
    // Wait until a task has finished (so both workers run), then kill the first worker.
    await Promise.race(futures.map((f) => f.result()))
    const victim = cluster.workers[0]
    const killedAt = Date.now()
    victim.child.kill("SIGKILL")
    const values = await client.gather(futures)
    console.log(`all tasks back ${Date.now() - killedAt} ms after the SIGKILL`)
    const pids = new Set(values.map((v) => Math.floor(v / 1000)))
    expect(values.map((v) => v % 1000)).toEqual([1, 2, 3, 4, 5, 6])
    expect(pids.has(victim.child.pid!)).toBe(pids.size === 2) // some may have finished on it before
    await client.close()
  } finally {
    await cluster.stop()
  }
}, 120_000)

test("a task that kills every worker that runs it fails with KilledWorkerError after allowedFailures deaths", async () => {
  const cluster = await startCluster({ workers: 2, threads: 1 })
  try {
    const client = await cluster.connect({ allowedFailures: 0 })
    // process.exit in a worker thread ends that thread (a death), as a crash would.
    const crash = client.submit(() => process.exit(3))
    const error = await crash.result().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KilledWorkerError)
    expect(await client.submit((x: number) => x + 1, 1).result()).toBe(2)
    await client.close()
  } finally {
    await cluster.stop()
  }
}, 120_000)
