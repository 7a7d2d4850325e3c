/**
 * The one check for unknown option names, for every call that takes an options object
 * (`Client.local`, `submit`'s task options, `gather`, `wait`, `asCompleted`, `progress`,
 * `scatter`, the `weft/testing` checks): a misspelt option is a `TypeError` naming it, a close
 * valid name when there is one, and the valid names, instead of being ignored.
 *
 * @internal
 * @module
 */

/**
 * `${where}: unknown option "retry" (did you mean "retries"?). Valid options are: pure, retries, ...`.
 * `kind` names what the names are (`"option"`, `"retry policy field"`).
 */
export const unknownOptionMessage = (where: string, name: string, valid: readonly string[], kind = "option"): string =>
  `${where}: unknown ${kind} "${name}"${didYouMean(name, valid)}. Valid ${kind}s are: ${valid.join(", ")}.`

/**
 * Throws a `TypeError` (`unknownOptionMessage`) for the first own key of `options` that is not in
 * `valid`. `options` must already be known to be an object.
 */
export function rejectUnknownOptions(options: object, valid: readonly string[], where: string, kind = "option"): void {
  for (const name of Object.keys(options)) {
    if (!valid.includes(name)) throw new TypeError(unknownOptionMessage(where, name, valid, kind))
  }
}

/** ` (did you mean "retries"?)` when a valid name is close (two edits, or a common stem), else nothing. */
const didYouMean = (name: string, valid: readonly string[]): string => {
  const lower = name.toLowerCase()
  const close = valid.find((v) => editDistance(lower, v) <= 2 || (lower.length >= 4 && v.startsWith(lower.slice(0, 4))))
  return close === undefined ? "" : ` (did you mean "${close}"?)`
}

const editDistance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}
