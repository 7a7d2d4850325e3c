/**
 * Running one call in this process, the way a worker would run it (same lookup of registered and
 * inline functions, Promises awaited, Effects run) but without copying arguments or results: the
 * harness's reference. Failures come back decoded as the cluster decodes them, so the two compare.
 *
 * @internal
 */
import { runHere, type LocalOutcome } from "../../runtime/internal/client-engine.js"
import { describeDifference, diff } from "./diff.js"

export { runHere }

/** What a call gave: a value, or the error it failed with. */
export type Outcome = LocalOutcome

/** Raced against `ms`: rejects with a message naming `what` when it takes longer. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms (the harness's timeout option)`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** The outcome of a Future's `result()`. */
export function settle(promise: Promise<unknown>): Promise<Outcome> {
  return promise.then(
    (value): Outcome => ({ ok: true, value }),
    (error: unknown): Outcome => ({ ok: false, error: error instanceof Error ? error : new Error(String(error)) })
  )
}

/** Why two outcomes differ, in one line, or `undefined` when they agree. */
export function compareOutcomes(
  expected: Outcome,
  actual: Outcome,
  names: { readonly expected: string; readonly actual: string }
): string | undefined {
  if (expected.ok && actual.ok) {
    const d = diff(expected.value, actual.value)
    return d === undefined ? undefined : describeDifference(d)
  }
  if (!expected.ok && !actual.ok) {
    const a = expected.error
    const b = actual.error
    if (a.name === b.name && a.message === b.message) return undefined
    return `${names.expected} failed with ${a.name}: ${a.message}; ${names.actual} failed with ${b.name}: ${b.message}`
  }
  const failed = expected.ok ? actual : expected
  const which = expected.ok ? names.actual : names.expected
  const other = expected.ok ? names.expected : names.actual
  return `${which} failed with ${(failed as { error: Error }).error.name}: ${(failed as { error: Error }).error.message}, while ${other} succeeded`
}
