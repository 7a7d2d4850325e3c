/**
 * A full Redis (maxmemory reached under noeviction) fails the affected tasks with a clear error,
 * never a hang: results that do not fit are not stored, and their Futures reject.
 */
import { expect, test } from "vitest"
import { ClusterMemoryError, wait } from "weft"
import { clusterFor } from "./fail-support.js"

test("tasks whose results do not fit in Redis fail with ClusterMemoryError; nothing hangs, and released results make room", async () => {
  const cluster = await clusterFor()
  // Room for a few of the 1 MB results below, not for twenty.
  const used = Number(/used_memory:(\d+)/.exec(await cluster.admin.info("memory"))![1])
  await cluster.admin.config("SET", "maxmemory", String(used + 4 * 1024 * 1024))
  const client = await cluster.connect()
  const blob = (x: number) => new Uint8Array(1024 * 1024).fill(x)
  const futures = client.map(
    blob,
    Array.from({ length: 20 }, (_, i) => i)
  )
  const { notDone } = await wait(futures)
  expect(notDone).toHaveLength(0)
  const failed = futures.filter((f) => f.status === "error")
  expect(failed.length).toBeGreaterThan(0)
  // How many fit depends on the batching: a worker stores a batch's finished results with one
  // script, and Redis refuses a script whose arguments alone exceed the room (its query buffer
  // counts). So the test does not pin which ones finish, only that every Future settled.
  expect(futures.every((f) => f.status === "finished" || f.status === "error")).toBe(true)
  const error = await failed[0]!.exception()
  // Rebuilt by the error codec from the worker's or client executor's encoding: the name and tag of
  // ClusterMemoryError (Effect.catchTag("ClusterMemory") works), not the class itself (see the report).
  expect(error!.name).toBe(new ClusterMemoryError("k", "d").name)
  expect((error as unknown as { _tag: string })._tag).toBe("ClusterMemory")
  expect(error!.message).toContain("the cluster's Redis is full")
  expect(error!.message).toContain("maxmemory")
  // Releasing makes room again: the same work then fits.
  for (const future of futures) future.release()
  const again = client.map((x: number) => x + 1, [1, 2, 3])
  expect(await client.gather(again)).toEqual([2, 3, 4])
}, 60_000)
