/**
 * The engine's one hook for observers of the whole cluster (the dashboard, performance reports,
 * timelines). The engine calls it only while one is attached (`Engine.monitor`); with none, a
 * batch carries no `timing` request and the cost is one field read per state change.
 *
 * What a monitor does in these calls must be small and must not throw: they run inside the
 * scheduler's transitions and the engine's batch handling. Anything costly (sizes, snapshots,
 * HTML) belongs to whoever reads the monitor, at its own pace.
 *
 * @internal
 */
import type { BatchTiming } from "../../core/protocol.js"
import type { TaskRecord } from "../../scheduler/scheduler.js"
import type { TaskState } from "../../scheduler/state.js"

/** What the engine tells a monitor. */
export interface EngineMonitor {
  /** Every state change of every task, after it happened. */
  transition(task: TaskRecord<unknown>, from: TaskState, to: TaskState): void
  /** A batch came back: `timing` says which worker ran it and when each task started. */
  landed(tasks: ReadonlyArray<TaskRecord<unknown>>, timing: BatchTiming | undefined): void
  /** A batch failed as a whole (`"worker-died"`, `"aborted"`, `"transport"`, `"closed"`). */
  crashed(tasks: ReadonlyArray<TaskRecord<unknown>>, reason: string): void
  /** Optional (tracing): each task's `traceparent`, sent with the batch (`WireBatch.trace`). */
  traceparents?(tasks: ReadonlyArray<TaskRecord<unknown>>): ReadonlyArray<string | undefined>
}
