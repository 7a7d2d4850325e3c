/**
 * The largest value weft writes to Redis as one string (issue 14): Redis refuses a bulk string
 * over its `proto-max-bulk-len`, 512 MB by default, so a result or a batch's arguments over it are
 * refused before they are written, with an error naming the key, the size and the limit.
 */

/** Redis's default `proto-max-bulk-len`: 512 MB. */
export const redisValueLimit = 512 * 1024 * 1024

/**
 * The limit in bytes: `WEFT_MAX_VALUE_BYTES` when set (for a Redis whose `proto-max-bulk-len` is
 * lower, and for tests, which need no 512 MB value), else 512 MB.
 */
export function maxValueBytes(): number {
  const set = Number(process.env.WEFT_MAX_VALUE_BYTES)
  return Number.isInteger(set) && set > 0 ? set : redisValueLimit
}

const mb = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MB`

/** A task's result, its arguments, or a scattered value are too big for one Redis value: refused before writing. */
export class ValueTooLargeError extends Error {
  /** For `Effect.catchTag("ValueTooLarge")`. */
  readonly _tag = "ValueTooLarge" as const
  /** `"ValueTooLargeError"`. */
  override readonly name = "ValueTooLargeError"
  constructor(
    /** The task's (or the scattered value's) key. */
    readonly key: string,
    /** The serialized size in bytes. */
    readonly bytes: number,
    /** The limit in bytes. */
    readonly limit: number,
    /** What was too big. */
    readonly what: "result" | "arguments" | "scattered value"
  ) {
    const one = what !== "arguments"
    super(
      `The ${what} of ${key} ${one ? "serializes" : "serialize"} to ${bytes} bytes (${mb(bytes)}), over the ${limit}-byte (${mb(limit)}) ` +
        `limit of one Redis value (proto-max-bulk-len), so the cluster cannot store ${one ? "it" : "them"}. ` +
        (what === "result"
          ? "Return smaller values (split the work into tasks that each return a part)."
          : what === "arguments"
            ? "Pass smaller arguments, or have a task load the data on the worker."
            : "Scatter it in parts (scatterMany of pieces), or have a task load the data on the worker.")
    )
  }
}
