/**
 * `fireAndForget`: run tasks to the end even when nobody holds their Futures.
 *
 * @module
 */
import { engineOfFuture, recordOf } from "./internal/client-engine.js"
import { allFutures } from "./internal/gather.js"

/** Keeps the tasks of these Futures (any structure of arrays and plain objects) running to the end, even once released; their results are not kept. */
export function fireAndForget(futures: unknown): void {
  for (const future of allFutures(futures)) engineOfFuture(future).keep([recordOf(future)])
}
