/**
 * Whether this thread is a weft worker, and which task modules it is importing: so that a client
 * started inside a worker (a task module that also starts a client at its top level) fails at
 * once with a message naming the module, instead of starting workers of its own in every worker.
 *
 * The state is a global under `Symbol.for`, so that every copy of weft loaded in a worker (the
 * built one and a source one under tsx) sees the same; `worker/entry.ts` sets it, without
 * importing this module (it imports nothing at load).
 *
 * @internal
 */

/** The key of the global that `worker/entry.ts` sets in every worker. */
export const workerStateKey = Symbol.for("weft.worker")

/** What a worker records about itself. */
export interface WorkerState {
  /** URLs of the task modules being imported now (run-batch.ts). */
  readonly loading: string[]
}

/** This worker's state, or `undefined` outside a weft worker. */
export const workerState = (): WorkerState | undefined =>
  (globalThis as Record<symbol, WorkerState | undefined>)[workerStateKey]
