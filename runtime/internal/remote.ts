/**
 * The engine's side of executors whose results stay remote (`Executor.remote`, a cluster): a
 * record in memory holds a `HeldResult` (a reference), and the value travels only when the user
 * asks for it (`result()`, `gather`, `asCompleted` with results). Nothing here branches on the
 * executor's kind: an executor without `remote` never reports a `HeldResult`, so every function
 * here is the identity for it.
 *
 * @internal
 */
import { HeldResult, type Executor } from "../../executors/executor.js"
import type { Outcome } from "./task-record.js"

/** True when `value` is a reference to a result held remotely. */
export const isHeld = (value: unknown): value is HeldResult => value instanceof HeldResult

/** The outcome with its value fetched when it is held remotely; the same outcome otherwise (no Promise). */
export function fetchOutcome(executor: Executor, outcome: Outcome): Outcome | Promise<Outcome> {
  if (!outcome.ok || !isHeld(outcome.value)) return outcome
  return fetchOne(executor, outcome.value).then(
    (value): Outcome => ({ ok: true, value }),
    (error: unknown): Outcome => ({ ok: false, error, cancelled: false })
  )
}

/** The value behind one held result. */
export async function fetchOne(executor: Executor, held: HeldResult): Promise<unknown> {
  const [value] = await remoteOf(executor).fetch([held.key])
  return value
}

/**
 * The values behind the held results among `values`, by key, in one fetch; undefined when none is
 * held (no Promise then).
 */
export function fetchAll(executor: Executor, values: Iterable<unknown>): Promise<Map<string, unknown>> | undefined {
  let keys: Set<string> | undefined
  for (const value of values) if (isHeld(value)) (keys ??= new Set()).add(value.key)
  if (keys === undefined) return undefined
  const list = [...keys]
  return remoteOf(executor)
    .fetch(list)
    .then((fetched) => new Map(list.map((key, i) => [key, fetched[i]])))
}

/** Given the fetched values, a value as the user sees it. */
export const valueFrom = (value: unknown, fetched: Map<string, unknown> | undefined): unknown =>
  fetched !== undefined && isHeld(value) ? fetched.get(value.key) : value

const remoteOf = (executor: Executor) => {
  const remote = executor.remote
  if (remote === undefined)
    throw new Error("weft internal error: a held result from an executor without remote results")
  return remote
}

/**
 * Collects the keys of held results that nothing refers to any more and releases them through
 * the executor once per tick (a `cancel` of a whole map is one delete, not thousands).
 */
export class HeldReleases {
  #pending: string[] | undefined
  constructor(readonly executor: Executor) {}

  /** The record left memory: its held value (if any) is no longer wanted. */
  drop(value: unknown): void {
    if (!isHeld(value) || this.executor.remote === undefined) return
    if (this.#pending === undefined) {
      this.#pending = []
      queueMicrotask(this.#flush)
    }
    this.#pending.push(value.key)
  }

  readonly #flush = (): void => {
    const keys = this.#pending
    this.#pending = undefined
    if (keys !== undefined && keys.length > 0) this.executor.remote?.release(keys)
  }
}
