/**
 * `weft/tracing` with an in-memory span exporter: a span per client call and per task, tasks
 * under the call that added them, dependencies as links, the worker and times as attributes, a
 * failure as an error status; nothing after `stop()`; and the Effect layer over
 * `@effect/opentelemetry`'s tracer.
 */
import { describe, expect, it } from "vitest"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { SpanStatusCode } from "@opentelemetry/api"
import * as OtelTracerModule from "@effect/opentelemetry/Tracer"
import { Effect, Layer } from "effect"
import { Client } from "weft"
import { Weft } from "weft/effect"
import { traceClient, WeftTracing } from "weft/tracing"

const inc = (x: number) => x + 1
const total = (...xs: number[]) => xs.reduce((a, b) => a + b, 0)
function explode(x: number): number {
  throw new RangeError(`no good: ${x}`)
}

const setup = () => {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { exporter, tracer: provider.getTracer("weft-test") }
}

describe("traceClient", () => {
  it("spans each call and each task, tasks under their call, dependencies as links", async () => {
    const { exporter, tracer } = setup()
    await using client = await Client.local({ workers: 2 })
    const tracing = traceClient(client, { tracer })
    const xs = client.map(inc, [1, 2, 3])
    const sum = client.submit(total, ...xs)
    expect(await client.gather(sum)).toBe(9)
    tracing.stop()
    const spans = exporter.getFinishedSpans()
    const byName = (name: string) => spans.filter((span) => span.name === name)
    const [map] = byName("weft.map")
    const [submit] = byName("weft.submit")
    expect(byName("weft.gather")).toHaveLength(1)
    const incs = byName("weft.task inc")
    expect(incs).toHaveLength(3)
    for (const span of incs) {
      expect(span.parentSpanContext?.spanId).toBe(map.spanContext().spanId)
      expect(span.attributes).toMatchObject({ "weft.name": "inc", "weft.state": "memory", "weft.attempt": 1 })
      expect(span.attributes["weft.worker"]).toMatch(/^thread \d+$/)
      expect(span.attributes["weft.run_ms"]).toBeGreaterThanOrEqual(0)
      expect(span.attributes["weft.queued_ms"]).toBeGreaterThanOrEqual(0)
      expect(span.attributes["weft.result_bytes"]).toBe(8)
    }
    const [sumSpan] = byName("weft.task total")
    expect(sumSpan.parentSpanContext?.spanId).toBe(submit.spanContext().spanId)
    expect(sumSpan.attributes["weft.key"]).toBe(sum.key)
    expect(sumSpan.links.map((link) => link.context.spanId).sort()).toEqual(
      incs.map((span) => span.spanContext().spanId).sort()
    )
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(3) // map, submit, gather: roots
  })

  it("marks a failed task's span as an error with its message, and records nothing after stop()", async () => {
    const { exporter, tracer } = setup()
    await using client = await Client.local({ workers: 1 })
    const tracing = traceClient(client, { tracer })
    expect(traceClient(client, { tracer })).toBe(tracing)
    await expect(client.submit(explode, 7).result()).rejects.toThrow("no good: 7")
    const [failed] = exporter.getFinishedSpans().filter((span) => span.name === "weft.task explode")
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: "RangeError: no good: 7" })
    expect(failed.attributes["weft.state"]).toBe("erred")
    expect(failed.events.map((event) => event.name)).toContain("exception")
    tracing.stop()
    exporter.reset()
    await client.gather(client.map(inc, [1, 2]))
    expect(exporter.getFinishedSpans()).toEqual([])
  })

  it("refuses what is not a client", () => {
    expect(() => traceClient({} as never)).toThrow(/traceClient: the first argument must be a weft Client/)
  })
})

describe("WeftTracing.layer", () => {
  it("traces the Weft client with @effect/opentelemetry's tracer for the layer's lifetime", async () => {
    const { exporter, tracer } = setup()
    const otel = Layer.succeed(OtelTracerModule.OtelTracer, tracer)
    const program = Effect.gen(function* () {
      const futures = yield* Weft.map(inc, [1, 2, 3])
      return yield* Weft.gather(futures)
    })
    const result = await Effect.runPromise(
      program.pipe(Effect.provide(WeftTracing.layer), Effect.provide(otel), Effect.provide(Weft.local({ workers: 1 })))
    )
    expect(result).toEqual([2, 3, 4])
    const names = exporter.getFinishedSpans().map((span) => span.name)
    expect(names.filter((name) => name === "weft.task inc")).toHaveLength(3)
  })
})

describe("trace context on the worker", () => {
  it("gives an Effect task its task's span as parent: the spans it makes nest under its task", async () => {
    const { innerSpan } = await import("../fixtures/traced-tasks.js")
    const { exporter, tracer } = setup()
    await using client = await Client.local({ workers: 1 })
    using _tracing = traceClient(client, { tracer })
    const seen = await client.submit(innerSpan, 5).result()
    const [taskSpan] = exporter.getFinishedSpans().filter((span) => span.name.startsWith("weft.task innerSpan"))
    expect(seen).toEqual({
      x: 5,
      traceId: taskSpan.spanContext().traceId,
      parentSpanId: taskSpan.spanContext().spanId
    })
  })
})
