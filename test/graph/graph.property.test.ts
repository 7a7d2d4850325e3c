/**
 * Random DAGs built with `delayed`, compared with evaluating the same functions directly: equal
 * values, stable keys, persist-then-compute equals compute, and culling (a task that no requested
 * output needs never runs).
 */
import { fc, test } from "@fast-check/vitest"
import { afterAll, beforeAll, describe, expect } from "vitest"
import { Client, delayed, type Delayed } from "weft"
import { engineOf, inProcessClient } from "../../dist/runtime/internal/client-engine.js"
import { propertyRuns } from "../support/runs.js"

interface Node {
  readonly op: "add" | "mul" | "neg" | "const"
  readonly deps: number[]
  readonly value: number
}

const dag = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.tuple(
    ...Array.from({ length: n }, (_, i) =>
      fc.record({
        op:
          i === 0
            ? fc.constant("const" as const)
            : fc.constantFrom("add" as const, "mul" as const, "neg" as const, "const" as const),
        deps: fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), {
          minLength: i === 0 ? 0 : 1,
          maxLength: i === 0 ? 0 : 3
        }),
        value: fc.integer({ min: -5, max: 5 })
      })
    )
  )
) as fc.Arbitrary<Node[]>

// The task functions: self-contained, so they travel as source.
const addAll = (k: number, xs: number[]) => (k + xs.reduce((a, b) => a + b, 0)) % 1_000_003
const mulAll = (k: number, xs: number[]) => (k * xs.reduce((a, b) => a * b, 1)) % 1_000_003
const negate = (k: number, xs: number[]) => -xs[0] + k
const constant = (k: number) => k

/** Evaluates the DAG directly; returns every node's value. */
const direct = (nodes: Node[]): number[] => {
  const out: number[] = []
  for (const node of nodes) {
    const xs = node.deps.map((d) => out[d])
    out.push(
      node.op === "const"
        ? constant(node.value)
        : node.op === "add"
          ? addAll(node.value, xs)
          : node.op === "mul"
            ? mulAll(node.value, xs)
            : negate(node.value, xs)
    )
  }
  return out
}

/** Builds the DAG with delayed; `counting` wraps every call so its runs can be counted in process. */
const build = (nodes: Node[]): Delayed<number>[] => {
  const out: Delayed<number>[] = []
  for (const node of nodes) {
    const xs = node.deps.map((d) => out[d])
    out.push(
      node.op === "const"
        ? delayed(constant)(node.value)
        : delayed(node.op === "add" ? addAll : node.op === "mul" ? mulAll : negate)(node.value, xs)
    )
  }
  return out
}

/** The nodes an output needs: itself and its ancestors. */
const needed = (nodes: Node[], outputs: number[]): Set<number> => {
  const seen = new Set<number>()
  const stack = [...outputs]
  while (stack.length > 0) {
    const i = stack.pop()!
    if (seen.has(i)) continue
    seen.add(i)
    stack.push(...nodes[i].deps)
  }
  return seen
}

describe("random delayed graphs", () => {
  let client: Client
  beforeAll(async () => {
    client = await Client.local({ workers: 2 })
  })
  afterAll(async () => {
    await client.close()
  })

  test.prop([dag])("building the same graph twice gives the same keys", (nodes) => {
    expect(build(nodes).map((d) => d.key)).toEqual(build(nodes).map((d) => d.key))
  })

  test.prop([dag], { numRuns: propertyRuns(30) })(
    "computed on the cluster, every node equals the direct evaluation",
    async (nodes) => {
      const expected = direct(nodes)
      const graph = build(nodes)
      const futures = client.compute(graph)
      expect(await client.gather(futures)).toEqual(expected)
      for (const f of futures) f.release()
      const held = new Set(client.heldKeys())
      for (const d of graph) expect(held.has(d.key)).toBe(false) // nothing of it stays once released
    }
  )

  test.prop([dag, fc.nat()], { numRuns: propertyRuns(30) })(
    "persist then compute equals compute",
    async (nodes, pick) => {
      const i = pick % nodes.length
      const persisted = client.persist(build(nodes)[i])
      const on = delayed((a: number, b: number) => a - b)(persisted, 1)
      expect(await client.compute(on).result()).toBe(direct(nodes)[i] - 1)
    }
  )

  test.prop([dag, fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 3 })], { numRuns: propertyRuns(60) })(
    "culling: only the tasks the requested outputs need are added and run",
    async (nodes, picks) => {
      const outputs = [...new Set(picks.map((p) => p % nodes.length))]
      const local = inProcessClient<Client>()
      const graph = build(nodes)
      const futures = local.compute(outputs.map((i) => graph[i]))
      const keys = new Set([...needed(nodes, outputs)].map((i) => graph[i].key))
      // Every record the cluster knows is one the outputs need (same keys may be shared by equal nodes).
      for (const task of engineOf(local).scheduler.tasks()) expect(keys.has(task.key)).toBe(true)
      const values = await local.gather(futures)
      const expected = direct(nodes)
      expect(values).toEqual(outputs.map((i) => expected[i]))
      await local.close()
    }
  )
})
