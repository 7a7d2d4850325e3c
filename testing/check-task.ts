/**
 * `checkTask`: is one task function safe to distribute? For arguments fast-check generates, it
 * checks determinism (a pure task: equal arguments give equal keys, and two runs on different
 * workers give deep-equal results, equal to a run in this process) and clone safety (the result
 * survives the trip back from a worker unchanged, prototypes included).
 *
 * @module
 */
import * as fc from "fast-check"
import { Client, delayed, type AnyFunction, type Future } from "../runtime/index.js"
import { describeFunction, detachedClient, parseDuration, randomKeyToken } from "../runtime/internal/client-engine.js"
import type { ArbitraryOf } from "./arbitrary.js"
import { describeDifference, diff } from "./internal/diff.js"
import { compareOutcomes, runHere, settle, within, type Outcome } from "./internal/outcome.js"
import { validateCheckOptions } from "./internal/options.js"
import { runProperty, type RunOptions } from "./internal/report.js"

/** Options of `checkTask`. */
export interface CheckTaskOptions extends RunOptions {
  /**
   * The cluster of the first run. Default: a one-worker local client the check starts and closes.
   * The second run always goes to a one-worker client of the check's own, so that the two runs
   * happen on different workers (different threads, each with its own module state).
   */
  readonly client?: Client
  /** Longest one run may take, in ms or as a duration ("10 s"); default 30 s. A run that takes longer fails the check. */
  readonly timeout?: number | string
}

const uncloneable = /cannot be sent back from a worker$/

/**
 * Checks that `task` is safe to distribute, for arguments drawn from `args` (100 cases by
 * default). Throws `CheckFailed`, with fast-check's shrunk counterexample and the seed to replay
 * it, when:
 * - its result cannot be cloned, or changes when cloned (a lost prototype, a dropped property);
 * - it is pure (the default) and two runs with equal arguments on different workers, or a run on a
 *   worker and a run in this process, give different results or errors (`Math.random`, clocks,
 *   module state), or equal arguments give different keys.
 *
 * A task registered with `pure: false` is checked for clone safety only.
 */
export async function checkTask<F extends AnyFunction>(
  task: F,
  args: ArbitraryOf<Parameters<F>>,
  options: CheckTaskOptions = {}
): Promise<void> {
  if (typeof task !== "function")
    throw new TypeError(
      `checkTask: the first argument must be a task function, got ${task === null ? "null" : typeof task}.`
    )
  if (typeof args !== "object" || args === null || typeof (args as { generate?: unknown }).generate !== "function") {
    throw new TypeError(
      "checkTask: the second argument must be a fast-check arbitrary of the task's argument list, e.g. fc.tuple(fc.integer())."
    )
  }
  validateCheckOptions(options, ["client", "timeout", "numRuns", "seed", "path"], "checkTask")
  const info = describeFunction(task)
  const pure = info.meta?.options.pure ?? true
  const timeoutMs = options.timeout === undefined ? 30_000 : parseDuration(options.timeout, "checkTask timeout")
  const own = options.client === undefined ? await detachedClient<Client>({ workers: 1 }) : undefined
  const witness = await detachedClient<Client>({ workers: 1 })
  const client = options.client ?? own!
  const onCluster = (on: Client, call: ReadonlyArray<unknown>): Promise<Outcome> => {
    // A key of its own: two runs with equal arguments must not share one computation.
    const view = on.with({ key: `check-${info.name}-${randomKeyToken()}` }) as unknown as {
      submit(fn: AnyFunction, ...args: unknown[]): Future<unknown, unknown>
    }
    const future = view.submit(task, ...call)
    return within(settle(future.result()), timeoutMs, `a run of ${info.name} on a worker`).finally(() =>
      future.release()
    )
  }
  let witnessAhead = false
  // A fast-check 4 arbitrary works with fast-check 3 and back: generate/shrink are the same protocol.
  const property = fc.asyncProperty(args as unknown as fc.Arbitrary<Parameters<F>>, async (call) => {
    const list = call as unknown as ReadonlyArray<unknown>
    if (!Array.isArray(list))
      throw new Error(`the arbitrary gave ${typeof list}, not an argument list: wrap the arguments in fc.tuple(...)`)
    const here = await within(runHere(info, list), timeoutMs, `a run of ${info.name} in this process`)
    if (!here.ok && uncloneable.test(here.error.message)) throw new Error(`clone safety: ${here.error.message}`)
    if (here.ok) {
      let copy: unknown
      try {
        copy = structuredClone(here.value)
      } catch (error) {
        throw new Error(`clone safety: the result cannot be cloned: ${(error as Error).message}`)
      }
      const lost = diff(here.value, copy)
      if (lost !== undefined)
        throw new Error(`clone safety: the result changes on its way back from a worker, ${describeDifference(lost)}`)
    }
    const first = await onCluster(client, list)
    if (!pure) return
    const lazy = delayed(task as AnyFunction)
    const keyA = lazy(...list).key
    const keyB = lazy(...structuredClone(list)).key
    if (keyA !== keyB)
      throw new Error(
        `determinism: equal arguments gave different keys (${keyA} and ${keyB}); a value in the arguments tokenizes by identity`
      )
    if (!witnessAhead) {
      // One extra run, once: the witness's module state is then a call ahead of the other runs,
      // so that a task that counts its calls (or caches across calls) disagrees instead of
      // advancing in step with them.
      witnessAhead = true
      await onCluster(witness, list)
    }
    const second = await onCluster(witness, list)
    const acrossWorkers = compareOutcomes(first, second, {
      expected: "the first run",
      actual: "the run on another worker"
    })
    if (acrossWorkers !== undefined) {
      throw new Error(
        `determinism: ${info.name} is declared pure, but two runs with equal arguments on different workers disagree, ${acrossWorkers} (register it with pure: false if it is not a function of its arguments)`
      )
    }
    const hereVsWorker = compareOutcomes(here, first, {
      expected: "the run in this process",
      actual: "the run on a worker"
    })
    if (hereVsWorker !== undefined)
      throw new Error(`determinism: a run on a worker differs from a run in this process, ${hereVsWorker}`)
  })
  try {
    await runProperty("checkTask", info.name, property, options, 100)
  } finally {
    await Promise.all([own?.close(), witness.close()])
  }
}
