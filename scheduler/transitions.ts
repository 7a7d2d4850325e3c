/**
 * The transition table, after Dask's `_TRANSITIONS_TABLE`: each legal move `from -> to` of a
 * record maps to one named handler that performs that move's effect (the state write, the ready
 * queue, the record's fields, the engine's hooks) and records what should move next (a
 * recommendation, e.g. the dependents of a failed task err too). `transition()` is the only way to
 * change a record's state: it looks the edge up, throws an internal error when the table has no
 * such edge (a scheduler bug, never user input), runs the handler and then the recommendations.
 * The other modules decide *which* moves to make (`place`, the release rules, cancel's walk,
 * retry's revival); what a move *does* lives here, one function per kind of move.
 *
 * Hot path (add, popReady, succeed, forget): a handler is a plain module function called with
 * plain arguments; nothing is allocated per transition (recommendations go on the machine's
 * parallel stacks).
 *
 * The table is written out in `contract.md` and `docs/architecture.md`; `transitions.test.ts`
 * parses both and checks them against `transitionTable`.
 *
 * @internal
 * @module
 */
import type { Machine } from "./machine.js"
import { remove } from "./machine.js"
import { internalError, type TaskRecord } from "./record.js"
import { isPending, taskStates, type TaskState } from "./state.js"

/**
 * What a handler gets: the machine, the record (still in its `from` state) and two arguments whose
 * meaning depends on the target state: waiting: `a` = inputs not in memory; memory: `a` = value;
 * erred: `a` = error, `b` = the key whose failure it is (`erredKey`); cancelled: `a` = reason;
 * lost: `a` = the error its Futures and pending dependents get.
 * A handler writes the new state with `enter` at the point its effect requires (an abort is
 * reported before the state changes) and may `recommend` further moves.
 */
export type Handler = <P>(m: Machine<P>, task: TaskRecord<P>, a: unknown, b: string | undefined) => void

// ---- the steps every handler uses ------------------------------------------------------------

/**
 * Writes the state: the one writer of `task.state`. Keeps the inputs' `pendingDependents` counts
 * (the release rule reads them) and reports the move (onTransition).
 */
function enter<P>(m: Machine<P>, task: TaskRecord<P>, to: TaskState): void {
  const from = task.state
  task.state = to
  if (task.inTable) {
    const now = isPending(to)
    if (isPending(from) !== now) {
      const deps = task.dependencies
      const delta = now ? 1 : -1
      for (let i = 0; i < deps.length; i++) deps[i].pendingDependents += delta
    }
  }
  const onTransition = m.hooks.onTransition
  if (onTransition !== undefined) onTransition(task, from, to)
}

/** Records that `task` should move to `to` once the current handler is done (Dask's recommendations). */
function recommend<P>(m: Machine<P>, task: TaskRecord<P>, to: TaskState, a: unknown, b: string | undefined): void {
  m.recTask.push(task)
  m.recTo.push(to)
  m.recA.push(a)
  m.recB.push(b)
}

/** A pending record stops: out of the ready queue if queued; the engine aborts it if running. */
function leavePending<P>(m: Machine<P>, task: TaskRecord<P>): void {
  if (task.state === "queued") m.ready.remove(task)
  else if (task.state === "processing") m.hooks.onAbort(task)
}

/** Drops a result, an error and a cancel reason (a record revived, forgotten or cancelled). */
function dropOutcome<P>(task: TaskRecord<P>): void {
  task.value = undefined
  task.error = undefined
  task.erredKey = undefined
  task.cancelReason = undefined
}

// ---- the handlers ----------------------------------------------------------------------------

/** released, erred or lost -> waiting (`place`): `a` inputs are not in memory yet. A revived record drops its old outcome. */
function placeWaiting<P>(m: Machine<P>, task: TaskRecord<P>, a: unknown): void {
  dropOutcome(task)
  task.waitingOn = a as number
  enter(m, task, "waiting")
}

/** released, erred or lost -> queued (`place`): every input is in memory; into the ready queue. */
function placeQueued<P>(m: Machine<P>, task: TaskRecord<P>): void {
  dropOutcome(task)
  task.waitingOn = 0
  enter(m, task, "queued")
  m.ready.push(task)
}

/** released -> memory (`addValue`, scatter): a value that arrives finished. */
function scatter<P>(m: Machine<P>, task: TaskRecord<P>, a: unknown): void {
  enter(m, task, "memory")
  task.value = a
  m.hooks.onSettled(task)
}

/**
 * waiting -> queued (its last input reached memory) and processing -> queued (`requeue`: run
 * again; or `unclaim` of a claimed task whose inputs are all in memory): into the ready queue.
 */
function enqueue<P>(m: Machine<P>, task: TaskRecord<P>): void {
  enter(m, task, "queued")
  m.ready.push(task)
}

/** queued -> processing (`popReady`): out of the ready queue, one more attempt started. */
function start<P>(m: Machine<P>, task: TaskRecord<P>): void {
  m.ready.remove(task)
  enter(m, task, "processing")
  task.attempts++
}

