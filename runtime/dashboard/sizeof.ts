/**
 * A quick estimate of a result's size in bytes, for "bytes held" on the dashboard. It walks the
 * value (typed arrays and buffers by `byteLength`, strings at 2 bytes a character, 8 per number)
 * and stops after `budget` nodes, extrapolating from the share of an array or object it saw, so
 * that a huge result costs a bounded time. Counted on the client, at the page's pace, never on the
 * task path.
 *
 * @internal
 */

/** Nodes visited per value at most. */
const defaultBudget = 2_000

/** The estimated size of `value` in bytes. */
export function estimateBytes(value: unknown, budget = defaultBudget): number {
  const state = { left: budget }
  return sizeOf(value, state, 0)
}

function sizeOf(value: unknown, state: { left: number }, depth: number): number {
  state.left--
  switch (typeof value) {
    case "number":
      return 8
    case "bigint":
      return 16
    case "boolean":
      return 4
    case "string":
      return 16 + value.length * 2
    case "object":
      break
    default:
      return 8
  }
  if (value === null) return 8
  if (ArrayBuffer.isView(value)) return 64 + value.byteLength
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return 32 + value.byteLength
  if (depth > 16) return 64
  const next = depth + 1
  if (Array.isArray(value)) return 32 + sampled(value.length, (i) => sizeOf(value[i], state, next), state)
  if (value instanceof Map || value instanceof Set) {
    const items = Array.from(value as Iterable<unknown>)
    return 64 + sampled(items.length, (i) => sizeOf(items[i], state, next), state)
  }
  const keys = Object.keys(value)
  const record = value as Record<string, unknown>
  return 32 + sampled(keys.length, (i) => 16 + keys[i].length * 2 + sizeOf(record[keys[i]], state, next), state)
}

/** Sums the sizes of `n` items, or of the first ones the budget allows, scaled up to `n`. */
function sampled(n: number, size: (i: number) => number, state: { left: number }): number {
  let sum = 0
  let i = 0
  for (; i < n && state.left > 0; i++) sum += size(i)
  return i === 0 ? n * 8 : i < n ? (sum / i) * n : sum
}
