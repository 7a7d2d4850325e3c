/**
 * Task states, after the Dask scheduler's: a task's life is an explicit state machine, so that
 * every move can be checked against one table and property-tested without I/O. The moves and what
 * each one does are in `transitions.ts` (`transitionTable`), the only writer of a record's state.
 *
 * @internal
 * @module
 */

/**
 * Where a task is in its life.
 * - `released`: not yet placed (a record being added), or forgotten (out of the table);
 * - `waiting`: some input is not in memory yet;
 * - `queued`: every input is in memory; in the ready queue;
 * - `processing`: popped by the engine, running on an executor;
 * - `memory`: finished, `value` holds the result;
 * - `erred`: failed (itself, or one of its inputs: see `erredKey`);
 * - `cancelled`: cancelled, by a user or because an input was lost or nobody wanted it;
 * - `lost`: its result was in memory and is gone (reserved for executors that hold results remotely).
 */
export type TaskState = "released" | "waiting" | "queued" | "processing" | "memory" | "erred" | "cancelled" | "lost"

/** What a Future reports as its `status` (Dask's five statuses). */
export type FutureStatus = "pending" | "finished" | "error" | "cancelled" | "lost"

/** Every state, in life order; handy for exhaustive tests. */
export const taskStates: ReadonlyArray<TaskState> = Object.freeze([
  "released",
  "waiting",
  "queued",
  "processing",
  "memory",
  "erred",
  "cancelled",
  "lost"
] as const)

/** True for the states a task ends in: memory, erred, cancelled, lost (a Future is no longer pending). */
export function isTerminal(state: TaskState): boolean {
  return state === "memory" || state === "erred" || state === "cancelled" || state === "lost"
}

/**
 * True for the states of a task that still has to run: waiting, queued, processing. A record in one
 * of them keeps its inputs alive (it is a "pending dependent" for the release rules).
 */
export function isPending(state: TaskState): boolean {
  return state === "waiting" || state === "queued" || state === "processing"
}

/** The user-facing status of a task in `state`. */
export function futureStatus(state: TaskState): FutureStatus {
  switch (state) {
    case "memory":
      return "finished"
    case "erred":
      return "error"
    case "cancelled":
      return "cancelled"
    case "lost":
      return "lost"
    default:
      // released, waiting, queued, processing: not done yet.
      return "pending"
  }
}
