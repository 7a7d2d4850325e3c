import { describe, expect, it } from "vitest"
import type { FnRef, WireBatch } from "../../core/protocol.js"
import { uncloneableReason } from "./result-check.js"
import { runBatch, runBatchNow } from "./run-batch.js"

let ids = 0
const inline = (source: string): FnRef => ({ kind: "inline", id: `run-batch-${ids++}`, source, name: "task" })

describe("runBatch", () => {
  it("runs synchronous tasks before it first yields", async () => {
    const probe = Symbol.for("weft/test/probe")
    const batch: WireBatch = {
      fns: [
        inline(
          `() => { globalThis[Symbol.for("weft/test/probe")] = (globalThis[Symbol.for("weft/test/probe")] ?? 0) + 1 }`
        )
      ],
      fn: [0, 0, 0],
      args: [[], [], []]
    }
    const pending = runBatch(batch)
    expect((globalThis as Record<symbol, unknown>)[probe]).toBe(3)
    delete (globalThis as Record<symbol, unknown>)[probe]
    await pending
  })

  it("returns a batch whose tasks all returned at once without a Promise, and one that awaits with one", async () => {
    const quick = runBatchNow({ fns: [inline("(x) => x + 1")], fn: [0, 0], args: [[1], [2]] })
    expect(quick).not.toBeInstanceOf(Promise)
    expect(quick).toMatchObject({ results: [2, 3], failed: [] })
    const slow = runBatchNow({
      fns: [inline("(x) => x + 1"), inline("async (x) => x * 10")],
      fn: [0, 1, 0],
      args: [[1], [2], [3]]
    })
    expect(slow).toBeInstanceOf(Promise)
    expect(await slow).toMatchObject({ results: [2, 20, 4], failed: [] })
  })

  it("runs the tasks after an awaited one, failures included, and reports each in its place", async () => {
    const result = await runBatchNow({
      fns: [inline("async (x) => { if (x === 2) throw new Error('two'); return x }"), inline("(x) => x + 100")],
      fn: [0, 1, 0, 1, 0],
      args: [[1], [1], [2], [2], [3]]
    })
    expect(result.failed).toEqual([2])
    expect(result.results).toMatchObject([1, 101, { message: "two" }, 102, 3])
  })

  it("awaits thenables that are not Promises", async () => {
    const result = await runBatch({
      fns: [inline("(x) => ({ then: (resolve) => resolve(x + 1) })")],
      fn: [0],
      args: [[1]]
    })
    expect(result.results).toEqual([2])
  })

  it("compiles each function once per batch and reports a broken one on every task that uses it", async () => {
    const result = await runBatch({ fns: [inline("(x) =>"), inline("(x) => x")], fn: [0, 1, 0], args: [[1], [2], [3]] })
    expect(result.failed).toEqual([0, 2])
    expect(result.results[1]).toBe(2)
    expect(result.results[0]).toMatchObject({ kind: "definition", name: "TaskDefinitionError" })
  })

  it("runs an empty batch", async () => {
    const result = await runBatch({ fns: [], fn: [], args: [] })
    expect(result).toMatchObject({ results: [], failed: [] })
    expect(result.elapsedMs).toBeGreaterThanOrEqual(0)
  })

  it("fails a result that cannot be cloned, with its path", async () => {
    const result = await runBatch({
      fns: [inline("() => new Map([['k', { p: Promise.resolve(1) }]])")],
      fn: [0],
      args: [[]]
    })
    expect(result.failed).toEqual([0])
    expect(result.results[0]).toMatchObject({
      kind: "thrown",
      name: "TypeError",
      builtin: "TypeError",
      message: 'result.get("k").p is a Promise (await it inside the task), which cannot be sent back from a worker'
    })
  })
})

describe("uncloneableReason", () => {
  it("accepts what the structured clone accepts", () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number
      ) {}
    }
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    for (const value of [
      1,
      "s",
      null,
      undefined,
      10n,
      new Point(1, 2),
      cyclic,
      [1, [2, [3]]],
      new Map([[{ k: 1 }, new Set([1])]]),
      new Date(),
      /re/g,
      new Uint8Array(3),
      new ArrayBuffer(2),
      new Error("e"),
      Object.create(null)
    ]) {
      expect(uncloneableReason(value)).toBeUndefined()
      expect(() => structuredClone(value)).not.toThrow()
    }
  })

  it.each([
    [() => 1, "result is a function"],
    [Symbol("s"), "result is a symbol"],
    [{ items: [1, 2, 3, { fn: () => 1 }] }, "result.items[3].fn is a function"],
    [{ "a key": new WeakMap() }, 'result["a key"] is a WeakMap'],
    [[new WeakSet()], "result[0] is a WeakSet"],
    [{ ref: new WeakRef({}) }, "result.ref is a WeakRef"],
    [new Set([1, Symbol.iterator]), "result.values()[1] is a symbol"],
    [new Map([[1, () => 1]]), "result.get(1) is a function"],
    [new Map([[() => 1, 1]]), "result.keys()[0] is a function"],
    [Promise.resolve(1), "result is a Promise (await it inside the task)"]
  ])("rejects %o", (value, reason) => {
    expect(uncloneableReason(value)).toBe(`${reason}, which cannot be sent back from a worker`)
    expect(() => structuredClone(value)).toThrow()
  })
})
