/**
 * Injected transient failures (`ClientOptions.faults`, for testing retry policies): which attempts
 * of a batch fail by the fault plan.
 *
 * @internal
 * @module
 */
import type { ClientSettings } from "./client-options.js"
import { retryState, type TaskRecordOf } from "./task-record.js"

/** A fault plan: seed, rate, and how many faults a task may get. */
export type FaultSettings = NonNullable<ClientSettings["faults"]>

/**
 * Which attempts of a batch fail by the fault plan: a hash of (seed, key, attempt), so the same
 * seed injects the same faults whatever the timing.
 */
export const injections = (plan: FaultSettings, tasks: ReadonlyArray<TaskRecordOf>): boolean[] =>
  tasks.map((task) => {
    const payload = task.payload
    const times = payload.options.retries?.times ?? 0
    const limit = plan.maxPerTask ?? times
    // Never on an attempt after which no retry is left: an injected fault must not become the
    // task's final error (a task that fails for real still reports its own error).
    const retry = payload.retry
    if ((retry?.injected ?? 0) >= limit || payload.failures >= times) return false
    if (chance(`${plan.seed}:${task.key}:${task.attempts}`) >= plan.rate) return false
    retryState(payload).injected++
    return true
  })

/** A number in [0, 1) from a string (FNV-1a, then murmur3's finalizer). */
const chance = (text: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  // FNV-1a alone barely moves the top bits for a change in the last character (the attempt), so
  // that a task failed on every attempt or on none: murmur3's finalizer spreads every bit.
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return (hash >>> 0) / 0x100000000
}
