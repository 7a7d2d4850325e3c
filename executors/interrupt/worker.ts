/**
 * The interrupt protocol, worker end (`Executor.interrupt`; the client end is `client.ts`).
 *
 * A batch that carries attempt `ids` can be told, while it awaits, to skip a task that has not
 * started or to interrupt the fiber of the Effect task it is running. Its `BatchControl` is where a
 * request finds it:
 * - the in-process executor keeps the control of each batch it runs and calls `interruptAttempt`
 *   itself, on its own thread, with no channel;
 * - in a worker thread, a batch that names a `control` channel runs inside `listenWhileRunning`,
 *   which registers its control with this thread's listener on that `BroadcastChannel` (worker
 *   threads of one process share BroadcastChannels by name).
 *
 * The messages (`core/protocol.ts`): the client posts `{ interrupt: ids, graceMs }`; the worker
 * holding an attempt answers `{ ids, outcomes }` (an Effect being interrupted answers on its own once
 * its fiber exited); the other workers stay silent but remember the request for `graceMs`, so that
 * a batch still queued in the pool that reaches one of them meanwhile skips the attempt and answers
 * `"not-started"` (`claim`). A batch can also arrive with a `skip` list: attempts the client asked
 * to stop while the batch waited in the pool.
 *
 * A synchronous task pays nothing for any of this: the control's state is written only before an
 * await, the only moments a request can be read.
 *
 * @internal
 */
import { BroadcastChannel } from "node:worker_threads"
import type {
  EncodedError,
  FnRef,
  InterruptAnswer,
  InterruptOutcome,
  InterruptRequest,
  WireBatch
} from "../../core/protocol.js"

/** What the task `BatchControl.current` awaits: a Promise (cannot be stopped). */
export const awaitingPromise = 0
/** What the task `BatchControl.current` awaits: an Effect (its fiber can be interrupted). */
export const awaitingEffect = 1

type Fiber = import("effect").Fiber.RuntimeFiber<unknown, unknown>

/**
 * Where an interrupt finds a running batch. Requests are only ever read while the batch awaits
 * (a message or a caller on the same thread cannot run during synchronous code), so the state is
 * written just before each await, never for a synchronous task.
 */
export class BatchControl {
  /** The task that awaits now: -1 while the batch loads its functions, the task count once it is done. */
  current = -1
  /** What task `current` awaits: a Promise (cannot be stopped) or an Effect. */
  awaiting: typeof awaitingPromise | typeof awaitingEffect = awaitingPromise
  /** The fiber running task `current`'s Effect, once forked and until it exits. */
  fiber: Fiber | undefined = undefined
  /** Task `current` is an Effect interrupted before its fiber started (`effect` was loading): it never starts. */
  stopBeforeStart = false
  /** Indices of tasks interrupted before they started: skipped. */
  skipped: Set<number> | undefined = undefined

  constructor(readonly ids: ReadonlyArray<number>) {}

  awaits(index: number, what: typeof awaitingPromise | typeof awaitingEffect): void {
    this.current = index
    this.awaiting = what
    this.stopBeforeStart = false
  }
}

/** What an attempt this side holds answers: everything but `"unknown"`, which only the client decides. */
export type Answered = Exclude<InterruptOutcome, "unknown">

/**
 * Interrupts attempt `id` of the batch `control` belongs to (see `InterruptOutcome`), or returns
 * `undefined` when the batch has no such attempt. `"interrupted"` for a running Effect comes once
 * its fiber has exited, finalizers included; a fiber that never exits (a finalizer that hangs)
 * never answers, and the caller's grace period decides.
 */
export function interruptAttempt(control: BatchControl, id: number): Answered | Promise<Answered> | undefined {
  const index = control.ids.indexOf(id)
  if (index < 0) return undefined
  if (index > control.current) {
    ;(control.skipped ??= new Set()).add(index)
    return "not-started"
  }
  if (index < control.current) return "finished"
  if (control.awaiting === awaitingPromise) return "uninterruptible"
  const fiber = control.fiber
  if (fiber === undefined) {
    control.stopBeforeStart = true
    return "interrupted"
  }
  return new Promise((resolve) => {
    fiber.addObserver(() => resolve("interrupted"))
    fiber.unsafeInterruptAsFork(fiber.id()) // as `Effect.runPromiseExit` does on its signal's abort
  })
}

/** What a task skipped before it started reports. */
export const notStarted = (ref: FnRef): EncodedError => ({
  kind: "interrupted",
  name: "InterruptedError",
  message: `Task "${ref.name}" was interrupted before it started`,
  props: {}
})

