/**
 * weft's task table: states, dependencies, reference counts, the ready queue and release, after
 * the Dask scheduler's. It does no I/O, starts no timers and knows nothing about workers,
 * functions or Effect, so that it can be property-tested alone; the engine drives it (adds tasks,
 * pops ready ones, runs them, reports outcomes). See `contract.md` beside this file.
 *
 * Cost model: `add`, `popReady` and `succeed` run once per task for tens of thousands of tasks, so
 * they allocate nothing beyond the record itself (and, for a task with inputs, its edge arrays),
 * throw nothing on the normal path and walk only the edges of the task at hand. Every walk over a
 * graph (release, cancel, fail, retry) uses an explicit stack, never recursion, so a chain of any
 * length is safe.
 *
 * Layout: this class is the API the engine drives; it decides which moves to make. What a move
 * does is in `transitions.ts` (the table: one handler per edge, the only writer of a record's
 * state); `place.ts` decides where an added record goes, `release.ts` the release rules,
 * `retry.ts` retry's walk, `invariants.ts` the checks; `record.ts` and `machine.ts` hold the data.
 *
 * @internal
 * @module
 */
import { attach, hold } from "./gate.js"
import { checkInvariants } from "./invariants.js"
import { Machine, insert, remove } from "./machine.js"
import { place } from "./place.js"
import {
  distinct,
  empty,
  internalError,
  isCancellable,
  isWanted,
  newRecord,
  type SchedulerHooks,
  type TaskRecord
} from "./record.js"
import { afterSettled, afterSettledAll, collect, recheck } from "./release.js"
import { planRecovery, recover, type LineageFacts, type RecoveryPlan } from "./lineage.js"
import { retry } from "./retry.js"
import { isPending, isTerminal } from "./state.js"
import { transition } from "./transitions.js"

export type { SchedulerHooks, TaskRecord } from "./record.js"
export type { LineageFacts, RecoveryPlan } from "./lineage.js"

/** The task table. See the module comment and `contract.md`. */
export class Scheduler<P> {
  private readonly m: Machine<P>

  constructor(hooks: SchedulerHooks<P>) {
    this.m = new Machine(hooks)
  }

  /** The record of `key` in the table, if any. */
  get(key: string): TaskRecord<P> | undefined {
    return this.m.table.get(key)
  }

  /** The records in the table (for shutdown and diagnostics; not a hot path). */
  tasks(): IterableIterator<TaskRecord<P>> {
    return this.m.table.values()
  }

  /** Records in the table. */
  get size(): number {
    return this.m.table.size
  }

  /** Records queued (ready to pop). */
  get readyCount(): number {
    return this.m.ready.size
  }

  /**
   * Adds a task, or returns the existing record of that key (deduplication of pure calls: same key,
   * same computation). An existing record in waiting/queued/processing/memory/erred/lost is
   * returned unchanged (an erred key returns its error without running again; new priority or
   * payload is ignored, as Dask ignores new annotations). An existing cancelled record is replaced
   * by a fresh one (the old record object keeps its cancelled state and leaves the table).
   *
   * The new record, linked to `dependencies` (deduplicated, copied):
   *  - if any dependency is erred: erred at once with that dependency's error and erredKey;
   *  - else if any is cancelled or forgotten: cancelled with reason "lost dependencies";
   *  - else waiting (`waitingOn` = dependencies not in memory) or queued (none).
   * onSettled fires for a task that settles here. `add` does not apply the release rules to the
   * new record: the engine acquires (or keeps, or adds a dependent on) it right after.
   */
  add(
    key: string,
    name: string,
    payload: P,
    dependencies: TaskRecord<P>[],
    priority: number,
    known?: TaskRecord<P> | null
  ): TaskRecord<P> {
    // `known`: the caller just looked the key up (null: not in the table), so it is not looked up again.
    const existing = known === undefined ? this.m.table.get(key) : (known ?? undefined)
    if (existing !== undefined) {
      if (existing.state !== "cancelled") return existing
      replaceCancelled(this.m, existing)
    }
    const deps = dependencies.length === 0 ? empty : distinct(dependencies)
    const task = newRecord(key, name, payload, priority, this.m.nextSeq++, deps, false)
    insert(this.m, task)
    place(this.m, task)
    // The replaced record no longer holds its inputs (they are checked once the new one holds its own).
    if (existing !== undefined) recheck(this.m, existing.dependencies)
    return task
  }

