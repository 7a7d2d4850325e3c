/**
 * The types are part of the API: these fail to compile when a call would be accepted with
 * arguments of the wrong type, or a Future's value type is not what the function produces.
 */
import { Effect, Data } from "effect"
import { describe, expectTypeOf, test } from "vitest"
import { Client, isWorker, type Future } from "weft"
import { Weft } from "weft/effect"

declare const client: Client
const inc = (x: number) => x + 1
const add = (x: number, y: number) => x + y
const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
const fetchText = async (url: string) => url.length
class NotFound extends Data.TaggedError("NotFound")<{ readonly path: string }> {}
const load = (path: string) => (path ? Effect.succeed({ size: path.length }) : Effect.fail(new NotFound({ path })))

describe("submit", () => {
  test("infers Future<R> from the function's result", () => {
    expectTypeOf(client.submit(inc, 1)).toEqualTypeOf<Future<number, never>>()
    expectTypeOf(client.submit(fetchText, "u")).toEqualTypeOf<Future<number, never>>()
  })

  test("an Effect-returning task gives Future<A, E>", () => {
    expectTypeOf(client.submit(load, "a")).toEqualTypeOf<Future<{ size: number }, NotFound>>()
  })

  test("rejects arguments of the wrong type", () => {
    // @ts-expect-error inc takes a number
    client.submit(inc, "x")
    // @ts-expect-error add takes two arguments
    client.submit(add, 1)
    // prettier-ignore
    // @ts-expect-error a Future of a string is not a number
    client.submit(inc, client.submit((s: string) => s, "a"))
  })

  test("accepts Futures in place of values, at any depth", () => {
    const x = client.submit(inc, 1)
    expectTypeOf(client.submit(add, x, 2)).toEqualTypeOf<Future<number, never>>()
    expectTypeOf(client.submit(total, [x, 1, x])).toEqualTypeOf<Future<number, never>>()
    const pick = (o: { a: number; b: { c: number } }) => o.a + o.b.c
    expectTypeOf(client.submit(pick, { a: x, b: { c: x } })).toEqualTypeOf<Future<number, never>>()
  })
})

describe("map, starmap and gather", () => {
  test("map checks items against the first parameter", () => {
    expectTypeOf(client.map(inc, [1, 2, 3])).toEqualTypeOf<Future<number, never>[]>()
    // @ts-expect-error strings are not numbers
    client.map(inc, ["a"])
  })

  test("starmap checks each argument list", () => {
    expectTypeOf(
      client.starmap(add, [
        [1, 2],
        [3, 4]
      ])
    ).toEqualTypeOf<Future<number, never>[]>()
    // @ts-expect-error the second argument is missing
    client.starmap(add, [[1]])
  })

  test("gather keeps the shape and gives values", async () => {
    const x = client.submit(inc, 1)
    const s = client.submit((v: string) => v, "a")
    expectTypeOf(await client.gather(x)).toEqualTypeOf<number>()
    expectTypeOf(await client.gather([x, x])).toEqualTypeOf<number[]>()
    expectTypeOf(await client.gather({ a: x, b: [s] })).toEqualTypeOf<{ a: number; b: string[] }>()
  })
})

describe("asCompleted", () => {
  test("withResults pairs a value, or a CancelledError for a cancelled Future (yielded, never thrown)", async () => {
    const { asCompleted } = await import("weft")
    type Cancelled = import("weft").CancelledError | import("weft").ClientClosedError
    const x = client.submit(inc, 1)
    for await (const f of asCompleted([x])) expectTypeOf(f).toEqualTypeOf<Future<number, never>>()
    for await (const pair of asCompleted([x], { withResults: true })) {
      expectTypeOf(pair).toEqualTypeOf<[Future<number, never>, number | Cancelled]>()
    }
    for await (const pair of asCompleted([x], { withResults: true, raiseErrors: false })) {
      expectTypeOf(pair).toEqualTypeOf<[Future<number, never>, number | Error]>()
    }
  })
})

