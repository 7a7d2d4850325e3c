/**
 * The engine with an executor whose results stay outside it (`Executor.remote`): values travel
 * only when `result()`, `gather` or `asCompleted` asks, inputs stay where they are held, and a
 * released result is deleted there. The same seam carries the cluster (executors/cluster/).
 */
import { describe, expect, it } from "vitest"
import { Client, asCompleted, wait } from "../../runtime/index.js"
import { Engine } from "../../runtime/internal/engine.js"
import { clientOver } from "../../runtime/internal/client-engine.js"
import { makeInProcessExecutor } from "../../executors/in-process.js"
import { executorConformance } from "../../executors/conformance.case.js"
import { makeHeldExecutor, valuesView, type HeldExecutor } from "./held.js"

executorConformance("held results (in-process)", async () => valuesView(makeHeldExecutor(makeInProcessExecutor())), {
  offThread:
    "tasks run on the client's thread: a task blocking in synchronous code blocks the test, and there is no worker to die"
})

const heldClient = (): { client: Client; held: HeldExecutor } => {
  const held = makeHeldExecutor(makeInProcessExecutor())
  return { client: clientOver<Client>(new Engine({ executor: held, allowedFailures: 3 })), held }
}

const big = (seed: number) => new Uint8Array(1_000_000).fill(seed % 256)
const grow = (previous: Uint8Array) => new Uint8Array(previous.length).fill((previous[0] + 1) % 256)

describe("an executor whose results stay remote", () => {
  it("moves no value to the client before result() or gather, and inputs stay where they are held", async () => {
    const { client, held } = heldClient()
    let f = client.submit(big, 1)
    for (let i = 0; i < 9; i++) f = client.submit(grow, f)
    await wait([f])
    expect(held.fetchedBytes).toBe(0)
    expect(held.store.size).toBeGreaterThanOrEqual(1)
    const value = (await f.result()) as Uint8Array
    expect(value[0]).toBe(10)
    expect(held.fetchedBytes).toBeGreaterThan(1_000_000)
    expect(held.fetchedBytes).toBeLessThan(1_100_000)
    await client.close()
  })

  it("gathers held values in one fetch, and asCompleted with results fetches each", async () => {
    const { client } = heldClient()
    const futures = client.map((x: number) => ({ x, twice: x * 2 }), [1, 2, 3])
    expect(await client.gather({ all: futures })).toEqual({
      all: [
        { x: 1, twice: 2 },
        { x: 2, twice: 4 },
        { x: 3, twice: 6 }
      ]
    })
    const seen: unknown[] = []
    for await (const [, value] of asCompleted(futures, { withResults: true })) seen.push(value)
    expect(seen).toHaveLength(3)
    expect(seen).toContainEqual({ x: 2, twice: 4 })
    await client.close()
  })

  it("deletes a released result where it is held, once nothing refers to it", async () => {
    const { client, held } = heldClient()
    const a = client.submit((x: number) => x + 1, 1)
    const b = client.submit((x: number) => x * 10, a)
    expect(await b.result()).toBe(20)
    expect(held.store.has(a.key)).toBe(true)
    a.release()
    await Promise.resolve()
    await Promise.resolve()
    expect(held.released).toEqual([a.key])
    expect(held.store.has(a.key)).toBe(false)
    expect(client.heldKeys()).toEqual([b.key])
    b.release()
    await new Promise((resolve) => setImmediate(resolve))
    expect(held.store.size).toBe(0)
    await client.close()
  })
})
