/**
 * `checkGraph`: does a graph give on the cluster what it gives in this process, with stable keys,
 * and unchanged under injected transient failures?
 *
 * @module
 */
import * as fc from "fast-check"
import { Client, isDelayed, type Delayed, type FaultPlan, type ParamsArbitrary } from "../runtime/index.js"
import {
  delayedBrand,
  detachedClient,
  graphOrder,
  parseDuration,
  validateFaultPlan
} from "../runtime/internal/client-engine.js"
import type { ArbitraryOf } from "./arbitrary.js"
import { describeDifference, diff, show } from "./internal/diff.js"
import { settle, within, type Outcome } from "./internal/outcome.js"
import { evaluateReference, type Expected } from "./internal/reference.js"
import { validateCheckOptions } from "./internal/options.js"
import { runProperty, type RunOptions } from "./internal/report.js"

/** A compiled `@graph` (a `GraphModule`) or any function that builds a `Delayed` from its parameters. */
export type GraphFunction<Params extends unknown[], Result> = ((...params: Params) => Delayed<Result>) & {
  readonly arbitrary?: ParamsArbitrary<Params>
}

/** Options of `checkGraph`. */
export interface CheckGraphOptions<Params extends unknown[] = unknown[]> extends RunOptions {
  /** The cluster of the clean run. Default: a two-worker local client the check starts and closes. */
  readonly client?: Client
  /**
   * The transient failures of the second run, on a two-worker client of the check's own. Each
   * task fails at most its own `retries` times, so results must not change. Default
   * `{ seed: 0, rate: 0.5 }`; `rate: 0` skips the run.
   */
  readonly faults?: FaultPlan
  /** Longest one run of the graph may take, in ms or as a duration; default 60 s. */
  readonly timeout?: number | string
  /**
   * Called before each run of the graph (the reference, the clean run, the run with faults) with
   * the case's parameters: reset what the tasks write outside their results (a scratch file, a
   * table), so that each run starts from the same state.
   */
  readonly before?: (...params: Params) => void | Promise<void>
}

const uncloneable = /cannot be sent back from a worker$/

/**
 * Checks a graph for parameters drawn from `params` (25 cases by default; without `params`, the
 * arbitrary `weft build --arbitraries` emitted for a compiled graph). Throws `CheckFailed`, with
 * the shrunk counterexample and the seed to replay it, when:
 * - building the graph twice from equal parameters gives different keys for pure tasks;
 * - the cluster's result differs from running the graph in this process one task at a time, in an
 *   order fast-check picks (tasks that depend on completion order, shared state, lost prototypes);
 * - with transient failures injected (each task at most its retries; injected after the task ran,
 *   as a dropped connection would), the result differs (side effects that retries duplicate).
 */
export async function checkGraph<Params extends unknown[], Result>(
  graph: GraphFunction<Params, Result>,
  params?: ArbitraryOf<Params>,
  options: CheckGraphOptions<Params> = {}
): Promise<void> {
  const { name, arbitrary } = checkArguments(graph, params, options)
  const plan =
    options.faults === undefined
      ? { seed: 0, rate: 0.5, maxPerTask: undefined }
      : validateFaultPlan(options.faults, `checkGraph(${name}) faults`)
  const timeoutMs =
    options.timeout === undefined ? 60_000 : parseDuration(options.timeout, `checkGraph(${name}) timeout`)
  const own = options.client === undefined ? await detachedClient<Client>({ workers: 2 }) : undefined
  const faulty = plan.rate > 0 ? await detachedClient<Client>({ workers: 2, faults: plan }) : undefined
  const clean = options.client ?? own!
  const before = async (call: Params) => {
    if (options.before !== undefined) await options.before(...call)
  }
  const build = (call: Params): Delayed<Result> => {
    const out = graph(...call)
    if (!isDelayed(out))
      throw new TypeError(
        `checkGraph(${name}): the graph returned ${out === null ? "null" : typeof out}, not a Delayed.`
      )
    return out
  }
  const onCluster = (client: Client, d: Delayed<Result>): Promise<Outcome> => {
    const future = client.compute(d)
    return within(settle(future.result()), timeoutMs, `a run of ${name} on the cluster`).finally(() => future.release())
  }

  const property = fc.asyncProperty(
    arbitrary as fc.Arbitrary<Params>,
    fc.array(fc.nat(), { maxLength: 16 }),
    async (call, picks) => {
      if (!Array.isArray(call))
        throw new Error(`the arbitrary gave ${typeof call}, not a parameter list: wrap the parameters in fc.tuple(...)`)
      const d = build(call)
      checkKeys(d, build(structuredClone(call)))
      await before(call)
      const reference = await within(
        evaluateReference(d, picks),
        timeoutMs,
        `the reference run of ${name} in this process`
      )
      const where = `(reference order: ${reference.order.join(", ") || "none"})`
      await before(call)
      const cleanRun = await onCluster(clean, d)
      const cleanProblem = disagreement(reference.expected, cleanRun)
      if (cleanProblem !== undefined)
        throw new Error(`the cluster's result differs from running the graph in this process, ${cleanProblem} ${where}`)
      if (faulty === undefined) return
      await before(call)
      const faultedRun = await onCluster(faulty, d)
      const faultProblem = disagreement(reference.expected, faultedRun)
      if (faultProblem !== undefined) {
        throw new Error(
          `with injected transient failures (fault plan seed ${plan.seed}, rate ${plan.rate}) the result changes, ${faultProblem}; ` +
            `a retried task ran again: are its side effects idempotent? ${where}`
        )
      }
    }
  )
  try {
    await runProperty("checkGraph", name, property, options, 25, ([call, picks]) => ({
      params: call,
      referenceOrder: picks
    }))
  } finally {
    await Promise.all([own?.close(), faulty?.close()])
  }
}

