/**
 * The reference run of `checkGraph`: a graph of Delayeds evaluated in this process one task at a
 * time, in a topological order that fast-check chooses (so that a graph whose result depends on
 * completion order is caught, and shrinks to the plain depth-first order when order does not
 * matter). Retries are honoured as on the cluster, without delays; equal keys run once.
 *
 * @internal
 */
import type { Delayed, FutureOf } from "../../runtime/index.js"
import {
  delayedBrand,
  fillTemplate,
  futureBrand,
  graphOrder,
  type Branded
} from "../../runtime/internal/client-engine.js"
import { runHere, settle, type Outcome } from "./outcome.js"

/** What the output gave: a value, or failure with one of the root errors that reached it. */
export type Expected =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly errors: ReadonlyArray<Error> }

/** The reference result of `output`, and the task names in the order they ran. */
export interface Reference {
  readonly expected: Expected
  readonly order: ReadonlyArray<string>
}

type Result = Expected

/**
 * Evaluates `output`'s graph here. `picks` chooses among the tasks that are ready at each step
 * (`picks[step % length] % ready`); an empty `picks` runs them in depth-first order.
 */
export async function evaluateReference(output: Delayed<unknown>, picks: ReadonlyArray<number>): Promise<Reference> {
  const nodes = graphOrder([output])
  const fanOut = nodes.find((d) => d.node.kind === "fanout")
  if (fanOut !== undefined)
    throw new TypeError(
      `checkGraph: the graph fans out at run time (${fanOut.node.kind === "fanout" ? fanOut.node.name : ""} over a task's result), which its reference run does not cover yet; check its tasks with checkTask`
    )
  const results = new Map<Delayed<unknown>, Result>()
  const futures = new Map<FutureOf<unknown>, Result>()
  const order: string[] = []
  const resultOfFuture = async (future: FutureOf<unknown>): Promise<Result> => {
    let found = futures.get(future)
    if (found === undefined) {
      const outcome = await settle(future.result())
      futures.set(future, (found = outcome.ok ? outcome : { ok: false, errors: [outcome.error] }))
    }
    return found
  }
  const inputResult = (input: Branded): Promise<Result> | Result =>
    futureBrand in input
      ? resultOfFuture(input as unknown as FutureOf<unknown>)
      : results.get(input as unknown as Delayed<unknown>)!
  const isReady = (d: Delayed<unknown>) =>
    d.node.kind !== "call" ||
    d.node.inputs.every((input) => !(delayedBrand in input) || results.has(input as unknown as Delayed<unknown>))

  // Equal keys share one computation, as on the cluster and in `Delayed.compute()`: a call that
  // appears twice in the graph (same pure function, equal arguments) runs once.
  const byKey = new Map<string, Result>()
  const pending = [...nodes]
  for (let step = 0; pending.length > 0; step++) {
    const ready: number[] = []
    for (let i = 0; i < pending.length; i++) if (isReady(pending[i])) ready.push(i)
    const choice = picks.length === 0 ? 0 : picks[step % picks.length] % ready.length
    const [d] = pending.splice(ready[choice], 1)
    const node = d.node
    if (node.kind === "fanout") continue // refused above
    if (node.kind === "future") {
      results.set(d, await resultOfFuture(node.future))
      continue
    }
    const shared = byKey.get(d.key)
    if (shared !== undefined) {
      results.set(d, shared)
      continue
    }
    const inputs = await Promise.all(node.inputs.map(inputResult))
    const failures = inputs.filter((r): r is Extract<Result, { ok: false }> => !r.ok)
    if (failures.length > 0) {
      // A task whose input failed does not run; it fails with a root's error, as on the cluster.
      const failed: Result = { ok: false, errors: [...new Set(failures.flatMap((f) => f.errors))] }
      results.set(d, failed)
      byKey.set(d.key, failed)
      continue
    }
    order.push(node.fn.name)
    const args = fillTemplate(
      node.template,
      inputs.map((r) => (r as { value: unknown }).value)
    )
    const result = toResult(await attempts(node.fn, args, node.options.retries))
    results.set(d, result)
    byKey.set(d.key, result)
  }
  return { expected: results.get(output)!, order }
}

/** Up to `retries.times + 1` attempts, as the cluster makes them (no delay between them here). */
async function attempts(
  fn: Parameters<typeof runHere>[0],
  args: ReadonlyArray<unknown>,
  retries: { readonly times: number; readonly while?: ((error: unknown) => boolean) | undefined } | undefined
): Promise<Outcome> {
  let outcome = await runHere(fn, args)
  for (let n = 0; !outcome.ok && retries !== undefined && n < retries.times; n++) {
    if (retries.while !== undefined && !retries.while(outcome.error)) break
    outcome = await runHere(fn, args)
  }
  return outcome
}

const toResult = (outcome: Outcome): Result => (outcome.ok ? outcome : { ok: false, errors: [outcome.error] })
