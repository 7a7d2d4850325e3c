/**
 * The task record and the edges between records: the data every other scheduler module works on.
 * No state changes here (those are in `transitions.ts`), only the record's shape, how records link
 * to their inputs and dependents, and the release rule that reads them.
 *
 * @internal
 * @module
 */
import { isPending, type TaskState } from "./state.js"

/**
 * One task. A plain object of one fixed shape (all records are built by one function), read by the
 * engine on the hot path. The engine may read every field and write `payload`; everything else is
 * the scheduler's to write, through its methods.
 */
export interface TaskRecord<P> {
  /** The task's key: equal keys are the same computation. */
  readonly key: string
  /** The key prefix (function name), for progress bars. */
  readonly name: string
  /** Where the task is in its life; see `state.ts`. */
  state: TaskState
  /** Engine data (function, argument template, options): opaque here. */
  payload: P
  /** Higher pops first. */
  priority: number
  /** Order of addition: the tie-breaker in the ready queue (earlier first). */
  readonly seq: number
  /**
   * Distinct inputs, in argument order. The engine reads input values by index
   * (`dependencies[i].value`): `retry` may replace an entry by the current record of the same key
   * (same key, same computation) but never reorders. Shared and frozen when empty: never push.
   */
  dependencies: TaskRecord<P>[]
  /** The records in the table that list this one in `dependencies` (any order). Never push. */
  dependents: TaskRecord<P>[]
  /** For a waiting record: how many dependencies are not in memory yet. */
  waitingOn: number
  /** Live client handles (Futures). */
  refs: number
  /** fireAndForget: run to the end even with no refs (the result is then dropped). */
  keep: boolean
  /** The result, while in memory; undefined otherwise. */
  value: unknown
  /** When erred: the error (for a dependent: the root's error). */
  error: unknown
  /** When erred: the key of the task whose failure caused it (itself, or the root it depends on). */
  erredKey: string | undefined
  /** When cancelled: why (`"lost dependencies"`, `"released"`, or the reason given to `cancel`). */
  cancelReason: string | undefined
  /** Attempts started (popReady increments; retry resets to 0). */
  attempts: number
  /** False once forgotten (removed from the table). */
  inTable: boolean
  /**
   * Added to the contract: made by `addValue` (scatter). Such a record has nothing to run, so retry
   * cannot recompute it once forgotten: its dependents are cancelled for lost dependencies, as Dask
   * does with lost scattered data.
   */
  readonly scattered: boolean
  /**
   * Scheduler-internal (added to the contract): how many `dependents` are waiting, queued or
   * processing. Kept as a count so that "is this record still wanted?" is O(1) even for an input
   * shared by 20,000 tasks.
   */
  pendingDependents: number
  /** Scheduler-internal: for dependency i, the index of this record in `dependencies[i].dependents`. */
  dependencySlots: number[]
  /** Scheduler-internal: for dependent k, the index of this record in `dependents[k].dependencies`. */
  dependentSlots: number[]
  /** Scheduler-internal: index in the ready queue's heap, -1 when not queued. */
  heapIndex: number
}

/**
 * What the scheduler tells the engine. Hooks run synchronously in the middle of a scheduler call,
 * possibly between two steps of a cascade: they must not call back into the scheduler (queue that
 * work, e.g. resolve a Deferred) and must not throw.
 */
export interface SchedulerHooks<P> {
  /** A task reached memory, erred or cancelled (or lost). Called once per such transition, synchronously. */
  onSettled(task: TaskRecord<P>): void
  /** A task that was running (processing) is cancelled or released: the engine should abort it. Called before the state changes. */
  onAbort(task: TaskRecord<P>): void
  /** A task left the table; its value is dropped. */
  onForget?(task: TaskRecord<P>): void
  /** Every state change, after it happened (added to the contract: for tests, diagnostics and progress). */
  onTransition?(task: TaskRecord<P>, from: TaskState, to: TaskState): void
  /**
   * Runs `work` in a later turn of the event loop (added to the contract): a release cascade longer than
   * `releaseSlice.records` goes on there (release.ts). Without it every cascade runs to its end at once.
   */
  later?(work: () => void): void
}

