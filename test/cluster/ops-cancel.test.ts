/**
 * Cancels and timeouts on the cluster (issue 14): a cancel reaches the worker running the task,
 * which stops it (its thread is replaced, as on the local cluster) and takes new work; a timeout
 * is counted from when the task starts on a worker, not from when it was queued, and fails the
 * task with the same `TimeoutError` as locally. Real redis-server and `weft worker` processes.
 */
import { Queue } from "bullmq"
import { describe, expect, test } from "vitest"
import { CancelledError, TimeoutError } from "weft"
import { useCluster } from "./helpers.js"

const cluster = useCluster({ workers: 2, threads: 1 })

const eventually = async (check: () => Promise<boolean>, ms = 20_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A synchronous CPU loop of `ms`: only replacing its thread stops it. */
const spin = (ms: number): number => {
  const end = Date.now() + ms
  let n = 0
  while (Date.now() < end) n++
  return n
}

describe("cancel and timeouts on the cluster", () => {
  test("cancelling 60-s CPU loops stops them on their workers, which take new work", async () => {
    const client = await cluster().connect()
    const queue = new Queue("weft", { connection: cluster().inspect(), prefix: "weft" })
    const long = client.map(spin, [60_000, 60_001], { pure: false })
    await eventually(async () => (await queue.getActiveCount()) === 2)
    for (const f of long) await f.cancel()
    await expect(long[1].result()).rejects.toBeInstanceOf(CancelledError)
    // Both threads were busy for a minute: only stopped loops free them for these.
    expect(await client.gather(client.map((x: number) => x * 2, [1, 2, 3, 4]))).toEqual([2, 4, 6, 8])
    await eventually(async () => (await queue.getActiveCount()) === 0)
    await queue.close()
    await client.close()
  })

  test("a task past its timeout fails with TimeoutError, its worker's thread replaced, as locally", async () => {
    const client = await cluster().connect()
    const f = client.with({ timeout: "1s" }).submit(spin, 60_000)
    const error = await f.exception()
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error?.message).toBe(`Task ${f.key} ran longer than its timeout of 1 s; its worker was replaced.`)
    expect(await client.gather(client.map((x: number) => x + 1, [1, 2]))).toEqual([2, 3])
    await client.close()
  })

  test("a timeout's clock starts when the task starts on a worker, not while it waits in the queue", async () => {
    const client = await cluster().connect()
    const queue = new Queue("weft", { connection: cluster().inspect(), prefix: "weft" })
    // Both workers' one thread busy for 6 s: the timed task waits in the queue meanwhile.
    const busy = client.map(spin, [6_000, 6_001], { pure: false })
    await eventually(async () => (await queue.getActiveCount()) === 2)
    const timed = client.with({ timeout: "4s" }).submit(spin, 300)
    expect(await timed.result()).toBeGreaterThan(0)
    await client.gather(busy)
    await queue.close()
    await client.close()
  })
})