/**
 * waiting -> processing (`claim`, fusion): the task runs in the same batch as the inputs it still
 * waits for (each of them processing); `waitingOn` keeps counting them until they succeed.
 */
function claim<P>(m: Machine<P>, task: TaskRecord<P>): void {
  enter(m, task, "processing")
  task.attempts++
}

/** processing -> waiting (`unclaim`): a claimed task whose batch did not produce its inputs waits for them again. */
function unclaim<P>(m: Machine<P>, task: TaskRecord<P>): void {
  enter(m, task, "waiting")
}

/**
 * processing -> memory (`succeed`): the result is kept and each dependent counts one input less;
 * a waiting one that reaches 0 is recommended queued (in dependents order), a claimed one (already
 * processing) only counts down.
 */
function finish<P>(m: Machine<P>, task: TaskRecord<P>, a: unknown): void {
  enter(m, task, "memory")
  task.value = a
  m.hooks.onSettled(task)
  const dependents = task.dependents
  // Backwards, so that the recommendations (last in, first out) queue them in dependents order.
  for (let i = dependents.length - 1; i >= 0; i--) {
    const d = dependents[i]
    if (d.state === "waiting") {
      if (--d.waitingOn === 0) recommend(m, d, "queued", undefined, undefined)
    } else if (d.state === "processing" && d.waitingOn > 0) d.waitingOn--
  }
}

/**
 * released, waiting, queued or processing -> erred, with error `a` caused by the failure of key
 * `b`: the task itself failed (`b` is its key: it stopped running already), or an input did (a
 * running one is aborted, a queued one leaves the queue), or (`place`) it was added on an erred
 * input. Every pending dependent is recommended erred with the same error, as in Dask.
 */
function err<P>(m: Machine<P>, task: TaskRecord<P>, a: unknown, b: string | undefined): void {
  if (b !== task.key) leavePending(m, task)
  enter(m, task, "erred")
  task.waitingOn = 0
  task.error = a
  task.erredKey = b
  m.hooks.onSettled(task)
  const next = task.dependents
  for (let i = 0; i < next.length; i++) if (isPending(next[i].state)) recommend(m, next[i], "erred", a, b)
}

/**
 * released, waiting, queued, processing, memory or erred -> cancelled with reason `a`: a running
 * task is aborted, a queued one leaves the queue, a value or error is dropped. No cascade here:
 * `cancel` walks the dependents itself (it goes on through records already cancelled).
 */
function cancel<P>(m: Machine<P>, task: TaskRecord<P>, a: unknown): void {
  leavePending(m, task)
  enter(m, task, "cancelled")
  task.waitingOn = 0
  task.value = undefined
  task.error = undefined
  task.erredKey = undefined
  task.cancelReason = a as string
  m.hooks.onSettled(task)
}

/** memory, erred, cancelled or lost -> released: the record is forgotten (out of the table, value dropped, onForget). */
function forget<P>(m: Machine<P>, task: TaskRecord<P>): void {
  enter(m, task, "released")
  dropOutcome(task)
  task.waitingOn = 0
  remove(m, task)
}

/**
 * waiting, queued or processing -> released: forgotten without settling (Dask's processing ->
 * released). No operation takes these edges today: the release rules cancel an unwanted pending
 * record first (reason "released"), so that whatever waits on it settles.
 */
function dropPending<P>(m: Machine<P>, task: TaskRecord<P>): void {
  leavePending(m, task)
  forget(m, task)
}

/**
 * memory -> lost with error `a` (a `LostResultError`): the result vanished from where it was held
 * (a cluster's Redis restarted without persistence, or was flushed) and cannot be computed again
 * (`lineage.ts` decides). Every pending dependent, which counted it as in memory, errs with the
 * same error (erredKey: this key), as the dependents of a failed task do.
 */
function lose<P>(m: Machine<P>, task: TaskRecord<P>, a: unknown): void {
  enter(m, task, "lost")
  task.value = undefined
  task.error = a
  task.erredKey = task.key
  m.hooks.onSettled(task)
  const next = task.dependents
  for (let i = 0; i < next.length; i++) if (isPending(next[i].state)) recommend(m, next[i], "erred", a, task.key)
}

/**
 * The dependents of a record whose result vanished and will be computed again: each one that
 * counted it as in memory waits for it again. A waiting one counts one input more; a queued one
 * leaves the ready queue (recommended waiting); a running one (its worker may not have read the
 * value yet) is given back, as an unclaim: its batch's late outcome is ignored, and it runs again
 * once the input is back.
 */
function waitAgain<P>(m: Machine<P>, task: TaskRecord<P>): void {
  const dependents = task.dependents
  for (let i = 0; i < dependents.length; i++) {
    const d = dependents[i]
    if (d.state === "waiting" || d.state === "processing") d.waitingOn++
    if (d.state === "queued") recommend(m, d, "waiting", 1, undefined)
    else if (d.state === "processing") recommend(m, d, "waiting", undefined, undefined)
  }
}

