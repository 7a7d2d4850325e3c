import { describe, expect, test } from "vitest"
import { Client, ClientClosedError, delayed, task, TaskDefinitionError } from "weft"
import { inc } from "../fixtures/client-tasks.js"
import { useClient } from "./helpers.js"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"

const client = useClient()

/** Runs `f`, which must throw, and checks that the cluster holds and runs nothing new. */
const refuses = (f: () => unknown, expected: RegExp | (new (...args: never[]) => Error)) => {
  const c = client()
  const before = engineOf(c).scheduler.size
  expect(f).toThrow(expected as never)
  expect(engineOf(c).scheduler.size).toBe(before)
}

describe("bad input throws at the call and submits nothing", () => {
  test("submit(42) names what it got", () => {
    refuses(
      () => client().submit(42 as unknown as () => void),
      /first argument must be the function to run, got number 42/
    )
    refuses(() => client().map("inc" as unknown as (x: number) => number, [1]), /got string inc/)
  })

  test("functions without source are refused with TaskDefinitionError", () => {
    refuses(() => client().submit(Math.max, 1, 2), TaskDefinitionError)
    refuses(() => client().submit(inc.bind(null), 1), /no source text/)
    const counter = {
      n: 1,
      next(x: number) {
        return this.n + x
      }
    }
    refuses(() => client().submit(counter.next, 1), /uses `this`/)
    refuses(() => client().submit(class Point {} as unknown as () => void), /is a class/)
  })

  test("a function whose nested classes, methods and functions use their own `this` is accepted and runs", async () => {
    const withClass = function withClass(x: number) {
      class Box {
        value: number
        constructor(v: number) {
          this.value = v
        }
        double() {
          return this.value * 2
        }
      }
      return new Box(x).double()
    }
    const withMethod = function withMethod(x: number) {
      const counter = {
        n: x,
        next() {
          return this.n + 1
        }
      }
      return counter.next()
    }
    const withConstructor = function withConstructor(x: number) {
      function Point(this: { x: number }, v: number) {
        this.x = v
      }
      return new (Point as unknown as new (v: number) => { x: number })(x).x
    }
    expect(await client().submit(withClass, 4).result()).toBe(8)
    expect(await client().submit(withMethod, 4).result()).toBe(5)
    expect(await client().submit(withConstructor, 4).result()).toBe(4)
    // Its own `this`, also through an arrow function or inside a block, is still refused.
    const arrowThis = function arrowThis(this: { n: number }) {
      const get = () => this.n
      return get()
    }
    refuses(() => client().submit(arrowThis), /uses `this`/)
    const blockThis = function blockThis(this: { n: number }, x: number) {
      if (x > 0) {
        return this.n
      }
      return 0
    }
    refuses(() => client().submit(blockThis, 1), /uses `this`/)
  })

  test("invalid options throw TypeError naming the option", () => {
    refuses(() => client().map(inc, [1], { retries: -1 }), TypeError)
    refuses(() => client().map(inc, [1], { retry: 3 } as never), /unknown option "retry"/)
    refuses(() => client().with({ key: 42 } as never), /key/)
    refuses(() => client().with({ timeout: "soon" }), /timeout/)
    refuses(() => client().with({ priority: Number.NaN }), /priority/)
  })

  test("arguments that cannot be cloned are refused with their path", () => {
    refuses(() => client().submit((o: unknown) => o, { handler: () => 1 }), /args\[0\]\.handler is a function/)
    refuses(() => client().submit((o: unknown) => o, [1, Symbol("s")]), /args\[0\]\[1\] is a symbol/)
    refuses(() => client().submit((o: unknown) => o, new WeakMap()), /WeakMap/)
    refuses(() => client().submit((o: unknown) => o, Promise.resolve(1)), /Promise/)
    const { port1, port2 } = new MessageChannel()
    refuses(() => client().submit((o: unknown) => o, { port: port1 }), /args\[0\]\.port is a MessagePort/)
    port1.close()
    port2.close()
  })

  test("Futures inside a Map, Set or class instance are refused: they would not be replaced", () => {
    const x = client().scatter(1)
    refuses(
      () => client().submit((m: Map<string, unknown>) => m.size, new Map([["x", x]])),
      /Future or Delayed inside a Map, Set or class instance/
    )
    refuses(() => client().submit((s: Set<unknown>) => s.size, new Set([x])), /args\[0\]\.values\(\)\[0\]/)
  })

  test("map checks every item before submitting any", () => {
    refuses(() => client().map((o: unknown) => o, [1, 2, () => 3]), /item 2/)
    refuses(() => client().map(inc, 5 as never), /iterable/)
    refuses(() => client().starmap((a: number, b: number) => a + b, [[1, 2], 3 as never]), /item 1 must be an array/)
  })

  test("scatter of a value that cannot be cloned is refused", () => {
    refuses(() => client().scatter({ f: () => 1 }), /cannot be sent to workers/)
    refuses(() => client().scatter(1, { hash: "yes" } as never), /hash must be a boolean/)
  })

  test("a Future of another client is refused with one message wherever it is used, saying what to do", async () => {
    await using other = await Client.local({ workers: 0 })
    const f = other.submit(inc, 1)
    const foreign = new RegExp(
      `^The Future ${f.key} was created by another client, and a Future belongs to the client that made it: `
    )
    refuses(() => client().submit(inc, f), foreign)
    refuses(() => client().submit(inc, f), /gather its value and pass that, or submit with its own client\.$/)
    refuses(() => client().compute(delayed(inc)(f)), foreign)
    refuses(() => client().compute(delayed(inc)(f)), /compute the graph with the client that made the Future/)
    await expect(client().gather([f])).rejects.toThrow(foreign)
    refuses(() => client().cancel({ f }), foreign)
    expect(await f.result()).toBe(2)
  })

  test("gather with a bad errors option is refused", () => {
    expect(() => client().gather([], { errors: "ignore" } as never)).toThrow(/errors must be "raise" or "skip"/)
  })

  test("Client.local rejects unknown or invalid options", async () => {
    await expect(Client.local({ wrkers: 2 } as never)).rejects.toThrow(/unknown option "wrkers"/)
    await expect(Client.local({ workers: -1 })).rejects.toThrow(TypeError)
    await expect(Client.local({ isolation: "vm" } as never)).rejects.toThrow(/isolation/)
    await expect(Client.local({ memoryLimit: "lots" })).rejects.toThrow(/memoryLimit/)
  })

  test("a number given as a string is said to be a string, for every numeric option", async () => {
    await expect(Client.local({ workers: "4" } as never)).rejects.toThrow(
      'Client.local: workers must be a whole number >= 0, got the string "4".'
    )
    await expect(Client.local({ allowedFailures: "3" } as never)).rejects.toThrow(
      'allowedFailures must be a whole number >= 0, got the string "3".'
    )
    await expect(Client.local({ faults: { rate: "0.5" } } as never)).rejects.toThrow(
      'rate must be a number from 0 to 1, got the string "0.5".'
    )
    await expect(Client.local({ faults: { rate: 0.1, seed: "1" } } as never)).rejects.toThrow(
      'seed must be an integer, got the string "1".'
    )
    await expect(Client.local({ faults: { rate: 0.1, maxPerTask: "2" } } as never)).rejects.toThrow(
      'maxPerTask must be a whole number >= 0, got the string "2".'
    )
    await expect(Client.local({ workers: 4.5 })).rejects.toThrow("got 4.5.")
    expect(() => client().map(inc, [1], { priority: "2" } as never)).toThrow(
      'option "priority" must be a finite number (higher runs first, default 0), got the string "2".'
    )
    expect(() => client().map(inc, [1], { retries: "3" } as never)).toThrow(
      /option "retries" .*, got the string "3"\.$/
    )
    expect(() => client().map(inc, [1], { retries: { times: "3" } } as never)).toThrow(
      /option "retries\.times" .*, got the string "3"\.$/
    )
  })

  test("the valid options listed are those of the call: key where a call has one key, not in task() or delayed()", () => {
    expect(() => client().map(inc, [1], { retry: 1 } as never)).toThrow(
      /Valid options are: pure, retries, timeout, priority, key, cache, cacheInputs\.$/
    )
    expect(() => client().with({ retry: 1 } as never)).toThrow(
      /Valid options are: pure, retries, timeout, priority, key, cache, cacheInputs\.$/
    )
    expect(() => delayed(inc, { retry: 1 } as never)).toThrow(
      /^delayed\(inc\d*\): unknown option "retry" \(did you mean "retries"\?\)\. Valid options are: pure, retries, timeout, priority, cache, cacheInputs\.$/
    )
    expect(() => delayed(inc, { key: "k" })).toThrow(/^delayed\(inc\d*\): the "key" option names one call/)
    expect(() => task(import.meta, function keyless() {}, { retry: 1 } as never)).toThrow(
      /Valid options are: pure, retries, timeout, priority, cache, cacheInputs\.$/
    )
    expect(() => task(import.meta, function keyed() {}, { key: "k" })).toThrow(
      /^task\(keyed\): the "key" option is per call only/
    )
    expect(() => client().with({ key: "k" }).compute(delayed(inc)(1))).toThrow(
      /the "key" option names one call; a graph has many/
    )
    expect(() => client().with({ key: "k" }).submit(inc, 1)).not.toThrow()
  })

  test("every method throws ClientClosedError after close", async () => {
    const c = await Client.local({ workers: 0 })
    const f = c.submit(inc, 1)
    await c.close()
    expect(() => c.submit(inc, 1)).toThrow(ClientClosedError)
    expect(() => c.map(inc, [1])).toThrow(ClientClosedError)
    expect(() => c.scatter(1)).toThrow(ClientClosedError)
    expect(() => c.gather(f)).toThrow(ClientClosedError)
    expect(() => c.heldKeys()).toThrow(ClientClosedError)
    expect(() => c.with({})).toThrow(ClientClosedError)
    await c.close() // idempotent
  })
})
