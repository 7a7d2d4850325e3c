/**
 * FLUSHALL under a running graph: every result, queued batch and lease is gone at once. Vanished
 * results of pure tasks are computed again from their lineage when they are needed, so the graph's
 * answer is right; a value that cannot be computed again (scattered data, an impure task's result,
 * or a result that needs such a value) becomes "lost": its Futures read "lost", `result()` rejects
 * with LostResultError naming the key and why, and the tasks waiting on it err with the same.
 */
import { expect, test } from "vitest"
import { LostResultError, wait } from "weft"
import { allKeys } from "./helpers.js"
import { clusterFor, eventually } from "./fail-support.js"

const slow = async (x: number) => {
  await new Promise((resolve) => setTimeout(resolve, 200))
  return x + 1
}
const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
const inc = (x: number) => x + 1

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as Error
  )

test("FLUSHALL mid-graph of pure tasks: the vanished results are computed again and the answer is right", async () => {
  const cluster = await clusterFor()
  const client = await cluster.connect()
  const leaves = client.map(
    slow,
    Array.from({ length: 20 }, (_, i) => i)
  )
  const sum = client.submit(total, leaves)
  await eventually(() => leaves.filter((f) => f.status === "finished").length >= 6, 30_000)
  const flushedAt = Date.now()
  await cluster.admin.flushall()
  expect(await sum.result()).toBe(Array.from({ length: 20 }, (_, i) => i + 1).reduce((a, b) => a + b, 0))
  // The leaves that had finished before the flush are computed again when gather needs them.
  expect(await client.gather(leaves)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
  console.log(`FLUSHALL mid-graph: sum and gather right ${Date.now() - flushedAt} ms after the flush`)
  expect(leaves.every((f) => f.status === "finished")).toBe(true)
  const { notDone } = await wait(client.map((x: number) => x, [1, 2]))
  expect(notDone).toHaveLength(0)
}, 90_000)

test("FLUSHALL: scattered data is lost, and so are the results that need it and an impure result; waiting tasks err the same", async () => {
  const cluster = await clusterFor()
  const client = await cluster.connect()
  const data = client.scatter([1, 2, 3])
  const sum = client.submit(total, data)
  const impure = client.with({ pure: false }).submit((x: number) => x * 7, 6)
  await wait([sum, impure])
  expect([sum.status, impure.status]).toEqual(["finished", "finished"])
  // The scattered value lives in Redis, where the workers read it (not in every job).
  expect((await allKeys(cluster.admin, "weft:r:*")).some((key) => key.endsWith(`:${data.key}`))).toBe(true)
  await cluster.admin.flushall()

  // A task submitted on `sum` after the flush: a worker misses `sum`, which cannot be computed
  // again (it needs the scattered value, gone too): the task errs with sum's LostResultError.
  const after = client.submit(inc, sum)
  const afterError = await rejection(after.result())
  expect(afterError).toBeInstanceOf(LostResultError)
  expect((afterError as LostResultError).key).toBe(sum.key)
  expect(afterError!.message).toContain(data.key)
  expect(after.status).toBe("error")
  expect([sum.status, data.status]).toEqual(["lost", "lost"])

  const sumError = await rejection(sum.result())
  expect(sumError).toBeInstanceOf(LostResultError)
  expect(sumError!.message).toMatch(
    new RegExp(
      `^The value of ${sum.key} is lost: its result is no longer in Redis, and it cannot be computed again: it needs ${data.key}, which was scattered`
    )
  )
  const dataError = await rejection(data.result())
  expect(dataError).toBeInstanceOf(LostResultError)
  expect((dataError as LostResultError).key).toBe(data.key)
  expect(dataError!.message).toContain("scattered")

  const impureError = await rejection(impure.result())
  expect(impureError).toBeInstanceOf(LostResultError)
  expect(impureError!.message).toContain(impure.key)
  expect(impureError!.message).toContain("impure")
  expect(impure.status).toBe("lost")
  // gather raises the same; the client goes on working.
  expect(await rejection(client.gather([impure]))).toBeInstanceOf(LostResultError)
  const { notDone } = await wait(client.map((x: number) => x, [1, 2]))
  expect(notDone).toHaveLength(0)
}, 90_000)

test("FLUSHALL after a chain finished whose inputs were released: result() computes the whole lineage again", async () => {
  const cluster = await clusterFor()
  const client = await cluster.connect()
  const a = client.submit(inc, 1)
  const b = client.submit(inc, a)
  const c = client.submit(inc, b)
  expect(await c.result()).toBe(4)
  a.release()
  b.release()
  // Only c is held now: a and b are forgotten on the client and deleted from Redis.
  expect(client.heldKeys()).toEqual([c.key])
  await cluster.admin.flushall()
  expect(c.status).toBe("finished")
  expect(await c.result()).toBe(4)
  expect(c.status).toBe("finished")
  expect(client.heldKeys()).toEqual([c.key])
}, 90_000)

test('FLUSHALL, then gather(..., { errors: "skip" }): a result found lost during that very fetch is skipped like any failed Future', async () => {
  const cluster = await clusterFor()
  const client = await cluster.connect()
  const pure = client.submit(inc, 1)
  const impure = client.with({ pure: false }).submit((x: number) => x * 7, 6)
  const data = client.scatter([4, 5])
  const failed = client.submit((x: number) => {
    throw new Error(`no ${x}`)
  }, 3)
  await wait([pure, impure, data, failed])
  expect([pure.status, impure.status, data.status, failed.status]).toEqual([
    "finished",
    "finished",
    "finished",
    "error"
  ])
  await cluster.admin.flushall()
  // Still "finished" on the client: the loss of the impure result and the scattered value is only
  // discovered by this gather's fetch. The pure one is computed again; the lost ones are skipped.
  expect(await client.gather([pure, impure, data, failed], { errors: "skip" })).toEqual([2])
  expect([impure.status, data.status]).toEqual(["lost", "lost"])
  // "raise" still rejects with the LostResultError.
  expect(await rejection(client.gather([pure, impure]))).toBeInstanceOf(LostResultError)
}, 90_000)
