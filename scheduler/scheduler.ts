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
 * @internal
 * @module
 */
import { ReadyQueue } from "./ready-queue.js"
import { canTransition, isPending, isTerminal, taskStates, type TaskState } from "./state.js"

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
}

// One frozen empty array shared by every record without inputs (or without dependents), so that
// `client.map` over 20,000 independent tasks allocates no edge arrays. Typed as mutable because
// the record fields are; the scheduler replaces it before it would ever push.
const empty = Object.freeze([]) as unknown as never[]

/** Builds a record. The one place records are made, so that they all share one hidden class. */
function newRecord<P>(
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
function isWanted(task: TaskRecord<unknown>): boolean {
  if (task.refs > 0 || task.pendingDependents > 0) return true
  const state = task.state
  if (state === "erred" || state === "cancelled") return task.dependents.length > 0
  return task.keep && isPending(state)
}

/** States `cancel` acts on: pending, finished (memory) or erred, as Dask cancels a key in any of them. */
function isCancellable(state: TaskState): boolean {
  return state === "memory" || state === "erred" || isPending(state)
}

/** `deps` without repeats, first occurrence first, always a fresh array (the caller keeps theirs). */
function distinct<P>(deps: ReadonlyArray<TaskRecord<P>>): TaskRecord<P>[] {
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
function addDependent<P>(dep: TaskRecord<P>, task: TaskRecord<P>, index: number): number {
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
function removeDependent<P>(dep: TaskRecord<P>, slot: number): void {
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
function internalError(message: string): Error {
  return new Error(`weft internal error (scheduler): ${message}`)
}

/** The task table. See the module comment and `contract.md`. */
export class Scheduler<P> {
  private readonly table = new Map<string, TaskRecord<P>>()
  private readonly ready = new ReadyQueue<TaskRecord<P>>()
  private readonly hooks: SchedulerHooks<P>
  private nextSeq = 0

  constructor(hooks: SchedulerHooks<P>) {
    this.hooks = hooks
  }

  /** The record of `key` in the table, if any. */
  get(key: string): TaskRecord<P> | undefined {
    return this.table.get(key)
  }

  /** The records in the table (for shutdown and diagnostics; not a hot path). */
  tasks(): IterableIterator<TaskRecord<P>> {
    return this.table.values()
  }

  /** Records in the table. */
  get size(): number {
    return this.table.size
  }

  /** Records queued (ready to pop). */
  get readyCount(): number {
    return this.ready.size
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
  add(key: string, name: string, payload: P, dependencies: TaskRecord<P>[], priority: number): TaskRecord<P> {
    const existing = this.table.get(key)
    if (existing !== undefined) {
      if (existing.state !== "cancelled") return existing
      this.detach(existing)
    }
    const deps = dependencies.length === 0 ? empty : distinct(dependencies)
    const task = newRecord(key, name, payload, priority, this.nextSeq++, deps, false)
    this.insert(task)
    this.place(task)
    // The replaced record no longer holds its inputs (they are checked once the new one holds its own).
    if (existing !== undefined) this.recheck(existing.dependencies)
    return task
  }

  /**
   * Adds a finished value directly (scatter): state memory, onSettled fires. An existing key is
   * returned unchanged, except a cancelled one, which is replaced as in `add` (so that scattering
   * a value again after a cancel gives a finished Future, not a cancelled one).
   */
  addValue(key: string, name: string, payload: P, value: unknown): TaskRecord<P> {
    const existing = this.table.get(key)
    if (existing !== undefined) {
      if (existing.state !== "cancelled") return existing
      this.detach(existing)
    }
    const task = newRecord(key, name, payload, 0, this.nextSeq++, empty as TaskRecord<P>[], true)
    this.insert(task)
    this.transition(task, "memory")
    task.value = value
    this.hooks.onSettled(task)
    if (existing !== undefined) this.recheck(existing.dependencies)
    return task
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
    if (task.refs === 0 && task.inTable && !isWanted(task)) this.collect([task])
  }

  /**
   * fireAndForget: the task runs to the end even with no refs; once it settles with no refs it is
   * forgotten (the result is not kept). On a record that already settled this changes nothing
   * except that, if nothing else wants it, it is forgotten now.
   */
  keep(task: TaskRecord<P>): void {
    task.keep = true
    if (task.inTable && isTerminal(task.state) && !isWanted(task)) this.collect([task])
  }

  /** Pops the best queued task and moves it to processing (attempts++). undefined when none. */
  popReady(): TaskRecord<P> | undefined {
    const task = this.ready.pop()
    if (task === undefined) return undefined
    this.transition(task, "processing")
    task.attempts++
    return task
  }

  /**
   * waiting -> processing (attempts++): the engine runs the task in the same batch as the inputs
   * it still waits for, each of which must be processing (fusion: a worker computes a whole branch
   * in one message). Its `waitingOn` keeps counting those inputs until they succeed.
   */
  claim(task: TaskRecord<P>): void {
    this.transition(task, "processing")
    task.attempts++
  }

  /**
   * processing -> waiting, or queued when its inputs are all in memory: a claimed task whose batch
   * did not run to the end, or whose input in the batch failed and will be retried. A stale call
   * (the task is no longer processing) is ignored.
   */
  unclaim(task: TaskRecord<P>): void {
    if (task.state !== "processing") return
    if (task.waitingOn === 0) {
      this.transition(task, "queued")
      this.ready.push(task)
    } else this.transition(task, "waiting")
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
    this.transition(task, "memory")
    task.value = value
    this.hooks.onSettled(task)
    const dependents = task.dependents
    for (let i = 0; i < dependents.length; i++) {
      const d = dependents[i]
      if (d.state === "waiting") {
        if (--d.waitingOn === 0) {
          this.transition(d, "queued")
          this.ready.push(d)
        }
      } else if (d.state === "processing" && d.waitingOn > 0) d.waitingOn--
    }
    this.afterSettled(task)
  }

  /**
   * processing -> erred (no retries left): every transitive dependent not yet settled errs with the
   * same error and erredKey (the task's key), as in Dask. A stale outcome is ignored.
   */
  fail(task: TaskRecord<P>, error: unknown): void {
    if (task.state !== "processing") return
    this.transition(task, "erred")
    task.error = error
    task.erredKey = task.key
    this.hooks.onSettled(task)
    if (task.dependents.length === 0) {
      this.afterSettled(task)
      return
    }
    const settled: TaskRecord<P>[] = [task]
    const stack = task.dependents.slice()
    while (stack.length > 0) {
      const d = stack.pop()!
      if (!isPending(d.state)) continue
      this.leavePending(d)
      this.transition(d, "erred")
      d.waitingOn = 0
      d.error = error
      d.erredKey = task.key
      this.hooks.onSettled(d)
      settled.push(d)
      const next = d.dependents
      for (let i = 0; i < next.length; i++) stack.push(next[i])
    }
    this.afterSettledAll(settled)
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
        this.cancelOne(t, reason)
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
    this.afterSettledAll(settled)
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
    if (!task.inTable || (task.state !== "erred" && task.state !== "lost")) return
    // A lost scattered value has nothing to recompute (its dependents' retries cancel them).
    if (task.scattered) return
    // Kept only by settled dependents (no handle): pending again, nobody would want it.
    if (task.refs === 0 && !task.keep && task.pendingDependents === 0) return
    const order = this.reviveOrder(task)
    for (let i = 0; i < order.length; i++) {
      const t = order[i]
      t.value = undefined
      t.error = undefined
      t.erredKey = undefined
      t.cancelReason = undefined
      t.attempts = 0
      this.place(t)
    }
    // Records cancelled on the way (a scattered input is gone) may be unwanted.
    let settled: TaskRecord<P>[] | undefined
    for (let i = 0; i < order.length; i++) if (isTerminal(order[i].state)) (settled ??= []).push(order[i])
    if (settled !== undefined) this.afterSettledAll(settled)
  }

  /** Keys of the records in memory. */
  heldKeys(): string[] {
    const keys: string[] = []
    for (const task of this.table.values()) if (task.state === "memory") keys.push(task.key)
    return keys
  }

  /** For tests: throws if an invariant of `contract.md` does not hold. O(records + edges). */
  checkInvariants(): void {
    const broken = (task: TaskRecord<P>, what: string): never => {
      throw internalError(`invariant broken at ${task.key} (${task.state}): ${what}`)
    }
    let queued = 0
    for (const [key, t] of this.table) {
      if (t.key !== key) broken(t, `stored under key ${key}`)
      if (!t.inTable) broken(t, "in the table with inTable false")
      if (!taskStates.includes(t.state) || t.state === "released") broken(t, "bad state for a record in the table")
      if (!(t.refs >= 0)) broken(t, `refs ${t.refs}`)
      const deps = t.dependencies
      if (t.dependencySlots.length !== deps.length) broken(t, "dependencySlots length")
      let notInMemory = 0
      for (let i = 0; i < deps.length; i++) {
        const d = deps[i]
        if (deps.indexOf(d) !== i) broken(t, `dependency ${d.key} listed twice`)
        const slot = t.dependencySlots[i]
        if (d.dependents[slot] !== t || d.dependentSlots[slot] !== i) broken(t, `not in dependents of ${d.key}`)
        if (d.inTable ? this.table.get(d.key) !== d : d.state !== "released" && d.state !== "cancelled")
          broken(t, `dependency ${d.key} is ${d.state}, inTable ${d.inTable}, but not the table's record`)
        if (d.state !== "memory") {
          notInMemory++
          // A pending record waits only on inputs that will still come: an erred or cancelled
          // input errs or cancels it at once, and its inputs cannot be forgotten under it.
          if (isPending(t.state) && (!d.inTable || !isPending(d.state)))
            broken(t, `pending on input ${d.key}, which is ${d.state}${d.inTable ? "" : " and forgotten"}`)
        }
      }
      const dependents = t.dependents
      if (t.dependentSlots.length !== dependents.length) broken(t, "dependentSlots length")
      let pending = 0
      for (let k = 0; k < dependents.length; k++) {
        const x = dependents[k]
        const index = t.dependentSlots[k]
        if (!x.inTable) broken(t, `dependent ${x.key} is not in the table`)
        if (x.dependencies[index] !== t || x.dependencySlots[index] !== k)
          broken(t, `dependent ${x.key} does not list it`)
        if (isPending(x.state)) pending++
      }
      if (pending !== t.pendingDependents) broken(t, `pendingDependents ${t.pendingDependents}, counted ${pending}`)
      switch (t.state) {
        case "waiting":
          if (notInMemory === 0 || t.waitingOn !== notInMemory)
            broken(t, `waitingOn ${t.waitingOn}, counted ${notInMemory}`)
          break
        case "queued":
          queued++
          if (notInMemory !== 0) broken(t, "queued with an input not in memory")
          if (this.ready.items()[t.heapIndex] !== t) broken(t, "queued but not in the ready queue")
          break
        case "processing":
          // A claimed task (fusion) may wait on inputs that run in its batch.
          if (t.waitingOn !== notInMemory) broken(t, `processing: waitingOn ${t.waitingOn}, counted ${notInMemory}`)
          for (const d of deps)
            if (d.state !== "memory" && d.state !== "processing")
              broken(t, `processing on input ${d.key}, which is ${d.state}`)
          break
        case "erred":
          if (t.erredKey === undefined) broken(t, "erred without erredKey")
          break
        case "cancelled":
          if (t.cancelReason === undefined) broken(t, "cancelled without a reason")
          break
      }
      if (t.scattered && isPending(t.state)) broken(t, "a scattered value is pending: it has nothing to run")
      if (t.state !== "queued" && t.heapIndex !== -1) broken(t, "in the ready queue but not queued")
      if (t.state !== "memory" && t.value !== undefined) broken(t, "holds a value but is not in memory")
      // Settled records only: a pending record may be unwanted between `add` and the engine's
      // `acquire`, or as an unheld inner record of a graph whose dependents settled at once; it
      // runs and is forgotten when it settles.
      if (isTerminal(t.state) && !isWanted(t)) broken(t, "settled and nobody wants it, but it was not forgotten")
    }
    const items = this.ready.items()
    if (queued !== items.length) throw internalError(`readyCount ${items.length}, queued records ${queued}`)
    for (let i = 0; i < items.length; i++) {
      const t = items[i]
      if (t.heapIndex !== i) broken(t, `heapIndex ${t.heapIndex}, at ${i}`)
      if (!t.inTable || t.state !== "queued") broken(t, "in the ready queue but not a queued record in the table")
      if (i > 0) {
        const parent = items[(i - 1) >> 1]
        if (t.priority > parent.priority || (t.priority === parent.priority && t.seq < parent.seq))
          broken(t, "heap order")
      }
    }
  }

  // ---- state changes -------------------------------------------------------------------------

  /**
   * The only writer of `state`: checks the table, keeps the dependencies' `pendingDependents`
   * counts (the release rule reads them) and reports the change.
   */
  private transition(task: TaskRecord<P>, to: TaskState): void {
    const from = task.state
    if (!canTransition(from, to)) throw internalError(`illegal transition of ${task.key}: ${from} -> ${to}`)
    task.state = to
    if (task.inTable) {
      const now = isPending(to)
      if (isPending(from) !== now) {
        const deps = task.dependencies
        const delta = now ? 1 : -1
        for (let i = 0; i < deps.length; i++) deps[i].pendingDependents += delta
      }
    }
    const onTransition = this.hooks.onTransition
    if (onTransition !== undefined) onTransition(task, from, to)
  }

  /**
   * Moves a record that is released (new or being revived), erred or lost to the state its
   * dependencies allow: erred (an input erred), cancelled (an input is cancelled or forgotten, or
   * a lost scattered value), waiting or queued. Retry calls it deps-first, so that revived inputs
   * are pending by then.
   */
  private place(task: TaskRecord<P>): void {
    const deps = task.dependencies
    let waitingOn = 0
    let erredDep: TaskRecord<P> | undefined
    let lost = false
    for (let i = 0; i < deps.length; i++) {
      const d = deps[i]
      const s = d.state
      if (s === "memory") continue
      if (s === "erred") erredDep ??= d
      else if (s === "cancelled" || !d.inTable || (s === "lost" && d.scattered)) lost = true
      else waitingOn++
    }
    if (erredDep !== undefined) {
      this.transition(task, "erred")
      task.error = erredDep.error
      task.erredKey = erredDep.erredKey
      this.hooks.onSettled(task)
    } else if (lost) {
      // A retried record (erred or lost) whose input cannot come back (a forgotten scattered
      // value): pending again, then cancelled, as a new task on that input would be.
      if (task.state !== "released") this.transition(task, "waiting")
      this.transition(task, "cancelled")
      task.cancelReason = "lost dependencies"
      this.hooks.onSettled(task)
    } else if (waitingOn > 0) {
      task.waitingOn = waitingOn
      this.transition(task, "waiting")
    } else {
      task.waitingOn = 0
      this.transition(task, "queued")
      this.ready.push(task)
    }
  }

  /** Takes a pending record out of the ready queue, or tells the engine to abort it if it runs. */
  private leavePending(task: TaskRecord<P>): void {
    if (task.state === "queued") this.ready.remove(task)
    else if (task.state === "processing") this.hooks.onAbort(task)
  }

  /** pending, memory or erred -> cancelled with `reason`, no cascade; a value or error is dropped. */
  private cancelOne(task: TaskRecord<P>, reason: string): void {
    this.leavePending(task)
    this.transition(task, "cancelled")
    task.waitingOn = 0
    task.value = undefined
    task.error = undefined
    task.erredKey = undefined
    task.cancelReason = reason
    this.hooks.onSettled(task)
  }

  // ---- the table and its edges ---------------------------------------------------------------

  /** Puts a released record in the table and links it into its dependencies' dependents. */
  private insert(task: TaskRecord<P>): void {
    this.table.set(task.key, task)
    task.inTable = true
    const deps = task.dependencies
    const n = deps.length
    if (n === 0) return
    if (n === 1) {
      task.dependencySlots = [addDependent(deps[0], task, 0)]
      return
    }
    const slots: number[] = []
    for (let i = 0; i < n; i++) slots.push(addDependent(deps[i], task, i))
    task.dependencySlots = slots
  }

  /** Takes a record out of its dependencies' dependents (it is leaving the table). */
  private unlink(task: TaskRecord<P>): void {
    const deps = task.dependencies
    const slots = task.dependencySlots
    for (let i = 0; i < deps.length; i++) removeDependent(deps[i], slots[i])
    task.dependencySlots = empty
  }

  /** Removes a settled record from the table: state released, value and error dropped, onForget. */
  private forget(task: TaskRecord<P>): void {
    this.transition(task, "released")
    task.value = undefined
    task.error = undefined
    task.erredKey = undefined
    task.cancelReason = undefined
    task.waitingOn = 0
    this.table.delete(task.key)
    task.inTable = false
    this.unlink(task)
    this.hooks.onForget?.(task)
  }

  /**
   * Takes a cancelled record out of the table without changing its state, to make room for a fresh
   * record of the same key: Futures that hold the old object still read "cancelled".
   */
  private detach(task: TaskRecord<P>): void {
    this.table.delete(task.key)
    task.inTable = false
    this.unlink(task)
    this.hooks.onForget?.(task)
  }

  /** Points `task.dependencies[index]` at `target` (a record of the same key), keeping the edges. */
  private rebind(task: TaskRecord<P>, index: number, target: TaskRecord<P>): void {
    if (task.inTable) removeDependent(task.dependencies[index], task.dependencySlots[index])
    task.dependencies[index] = target
    if (task.inTable) task.dependencySlots[index] = addDependent(target, task, index)
  }

  // ---- release -------------------------------------------------------------------------------

  /** Runs the release rules after `task` settled: on the task, then on its dependencies. Allocates only when something goes. */
  private afterSettled(task: TaskRecord<P>): void {
    if (task.inTable && !isWanted(task)) {
      this.collect([task]) // forgets it and then checks its dependencies
      return
    }
    this.recheck(task.dependencies)
  }

  /** Runs the release rules on `records` (which lost a dependent). */
  private recheck(records: ReadonlyArray<TaskRecord<P>>): void {
    for (let i = 0; i < records.length; i++) {
      const d = records[i]
      if (d.inTable && !isWanted(d)) this.collect([d])
    }
  }

  /** `afterSettled` for many records at once (a cascade). */
  private afterSettledAll(settled: ReadonlyArray<TaskRecord<P>>): void {
    const stack: TaskRecord<P>[] = []
    for (let i = 0; i < settled.length; i++) {
      const t = settled[i]
      stack.push(t)
      const deps = t.dependencies
      for (let j = 0; j < deps.length; j++) stack.push(deps[j])
    }
    this.collect(stack)
  }

  /**
   * The release rules, iteratively: pops records and forgets (settled) or cancels with reason
   * "released" and forgets (pending) every one nobody wants, pushing its dependencies, which may
   * stop being wanted in turn. A record pushed twice is skipped the second time (no longer in the
   * table, or wanted).
   */
  private collect(stack: TaskRecord<P>[]): void {
    while (stack.length > 0) {
      const t = stack.pop()!
      if (!t.inTable || isWanted(t)) continue
      if (isPending(t.state)) this.cancelOne(t, "released")
      this.forget(t)
      const deps = t.dependencies
      for (let i = 0; i < deps.length; i++) stack.push(deps[i])
    }
  }

  // ---- retry ---------------------------------------------------------------------------------

  /**
   * The records `retry(root)` revives, dependencies before dependents (post-order of an iterative
   * depth-first walk, so a long chain cannot overflow the stack). Forgotten records met on the way
   * are put back in the table (state released) as they are found, so that a key is revived once.
   */
  private reviveOrder(root: TaskRecord<P>): TaskRecord<P>[] {
    const order: TaskRecord<P>[] = []
    const seen = new Set<TaskRecord<P>>([root])
    const tasks: TaskRecord<P>[] = [root]
    const next: number[] = [0]
    while (tasks.length > 0) {
      const top = tasks.length - 1
      const t = tasks[top]
      const i = next[top]
      if (i === t.dependencies.length) {
        tasks.pop()
        next.pop()
        order.push(t)
        continue
      }
      next[top] = i + 1
      const d = this.resolveForRetry(t, i)
      if (d !== undefined && !seen.has(d)) {
        seen.add(d)
        tasks.push(d)
        next.push(0)
      }
    }
    return order
  }

  /**
   * Makes `task.dependencies[index]` a record in the table and returns it when it must be revived
   * (erred, lost, or just put back), undefined when it is fine as it is (memory or pending) or can
   * never be revived (a scattered value).
   */
  private resolveForRetry(task: TaskRecord<P>, index: number): TaskRecord<P> | undefined {
    let d = task.dependencies[index]
    if (!d.inTable) {
      const current = this.table.get(d.key)
      if (current === undefined) {
        // A scattered value has nothing to run: it stays forgotten and `place` cancels the dependent.
        if (d.scattered) return undefined
        // Put it back. A cancelled object keeps its state (handles may still read it): copy it.
        const revived = d.state === "cancelled" ? this.copyOf(d) : d
        this.insert(revived)
        if (revived !== d) this.rebind(task, index, revived)
        return revived
      }
      if (current !== d) this.rebind(task, index, current)
      d = current
    }
    // A scattered value has nothing to run, whatever its state: in memory it is usable; cancelled
    // (Dask's cancel of a finished key) or lost it is gone, and `place` cancels the dependent for
    // lost dependencies. Copying or reviving it would queue a record with no computation.
    if (d.scattered) return undefined
    switch (d.state) {
      case "erred":
        return d
      case "lost":
        return d
      case "cancelled": {
        // The copy links to the same inputs, so none of them stops being wanted.
        const fresh = this.copyOf(d)
        this.detach(d)
        this.insert(fresh)
        this.rebind(task, index, fresh)
        return fresh
      }
      default:
        // memory or pending: usable; released: put back earlier in this walk, already seen.
        return undefined
    }
  }

  /** A fresh released record with the key, computation and inputs of `task` (a new seq). */
  private copyOf(task: TaskRecord<P>): TaskRecord<P> {
    const deps = task.dependencies.length === 0 ? task.dependencies : task.dependencies.slice()
    return newRecord(task.key, task.name, task.payload, task.priority, this.nextSeq++, deps, task.scattered)
  }
}
