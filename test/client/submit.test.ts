import { describe, expect, test } from "vitest"
import { tokenize } from "weft"
import { add, countedInc, inc, incrementTask, sum } from "../fixtures/client-tasks.js"
import { runCount, runLog, useClient } from "./helpers.js"

const client = useClient()

describe("submit", () => {
  test("returns a pending future at once, which finishes with the value", async () => {
    const future = client().submit((x: number) => x + 1, 10)
    expect(future.status).toBe("pending")
    expect(future.done()).toBe(false)
    await expect(future.result()).resolves.toBe(11)
    expect(future.status).toBe("finished")
    expect(future.done()).toBe(true)
  })

  test("runs sync, async and registered functions", async () => {
    const c = client()
    await expect(c.submit(async (x: number) => x * 2, 4).result()).resolves.toBe(8)
    await expect(c.submit(inc, 1).result()).resolves.toBe(2)
    await expect(c.submit(add, 2, 3).result()).resolves.toBe(5)
  })

  test("a pure call's key is name-token with 32 hex characters", () => {
    const c = client()
    expect(c.submit(incrementTask, 1).key).toMatch(/^increment-[0-9a-f]{32}$/)
    expect(c.submit((x: number) => x, 1).key).toMatch(/^lambda-[0-9a-f]{32}$/)
    const double = (x: number) => 2 * x
    expect(c.submit(double, 1).key).toMatch(/^double-[0-9a-f]{32}$/)
  })

  test("an inline function's token is tokenize(source, ...args)", () => {
    const triple = (x: number) => 3 * x
    expect(client().submit(triple, 7).key).toBe(`triple-${tokenize(triple.toString(), 7)}`)
  })

  test("equal pure calls share one key and run once", async () => {
    const log = runLog()
    const a = client().submit(countedInc, log, 1)
    const b = client().submit(countedInc, log, 1)
    expect(a.key).toBe(b.key)
    expect(await a.result()).toBe(2)
    expect(await b.result()).toBe(2)
    const c = client().submit(countedInc, log, 1)
    expect(await c.result()).toBe(2)
    expect(runCount(log)).toBe(1)
  })

  test("different arguments give different keys", () => {
    expect(client().submit(inc, 1).key).not.toBe(client().submit(inc, 2).key)
    expect(client().submit(add, 1, 2).key).not.toBe(client().submit(add, 2, 1).key)
  })

  test("pure: false gives a new random key per call, and each call runs", async () => {
    const log = runLog()
    const view = client().with({ pure: false })
    const a = view.submit(countedInc, log, 1)
    const b = view.submit(countedInc, log, 1)
    expect(a.key).not.toBe(b.key)
    expect(a.key).toMatch(/^countedInc\d*-[0-9a-f]{32}$/) // vite may rename the function (see the fixture)
    await Promise.all([a.result(), b.result()])
    expect(runCount(log)).toBe(2)
  })

  test("key sets the key as given", async () => {
    const f = client().with({ key: "my-key" }).submit(inc, 41)
    expect(f.key).toBe("my-key")
    expect(await f.result()).toBe(42)
  })

  test("futures as arguments are replaced by their values, also inside arrays and objects", async () => {
    const c = client()
    const x = c.submit(inc, 1)
    const y = c.submit(inc, 2)
    expect(await c.submit(add, x, y).result()).toBe(5)
    expect(await c.submit(sum, [x, y]).result()).toBe(5)
    const pick = (o: { a: number; nested: { list: number[] } }) => o.a * 100 + o.nested.list.reduce((s, v) => s + v, 0)
    expect(await c.submit(pick, { a: x, nested: { list: [y, 10, x] } }).result()).toBe(215)
  })

  test("a chain of dependent tasks computes in order", async () => {
    const c = client()
    let f = c.submit(inc, 0)
    for (let i = 0; i < 50; i++) f = c.submit(inc, f)
    expect(await f.result()).toBe(51)
  })

  test("a future's repr names its status and key", async () => {
    const f = client().submit(inc, 100)
    await f.result()
    expect(String(f)).toBe(`<Future: finished, type: number, key: ${f.key}>`)
    const pending = client().submit(async (ms: number) => new Promise((r) => setTimeout(r, ms)), 5_000)
    expect(String(pending)).toBe(`<Future: pending, key: ${pending.key}>`)
    await pending.cancel()
  })

  test("onDone runs once the task is done, also when added afterwards", async () => {
    const f = client().submit(inc, 5)
    const seen: string[] = []
    await new Promise<void>((resolve) => f.onDone((g) => (seen.push(g.status), resolve())))
    await new Promise<void>((resolve) => f.onDone((g) => (seen.push(g.status), resolve())))
    expect(seen).toEqual(["finished", "finished"])
  })

  test("result({ timeout }) rejects with TimeoutError and the task goes on", async () => {
    const f = client().submit(async (ms: number) => new Promise((r) => setTimeout(() => r(ms), ms)), 300)
    await expect(f.result({ timeout: 20 })).rejects.toMatchObject({ name: "TimeoutError", _tag: "Timeout" })
    await expect(f.result()).resolves.toBe(300)
  })
})
