/**
 * Results stay on the cluster (issue 14): a chain of ten tasks that each return 10 MB moves
 * (almost) nothing to the client before `gather`; each task reads its input from Redis itself.
 * Measured in bytes read from the sockets of the client's own Redis connections.
 */
import { expect, test } from "vitest"
import { wait } from "weft"
import { useCluster } from "./helpers.js"

const cluster = useCluster({ workers: 2, threads: 1 })

const first = (n: number) => new Uint8Array(10_000_000).fill(n)
const next = (previous: Uint8Array) => new Uint8Array(previous.length).fill(previous[0] + 1)

test("a chain of ten 10 MB results reads (almost) nothing before gather, and 10 MB for the last one", async () => {
  const client = await cluster().connect()
  const executor = client.engine.executor as unknown as { bytesRead(): number }
  const before = executor.bytesRead()
  let f = client.submit(first, 1)
  // Not fused into one batch: each link is its own job, so each worker reads its input from Redis.
  for (let i = 0; i < 9; i++) {
    await wait([f])
    f = client.submit(next, f)
  }
  await wait([f])
  const beforeGather = executor.bytesRead() - before
  console.log(`bytes read by the client before gather: ${beforeGather}`)
  expect(beforeGather).toBeLessThan(200_000)
  const [value] = (await client.gather([f])) as [Uint8Array]
  expect(value.length).toBe(10_000_000)
  expect(value[0]).toBe(10)
  const afterGather = executor.bytesRead() - before
  console.log(`bytes read by the client after gather: ${afterGather}`)
  expect(afterGather).toBeGreaterThan(10_000_000)
  expect(afterGather).toBeLessThan(11_000_000)
  await client.close()
}, 60_000)
