/**
 * Random graphs of submissions through the real client, compared with a reference evaluation:
 * every future settles, values equal the reference, a failing task's dependents fail with a root
 * failure's error, injected transient faults (within retries) change nothing, and once every
 * future is released the cluster holds nothing.
 */
import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { Client, type Future } from "weft"

import { arbitraries, type RandomGraph, type RandomNode } from "weft/testing"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"
import { propertyRuns } from "../support/runs.js"

type Node = RandomNode

// The same random DAGs and reference that weft/testing exports for users.
const graph = arbitraries.graph({ maxNodes: 25, failureRate: 0.1 }).map((g: RandomGraph) => g.nodes as Node[])

/** What each node must give: a value, or the set of root errors it may fail with. */
function reference(nodes: Node[]): Array<{ value: number } | { roots: Set<number> }> {
  return arbitraries.evaluate({ nodes }).map((r) => (r.ok ? { value: r.value } : { roots: new Set(r.roots) }))
}

// The task: node i adds its inputs to i, or fails naming itself.
const step = (i: number, fails: boolean, inputs: number[]) => {
  if (fails) throw new Error(`node ${i} failed`)
  return i + inputs.reduce((s, v) => s + v, 0)
}

async function runGraph(client: Client, nodes: Node[], retries: number) {
  const futures: Future<number>[] = []
  nodes.forEach((node, i) => {
    futures.push(
      client.with({ retries, priority: node.priority, pure: true }).submit(
        step,
        i,
        node.fails,
        node.deps.map((d) => futures[d])
      )
    )
  })
  const expected = reference(nodes)
  const outcomes = await Promise.allSettled(futures.map((f) => f.result()))
  outcomes.forEach((outcome, i) => {
    const want = expected[i]
    if ("value" in want) {
      expect(outcome).toEqual({ status: "fulfilled", value: want.value })
      expect(futures[i].status).toBe("finished")
    } else {
      expect(outcome.status).toBe("rejected")
      const match = /node (\d+) failed/.exec(String((outcome as PromiseRejectedResult).reason?.message))
      expect(match).not.toBeNull()
      expect(want.roots.has(Number(match![1]))).toBe(true)
      expect(futures[i].status).toBe("error")
    }
  })
  for (const f of futures) f.release()
  expect(client.heldKeys()).toEqual([])
  expect(engineOf(client).scheduler.size).toBe(0)
}

describe("fault plans", () => {
  test("inject failures up to the task's retries: attempts grow, the result does not change", async () => {
    await using client = await Client.local({ workers: 0, faults: { seed: 7, rate: 1 } })
    const f = client.with({ retries: 3 }).submit(step, 5, false, [1, 2])
    expect(await f.result()).toBe(8)
    expect(engineOf(client).scheduler.get(f.key)?.attempts).toBe(4)
    const limited = await Client.local({ workers: 0, faults: { seed: 7, rate: 1, maxPerTask: 1 } })
    const g = limited.with({ retries: 3 }).submit(step, 6, false, [])
    expect(await g.result()).toBe(6)
    expect(engineOf(limited).scheduler.get(g.key)?.attempts).toBe(2)
    await limited.close()
  })

  test("rate is the chance per attempt: with rate 0.5 and 3 retries, attempts per task follow 1/2, 1/4, 1/8, 1/8", async () => {
    // Deterministic (a fixed seed and keys); the bounds are about four standard deviations wide.
    // The FNV hash alone gave {1: 289, 2: 4, 3: 1, 4: 306}: a task failed on every attempt or on none.
    await using client = await Client.local({ workers: 0, faults: { seed: 11, rate: 0.5 } })
    const futures = client.with({ retries: 3 }).map(
      (x: number) => x * 2,
      Array.from({ length: 800 }, (_, i) => i)
    )
    expect(await client.gather(futures)).toEqual(Array.from({ length: 800 }, (_, i) => i * 2))
    const counts = [0, 0, 0, 0, 0]
    for (const f of futures) counts[engineOf(client).scheduler.get(f.key)!.attempts]++
    expect(counts[1]).toBeGreaterThan(400 - 60)
    expect(counts[1]).toBeLessThan(400 + 60)
    expect(counts[2]).toBeGreaterThan(200 - 50)
    expect(counts[2]).toBeLessThan(200 + 50)
    expect(counts[3] + counts[4]).toBeGreaterThan(200 - 50)
    expect(counts[3]).toBeGreaterThan(100 - 40)
    expect(counts[4]).toBeGreaterThan(100 - 40)
  })

  test("without retries a fault plan injects nothing (maxPerTask defaults to the retries)", async () => {
    await using client = await Client.local({ workers: 0, faults: { seed: 1, rate: 1 } })
    expect(await client.submit(step, 1, false, []).result()).toBe(1)
  })
})

describe("random graphs of submissions", () => {
  test.prop([graph], { numRuns: propertyRuns(60) })(
    "in process: values equal the reference and nothing is held after release",
    async (nodes) => {
      const client = await Client.local({ workers: 0 })
      try {
        await runGraph(client, nodes, 0)
      } finally {
        await client.close()
      }
    }
  )

  test.prop([graph, fc.integer(), fc.double({ min: 0, max: 0.6, noNaN: true })], { numRuns: propertyRuns(40) })(
    "transient failures within retries change no result",
    async (nodes, seed, rate) => {
      const client = await Client.local({ workers: 0, faults: { seed, rate } })
      try {
        await runGraph(client, nodes, 3)
      } finally {
        await client.close()
      }
    }
  )

  test.prop([graph], { numRuns: 8 })("on worker threads: the same", async (nodes) => {
    const client = await Client.local({ workers: 2 })
    try {
      await runGraph(client, nodes, 0)
    } finally {
      await client.close()
    }
  })
})

describe("fault plans and real failures", () => {
  test("an injected fault never becomes a failing task's final error", async () => {
    await using client = await Client.local({ workers: 0, faults: { seed: 3, rate: 1 } })
    const f = client.with({ retries: 2 }).submit(step, 9, true, [])
    await expect(f.result()).rejects.toThrow("node 9 failed")
  })
})
