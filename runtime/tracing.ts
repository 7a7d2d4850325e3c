/**
 * `weft/tracing`: OpenTelemetry spans of a client's work (docs/dashboard.md, "Tracing"). A separate
 * entry point: `import "weft"` loads nothing of OpenTelemetry; this module needs
 * `@opentelemetry/api` (and, for `WeftTracing.layer`, `@effect/opentelemetry`), optional peer
 * dependencies of weft.
 *
 * ```ts
 * import { traceClient } from "weft/tracing"
 * using tracing = traceClient(client)                 // spans to the global tracer provider
 * await client.gather(client.map(inc, xs))            // weft.map, weft.gather, one span per task
 * ```
 *
 * @module
 */
import { context, trace, type Span, type Tracer } from "@opentelemetry/api"
import { OtelTracer } from "@effect/opentelemetry/Tracer"
import { Effect, Layer } from "effect"
import { engineOf } from "./internal/client-engine.js"
import { attach } from "./dashboard/hub.js"
import { TaskSpans } from "./tracing/task-spans.js"
import { Client } from "./Client.js"
import { Client as WeftClient } from "./Weft.js"

/** Options of `traceClient`. */
export interface TracingOptions {
  /** Where spans go; default `trace.getTracer("weft")` of the global tracer provider. */
  readonly tracer?: Tracer
}

/** A traced client; `stop()` (or `using`) ends the open task spans and stops tracing. */
export interface ClientTracing extends Disposable {
  stop(): void
}

/** The client methods that get a span of their own. */
const traced = ["submit", "map", "starmap", "compute", "persist", "gather", "scatter", "cancel", "retry"] as const

const tracings = new WeakMap<Client, ClientTracing>()

/**
 * Traces `client`'s work: a span per call of submit, map, starmap, compute, persist, gather,
 * scatter, cancel and retry (`weft.submit`, ...; a promise's span ends when it settles), and a
 * span per task (`weft.task NAME`) under the call that added it, linked to its dependencies'
 * spans. While traced, batches carry worker-side times (as with a dashboard), so task spans say
 * which worker ran them and for how long. Tracing a client twice returns the same handle.
 */
export function traceClient(client: Client, options: TracingOptions = {}): ClientTracing {
  if (!(client instanceof Client))
    throw new TypeError(`traceClient: the first argument must be a weft Client, got ${typeof client}.`)
  const existing = tracings.get(client)
  if (existing !== undefined) return existing
  const tracer = options.tracer ?? trace.getTracer("weft")
  const spans = new TaskSpans(tracer)
  const detach = attach(engineOf(client), spans)
  const own = client as unknown as Record<string, unknown>
  for (const method of traced) {
    const original = (Client.prototype as unknown as Record<string, (...args: unknown[]) => unknown>)[method]
    own[method] = function (this: Client, ...args: unknown[]) {
      return inSpan(tracer, spans, `weft.${method}`, () => original.apply(this, args))
    }
  }
  let stopped = false
  const tracing: ClientTracing = {
    stop() {
      if (stopped) return
      stopped = true
      for (const method of traced) delete own[method]
      detach()
      spans.endAll()
      tracings.delete(client)
    },
    [Symbol.dispose]() {
      tracing.stop()
    }
  }
  tracings.set(client, tracing)
  return tracing
}

/** Runs `fn` with a new active span; a returned promise ends the span when it settles. */
function inSpan(tracer: Tracer, spans: TaskSpans, name: string, fn: () => unknown): unknown {
  const outer = spans.call
  const parent = outer === undefined ? context.active() : trace.setSpan(context.active(), outer)
  const span = tracer.startSpan(name, {}, parent)
  let result: unknown
  spans.call = span
  try {
    result = context.with(trace.setSpan(parent, span), fn)
  } catch (error) {
    fail(span, error)
    span.end()
    throw error
  } finally {
    spans.call = outer
  }
  if (isThenable(result))
    result.then(
      () => span.end(),
      (error: unknown) => {
        fail(span, error)
        span.end()
      }
    )
  else span.end()
  return result
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === "function"

function fail(span: Span, error: unknown): void {
  span.setStatus({ code: 2, message: error instanceof Error ? error.message : String(error) })
}

/**
 * Effect: `WeftTracing.layer` traces the `Weft` client of the context with the tracer of
 * `@effect/opentelemetry` (`OtelTracer`, e.g. from `NodeSdk.layer`), for the layer's lifetime.
 */
export const WeftTracing = {
  layer: Layer.scopedDiscard(
    Effect.gen(function* () {
      const client = yield* WeftClient
      const tracer = yield* OtelTracer
      yield* Effect.acquireRelease(
        Effect.sync(() => traceClient(client as Client, { tracer })),
        (tracing) => Effect.sync(() => tracing.stop())
      )
    })
  )
}