/** Pure tasks (whose inputs are all pure) must get equal keys from equal parameters. */
function checkKeys(a: Delayed<unknown>, b: Delayed<unknown>): void {
  const nodesA = graphOrder([a])
  const nodesB = graphOrder([b])
  if (nodesA.length !== nodesB.length) {
    throw new Error(
      `keys are not stable: building the graph twice from equal parameters gave ${nodesA.length} and ${nodesB.length} tasks`
    )
  }
  const stable = new Set<Delayed<unknown>>()
  nodesA.forEach((d, i) => {
    if (d.node.kind === "future") return void stable.add(d)
    if (d.node.kind === "fanout") return
    if (!d.node.options.pure) return
    if (!d.node.inputs.every((input) => !(delayedBrand in input) || stable.has(input as unknown as Delayed<unknown>)))
      return
    stable.add(d)
    if (d.key !== nodesB[i].key) {
      throw new Error(
        `keys are not stable: the pure task ${d.node.fn.name} got the key ${d.key} once and ${nodesB[i].key} the second time, from equal parameters`
      )
    }
  })
}

/** Why a cluster outcome does not match the reference, or `undefined`. */
function disagreement(expected: Expected, actual: Outcome): string | undefined {
  if (!actual.ok && uncloneable.test(actual.error.message)) return `a result cannot be cloned: ${actual.error.message}`
  if (expected.ok && actual.ok) {
    const d = diff(expected.value, actual.value)
    return d === undefined ? undefined : describeDifference(d)
  }
  if (expected.ok)
    return `it failed with ${(actual as { error: Error }).error.name}: ${(actual as { error: Error }).error.message}, while the reference gave ${show(expected.value)}`
  const errors = expected.errors
  if (actual.ok) return `it gave a value, while the reference failed with ${errors[0].name}: ${errors[0].message}`
  if (errors.some((e) => e.name === actual.error.name && e.message === actual.error.message)) return undefined
  return `it failed with ${actual.error.name}: ${actual.error.message}, while the reference failed with ${errors.map((e) => `${e.name}: ${e.message}`).join(" or ")}`
}

/** The graph's name and parameter arbitrary; TypeErrors when the graph, its arbitrary or the options are not what checkGraph takes. */
function checkArguments<Params extends unknown[], Result>(
  graph: GraphFunction<Params, Result>,
  params: ArbitraryOf<Params> | undefined,
  options: CheckGraphOptions<Params>
): { name: string; arbitrary: ArbitraryOf<Params> } {
  if (typeof graph !== "function")
    throw new TypeError(
      `checkGraph: the first argument must be a graph (a compiled @graph or a function returning a Delayed), got ${graph === null ? "null" : typeof graph}.`
    )
  const name = graph.name || "graph"
  validateCheckOptions(
    options,
    ["client", "faults", "timeout", "before", "numRuns", "seed", "path"],
    `checkGraph(${name})`
  )
  if (options.before !== undefined && typeof options.before !== "function")
    throw new TypeError(`checkGraph(${name}): before must be a function of the graph's parameters.`)
  const arbitrary = params ?? (graph.arbitrary?.(fc) as ArbitraryOf<Params> | undefined)
  if (arbitrary === undefined) {
    throw new TypeError(
      `checkGraph(${name}): no arbitrary for its parameters. Pass one (fc.tuple(...) of the parameters), or build the graph with \`weft build --arbitraries\`.`
    )
  }
  return { name, arbitrary }
}