/**
 * One frozen empty array shared by every record without inputs (or without dependents), so that
 * `client.map` over 20,000 independent tasks allocates no edge arrays. Typed as mutable because
 * the record fields are; the scheduler replaces it before it would ever push.
 */
export const empty = Object.freeze([]) as unknown as never[]

/** Builds a record. The one place records are made, so that they all share one hidden class. */
export function newRecord<P>(
  key: string,
  name: string,
  payload: P,
  priority: number,
  seq: number,
  dependencies: TaskRecord<P>[],
  scattered: boolean
): TaskRecord<P> {
  return {
    key,
    name,
    state: "released",
    payload,
    priority,
    seq,
    dependencies,
    dependents: empty,
    waitingOn: 0,
    refs: 0,
    keep: false,
    value: undefined,
    error: undefined,
    erredKey: undefined,
    cancelReason: undefined,
    attempts: 0,
    inTable: false,
    scattered,
    pendingDependents: 0,
    dependencySlots: empty,
    dependentSlots: empty,
    heapIndex: -1
  }
}

/**
 * The release rule: a record is wanted while a handle holds it, or a dependent still has to run,
 * or (until it settles) fireAndForget holds it. An erred or cancelled record is also kept while
 * any dependent is in the table, as Dask keeps a task while it has dependents: it holds no data,
 * and a graph added on an erred (or cancelled) input settles at once, before the engine can hold
 * its inner records, which must survive until their own dependents are added so that those err
 * with the root's error too (instead of being cancelled for lost dependencies).
 */
export function isWanted(task: TaskRecord<unknown>): boolean {
  if (task.refs > 0 || task.pendingDependents > 0) return true
  const state = task.state
  if (state === "erred" || state === "cancelled") return task.dependents.length > 0
  return task.keep && isPending(state)
}

/** States `cancel` acts on: pending, finished (memory) or erred, as Dask cancels a key in any of them. */
export function isCancellable(state: TaskState): boolean {
  return state === "memory" || state === "erred" || isPending(state)
}

/** `deps` without repeats, first occurrence first, always a fresh array (the caller keeps theirs). */
export function distinct<P>(deps: ReadonlyArray<TaskRecord<P>>): TaskRecord<P>[] {
  const n = deps.length
  if (n === 1) return [deps[0]]
  if (n > 16) return Array.from(new Set(deps))
  const out: TaskRecord<P>[] = []
  outer: for (let i = 0; i < n; i++) {
    const d = deps[i]
    for (let j = 0; j < out.length; j++) if (out[j] === d) continue outer
    out.push(d)
  }
  return out
}

/** Makes `task` a dependent of `dep`, as `task.dependencies[index]`; returns the slot in `dep.dependents`. */
export function addDependent<P>(dep: TaskRecord<P>, task: TaskRecord<P>, index: number): number {
  if (dep.dependents === empty) {
    dep.dependents = [task]
    dep.dependentSlots = [index]
    return 0
  }
  const slot = dep.dependents.length
  dep.dependents.push(task)
  dep.dependentSlots.push(index)
  return slot
}

/** Removes the dependent at `slot` of `dep` in O(1): the last one moves into the hole. */
export function removeDependent<P>(dep: TaskRecord<P>, slot: number): void {
  const list = dep.dependents
  const back = dep.dependentSlots
  const last = list.length - 1
  if (slot !== last) {
    const moved = list[last]
    const index = back[last]
    list[slot] = moved
    back[slot] = index
    moved.dependencySlots[index] = slot
  }
  list.pop()
  back.pop()
}

/** An internal error: the scheduler (or the engine driving it) broke a rule. Never user input. */
export function internalError(message: string): Error {
  return new Error(`weft internal error (scheduler): ${message}`)
}
