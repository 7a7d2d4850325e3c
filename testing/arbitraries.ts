/**
 * Arbitraries for property tests of code that runs on weft: random task graphs (the ones weft's
 * own tests use), the reference evaluation of such a graph, and fault plans.
 *
 * @module
 */
import * as fc from "fast-check"
import { delayed, type Delayed, type FaultPlan } from "../runtime/index.js"
import { describeGot } from "../runtime/internal/client-engine.js"
import { rejectUnknownOptions } from "./internal/options.js"

/**
 * A number from 0 (inclusive) to `max`, uniform: `fc.double` favours values near its bounds and
 * near 0 (about nine draws in ten below 0.01), which would make rates and chances meaningless.
 * Shrinks towards 0.
 */
const uniform = (max: number): fc.Arbitrary<number> =>
  fc.noBias(fc.integer({ min: 0, max: 1_000_000 })).map((n) => (n / 1_000_000) * max)

/** One task of a `RandomGraph`: it adds its inputs' values to its own index, or fails. */
export interface RandomNode {
  /** Indices of earlier nodes whose results it takes (so the graph has no cycle). */
  readonly deps: ReadonlyArray<number>
  /** When true, the task throws `Error("node <i> failed")`. */
  readonly fails: boolean
  /** Its `priority` option, from -2 to 2. */
  readonly priority: number
}

/** A random DAG as plain data (fast-check prints and shrinks it): node i depends only on nodes before it. */
export interface RandomGraph {
  readonly nodes: ReadonlyArray<RandomNode>
}

/** Options of `arbitraries.graph`. */
export interface RandomGraphOptions {
  /** Most nodes; default 25. At least one node is made. */
  readonly maxNodes?: number
  /** Most inputs per node; default 4. */
  readonly maxDeps?: number
  /** Chance that a node fails, from 0 to 1; default 0. */
  readonly failureRate?: number
}

/** The value of a node of a `RandomGraph`, or the failed nodes (roots) whose error may reach it. */
export type RandomGraphResult =
  { readonly ok: true; readonly value: number } | { readonly ok: false; readonly roots: ReadonlyArray<number> }

/** Random DAGs: `{ nodes: [{ deps, fails, priority }] }`, with deps only on earlier nodes. */
function graph(options: RandomGraphOptions = {}): fc.Arbitrary<RandomGraph> {
  rejectUnknownOptions(options, ["maxNodes", "maxDeps", "failureRate"], "arbitraries.graph")
  const maxNodes = options.maxNodes ?? 25
  const maxDeps = options.maxDeps ?? 4
  const failureRate = options.failureRate ?? 0
  if (!Number.isInteger(maxNodes) || maxNodes < 1)
    throw new TypeError(`arbitraries.graph: maxNodes must be a whole number >= 1, got ${describeGot(maxNodes)}.`)
  if (!Number.isInteger(maxDeps) || maxDeps < 0)
    throw new TypeError(`arbitraries.graph: maxDeps must be a whole number >= 0, got ${describeGot(maxDeps)}.`)
  if (typeof failureRate !== "number" || !(failureRate >= 0 && failureRate <= 1))
    throw new TypeError(`arbitraries.graph: failureRate must be from 0 to 1, got ${describeGot(failureRate)}.`)
  const node = (i: number): fc.Arbitrary<RandomNode> =>
    fc.record({
      deps:
        i === 0
          ? fc.constant([])
          : fc.uniqueArray(fc.integer({ min: 0, max: i - 1 }), { maxLength: Math.min(i, maxDeps) }),
      // 1 - u < failureRate, so that shrinking (u towards 0) makes a node succeed.
      fails: failureRate === 0 ? fc.constant(false) : uniform(1).map((u) => 1 - u < failureRate),
      priority: fc.integer({ min: -2, max: 2 })
    })
  return fc
    .integer({ min: 1, max: maxNodes })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => node(i))))
    .map((nodes) => ({ nodes }))
}

/** Fault plans: a seed, a rate up to `maxRate` (default 0.5), and sometimes a cap per task. */
function faultPlan(options: { readonly maxRate?: number } = {}): fc.Arbitrary<FaultPlan> {
  rejectUnknownOptions(options, ["maxRate"], "arbitraries.faultPlan")
  const maxRate = options.maxRate ?? 0.5
  if (typeof maxRate !== "number" || !(maxRate >= 0 && maxRate <= 1))
    throw new TypeError(`arbitraries.faultPlan: maxRate must be from 0 to 1, got ${describeGot(maxRate)}.`)
  return fc.record(
    {
      seed: fc.integer(),
      rate: uniform(maxRate),
      maxPerTask: fc.integer({ min: 0, max: 3 })
    },
    { requiredKeys: ["seed", "rate"] }
  )
}

/** The task of every node: self-contained, so it travels as source text. */
const step = (i: number, fails: boolean, inputs: number[]): number => {
  if (fails) throw new Error(`node ${i} failed`)
  let total = i
  for (const v of inputs) total += v
  return total
}

/** One Delayed per node of `g` (node i runs `i + sum(inputs)`, or throws `node i failed`), with each node's priority and the given retries. */
function delayeds(g: RandomGraph, options: { readonly retries?: number } = {}): Delayed<number>[] {
  const out: Delayed<number>[] = []
  for (const node of g.nodes) {
    const i = out.length
    out.push(
      delayed(step, { priority: node.priority, retries: options.retries ?? 0 })(
        i,
        node.fails,
        node.deps.map((d) => out[d])
      )
    )
  }
  return out
}

/** What each node of `g` must give: the reference the project's own property tests compare with. */
function evaluate(g: RandomGraph): RandomGraphResult[] {
  const out: RandomGraphResult[] = []
  g.nodes.forEach((node, i) => {
    const roots = new Set<number>()
    for (const d of node.deps) {
      const r = out[d]
      if (!r.ok) for (const x of r.roots) roots.add(x)
    }
    if (roots.size > 0) out.push({ ok: false, roots: [...roots] })
    else if (node.fails) out.push({ ok: false, roots: [i] })
    else out.push({ ok: true, value: node.deps.reduce((s, d) => s + (out[d] as { value: number }).value, i) })
  })
  return out
}

/**
 * Arbitraries and helpers for random task graphs:
 * - `graph({ maxNodes, maxDeps, failureRate })`: random DAGs as plain data;
 * - `delayeds(g)`: the graph as one Delayed per node; `evaluate(g)`: what each node must give;
 * - `faultPlan()`: random fault plans for `Client.local({ faults })`.
 */
export const arbitraries = { graph, faultPlan, delayeds, evaluate } as const
