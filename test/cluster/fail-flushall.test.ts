/**
 * FLUSHALL under a running graph: every result, queued batch and lease is gone at once. Pure
 * results that vanished are recomputed from their lineage when needed; an impure result that
 * vanished is `lost` and its `result()` rejects with LostResultError naming the key. Nothing hangs.
 */
import { expect, test } from "vitest"
import { LostResultError, wait } from "weft"
import { clusterFor, eventually } from "./fail-support.js"

const slow = async (x: number) => {
  await new Promise((resolve) => setTimeout(resolve, 200))
  return x + 1
}
const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

test("FLUSHALL mid-graph: pure results are recomputed, an impure one is lost with LostResultError", async () => {
  const cluster = await clusterFor()
  const client = await cluster.connect()
  const impure = client.with({ pure: false }).submit((x: number) => x * 7, 6)
  expect(await impure.result()).toBe(42)
  const leaves = client.map(
    slow,
    Array.from({ length: 20 }, (_, i) => i)
  )
  const sum = client.submit(total, leaves)
  await eventually(() => leaves.filter((f) => f.status === "finished").length >= 6, 30_000)
  await cluster.admin.flushall()
  expect(await sum.result()).toBe(Array.from({ length: 20 }, (_, i) => i + 1).reduce((a, b) => a + b, 0))
  expect(await client.gather(leaves)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
  const error = await impure.result().then(
    () => undefined,
    (e: unknown) => e as Error
  )
  expect(impure.status).toBe("lost")
  expect(error).toBeInstanceOf(LostResultError)
  expect(error!.message).toContain(impure.key)
  const { notDone } = await wait(client.map((x: number) => x, [1, 2]))
  expect(notDone).toHaveLength(0)
}, 60_000)
