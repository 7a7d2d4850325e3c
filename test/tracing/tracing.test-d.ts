import { expectTypeOf, test } from "vitest"
import type { Tracer } from "@opentelemetry/api"
import type { Layer } from "effect"
import type { Client, ConnectOptions } from "weft"
import { traceClient, WeftTracing, type ClientTracing, type TracingOptions } from "weft/tracing"

test("traceClient takes a Client and an optional tracer, and returns a disposable handle", () => {
  expectTypeOf(traceClient).parameter(0).toEqualTypeOf<Client>()
  expectTypeOf<TracingOptions["tracer"]>().toEqualTypeOf<Tracer | undefined>()
  expectTypeOf(traceClient).returns.toEqualTypeOf<ClientTracing>()
  expectTypeOf<ClientTracing>().toMatchTypeOf<Disposable>()
  expectTypeOf(WeftTracing.layer).toMatchTypeOf<Layer.Layer<never, never, unknown>>()
})

test("Client.connect takes the dashboard option as Client.local does", () => {
  expectTypeOf<ConnectOptions["dashboard"]>().toEqualTypeOf<
    boolean | number | { readonly port?: number; readonly host?: string } | undefined
  >()
})