/** What an Effect task interrupted while it ran (or just before its fiber started) reports. */
export const interrupted = (ref: FnRef): EncodedError => ({
  kind: "interrupted",
  name: "InterruptedError",
  message: `Task "${ref.name}" was interrupted`,
  props: {}
})

/**
 * Runs `run` with a control of its own for `batch`, registered with this thread's listener on the
 * batch's `control` channel while it runs; a batch without `ids` or channel runs without one.
 * Requests remembered from before the batch arrived, and its `skip` list, are claimed first.
 */
export function listenWhileRunning<R>(
  batch: WireBatch,
  run: (control: BatchControl | undefined) => R | Promise<R>
): R | Promise<R> {
  if (batch.control === undefined || batch.ids === undefined) return run(undefined)
  const own = new BatchControl(batch.ids)
  const channel = listen(batch.control)
  if (unclaimed.size > 0 || batch.skip !== undefined) claim(own, channel, batch.skip)
  listening.add(own)
  let result: R | Promise<R>
  try {
    result = run(own)
  } catch (error) {
    listening.delete(own)
    throw error
  }
  // A batch that ran to its end at once (no await) has nothing more to listen for.
  if (!(result instanceof Promise)) {
    listening.delete(own)
    return result
  }
  return result.finally(() => listening.delete(own))
}

/** The batches running in this thread that listen on a control channel (a worker runs one at a time). */
const listening = new Set<BatchControl>()
/** This thread's control channels by name, opened on the first batch that names one. */
const channels = new Map<string, BroadcastChannel>()

/**
 * Requests for attempts this thread did not hold when they came, by id, with the time
 * (`Date.now()`) until which the client waits for an answer. Their batch may still have been
 * queued in the pool: if it reaches this thread in time, the attempt is skipped (`claim`).
 */
const unclaimed = new Map<number, number>()

/** Opens (once) control channel `name`. It is unref'd: it never keeps the worker alive. */
function listen(name: string): BroadcastChannel {
  let channel = channels.get(name)
  if (channel === undefined) {
    const opened = new BroadcastChannel(name)
    opened.onmessage = (event) => answer(opened, (event as MessageEvent).data)
    opened.unref()
    channels.set(name, opened)
    channel = opened
  }
  return channel
}

const post = (channel: BroadcastChannel, ids: number[], outcomes: Answered[]): void =>
  channel.postMessage({ ids, outcomes } satisfies InterruptAnswer)

/**
 * Handles one message of a control channel: answers, in one message, for the requested attempts
 * this thread holds (an Effect being interrupted answers on its own once its fiber exits), and
 * remembers the others for `graceMs`. Anything else (another worker's answer) is ignored.
 */
function answer(channel: BroadcastChannel, data: unknown): void {
  const request = typeof data === "object" && data !== null ? (data as Partial<InterruptRequest>) : undefined
  const requested = request?.interrupt
  if (!Array.isArray(requested)) return
  const graceMs = typeof request!.graceMs === "number" ? request!.graceMs : 0
  const ids: number[] = []
  const outcomes: Answered[] = []
  let until = 0
  for (const id of requested as number[]) {
    let outcome: ReturnType<typeof interruptAttempt>
    for (const control of listening) if ((outcome = interruptAttempt(control, id)) !== undefined) break
    if (outcome === undefined) {
      if (graceMs > 0) unclaimed.set(id, (until ||= Date.now() + graceMs))
    } else if (typeof outcome === "string") {
      ids.push(id)
      outcomes.push(outcome)
    } else void outcome.then((late) => post(channel, [id], [late]))
  }
  if (ids.length > 0) post(channel, ids, outcomes)
}

/**
 * A batch starts while requests are unclaimed, or with attempts to `skip` (interrupted while it
 * was queued): it skips the attempts they name that it holds, and answers `"not-started"` for them.
 */
function claim(control: BatchControl, channel: BroadcastChannel, skip: ReadonlyArray<number> | undefined): void {
  const now = Date.now()
  for (const [id, until] of unclaimed) if (until < now) unclaimed.delete(id)
  const ids = control.ids
  const skipping = skip === undefined ? undefined : new Set(skip)
  const skipped: number[] = []
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]
    if (!unclaimed.delete(id) && (skipping === undefined || !skipping.has(id))) continue
    ;(control.skipped ??= new Set()).add(i)
    skipped.push(id)
  }
  if (skipped.length > 0)
    post(
      channel,
      skipped,
      skipped.map((): Answered => "not-started")
    )
}
