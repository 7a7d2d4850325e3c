/**
 * Big graphs are added in slices (runtime/internal/graph.ts): `client.compute` returns its Futures
 * at once and the event loop keeps turning while the rest of the graph goes in. Here every graph
 * is sliced (one look at the clock per 256 nodes, no time budget), so small graphs show what a
 * user of a big one sees: the same values and errors, cancel and close still work, and nothing
 * is left held afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { CancelledError, Client, ClientClosedError, delayed, type Delayed } from "weft"
import { inc, sum } from "../fixtures/client-tasks.js"
import { useClient } from "../client/helpers.js"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"
import { graphSlices } from "../../dist/runtime/internal/graph.js"

const client = useClient({ workers: 2 })
const saved = { ...graphSlices }
beforeAll(() => {
  graphSlices.ms = 0
})
afterAll(() => {
  Object.assign(graphSlices, saved)
})

/** `chains` chains of `links` incs from `base + c`, summed: about chains x links nodes. */
const chainsGraph = (base: number, chains: number, links: number): Delayed<number> => {
  const ends: Delayed<number>[] = []
  for (let c = 0; c < chains; c++) {
    let d = delayed(inc)(base + c)
    for (let k = 1; k < links; k++) d = delayed(inc)(d)
    ends.push(d)
  }
  return delayed(sum)(ends)
}
const expected = (base: number, chains: number, links: number) => chains * (base + links) + (chains * (chains - 1)) / 2

/** Settles after `turns` turns of the event loop. */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe("a graph added in slices", () => {
  test("compute returns a pending Future at once, the event loop turns meanwhile, and the value is right", async () => {
    const ticks: number[] = []
    const timer = setInterval(() => ticks.push(1), 0)
    const future = client().compute(chainsGraph(1_000, 40, 100))
    // Not all 4,001 records are in the table yet: the rest goes in on later turns of the loop.
    expect(engineOf(client()).scheduler.size).toBeLessThan(4_001)
    expect(future.status).toBe("pending")
    const value = await future.result()
    clearInterval(timer)
    expect(value).toBe(expected(1_000, 40, 100))
    expect(ticks.length).toBeGreaterThan(0)
    future.release()
    await turns(2)
    expect(engineOf(client()).scheduler.size).toBe(0)
  })

  test("shared inputs run once and intermediates are not kept: only the outputs stay held", async () => {
    const base = delayed(inc)(5_000)
    const branches: Delayed<number>[] = []
    for (let b = 0; b < 2_000; b++) branches.push(delayed(inc)(delayed(inc)(base)))
    const [total, first] = client().compute([delayed(sum)(branches), branches[0]])
    expect(await total.result()).toBe(2_000 * 5_003)
    expect(await first.result()).toBe(5_003)
    await turns(2)
    const held = engineOf(client()).scheduler.heldKeys()
    expect(held.sort()).toEqual([total.key, first.key].sort())
    total.release()
    first.release()
  })

  test("an input that fails fails the output with its error", async () => {
    const bad = delayed((x: number) => {
      if (x > 0) throw new RangeError(`no ${x}`)
      return x
    })(7)
    const chain = chainsGraph(2_000, 30, 100)
    const future = client().compute(delayed(sum)([chain, bad]))
    await expect(future.result()).rejects.toThrow(RangeError)
    future.release()
  })

  test("two graphs sharing nodes, added at the same time, and one of them again: every value right, nothing left", async () => {
    // The jobs number their Delayeds on the Delayeds themselves: the shared chains are numbered by
    // both jobs at once, and again by a third job once the first two are done.
    const shared = chainsGraph(6_000, 20, 100)
    const a = delayed(sum)([shared, chainsGraph(7_000, 10, 100)])
    const b = delayed(sum)([chainsGraph(8_000, 10, 100), shared])
    const [fa, fb] = [client().compute(a), client().compute(b)]
    const own = expected(6_000, 20, 100)
    expect(await fa.result()).toBe(own + expected(7_000, 10, 100))
    expect(await fb.result()).toBe(expected(8_000, 10, 100) + own)
    fa.release()
    fb.release()
    const again = client().compute(b)
    expect(await again.result()).toBe(expected(8_000, 10, 100) + own)
    again.release()
    await turns(2)
    expect(engineOf(client()).scheduler.size).toBe(0)
  })

  test("cancelling the output while the graph goes in stops adding it, and nothing is left", async () => {
    const future = client().compute(chainsGraph(3_000, 50, 100))
    await future.cancel()
    await expect(future.result()).rejects.toBeInstanceOf(CancelledError)
    future.release()
    await turns(40)
    expect(engineOf(client()).scheduler.size).toBe(0)
  })

  test("a Future of another client deep in the graph fails the output with the error compute would have thrown", async () => {
    const other = await Client.local({ workers: 0 })
    try {
      const foreign = other.submit(inc, 1)
      let d: Delayed<number> = delayed(sum)([foreign as unknown as number])
      const graph = chainsGraph(4_000, 30, 100)
      d = delayed(sum)([d, graph])
      const future = client().compute(d)
      await expect(future.result()).rejects.toThrow(/another client|client that made the Future/)
      future.release()
      await turns(2)
      expect(engineOf(client()).scheduler.size).toBe(0)
    } finally {
      await other.close()
    }
  })
})

describe("closing while a graph goes in", () => {
  test("its Future rejects with ClientClosedError and nothing hangs", async () => {
    const own = await Client.local({ workers: 1 })
    const future = own.compute(chainsGraph(5_000, 50, 100))
    const rejected = expect(future.result()).rejects.toBeInstanceOf(ClientClosedError)
    await own.close()
    await rejected
  })
})
