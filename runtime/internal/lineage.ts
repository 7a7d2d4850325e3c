/**
 * The engine's side of results that vanish from an executor that holds them remotely (a
 * cluster's Redis restarted without persistence, or flushed): the executor reports the keys it
 * found missing (`Executor.remote.onMissing`), and this module decides, with the scheduler's
 * lineage rules (scheduler/lineage.ts), which records run again and which are lost. Before
 * deciding it asks the executor which of the other results the reruns would need are still
 * there, so that a record needing a scattered value that vanished too is `lost` at once instead
 * of rerun in vain.
 *
 * Nothing here runs for an executor without `remote` (the local cluster never loses a result).
 *
 * @internal
 * @module
 */
import { CancelledError, LostResultError } from "../../core/errors.js"
import type { Executor, RemoteResults } from "../../executors/executor.js"
import type { LineageFacts, Scheduler } from "../../scheduler/scheduler.js"
import { isHeld } from "./remote.js"
import type { Payload, TaskRecordOf } from "./task-record.js"

/** What the lineage handler needs of the engine. */
export interface LineageHost {
  readonly scheduler: Scheduler<Payload>
  whenSettled(record: TaskRecordOf, callback: (task: TaskRecordOf) => void): void
  /** Sends what became ready. */
  pump(): void
}

/** Gives the executor (when it holds results remotely and reports missing ones) the engine's handler. */
export function watchLineage(executor: Executor, host: LineageHost): void {
  const remote = executor.remote
  if (remote?.onMissing === undefined) return
  remote.onMissing((keys, options) => recoverKeys(host, remote, keys, options))
}

/** A scattered value held remotely (when the executor can hold one): the reference kept instead of the value. */
export function holdScattered(executor: Executor, key: string, value: unknown): unknown {
  const store = executor.remote?.store
  return store === undefined ? value : store.call(executor.remote, key, value)
}

async function recoverKeys(
  host: LineageHost,
  remote: RemoteResults,
  keys: ReadonlyArray<string>,
  options: { readonly wait: boolean; readonly reason: string }
): Promise<void> {
  const { scheduler } = host
  const roots: TaskRecordOf[] = []
  let unknown: string | undefined
  for (const key of keys) {
    const record = scheduler.get(key)
    if (record !== undefined) roots.push(record)
    else unknown ??= key
  }
  // A fetch of a key this client no longer knows (released meanwhile): nothing to compute it from.
  if (options.wait && unknown !== undefined)
    throw new LostResultError(unknown, `${options.reason}, and this client no longer holds a Future of it`)
  const gone = new Map<TaskRecordOf, boolean>()
  for (const root of roots) if (root.state === "memory" && isHeld(root.value)) gone.set(root, true)
  const facts: LineageFacts<Payload> = {
    gone: (task) => (isHeld(task.value) ? gone.get(task) : false),
    cannotRerun
  }
  try {
    // Ask which of the results the reruns need are still there, until the plan assumes nothing.
    for (let round = 0; remote.has !== undefined && round < 64; round++) {
      const { unchecked } = scheduler.planRecovery(roots, facts)
      if (unchecked.length === 0) break
      const held = await remote.has(unchecked.map((task) => task.key))
      unchecked.forEach((task, i) => gone.set(task, !held[i]))
    }
  } catch {
    // Redis is unreachable again: decide on what is known; a result assumed present that is not
    // is reported again when a worker misses it.
  }
  scheduler.recover(roots, facts, (task, why) => new LostResultError(task.key, `${options.reason}, and ${why}`))
  host.pump()
  if (options.wait) await Promise.all(roots.map((root) => back(host, root)))
}

/** Resolves once `record` is in memory again; rejects with its error when it settled otherwise. */
function back(host: LineageHost, record: TaskRecordOf): Promise<void> {
  return new Promise((resolve, reject) =>
    host.whenSettled(record, (task) => {
      if (task.state === "memory") resolve()
      else if (task.state === "erred" || task.state === "lost") reject(task.error)
      else reject(new CancelledError(task.key, task.cancelReason ?? "released"))
    })
  )
}

/** An impure task (`pure: false`) cannot be run again: it could give another value. */
const cannotRerun = (task: TaskRecordOf): string | undefined =>
  task.payload.fn !== undefined && !task.payload.options.pure
    ? "its task is impure (pure: false), so running it again could give another value"
    : undefined
