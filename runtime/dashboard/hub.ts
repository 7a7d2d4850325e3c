/**
 * Lets several recorders watch one engine (the dashboard and a performance report at once): the
 * engine has one monitor slot; the hub sits in it while any recorder is attached and forwards to
 * each. With one recorder, that recorder sits in the slot itself.
 *
 * @internal
 */
import type { BatchTiming } from "../../core/protocol.js"
import type { TaskRecord } from "../../scheduler/scheduler.js"
import type { TaskState } from "../../scheduler/state.js"
import type { Engine } from "../internal/engine.js"
import type { EngineMonitor } from "../internal/monitor-hook.js"

const hubs = new WeakMap<Engine, Set<EngineMonitor>>()

/** Forwards to every monitor of a set. */
class Hub implements EngineMonitor {
  constructor(readonly monitors: Set<EngineMonitor>) {}
  transition(task: TaskRecord<unknown>, from: TaskState, to: TaskState): void {
    for (const m of this.monitors) m.transition(task, from, to)
  }
  landed(tasks: ReadonlyArray<TaskRecord<unknown>>, timing: BatchTiming | undefined): void {
    for (const m of this.monitors) m.landed(tasks, timing)
  }
  crashed(tasks: ReadonlyArray<TaskRecord<unknown>>, reason: string): void {
    for (const m of this.monitors) m.crashed(tasks, reason)
  }
  traceparents?: (tasks: ReadonlyArray<TaskRecord<unknown>>) => ReadonlyArray<string | undefined>
}

/** The hub of `monitors`, forwarding `traceparents` from the one monitor that has it (tracing). */
function hubOf(monitors: Set<EngineMonitor>): Hub {
  const hub = new Hub(monitors)
  for (const m of monitors) if (m.traceparents !== undefined) hub.traceparents = (tasks) => m.traceparents!(tasks)
  return hub
}

/** Attaches `monitor` to `engine`; returns the function that detaches it. */
export function attach(engine: Engine, monitor: EngineMonitor): () => void {
  let set = hubs.get(engine)
  if (set === undefined) hubs.set(engine, (set = new Set()))
  set.add(monitor)
  engine.monitor = set.size === 1 ? monitor : hubOf(set)
  return () => {
    set.delete(monitor)
    engine.monitor = set.size === 0 ? undefined : set.size === 1 ? set.values().next().value : hubOf(set)
  }
}