  /**
   * Adds a finished value directly (scatter): state memory, onSettled fires. An existing key is
   * returned unchanged, except a cancelled one, which is replaced as in `add` (so that scattering
   * a value again after a cancel gives a finished Future, not a cancelled one).
   */
  addValue(key: string, name: string, payload: P, value: unknown): TaskRecord<P> {
    const existing = this.m.table.get(key)
    if (existing !== undefined) {
      if (existing.state !== "cancelled") return existing
      replaceCancelled(this.m, existing)
    }
    const task = newRecord(key, name, payload, 0, this.m.nextSeq++, empty as TaskRecord<P>[], true)
    insert(this.m, task)
    transition(this.m, task, "memory", value)
    if (existing !== undefined) recheck(this.m, existing.dependencies)
    return task
  }

  /**
   * Adds a record that is processing at once and that only the engine settles (`succeed`/`fail`):
   * the hold a graph's outputs wait on while the engine adds the graph in slices (`gate.ts`).
   */
  hold(key: string, name: string, payload: P): TaskRecord<P> {
    return hold(this.m, key, name, payload)
  }

  /**
   * Gives a record waiting on a hold its real inputs and places it as `add` places a new record
   * (erred, cancelled for lost dependencies, queued or waiting). No-op unless it is waiting.
   */
  attach(task: TaskRecord<P>, dependencies: ReadonlyArray<TaskRecord<P>>): void {
    if (attach(this.m, task, dependencies)) this.cancel(task, "lost dependencies")
  }

  /** A client handle (Future) now holds `task`: refs++. */
  acquire(task: TaskRecord<P>): void {
    task.refs++
  }

  /**
   * A client handle let go of `task`: refs--. When nothing wants the record any more it is
   * forgotten (settled), or cancelled with reason "released" and forgotten (pending; a running one
   * gets onAbort first), and its dependencies are checked in turn. Throws (internal error) when
   * refs is already 0.
   */
  release(task: TaskRecord<P>): void {
    if (task.refs <= 0) throw internalError(`release of ${task.key} without a handle`)
    task.refs--
    if (task.refs === 0 && task.inTable && !isWanted(task)) collect(this.m, [task])
  }

  /**
   * fireAndForget: the task runs to the end even with no refs; once it settles with no refs it is
   * forgotten (the result is not kept). On a record that already settled this changes nothing
   * except that, if nothing else wants it, it is forgotten now.
   */
  keep(task: TaskRecord<P>): void {
    task.keep = true
    if (task.inTable && isTerminal(task.state) && !isWanted(task)) collect(this.m, [task])
  }

  /** Pops the best queued task and moves it to processing (attempts++). undefined when none. */
  popReady(): TaskRecord<P> | undefined {
    const task = this.m.ready.peek()
    if (task !== undefined) transition(this.m, task, "processing")
    return task
  }

  /**
   * waiting -> processing (attempts++): the engine runs the task in the same batch as the inputs
   * it still waits for, each of which must be processing (fusion: a worker computes a whole branch
   * in one message). Its `waitingOn` keeps counting those inputs until they succeed.
   */
  claim(task: TaskRecord<P>): void {
    transition(this.m, task, "processing")
  }

  /**
   * processing -> waiting, or queued when its inputs are all in memory: a claimed task whose batch
   * did not run to the end, or whose input in the batch failed and will be retried. A stale call
   * (the task is no longer processing) is ignored.
   */
  unclaim(task: TaskRecord<P>): void {
    if (task.state !== "processing") return
    transition(this.m, task, task.waitingOn === 0 ? "queued" : "waiting")
  }

  /**
   * processing -> memory; each waiting dependent's waitingOn--, those reaching 0 become queued
   * (a claimed dependent, already processing, only counts down);
   * then the release rules run on the task (a fireAndForget task with no refs is forgotten) and on
   * its dependencies. A stale outcome (the task is no longer processing: cancelled or released
   * while it ran) is ignored.
   */
  succeed(task: TaskRecord<P>, value: unknown): void {
    if (task.state !== "processing") return
    transition(this.m, task, "memory", value)
    afterSettled(this.m, task)
  }

  /**
   * processing -> erred (no retries left): every transitive dependent not yet settled errs with the
   * same error and erredKey (the task's key), as in Dask. A stale outcome is ignored.
   */
  fail(task: TaskRecord<P>, error: unknown): void {
    if (task.state !== "processing") return
    if (task.dependents.length === 0) {
      transition(this.m, task, "erred", error, task.key)
      afterSettled(this.m, task)
      return
    }
    const settled: TaskRecord<P>[] = [task]
    transition(this.m, task, "erred", error, task.key, settled)
    afterSettledAll(this.m, settled)
  }

  /**
   * processing -> queued: run again (a retry after its delay, or after a worker died). The
   * engine counts attempts against its retry policy (`attempts`). A stale outcome is ignored.
   */
  requeue(task: TaskRecord<P>): void {
    // The same as giving back a claim: a claimed task whose inputs are not all in memory waits.
    this.unclaim(task)
  }

