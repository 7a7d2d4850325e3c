/**
 * Task states and the transition table, after the Dask scheduler's: a task's life is an explicit
 * state machine, so that every move can be checked against one table and property-tested without
 * I/O. The scheduler (`scheduler.ts`) is the only writer of a record's state.
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

/**
 * The legal moves: `transitions[from]` lists the states `from` may go to. Any other move is a bug
 * in the scheduler (never a user error) and makes it throw.
 *
 * `released -> memory` is there for `addValue` (scatter): a value that arrives finished.
 * `waiting -> processing` is a *claim*: the task runs in the same batch as the inputs it waits for
 * (fusion), and `processing -> waiting` gives it back when that batch did not produce them.
 * `memory -> cancelled` and `erred -> cancelled` are Dask's cancel of a finished or erred task:
 * its result (or error) is forgotten and every Future of the key reads "cancelled".
 */
export const transitions: Readonly<Record<TaskState, ReadonlyArray<TaskState>>> = Object.freeze({
  released: Object.freeze(["waiting", "queued", "memory", "erred", "cancelled"] as const),
  waiting: Object.freeze(["queued", "processing", "erred", "cancelled", "released"] as const),
  queued: Object.freeze(["processing", "erred", "cancelled", "released"] as const),
  processing: Object.freeze(["memory", "erred", "queued", "waiting", "cancelled", "released"] as const),
  memory: Object.freeze(["released", "lost", "cancelled"] as const),
  erred: Object.freeze(["released", "waiting", "queued", "cancelled"] as const),
  cancelled: Object.freeze(["released"] as const),
  lost: Object.freeze(["released", "waiting", "queued"] as const)
})

/**
 * True when the table allows `from -> to`. Written as a switch rather than a lookup in
 * `transitions`: it runs on every state change, and comparisons of the interned state strings
 * are cheaper than keyed property loads (state.test.ts checks it against the table, pair by pair).
 */
export function canTransition(from: TaskState, to: TaskState): boolean {
  switch (from) {
    case "released":
      return to === "queued" || to === "waiting" || to === "memory" || to === "erred" || to === "cancelled"
    case "waiting":
      return to === "queued" || to === "processing" || to === "erred" || to === "cancelled" || to === "released"
    case "queued":
      return to === "processing" || to === "erred" || to === "cancelled" || to === "released"
    case "processing":
      return (
        to === "memory" ||
        to === "erred" ||
        to === "queued" ||
        to === "waiting" ||
        to === "cancelled" ||
        to === "released"
      )
    case "memory":
      return to === "released" || to === "lost" || to === "cancelled"
    case "erred":
      return to === "released" || to === "waiting" || to === "queued" || to === "cancelled"
    case "cancelled":
      return to === "released"
    case "lost":
      return to === "released" || to === "waiting" || to === "queued"
    default:
      return false
  }
}

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
