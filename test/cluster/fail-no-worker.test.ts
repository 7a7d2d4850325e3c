/**
 * No worker connected: work waits (it is not failed, nothing hangs forever once a worker comes),
 * and the client says how many workers it sees.
 */
import { expect, test } from "vitest"
import { clusterFor } from "./fail-support.js"
import { startWorkerProcess } from "./helpers.js"

test("with no worker, tasks stay pending and workerCount() is 0; a worker that connects runs them", async () => {
  const cluster = await clusterFor({ workers: 0 })
  const client = await cluster.connect()
  expect(await client.workerCount()).toBe(0)
  const futures = client.map((x: number) => x * 2, [1, 2, 3])
  await new Promise((resolve) => setTimeout(resolve, 2000))
  expect(futures.map((f) => f.status)).toEqual(["pending", "pending", "pending"])
  expect(await cluster.admin.llen("weft:weft:wait")).toBeGreaterThan(0)
  const worker = await startWorkerProcess(cluster.redis.url, "late", ["--threads", "1"])
  cluster.workers.push(worker)
  expect(await client.workerCount()).toBe(1)
  expect(await client.gather(futures)).toEqual([2, 4, 6])
}, 60_000)
