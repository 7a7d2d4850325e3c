/**
 * `fireAndForget`: run tasks to the end even when nobody holds their Futures.
 *
 * @module
 */
import { Future } from "./Future.js"

/** Keeps the tasks of these Futures (any structure of arrays and plain objects) running to the end, even once released; their results are not kept. */
export function fireAndForget(futures: unknown): void {
  const seen = new Set<object>()
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null || seen.has(value)) return
    seen.add(value)
    if (value instanceof Future) {
      Future.engineOf(value).keep([Future.recordOf(value)])
      return
    }
    if (Array.isArray(value)) value.forEach(visit)
    else if (Object.getPrototypeOf(value) === Object.prototype) Object.values(value).forEach(visit)
  }
  visit(futures)
}
