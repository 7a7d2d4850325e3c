import type * as Layer from "effect/Layer"
import { describe, expectTypeOf, test } from "vitest"
import { Client, type ClusterConnectionError, type ConnectOptions } from "weft"
import { startWorker, type WorkerHandle, type WorkerOptions } from "weft/cluster"
import { Weft } from "weft/effect"

describe("cluster types", () => {
  test("Client.connect takes a URL and ConnectOptions and gives a Client", () => {
    expectTypeOf(Client.connect).parameters.toEqualTypeOf<[url: string, options?: ConnectOptions]>()
    expectTypeOf(Client.connect).returns.resolves.toEqualTypeOf<Client>()
    expectTypeOf<ConnectOptions["lease"]>().toEqualTypeOf<number | string | undefined>()
    // @ts-expect-error the queue is a name, not a number
    void Client.connect("redis://127.0.0.1:6379", { queue: 1 })
    expectTypeOf<Client["workerCount"]>().returns.resolves.toBeNumber()
  })

  test("Weft.connect is a Layer of the client that may fail to connect", () => {
    expectTypeOf(Weft.connect("redis://127.0.0.1:6379")).toEqualTypeOf<
      Layer.Layer<Weft.Client, ClusterConnectionError>
    >()
  })

  test("startWorker gives a handle with close() that await using disposes", () => {
    expectTypeOf(startWorker).parameter(0).toEqualTypeOf<WorkerOptions>()
    expectTypeOf(startWorker).returns.resolves.toEqualTypeOf<WorkerHandle>()
    expectTypeOf<WorkerHandle["close"]>().returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf<WorkerHandle>().toMatchTypeOf<AsyncDisposable>()
    expectTypeOf<WorkerOptions["isolation"]>().toEqualTypeOf<"thread" | "process" | undefined>()
    // @ts-expect-error a worker needs the Redis URL
    void startWorker({ threads: 2 })
  })
})