  /**
   * Cancels the task and every transitive dependent, all with `reason`, as Dask's cancel does:
   * pending ones stop (running ones get onAbort), finished (memory) and erred ones drop their
   * value or error, and every Future of those keys reads "cancelled". Then the release rules run
   * (cancelled records nobody holds are forgotten). The cascade goes on through records that were
   * already cancelled (an erred dependent may have been added on one since), so cancelling such a
   * record again cancels those dependents only. A lost or forgotten task: no-op.
   *
   * `pendingOnly` leaves memory and erred records alone, in the cascade too: the engine's
   * `close()` cancels what has not settled and keeps what has (a finished Future still gives its
   * value, an erred one its error).
   */
  cancel(task: TaskRecord<P>, reason: string, pendingOnly = false): void {
    const acts = pendingOnly ? isPending : isCancellable
    if (!task.inTable || (!acts(task.state) && (pendingOnly || task.state !== "cancelled"))) return
    const settled: TaskRecord<P>[] = []
    const stack: TaskRecord<P>[] = [task]
    // Records already cancelled that the walk went through, each once (see below).
    let passed: Set<TaskRecord<P>> | undefined
    while (stack.length > 0) {
      const t = stack.pop()!
      if (acts(t.state)) {
        transition(this.m, t, "cancelled", reason)
        settled.push(t)
      } else {
        // As Dask's cancel_key, the cascade reaches every dependent whatever its state. A record
        // that is already cancelled may have a dependent that is not: one added on it and on an
        // erred input errs (the erred input wins in `place`). Walk on through it, once.
        if (pendingOnly || t.state !== "cancelled" || t.dependents.length === 0) continue
        passed ??= new Set()
        if (passed.has(t)) continue
        passed.add(t)
      }
      const next = t.dependents
      for (let i = 0; i < next.length; i++) stack.push(next[i])
    }
    afterSettledAll(this.m, settled)
  }

  /**
   * erred (or lost) -> waiting/queued again, and the same for every ancestor that is erred, lost,
   * cancelled or forgotten, transitively (Dask's stimulus_retry walks back to the root), even when
   * the ancestor's own handles were released: a forgotten dependency is put back in the table from
   * its record object. When a forgotten dependency's key is held by another record now, the
   * dependency slot is pointed at that record instead (same key, same computation); a cancelled
   * ancestor is replaced by a fresh copy (the cancelled object keeps its state, as in `add`).
   * attempts is reset to 0 on every revived record. A forgotten scattered value (addValue) has
   * nothing to run: it stays forgotten and the records that need it are cancelled with "lost
   * dependencies", as Dask does with lost scattered data. Any other state, or a record that nothing
   * holds (no handle, no keep: an inner record kept only by settled dependents): no-op.
   */
  retry(task: TaskRecord<P>): void {
    retry(this.m, task)
  }

  /** What `recover` would do for `roots`, records whose results vanished (lineage.ts); changes nothing. */
  planRecovery(roots: ReadonlyArray<TaskRecord<P>>, facts: LineageFacts<P>): RecoveryPlan<P> {
    return planRecovery(this.m, roots, facts)
  }

  /**
   * Records whose results vanished from where they were held: each is computed again from its
   * lineage (memory -> waiting/queued, with the forgotten inputs it needs) or, when it cannot be,
   * becomes lost with `lostError(task, reason)` (lineage.ts). Returns the records that will run again.
   */
  recover(
    roots: ReadonlyArray<TaskRecord<P>>,
    facts: LineageFacts<P>,
    lostError: (task: TaskRecord<P>, reason: string) => unknown
  ): TaskRecord<P>[] {
    return recover(this.m, roots, facts, lostError)
  }

  /** Keys of the records in memory. */
  heldKeys(): string[] {
    const keys: string[] = []
    for (const task of this.m.table.values()) if (task.state === "memory") keys.push(task.key)
    return keys
  }

  /** For tests: throws if an invariant of `contract.md` does not hold. O(records + edges). */
  checkInvariants(): void {
    checkInvariants(this.m)
  }
}

/**
 * A cancelled record leaves the table for a fresh one of its key. It keeps its cancelled state
 * (its Futures still read "cancelled"), but for observers of the table (the dashboard's counts)
 * it is gone: they are told cancelled -> released, as when a cancelled record is forgotten.
 */
function replaceCancelled<P>(m: Machine<P>, existing: TaskRecord<P>): void {
  remove(m, existing)
  m.hooks.onTransition?.(existing, "cancelled", "released")
}