describe("Effect API", () => {
  test("Weft.result fails with the task's typed error", () => {
    const program = Effect.gen(function* () {
      const f = yield* Weft.submit(load, "a")
      return yield* Weft.result(f)
    })
    expectTypeOf(program).toEqualTypeOf<
      Effect.Effect<
        { size: number },
        NotFound | Weft.ResultError | Weft.ClientClosed | Weft.TaskDefinitionError,
        Weft.Client
      >
    >()
  })

  test("Weft.submit rejects wrong arguments too", () => {
    // @ts-expect-error inc takes a number
    Weft.submit(inc, "x")
  })
})

describe("lazy graphs", () => {
  test("delayed calls are typed by the function", async () => {
    const { delayed, compute } = await import("weft")
    const x = delayed(inc)(1)
    expectTypeOf(x.key).toEqualTypeOf<string>()
    expectTypeOf(x.compute()).toEqualTypeOf<Promise<number>>()
    // @ts-expect-error inc takes a number
    delayed(inc)("x")
    // @ts-expect-error a Delayed of a string is not a number
    delayed(inc)(delayed((s: string) => s)("a"))
    expectTypeOf(delayed(total)([x, 2, client.submit(inc, 1)]).compute()).toEqualTypeOf<Promise<number>>()
    expectTypeOf(client.submit(add, x, 2)).toEqualTypeOf<Future<number, never>>()
    expectTypeOf(client.compute({ a: x, b: [x], c: 3 })).toEqualTypeOf<{
      a: Future<number>
      b: Future<number>[]
      c: number
    }>()
    expectTypeOf(await compute(x, [x])).toEqualTypeOf<[number, number[]]>()
  })
})

describe("isWorker and the client's summary", () => {
  test("isWorker takes nothing and says yes or no", () => {
    expectTypeOf(isWorker).toEqualTypeOf<() => boolean>()
  })
  test("Client.local still returns a Promise of a Client", () => {
    expectTypeOf(Client.local).returns.toEqualTypeOf<Promise<Client>>()
  })
})

describe("dashboard, reports and timelines", () => {
  test("Client.local takes dashboard: true, a port or { port, host }; dashboardLink is a string or undefined", () => {
    expectTypeOf(Client.local({ dashboard: true })).toEqualTypeOf<Promise<Client>>()
    Client.local({ dashboard: 8790 })
    Client.local({ dashboard: { port: 8790, host: "127.0.0.1" } })
    // @ts-expect-error a host alone is a string, not a dashboard setting
    Client.local({ dashboard: "127.0.0.1" })
    expectTypeOf(client.dashboardLink).toEqualTypeOf<string | undefined>()
  })

  test("performanceReport and timeline resolve with the work's result", () => {
    expectTypeOf(client.performanceReport("r.html", async () => 42)).toEqualTypeOf<Promise<number>>()
    expectTypeOf(client.performanceReport("r.html", () => "sync")).toEqualTypeOf<Promise<string>>()
    expectTypeOf(client.timeline("t.json")).toEqualTypeOf<Promise<void>>()
    expectTypeOf(client.timeline("t.json", async () => [1, 2])).toEqualTypeOf<Promise<number[]>>()
    // @ts-expect-error the work is a function, not a Promise
    client.performanceReport("r.html", Promise.resolve(1))
  })

  test("Weft.performanceReport and Weft.timeline keep the Effect's types and need the client", () => {
    const work = Effect.fail(new NotFound({ path: "p" })) as Effect.Effect<number, NotFound>
    expectTypeOf(Weft.performanceReport("r.html", work)).toEqualTypeOf<Effect.Effect<number, NotFound, Weft.Client>>()
    expectTypeOf(Weft.timeline("t.json", work)).toEqualTypeOf<Effect.Effect<number, NotFound, Weft.Client>>()
    expectTypeOf(Weft.timeline("t.json")).toEqualTypeOf<Effect.Effect<void, never, Weft.Client>>()
  })
})
