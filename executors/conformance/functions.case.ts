/**
 * Conformance cases: inline functions, registered tasks and Effect tasks run, and what they return comes back.
 *
 * Test code: excluded from the build (`*.case.ts`), never in `dist/`.
 */
import { describe, expect, it } from "vitest"
import { TaskDefinitionError, TaskError } from "../../core/errors.js"
import { batchOf, encodedOf, errorOf, inline, registered, tsxSource, valueOf, type Suite } from "./support.case.js"

/** Conformance cases: inline functions, registered tasks and Effect tasks run, and what they return comes back. */
export function functionCases(suite: Suite): void {
  const run = suite.run
  describe("inline functions", () => {
    it("runs function declarations, async functions, arrows and async arrows", async () => {
      const result = await run({
        fns: [
          inline(function inc(x: number) {
            return x + 1
          }),
          inline(async function incLater(x: number) {
            await new Promise((resolve) => setTimeout(resolve, 1))
            return x + 1
          }),
          inline((x: number) => x * 10),
          inline(async (x: number) => x * 100)
        ],
        fn: [0, 1, 2, 3],
        args: [[1], [2], [3], [4]]
      })
      expect(result.failed).toEqual([])
      expect(result.results).toEqual([2, 3, 30, 400])
      expect(result.elapsedMs).toBeGreaterThanOrEqual(0)
    })

    it("runs method shorthand, sync and async", async () => {
      const methods = {
        inc(x: number) {
          return x + 1
        },
        async dec(x: number) {
          return x - 1
        }
      }
      const result = await run({ fns: [inline(methods.inc), inline(methods.dec)], fn: [0, 1], args: [[1], [1]] })
      expect(result.results).toEqual([2, 0])
    })

    it("runs source compiled by tsx, which calls __name", async () => {
      const result = await run(batchOf(inline(tsxSource, "scale"), [[[1, 2], 3]]))
      expect(valueOf(result, 0)).toBe("3,6|times,label")
    })

    it("returns results in task order", async () => {
      const args = Array.from({ length: 50 }, (_, i) => [i])
      const result = await run(
        batchOf(
          inline(async (i: number) => {
            await new Promise((resolve) => setTimeout(resolve, (i * 7) % 5))
            return `task-${i}`
          }),
          args
        )
      )
      expect(result.results).toEqual(args.map(([i]) => `task-${i}`))
    })

    it("runs 1,000 tasks in one batch", async () => {
      const args = Array.from({ length: 1_000 }, (_, i) => [i])
      const result = await run(
        batchOf(
          inline((x: number) => x * 2),
          args
        )
      )
      expect(result.failed).toEqual([])
      expect(result.results).toEqual(args.map(([i]) => i * 2))
    })

    it("clones arguments and results: class instances arrive as plain objects", async () => {
      class Point {
        constructor(
          readonly x: number,
          readonly y: number
        ) {}
      }
      const result = await run(
        batchOf(
          inline((p: { x: number; y: number }) => ({
            proto: Object.getPrototypeOf(p) === Object.prototype,
            sum: p.x + p.y,
            map: new Map([[1, "a"]])
          })),
          [[new Point(1, 2)]]
        )
      )
      expect(valueOf(result, 0)).toEqual({ proto: true, sum: 3, map: new Map([[1, "a"]]) })
    })
  })

  describe("registered tasks", () => {
    it("imports the module and runs the task, closures over module scope included", async () => {
      const result = await run({
        fns: [registered("registered.ts", "double"), registered("registered.ts", "addOffset")],
        fn: [0, 1, 0],
        args: [[21], [1], [2]]
      })
      expect(result.failed).toEqual([])
      expect(result.results).toEqual([42, 101, 4])
    })

    it("keeps fields of errors from registered async tasks", async () => {
      const result = await run(batchOf(registered("registered.ts", "failsWithCode"), [["E_REG"]]))
      const error = errorOf(result, 0)
      expect(error.message).toBe("failed with E_REG")
      expect(error.code).toBe("E_REG")
    })

    it("fails a name that the module does not register", async () => {
      const result = await run(batchOf(registered("registered.ts", "missing"), [[1]]))
      const error = errorOf(result, 0)
      expect(error).toBeInstanceOf(TaskDefinitionError)
      expect(error.message).toContain('Task "missing" is not registered in')
      expect(error.message).toContain("task(import.meta, fn)")
    })

    it("fails the tasks of a module that throws at load, and runs the next batch", async () => {
      const result = await run({
        fns: [registered("throws-at-load.ts", "neverRegistered"), inline((x: number) => x + 1)],
        fn: [0, 1],
        args: [[], [1]]
      })
      const error = errorOf(result, 0)
      expect(encodedOf(result, 0).kind).toBe("definition")
      expect(error).toBeInstanceOf(TaskDefinitionError)
      expect(error.message).toContain("fixture module failed while loading")
      expect(valueOf(result, 1)).toBe(2)
      const next = await run(batchOf(registered("registered.ts", "double"), [[4]]))
      expect(valueOf(next, 0)).toBe(8)
      const again = await run(batchOf(registered("throws-at-load.ts", "neverRegistered"), [[]]))
      expect(errorOf(again, 0)).toBeInstanceOf(TaskDefinitionError)
    })
  })

  describe("Effect tasks", () => {
    it("runs a returned Effect to its value, also from a Promise", async () => {
      const result = await run({
        fns: [registered("effect-tasks.ts", "lookup"), registered("effect-tasks.ts", "lookupLater")],
        fn: [0, 1],
        args: [[7], [8]]
      })
      expect(result.failed).toEqual([])
      expect(result.results).toEqual([
        { id: 7, name: "item-7" },
        { id: 8, name: "item-8" }
      ])
    })

    it("reports a typed failure with its _tag and fields", async () => {
      const result = await run(batchOf(registered("effect-tasks.ts", "lookup"), [[-1]]))
      const encoded = encodedOf(result, 0)
      expect(encoded.kind).toBe("typed")
      const error = errorOf(result, 0)
      expect(error).toBeInstanceOf(TaskError)
      expect(error._tag).toBe("NotFound")
      expect(error.name).toBe("NotFound")
      expect(error.id).toBe(-1)
      expect(error.path).toBe("/items")
    })

    it("reports a defect as thrown and an interruption as interrupted", async () => {
      const result = await run({
        fns: [registered("effect-tasks.ts", "dies"), registered("effect-tasks.ts", "interrupted")],
        fn: [0, 1],
        args: [[], []]
      })
      expect(encodedOf(result, 0).kind).toBe("thrown")
      expect(errorOf(result, 0)).toBeInstanceOf(RangeError)
      expect(encodedOf(result, 1).kind).toBe("interrupted")
    })
  })
}
