/**
 * `weft/tracing` on a cluster on Redis (real redis-server, two real `weft worker` processes): the
 * spans of calls and tasks as on the local cluster, with the worker that ran each task, and the
 * trace context carried in the job so that an Effect task's own spans nest under its task.
 */
import { describe, expect, it } from "vitest"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { traceClient } from "weft/tracing"
import { useCluster } from "../cluster/helpers.js"

const cluster = useCluster({ workers: 2, threads: 1 })
const inc = (x: number) => x + 1
const total = (...xs: number[]) => xs.reduce((a, b) => a + b, 0)

const setup = () => {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { exporter, tracer: provider.getTracer("weft-test") }
}

describe("traceClient on a cluster client", () => {
  it("spans each task under its call, with the worker that ran it and dependencies as links", async () => {
    const { exporter, tracer } = setup()
    const client = await cluster().connect()
    const tracing = traceClient(client, { tracer })
    const xs = client.map(inc, [1, 2, 3])
    const sum = client.submit(total, ...xs)
    expect(await client.gather(sum)).toBe(9)
    tracing.stop()
    await client.close()
    const spans = exporter.getFinishedSpans()
    const [map] = spans.filter((span) => span.name === "weft.map")
    const incs = spans.filter((span) => span.name === "weft.task inc")
    expect(incs).toHaveLength(3)
    for (const span of incs) {
      expect(span.parentSpanContext?.spanId).toBe(map.spanContext().spanId)
      expect(span.attributes).toMatchObject({ "weft.name": "inc", "weft.state": "memory" })
      expect(String(span.attributes["weft.worker"])).toMatch(/^w[12]\b/)
    }
    const [sumSpan] = spans.filter((span) => span.name === "weft.task total")
    expect(sumSpan.attributes["weft.key"]).toBe(sum.key)
    expect(sumSpan.links).toHaveLength(3)
  }, 60_000)

  it("gives an Effect task on a worker its task's span as parent", async () => {
    const { innerSpan } = await import("../fixtures/traced-tasks.js")
    const { exporter, tracer } = setup()
    const client = await cluster().connect()
    const tracing = traceClient(client, { tracer })
    const seen = await client.submit(innerSpan, 5).result()
    tracing.stop()
    await client.close()
    const [taskSpan] = exporter.getFinishedSpans().filter((span) => span.name.startsWith("weft.task innerSpan"))
    expect(seen).toEqual({ x: 5, traceId: taskSpan.spanContext().traceId, parentSpanId: taskSpan.spanContext().spanId })
  }, 60_000)
})
