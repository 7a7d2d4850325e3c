import { describe, expect, test } from "vitest"
import { Client, compute, delayed, Delayed, isDelayed, persist, tokenize } from "weft"
import { countedInc, inc } from "../fixtures/client-tasks.js"
import { runCount, runLog, useClient } from "../client/helpers.js"
import { inProcessClient } from "../../dist/runtime/internal/client-engine.js"

const add = (x: number, y: number) => x + y
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
const product = (xs: number[]) => xs.reduce((a, b) => a * b, 1)

describe("building a graph", () => {
  test("a delayed call is a Delayed whose key follows the submit rules, and runs nothing", () => {
    const log = runLog()
    const x = delayed(countedInc)(log, 1)
    expect(isDelayed(x)).toBe(true)
    expect(x).toBeInstanceOf(Delayed)
    expect(x.key).toMatch(/^countedInc\d*-[0-9a-f]{32}$/)
    const twice = (n: number) => 2 * n
    expect(delayed(twice)(3).key).toBe(`twice-${tokenize(twice.toString(), 3)}`)
    expect(runCount(log)).toBe(0)
  })

  test("building the same graph twice gives the same keys; different arguments, different keys", () => {
    const build = (n: number) => delayed(add)(delayed(inc)(n), delayed(inc)(n + 1))
    expect(build(1).key).toBe(build(1).key)
    expect(build(1).key).not.toBe(build(2).key)
  })

  test("pure: false gives a new key per call", () => {
    const f = delayed(inc, { pure: false })
    expect(f(1).key).not.toBe(f(1).key)
  })

  test("graph() is plain data: key -> task name and arguments with key references", () => {
    const x = delayed(inc)(1)
    const y = delayed(add)(x, 10)
    const z = delayed(sum)([x, y, 5])
    const graph = z.graph()
    expect(Object.keys(graph)).toEqual([x.key, y.key, z.key])
    expect(graph[y.key]).toEqual({ task: "add", args: [{ $ref: x.key }, 10] })
    expect(graph[z.key]).toEqual({ task: "sum", args: [[{ $ref: x.key }, { $ref: y.key }, 5]] })
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph)
  })

  test("graph() reads a null-prototype object as a plain object, and keeps an own __proto__ key as data", () => {
    const x = delayed(inc)(1)
    const arg = Object.assign(Object.create(null) as Record<string, unknown>, { x, n: 2 })
    Object.defineProperty(arg, "__proto__", { value: x, enumerable: true, writable: true, configurable: true })
    const y = delayed((o: Record<string, unknown>) => Object.keys(o).length)(arg)
    const [shown] = (y.graph()[y.key] as { args: ReadonlyArray<unknown> }).args as [Record<string, unknown>]
    expect(Object.keys(shown)).toEqual(["x", "n", "__proto__"])
    expect(shown.x).toEqual({ $ref: x.key })
    expect(Object.getOwnPropertyDescriptor(shown, "__proto__")?.value).toEqual({ $ref: x.key })
    expect(JSON.parse(JSON.stringify(y.graph()))[y.key].args[0]).toEqual(JSON.parse(JSON.stringify(shown)))
  })

  test("toMermaid() draws one node per task and an arrow per input", () => {
    const x = delayed(inc)(1)
    const z = delayed(add)(x, delayed(inc)(2))
    const chart = z.toMermaid()
    expect(chart.startsWith("flowchart TD\n")).toBe(true)
    expect(chart.match(/\["/g)).toHaveLength(3)
    expect(chart.match(/-->/g)).toHaveLength(2)
    expect(chart).toContain("add<br/>add-")
  })

  test("bad input: not a function, a key option, uncloneable arguments", () => {
    expect(() => delayed(42 as unknown as () => void)).toThrow(/must be the function to call/)
    expect(() => delayed(inc, { key: "k" })).toThrow(/"key" option names one call/)
    expect(() => delayed((f: unknown) => f)(() => 1)).toThrow(/args\[0\] is a function/)
    expect(() => delayed(Math.max)).toThrow(/no source text/)
  })
})

describe("computing without a client", () => {
  test("Delayed.compute() runs the graph in this process", async () => {
    expect(Client.current()).toBeUndefined()
    const z = delayed(add)(delayed((n: number) => n * 10)(4), 2)
    expect(await z.compute()).toBe(42)
  })

  test("compute(...) takes several Delayeds and structures, and passes other values through", async () => {
    const x = delayed((n: number) => n + 1)(1)
    const y = delayed((n: number) => n * 3)(x)
    expect(await compute(x, [y, 7], { y, s: "s" })).toEqual([2, [6, 7], { y: 6, s: "s" }])
  })

  test("persist(...) returns Delayeds backed by Futures at once", async () => {
    const x = delayed((n: number) => n - 1)(10)
    const [p] = persist(x)
    expect(p.key).toBe(x.key)
    expect(Object.values(p.graph())).toHaveLength(1)
    expect(await p.compute()).toBe(9)
  })
})

describe("on a cluster", () => {
  const client = useClient({ workers: 2 })

  test("client.compute returns a Future at once whose key is the Delayed's", async () => {
    const z = delayed(add)(delayed(inc)(1), delayed(inc)(2))
    const f = client().compute(z)
    expect(f.key).toBe(z.key)
    expect(await f.result()).toBe(5)
  })

  test("client.compute keeps the shape of arrays and objects, other values pass through", async () => {
    const x = delayed(inc)(10)
    const out = client().compute({ list: [x, 3], x })
    expect(out.list[1]).toBe(3)
    expect(out.x.key).toBe(x.key)
    expect(await client().gather(out)).toEqual({ list: [11, 3], x: 11 })
  })

  test("Futures as arguments of delayed calls: their results are used and their tasks never run again", async () => {
    const log = runLog()
    const futures = [1, 2, 3].map((i) => client().submit(countedInc, log, i))
    await client().gather(futures)
    const total = delayed(add)(delayed(sum)(futures), delayed(product)(futures))
    expect(await client().compute(total).result()).toBe(2 + 3 + 4 + 2 * 3 * 4)
    expect(runCount(log)).toBe(3)
  })

  test("persist returns at once; its graph holds Futures, and later computations start from them", async () => {
    const log = runLog()
    const x = delayed(countedInc)(log, 1)
    const y = delayed(inc)(x)
    const p = client().persist(y)
    expect(p).toBeInstanceOf(Delayed)
    expect(p.key).toBe(y.key)
    const node = Object.values(p.graph())
    expect(node).toHaveLength(1)
    expect(String(node[0])).toMatch(/^<Future: /)
    expect(await client().compute(delayed(inc)(p)).result()).toBe(4)
    expect(await client().compute(delayed(add)(p, p)).result()).toBe(6)
    expect(runCount(log)).toBe(1)
  })

  test("persist then compute equals compute", async () => {
    const build = () => delayed(sum)([1, 2, 3].map((i) => delayed(add)(delayed(inc)(i), i)))
    expect(await client().compute(client().persist(build())).result()).toBe(await client().compute(build()).result())
  })

  test("a Delayed passed to submit is computed first", async () => {
    const x = delayed(inc)(41)
    expect(await client().submit(add, x, 0).result()).toBe(42)
    expect(await client().submit(sum, [x, x, 1]).result()).toBe(85)
  })

  test("culling: only what the outputs need runs", async () => {
    const used = runLog()
    const unused = runLog()
    const a = delayed(countedInc)(used, 1)
    delayed(countedInc)(unused, 1) // built, never asked for
    const b = delayed(add)(a, 1)
    expect(await client().compute(b).result()).toBe(3)
    expect(runCount(used)).toBe(1)
    expect(runCount(unused)).toBe(0)
  })

  test("with(options).compute applies the options to every task of the graph", async () => {
    const flaky = (i: number) => {
      if (Math.random() < 0.3) throw new Error("flaky")
      return i
    }
    const parts = Array.from({ length: 20 }, (_, i) => delayed(flaky, { pure: false })(i))
    const total = delayed(sum)(parts)
    expect(await client().with({ retries: 10 }).compute(total).result()).toBe(190)
  })

  test("intermediate results are released once the outputs are done", async () => {
    const z = delayed(add)(delayed(inc)(100), delayed(inc)(200))
    const f = client().compute(z)
    await f.result()
    expect(client().heldKeys()).toContain(z.key)
    expect(client().heldKeys()).not.toContain(delayed(inc)(100).key)
  })
})

describe("compute() on a structure", () => {
  for (const workers of [0, 1]) {
    test(`keeps an own __proto__ key as data and reads null-prototype objects (workers: ${workers})`, async () => {
      await using local = await Client.local({ workers })
      const x = delayed(inc)(41)
      const structure: Record<string, unknown> = {}
      Object.defineProperty(structure, "__proto__", { value: x, enumerable: true, writable: true, configurable: true })
      structure.bare = Object.assign(Object.create(null) as object, { x })
      const out = local.compute(structure) as Record<string, unknown>
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
      expect(Object.keys(out)).toEqual(["__proto__", "bare"])
      const own = Object.getOwnPropertyDescriptor(out, "__proto__")?.value as { result(): Promise<number> }
      expect(await own.result()).toBe(42)
      expect(await local.gather(out.bare)).toEqual({ x: 42 })
    })
  }
})

describe("large graphs", () => {
  test("a chain of 100,000 delayed calls builds, submits and computes without deep recursion", async () => {
    const step = (x: number) => (x + 1) % 1_000_000
    let d = delayed(step)(0)
    for (let i = 1; i < 100_000; i++) d = delayed(step)(d)
    expect(Object.keys(d.graph())).toHaveLength(100_000)
    const local = inProcessClient<Client>()
    expect(await local.compute(d).result()).toBe(100_000)
    await local.close()
  })
})