/**
 * memory -> waiting (`recover`, lineage.ts): the result vanished and the task is pure: it runs
 * again once its `a` inputs not in memory (revived or recomputed themselves) are back. The value
 * (a reference to what vanished) is dropped first, so nothing deletes the key the rerun writes.
 */
function recomputeWaiting<P>(m: Machine<P>, task: TaskRecord<P>, a: unknown): void {
  task.value = undefined
  task.attempts = 0
  task.waitingOn = a as number
  enter(m, task, "waiting")
  waitAgain(m, task)
}

/** memory -> queued (`recover`): as `recomputeWaiting`, with every input in memory: into the ready queue. */
function recomputeQueued<P>(m: Machine<P>, task: TaskRecord<P>): void {
  task.value = undefined
  task.attempts = 0
  task.waitingOn = 0
  enter(m, task, "queued")
  m.ready.push(task)
  waitAgain(m, task)
}

/** queued -> waiting (recommended by `recomputeWaiting`/`recomputeQueued`): an input left memory; out of the ready queue, `a` inputs to wait for. */
function unready<P>(m: Machine<P>, task: TaskRecord<P>, a: unknown): void {
  m.ready.remove(task)
  task.waitingOn = a as number
  enter(m, task, "waiting")
}

// ---- the table -------------------------------------------------------------------------------

type Row = Readonly<Partial<Record<TaskState, Handler>>>

/** Every legal move and its handler: `transitionTable[from][to]`. Any move not listed is a scheduler bug. */
export const transitionTable: Readonly<Record<TaskState, Row>> = Object.freeze({
  released: Object.freeze({
    waiting: placeWaiting,
    queued: placeQueued,
    memory: scatter,
    erred: err,
    cancelled: cancel
  }),
  waiting: Object.freeze({
    queued: enqueue,
    processing: claim,
    erred: err,
    cancelled: cancel,
    released: dropPending
  }),
  queued: Object.freeze({
    processing: start,
    erred: err,
    cancelled: cancel,
    released: dropPending,
    waiting: unready
  }),
  processing: Object.freeze({
    memory: finish,
    erred: err,
    queued: enqueue,
    waiting: unclaim,
    cancelled: cancel,
    released: dropPending
  }),
  memory: Object.freeze({
    released: forget,
    lost: lose,
    cancelled: cancel,
    waiting: recomputeWaiting,
    queued: recomputeQueued
  }),
  erred: Object.freeze({ released: forget, waiting: placeWaiting, queued: placeQueued, cancelled: cancel }),
  cancelled: Object.freeze({ released: forget }),
  lost: Object.freeze({ released: forget, waiting: placeWaiting, queued: placeQueued })
})

/** The legal moves as lists: `transitions[from]` are the states `from` may go to (read from `transitionTable`). */
export const transitions: Readonly<Record<TaskState, ReadonlyArray<TaskState>>> = Object.freeze(
  Object.fromEntries(
    taskStates.map((from) => [from, Object.freeze(Object.keys(transitionTable[from]) as TaskState[])])
  ) as Record<TaskState, ReadonlyArray<TaskState>>
)

/** True when the table has the move `from -> to` (false for anything that is not a state). */
export function canTransition(from: TaskState, to: TaskState): boolean {
  return Object.hasOwn(transitionTable, from) && Object.hasOwn(transitionTable[from], to)
}

// ---- applying moves --------------------------------------------------------------------------

/** Runs the handler of `task.state -> to`, or throws an internal error when the table has no such move. */
function apply<P>(m: Machine<P>, task: TaskRecord<P>, to: TaskState, a: unknown, b: string | undefined): void {
  const handler = transitionTable[task.state][to]
  if (handler === undefined) throw internalError(`illegal transition of ${task.key}: ${task.state} -> ${to}`)
  handler(m, task, a, b)
}

/**
 * Moves `task` to `to` (arguments as for `Handler`), then applies the recommendations its handler
 * made, and theirs, last in first out (a depth-first cascade, as Dask's `_transitions` loop). A
 * recommendation for a record already in that state (reached by another path) is skipped. `out`,
 * when given, receives every record moved by a recommendation (for the release rules).
 */
export function transition<P>(
  m: Machine<P>,
  task: TaskRecord<P>,
  to: TaskState,
  a?: unknown,
  b?: string,
  out?: TaskRecord<P>[]
): void {
  apply(m, task, to, a, b)
  const tasks = m.recTask
  if (tasks.length === 0) return
  try {
    while (tasks.length > 0) {
      const t = tasks.pop()!
      const next = m.recTo.pop()!
      const ra = m.recA.pop()
      const rb = m.recB.pop()
      if (t.state === next) continue
      apply(m, t, next, ra, rb)
      if (out !== undefined) out.push(t)
    }
  } catch (error) {
    // An internal error: leave no stale recommendation behind for the next call.
    tasks.length = m.recTo.length = m.recA.length = m.recB.length = 0
    throw error
  }
}
