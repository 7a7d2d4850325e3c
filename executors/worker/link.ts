/**
 * Argument linking for fusion: a task of a batch may take, as inputs, the results of tasks that ran
 * earlier in the same batch. The client leaves `{ [refKey]: j }` where task j's result goes
 * (`batch.linked[i]` marks such a task); the worker fills them in just before the call.
 *
 * @internal
 */
import { descend, isPlainObject, stop, walk } from "../../core/walk.js"

/** What `link` returns when an input in the batch failed. */
export const skip: unique symbol = Symbol("skip")

/**
 * `value` with each `{ [refKey]: j }` replaced by the result of task j of this batch (copy on
 * write), or `skip` when task j failed. `failed` is ascending and usually empty.
 */
export function link(
  value: unknown,
  refKey: string,
  results: ReadonlyArray<unknown>,
  failed: ReadonlyArray<number>
): unknown {
  const linked = walk(value, {
    root: "args",
    visit: (item) => {
      if (typeof item !== "object" || item === null) return item
      if (Array.isArray(item)) return descend
      if (!isPlainObject(item)) return item
      const index = (item as Record<string, unknown>)[refKey]
      if (typeof index !== "number") return descend
      return failed.includes(index) ? stop : results[index]
    }
  })
  return linked === stop ? skip : linked
}
