/**
 * When to run a failed attempt again. A `RetryPolicy` (times, delay, backoff, while) is a few lines
 * of arithmetic, done here without loading `effect`; an Effect `Schedule` given through the Effect
 * API is stepped by the `step` function that `weft/effect` attaches (see `runtime/Weft.ts`).
 *
 * @internal
 */
import type { NormalizedRetryPolicy } from "../../dsl/options.js"
import { KilledWorkerError, TaskDefinitionError } from "../../core/errors.js"
import { retryState, type TaskRecordOf } from "./task-record.js"

/** Steps an Effect Schedule: the delay before the next attempt and the new state, or undefined to stop. */
export type RetryStep = (
  error: unknown,
  state: unknown,
  now: number
) => { readonly delay: number; readonly state: unknown } | undefined

/**
 * Where the Effect API puts a Schedule's step function on a `RetryPolicy` it passes down. A symbol
 * key, so that option validation (which lists string keys) lets it through untouched.
 */
export const retryStepKey: unique symbol = Symbol.for("weft/retryStep") as never

/** The step function attached to a policy object by the Effect API, if any. */
export const retryStepOf = (retries: unknown): RetryStep | undefined =>
  typeof retries === "object" && retries !== null
    ? (retries as { [retryStepKey]?: RetryStep })[retryStepKey]
    : undefined

/** A retry policy, possibly driven by an Effect Schedule. */
export interface ScheduledRetryPolicy extends NormalizedRetryPolicy {
  readonly step?: RetryStep
}

/** Errors that another attempt cannot fix. */
const final = (error: unknown): boolean => error instanceof TaskDefinitionError || error instanceof KilledWorkerError

/**
 * The delay in ms before retrying `task` after `error`, or undefined when it must fail now.
 * `payload.failures` counts the failed attempts (this one included), so the retry about to happen
 * is number `failures`; worker deaths and aborted batches are not failures and use up no retry.
 */
export function retryDelay(task: TaskRecordOf, error: unknown): number | undefined {
  const policy = task.payload.options.retries as ScheduledRetryPolicy | undefined
  if (policy === undefined || final(error)) return undefined
  const retry = task.payload.failures
  if (retry > policy.times) return undefined
  if (policy.while !== undefined && !accepts(policy.while, error)) return undefined
  if (policy.step !== undefined) {
    const state = retryState(task.payload)
    const next = policy.step(error, state.schedule, Date.now())
    if (next === undefined) return undefined
    state.schedule = next.state
    return next.delay
  }
  return policy.backoff === "exponential" ? policy.delayMs * 2 ** (retry - 1) : policy.delayMs
}

/** A `while` predicate that throws does not retry: the task fails with its own error. */
const accepts = (predicate: (error: unknown) => boolean, error: unknown): boolean => {
  try {
    return predicate(error) === true
  } catch {
    return false
  }
}
