/**
 * One OpenTelemetry span per task, from the engine's monitor hook (runtime/internal/monitor-hook.ts):
 * it starts when the task enters the client's table (as a child of the span active then: the
 * `weft.submit`/`weft.map`/`weft.compute` span), links to its dependencies' spans, and ends when
 * the task reaches memory, errs, is cancelled or is forgotten. Attributes: key, name, attempt,
 * worker, queued and run time (run time as timed on the worker), result size, final state.
 *
 * Only loaded by `weft/tracing`; costs nothing unless a client is traced.
 *
 * @internal
 */
import { context, SpanStatusCode, trace, type Link, type Span, type SpanContext, type Tracer } from "@opentelemetry/api"
import type { BatchTiming } from "../../core/protocol.js"
import type { TaskRecord } from "../../scheduler/scheduler.js"
import type { TaskState } from "../../scheduler/state.js"
import { HeldResult } from "../../executors/executor.js"
import type { EngineMonitor } from "../internal/monitor-hook.js"
import { estimateBytes } from "../dashboard/sizeof.js"

type Record_ = TaskRecord<unknown>

/** A task's span while it is open. */
interface Open {
  readonly span: Span
  /** When it became ready to run (ms since the epoch), and the worker-side start and end of its last attempt. */
  dispatched: number | undefined
  runStart: number | undefined
  runEnd: number | undefined
  worker: string | undefined
}

const finalStates = new Set<TaskState>(["memory", "erred", "cancelled", "lost"])

/** The monitor that turns task state changes into spans. */
export class TaskSpans implements EngineMonitor {
  readonly #open = new Map<Record_, Open>()
  /** Every task's span context, for its dependents' links; weak, so no task record is kept alive. */
  readonly #contexts = new WeakMap<Record_, SpanContext>()

  /**
   * The span of the client call running now (`weft.submit`, ...), set by the call's wrapper: tasks
   * enter the table synchronously inside it, so this is their parent even without an OpenTelemetry
   * context manager registered.
   */
  call: Span | undefined = undefined

  constructor(readonly tracer: Tracer) {}

  transition(task: Record_, from: TaskState, to: TaskState): void {
    let open = this.#open.get(task)
    if (open === undefined && !finalStates.has(to) && to !== "released") open = this.#start(task)
    if (open === undefined) return
    // Queued time: from ready (all inputs in memory) to its worker-side start.
    if (to === "queued" || (to === "processing" && open.dispatched === undefined)) open.dispatched = Date.now()
    else if (finalStates.has(to) || to === "released") this.#end(task, open, to)
  }

  landed(tasks: ReadonlyArray<Record_>, timing: BatchTiming | undefined): void {
    if (timing === undefined) return
    for (let i = 0; i < tasks.length; i++) {
      const open = this.#open.get(tasks[i])
      if (open === undefined) continue
      open.worker = timing.worker
      open.runStart = timing.origin + timing.at[i]
      open.runEnd = timing.origin + timing.at[i + 1]
    }
  }

  crashed(): void {}

  /** Each task's span as a W3C `traceparent`, for its worker (an Effect task's spans nest under it). */
  traceparents(tasks: ReadonlyArray<Record_>): ReadonlyArray<string | undefined> {
    return tasks.map((task) => {
      const open = this.#open.get(task)
      if (open === undefined) return undefined
      const { traceId, spanId, traceFlags } = open.span.spanContext()
      return `00-${traceId}-${spanId}-${(traceFlags & 1) === 1 ? "01" : "00"}`
    })
  }

  /** Ends every open span (the tracing stops): their state is what it is now. */
  endAll(): void {
    for (const [task, open] of this.#open) this.#end(task, open, task.state)
  }

  #start(task: Record_): Open {
    const links: Link[] = []
    for (const dependency of task.dependencies) {
      const linked = this.#contexts.get(dependency)
      if (linked !== undefined) links.push({ context: linked, attributes: { "weft.key": dependency.key } })
    }
    const span = this.tracer.startSpan(
      `weft.task ${task.name}`,
      { attributes: { "weft.key": task.key, "weft.name": task.name }, links },
      this.call === undefined ? context.active() : trace.setSpan(context.active(), this.call)
    )
    this.#contexts.set(task, span.spanContext())
    const open: Open = { span, dispatched: undefined, runStart: undefined, runEnd: undefined, worker: undefined }
    this.#open.set(task, open)
    return open
  }

  #end(task: Record_, open: Open, state: TaskState): void {
    this.#open.delete(task)
    const { span } = open
    span.setAttribute("weft.state", state === "released" ? "forgotten" : state)
    span.setAttribute("weft.attempt", task.attempts)
    if (open.worker !== undefined) span.setAttribute("weft.worker", open.worker)
    if (open.dispatched !== undefined && open.runStart !== undefined)
      span.setAttribute("weft.queued_ms", Math.max(0, open.runStart - open.dispatched))
    if (open.runStart !== undefined && open.runEnd !== undefined)
      span.setAttribute("weft.run_ms", open.runEnd - open.runStart)
    if (state === "memory" || state === "erred") {
      // The engine sets the value or error just after the transition: read it once the current job is done.
      queueMicrotask(() => this.#outcome(task, span, state))
      return
    } else if (state === "cancelled" && task.cancelReason !== undefined)
      span.setAttribute("weft.cancel_reason", task.cancelReason)
    span.end()
  }

  #outcome(task: Record_, span: Span, state: "memory" | "erred"): void {
    if (state === "memory") {
      const value = task.value
      span.setAttribute("weft.result_bytes", value instanceof HeldResult ? value.size : estimateBytes(value))
    } else {
      const error = task.error
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      span.setStatus({ code: SpanStatusCode.ERROR, message })
      if (error instanceof Error) span.recordException(error)
      if (task.erredKey !== undefined && task.erredKey !== task.key) span.setAttribute("weft.erred_key", task.erredKey)
    }
    span.end()
  }
}
