/**
 * BullMQ's lock on a running batch (issue 14): a worker renews it while the batch runs, and a
 * worker killed outright loses it, so that its batch reruns elsewhere within seconds. Under load
 * (a machine at load 10-25, a long GC pause, a big value to serialize) a worker's event loop can
 * stall for seconds: its lock must then still be far from expiring, or another worker's stalled
 * check fails the batch ("could not renew lock"), and its tasks rerun (or fail with
 * KilledWorkerError) although nothing died. So the lock is renewed often (every half second) and
 * kept well ahead (more than 4 s; it was 2.6 s); core-kill.test.ts checks that a SIGKILLed worker's batch still
 * reruns within seconds. Real redis-server and `weft worker` processes.
 */
import { describe, expect, test } from "vitest"
import { useCluster } from "./helpers.js"

const cluster = useCluster({ workers: 1, threads: 1 })

describe("the lock of a running batch", () => {
  test("stays more than 4 s ahead the whole time the batch runs, and is never lost", async () => {
    const client = await cluster().connect()
    const admin = cluster().inspect()
    const future = client.submit(async (ms: number) => {
      await new Promise((resolve) => setTimeout(resolve, ms))
      return ms
    }, 4_000)
    const ttls: number[] = []
    while (future.status === "pending") {
      for (const key of await admin.keys("weft:weft:*:lock")) {
        const ttl = await admin.pttl(key)
        if (ttl > 0) ttls.push(ttl)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(await future.result()).toBe(4_000)
    expect(ttls.length).toBeGreaterThan(20)
    // The least time left on the lock while the batch ran: what a stalled worker can survive.
    expect(Math.min(...ttls)).toBeGreaterThan(4_000)
    expect(cluster().workers[0]!.output()).not.toContain("could not renew lock")
    await client.close()
  }, 60_000)
})
