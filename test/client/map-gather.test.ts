import { describe, expect, test } from "vitest"
import { CancelledError } from "weft"
import { add, inc, overQuota, sum } from "../fixtures/client-tasks.js"
import { useClient } from "./helpers.js"

const client = useClient()

describe("map and starmap", () => {
  test("map gives one future per item with distinct keys and the mapped values", async () => {
    const fs = client().map(inc, [1, 2, 3, 4, 5])
    expect(fs).toHaveLength(5)
    expect(new Set(fs.map((f) => f.key)).size).toBe(5)
    expect(await client().gather(fs)).toEqual([2, 3, 4, 5, 6])
  })

  test("map of an empty list is an empty list", () => {
    expect(client().map(inc, [])).toEqual([])
  })

  test("equal items share one task; pure: false gives each its own", () => {
    const shared = client().map(inc, [7, 7, 7])
    expect(new Set(shared.map((f) => f.key)).size).toBe(1)
    const own = client().map(inc, [7, 7, 7], { pure: false })
    expect(new Set(own.map((f) => f.key)).size).toBe(3)
  })

  test("map accepts any iterable, and futures as items chain dependencies", async () => {
    const first = client().map(inc, new Set([1, 2, 3]))
    const second = client().map(inc, first)
    expect(await client().gather(second)).toEqual([3, 4, 5])
  })

  test("a key option in map names the prefix of every key", () => {
    const fs = client().map(inc, [1, 2], { key: "INC" })
    for (const f of fs) expect(f.key).toMatch(/^INC-[0-9a-f]{32}$/)
  })

  test("starmap spreads each argument list", async () => {
    expect(
      await client().gather(
        client().starmap(add, [
          [1, 2],
          [3, 4]
        ])
      )
    ).toEqual([3, 7])
  })

  test("with(options) applies to submit, map and starmap", async () => {
    const view = client().with({ pure: false, priority: 5 })
    const a = view.submit(inc, 1)
    const b = view.submit(inc, 1)
    expect(a.key).not.toBe(b.key)
    expect(await client().gather(view.map(inc, [1, 2]))).toEqual([2, 3])
    expect(await client().gather(view.starmap(add, [[1, 1]]))).toEqual([2])
  })

  test("failures do not block the others: each future gets its own status", async () => {
    const flaky = (i: number) => {
      if (i % 3 === 0) throw new Error(`bad ${i}`)
      return i
    }
    const fs = client().map(flaky, [0, 1, 2, 3, 4, 5])
    await Promise.all(fs.map((f) => f.exception()))
    expect(fs.map((f) => f.status)).toEqual(["error", "finished", "finished", "error", "finished", "finished"])
  })
})

describe("scatter and gather", () => {
  test("scatter gives a finished future keyed by type name and token", async () => {
    const f = client().scatter([1, 2, 3])
    expect(f.status).toBe("finished")
    expect(f.key).toMatch(/^Array-[0-9a-f]{32}$/)
    expect(client().scatter([1, 2, 3]).key).toBe(f.key)
    expect(client().scatter(5).key).toMatch(/^number-[0-9a-f]{32}$/)
    expect(await f.result()).toEqual([1, 2, 3])
  })

  test("scatter with hash: false gives a random key", () => {
    expect(client().scatter(1, { hash: false }).key).not.toBe(client().scatter(1, { hash: false }).key)
  })

  test("scatter keeps a copy: later changes to the caller's object do not reach tasks", async () => {
    const data = { n: 1 }
    const f = client().scatter(data, { hash: false })
    data.n = 99
    expect(
      await client()
        .submit((d: { n: number }) => d.n, f)
        .result()
    ).toBe(1)
  })

  test("scatterMany gives one future per value, usable as task inputs", async () => {
    const fs = client().scatterMany([10, 20, 30])
    expect(fs.map((f) => f.status)).toEqual(["finished", "finished", "finished"])
    expect(await client().submit(sum, fs).result()).toBe(60)
  })

  test("gather returns the same nested shape with values", async () => {
    const x = client().submit(inc, 1)
    const y = client().submit(inc, 2)
    expect(await client().gather(x)).toBe(2)
    expect(await client().gather([x])).toEqual([2])
    expect(await client().gather({ x, nested: { y: [y, 7] } })).toEqual({ x: 2, nested: { y: [3, 7] } })
  })

  test('gather rejects with the first error by default; errors: "skip" leaves errored futures out', async () => {
    const ok = client().submit(inc, 1)
    const bad = client().submit(overQuota, 3)
    await expect(client().gather([ok, bad])).rejects.toMatchObject({ name: "QuotaError" })
    expect(await client().gather([ok, bad], { errors: "skip" })).toEqual([2])
    expect(await client().gather({ ok, bad }, { errors: "skip" })).toEqual({ ok: 2 })
  })

  test("gather of a cancelled future rejects with CancelledError", async () => {
    const slow = client().submit(async (ms: number) => new Promise((r) => setTimeout(r, ms)), 5_000)
    await slow.cancel()
    await expect(client().gather([slow])).rejects.toBeInstanceOf(CancelledError)
    expect(slow.status).toBe("cancelled")
    expect(await slow.exception()).toBeUndefined()
  })
})
