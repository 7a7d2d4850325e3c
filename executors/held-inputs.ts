/**
 * Where a task that reads results held remotely runs (an executor with `remote`): its arguments
 * hold `{ [refKey]: key }` (a string key; fused in-batch references are numbers) where the engine
 * had no value, and the keys are listed once in `WireBatch.inputs`. This puts the values in before
 * the batch runs, copy on write, so that the worker code below (`worker/run-batch.ts`) sees plain
 * values and its own numeric references only.
 *
 * @internal
 */
import type { WireBatch } from "../core/protocol.js"
import { descend, isPlainObject, walk } from "../core/walk.js"

/** The batch with every held-input reference replaced by `values.get(key)`; the same batch when it has none. */
export function withInputs(batch: WireBatch, values: ReadonlyMap<string, unknown>): WireBatch {
  const linked = batch.linked
  const refKey = batch.refKey
  if (batch.inputs === undefined || batch.inputs.length === 0 || linked === undefined || refKey === undefined)
    return batch
  const args = batch.args.slice()
  for (let i = 0; i < args.length; i++) if (linked[i]) args[i] = fill(args[i], refKey, values) as unknown[]
  return { ...batch, args }
}

function fill(value: unknown, refKey: string, values: ReadonlyMap<string, unknown>): unknown {
  return walk(value, {
    root: "args",
    visit: (item) => {
      if (typeof item !== "object" || item === null) return item
      if (Array.isArray(item)) return descend
      if (!isPlainObject(item)) return item
      const key = (item as Record<string, unknown>)[refKey]
      if (typeof key !== "string") return descend
      if (!values.has(key)) throw new MissingInputError(key)
      return values.get(key)
    }
  })
}

/** An input the batch references is not held (any more) where it runs. */
export class MissingInputError extends Error {
  override readonly name = "MissingInputError"
  constructor(readonly key: string) {
    super(`The input ${key} is not held any more.`)
  }
}
