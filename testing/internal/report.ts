/**
 * Runs a fast-check property and turns a failure into one `CheckFailed` whose message has what
 * failed, fast-check's shrunk counterexample, and the seed and path that replay it.
 *
 * @internal
 */
import * as fc from "fast-check"

/** Options every check takes: how many cases, and how to replay a failure. */
export interface RunOptions {
  /** Generated cases to try; see each check for its default. */
  readonly numRuns?: number
  /** fast-check's seed: a failure's message gives it, so that the run can be replayed. */
  readonly seed?: number
  /** With `seed`, replays one shrunk case directly (the `path` a failure's message gives). */
  readonly path?: string
}

/**
 * A property of `checkTask` or `checkGraph` failed. The message has the reason for the smallest
 * failing case fast-check found, the counterexample, and how to replay it (`{ seed, path }`).
 */
export class CheckFailed extends Error {
  override readonly name = "CheckFailed"
  readonly _tag = "CheckFailed" as const
  constructor(
    message: string,
    /** `"checkTask"` or `"checkGraph"`. */
    readonly check: string,
    /** The smallest failing input fast-check found (the arguments, or the graph's parameters). */
    readonly counterexample: unknown,
    /** Pass as `seed` (with `path`) to replay the failure. */
    readonly seed: number,
    /** Pass as `path` (with `seed`) to replay the shrunk case directly. */
    readonly path: string | undefined,
    /** The reason the smallest case failed. */
    readonly reason: string
  ) {
    super(message)
  }
}

/** Runs `property`; throws `CheckFailed` naming `subject` when a case fails. */
export async function runProperty<T extends unknown[]>(
  check: string,
  subject: string,
  property: fc.IAsyncPropertyWithHooks<T>,
  options: RunOptions,
  defaultRuns: number,
  shown: (counterexample: T) => unknown = (x) => (x.length === 1 ? x[0] : x)
): Promise<void> {
  const details = await fc.check(property, {
    numRuns: options.numRuns ?? defaultRuns,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.path === undefined ? {} : { path: options.path })
  })
  if (!details.failed) return
  const error = details.errorInstance
  const reason = error instanceof Error ? error.message : String(error)
  if (details.counterexample === null) {
    // Not a failing case: fast-check itself stopped (every case was skipped, or it was interrupted).
    throw new CheckFailed(
      `${check}(${subject}): fast-check could not run the property: ${reason}`,
      check,
      undefined,
      details.seed,
      details.counterexamplePath ?? undefined,
      reason
    )
  }
  const counterexample = shown(details.counterexample)
  const replay = `{ seed: ${details.seed}${details.counterexamplePath === null ? "" : `, path: ${JSON.stringify(details.counterexamplePath)}`} }`
  const message = [
    `${check}(${subject}) failed after ${details.numRuns} case(s)${details.numShrinks > 0 ? `, shrunk ${details.numShrinks} time(s)` : ""}.`,
    `Reason: ${reason}`,
    `Counterexample: ${fc.stringify(counterexample)}`,
    `Replay: pass ${replay} in the options.`
  ].join("\n")
  throw new CheckFailed(message, check, counterexample, details.seed, details.counterexamplePath ?? undefined, reason)
}
