/**
 * FLUSHALL under a running graph: every result, queued batch and lease is gone at once. Nothing
 * hangs: what needs a vanished result ends with an error that says it was lost, and a held
 * result's `result()` rejects with LostResultError naming the key. (Recomputing vanished pure
 * results from their lineage, and the `lost` status, are not built yet: docs/cluster.md.)
 */
import { expect, test } from "vitest"
import { LostResultError, wait } from "weft"
import { clusterFor, eventually } from "./fail-support.js"

const slow = async (x: number) => {
  await new Promise((resolve) => setTimeout(resolve, 200))
  return x + 1
}
const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

test("FLUSHALL mid-graph: nothing hangs, and a vanished result rejects with LostResultError naming its key", async () => {
  const cluster = await clusterFor()
  const client = await cluster.connect()
  const impure = client.with({ pure: false }).submit((x: number) => x * 7, 6)
  await wait([impure])
  const leaves = client.map(
    slow,
    Array.from({ length: 20 }, (_, i) => i)
  )
  const sum = client.submit(total, leaves)
  await eventually(() => leaves.filter((f) => f.status === "finished").length >= 6, 30_000)
  await cluster.admin.flushall()
  const sumOutcome = await sum.result().then(
    (value) => value,
    (e: unknown) => e as Error
  )
  if (sumOutcome instanceof Error) expect(sumOutcome.message).toMatch(/no longer in Redis|lost/)
  else expect(sumOutcome).toBe(Array.from({ length: 20 }, (_, i) => i + 1).reduce((a, b) => a + b, 0))
  const error = await impure.result().then(
    () => undefined,
    (e: unknown) => e as Error
  )
  expect(error).toBeInstanceOf(LostResultError)
  expect(error!.message).toContain(impure.key)
  const { notDone } = await wait(client.map((x: number) => x, [1, 2]))
  expect(notDone).toHaveLength(0)
}, 60_000)
