/**
 * Validation of the options `checkTask`, `checkGraph` and the arbitraries take: bad input is a
 * `TypeError` that names it, before any worker starts (fast-check would otherwise refuse it mid-run,
 * or a misspelt option would be ignored).
 *
 * @internal
 */
import { Client } from "../../runtime/index.js"
import { describeGot, rejectUnknownOptions as rejectUnknownOptionNames } from "../../runtime/internal/client-engine.js"
import type { RunOptions } from "./report.js"

/** Throws a `TypeError` naming the first key of `options` that is not in `known`. */
export function rejectUnknownOptions(options: object, known: ReadonlyArray<string>, where: string): void {
  if (typeof options !== "object" || options === null)
    throw new TypeError(`${where}: options must be an object, got ${options === null ? "null" : typeof options}.`)
  rejectUnknownOptionNames(options, known, where)
}

/**
 * The options of a check: no unknown key, a `numRuns`, `seed` and `path` fast-check takes, and a
 * `client` that is a `Client`.
 */
export function validateCheckOptions(
  options: RunOptions & { readonly client?: unknown },
  known: ReadonlyArray<string>,
  where: string
): void {
  rejectUnknownOptions(options, known, where)
  const { numRuns, seed, path, client } = options
  if (numRuns !== undefined && !(Number.isInteger(numRuns) && numRuns >= 1)) {
    throw new TypeError(`${where}: numRuns must be a whole number >= 1, got ${describeGot(numRuns)}.`)
  }
  if (seed !== undefined && !Number.isInteger(seed))
    throw new TypeError(`${where}: seed must be a whole number (the one a failure printed), got ${describeGot(seed)}.`)
  if (path !== undefined && (typeof path !== "string" || !/^\d+(:\d+)*$/.test(path))) {
    throw new TypeError(
      `${where}: path must be the string a failure printed, such as "0:1:0", got ${JSON.stringify(path)}.`
    )
  }
  if (path !== undefined && seed === undefined)
    throw new TypeError(`${where}: path replays a failure only with its seed: pass both, as the failure printed them.`)
  if (client !== undefined && !(client instanceof Client))
    throw new TypeError(`${where}: client must be a Client (from Client.local).`)
}
