/**
 * Conformance cases: a task that fails fails alone, and its error comes back with its class, fields, cause and stack.
 *
 * Test code: excluded from the build (`*.case.ts`), never in `dist/`.
 */
import { describe, expect, it } from "vitest"
import { tracebackSymbol } from "../../core/error-codec.js"
import { TaskDefinitionError, TaskError } from "../../core/errors.js"
import { batchOf, encodedOf, errorOf, inline, valueOf, type Suite } from "./support.case.js"

/** Conformance cases: a task that fails fails alone, and its error comes back with its class, fields, cause and stack. */
export function failureCases(suite: Suite): void {
  const run = suite.run
  describe("failures", () => {
    it("keeps the other tasks of a batch when some fail", async () => {
      const result = await run(
        batchOf(
          inline((x: number) => {
            if (x % 3 === 0) throw new Error(`bad ${x}`)
            return x
          }),
          [[1], [3], [4], [6], [7]]
        )
      )
      expect(result.failed).toEqual([1, 3])
      expect([0, 2, 4].map((i) => result.results[i])).toEqual([1, 4, 7])
      expect(errorOf(result, 3).message).toBe("bad 6")
    })

    it("keeps name, message, own properties, cause and the worker's stack", async () => {
      const result = await run(
        batchOf(
          inline(function failing() {
            const cause = new Error("root cause")
            throw Object.assign(new Error("outer", { cause }), { code: "E_OUTER", details: { attempt: 2 } })
          }),
          [[]]
        )
      )
      const error = errorOf(result, 0)
      expect(error).toBeInstanceOf(Error)
      expect(error).toBeInstanceOf(TaskError)
      expect(error.name).toBe("Error")
      expect(error.message).toBe("outer")
      expect(error.code).toBe("E_OUTER")
      expect(error.details).toEqual({ attempt: 2 })
      expect((error.cause as Error).message).toBe("root cause")
      expect(error.cause).toBeInstanceOf(TaskError)
      expect(error.stack).toContain("failing")
      expect((error as unknown as Record<symbol, unknown>)[tracebackSymbol]).toBe(error.stack)
      expect(encodedOf(result, 0).kind).toBe("thrown")
    })

    it("restores built-in classes", async () => {
      const result = await run({
        fns: [
          inline(() => {
            throw new TypeError("wrong type")
          }),
          inline(() => {
            throw new RangeError("out of range")
          }),
          inline(() => {
            throw new AggregateError([new SyntaxError("one"), new URIError("two")], "several")
          })
        ],
        fn: [0, 1, 2],
        args: [[], [], []]
      })
      const type = errorOf(result, 0)
      expect(type).toBeInstanceOf(TypeError)
      expect(type).toBeInstanceOf(TaskError)
      expect(type.message).toBe("wrong type")
      expect(errorOf(result, 1)).toBeInstanceOf(RangeError)
      const aggregate = errorOf(result, 2) as unknown as AggregateError
      expect(aggregate).toBeInstanceOf(AggregateError)
      expect(aggregate.errors.map((e: Error) => [e.constructor, e.message])).toEqual([
        [SyntaxError, "one"],
        [URIError, "two"]
      ])
    })

    it("gives a custom class back as a TaskError with the original name and fields", async () => {
      const result = await run(
        batchOf(
          inline(() => {
            class QuotaExceeded extends Error {
              override readonly name = "QuotaExceeded"
              readonly limit = 10
            }
            throw new QuotaExceeded("too many")
          }),
          [[]]
        )
      )
      const error = errorOf(result, 0)
      expect(error).toBeInstanceOf(TaskError)
      expect(error.name).toBe("QuotaExceeded")
      expect(error.message).toBe("too many")
      expect(error.limit).toBe(10)
    })

    it("reports a thrown non-Error value", async () => {
      const result = await run(
        batchOf(
          inline(() => {
            throw "just a string"
          }),
          [[]]
        )
      )
      const error = errorOf(result, 0)
      expect(error).toBeInstanceOf(TaskError)
      expect(error.message).toBe("Task threw a non-Error value: just a string")
      expect(error.value).toBe("just a string")
    })

    it("reports a free identifier of an inline function as a definition error naming it", async () => {
      const result = await run(batchOf(inline("(x) => x + offset", "addOffset"), [[1]]))
      const error = errorOf(result, 0)
      expect(encodedOf(result, 0).kind).toBe("definition")
      expect(error).toBeInstanceOf(TaskDefinitionError)
      expect(error).toBeInstanceOf(TaskError)
      expect(error.message).toContain('"offset"')
      expect(error.message).toContain("task(import.meta, fn)")
      expect((error as unknown as TaskDefinitionError).details).toEqual({ task: "addOffset", identifier: "offset" })
    })

    it("reports source that does not compile as a definition error", async () => {
      const result = await run(batchOf(inline("(x) => { return x +", "broken"), [[1]]))
      const error = errorOf(result, 0)
      expect(error).toBeInstanceOf(TaskDefinitionError)
      expect(error.message).toContain('"broken"')
    })

    it("fails a result that cannot be cloned, naming its path", async () => {
      const result = await run({
        fns: [inline(() => ({ items: [1, 2, 3, { fn: () => 1 }] })), inline((x: number) => x)],
        fn: [0, 1],
        args: [[], [5]]
      })
      const error = errorOf(result, 0)
      expect(error).toBeInstanceOf(TypeError)
      expect(error.message).toBe("result.items[3].fn is a function, which cannot be sent back from a worker")
      expect(valueOf(result, 1)).toBe(5)
    })

    it("fails injected tasks after running them: the result is dropped, a real failure is kept", async () => {
      const result = await run(
        batchOf(
          inline((x: number) => {
            if (x === 4) throw new Error("task 4 failed for real")
            return x
          }),
          [[1], [2], [3], [4]],
          [false, true, false, true]
        )
      )
      expect(result.failed).toEqual([1, 3])
      expect(result.results[0]).toBe(1)
      expect(result.results[2]).toBe(3)
      expect(encodedOf(result, 1)).toMatchObject({
        kind: "thrown",
        name: "InjectedFault",
        message: "weft injected a transient failure (fault plan)"
      })
      // The function ran (it threw): its own error is what the attempt reports.
      expect(encodedOf(result, 3)).toMatchObject({ kind: "thrown", name: "Error", message: "task 4 failed for real" })
    })
  })
}
