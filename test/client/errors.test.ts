import { describe, expect, test } from "vitest"
import { TaskDefinitionError, TaskError } from "weft"
import { add, countedInc, inc, overQuota, QuotaError } from "../fixtures/client-tasks.js"
import { runCount, runLog, useClient } from "./helpers.js"

const client = useClient()

describe("task errors", () => {
  test("a built-in error keeps its class, message and the worker's stack", async () => {
    const f = client().submit((s: string) => JSON.parse(s), "{")
    const error = await f.exception()
    expect(error).toBeInstanceOf(SyntaxError)
    expect(error).toBeInstanceOf(TaskError)
    expect(error?.message).toMatch(/JSON/)
    await expect(f.result()).rejects.toBeInstanceOf(SyntaxError)
    expect(f.status).toBe("error")
    expect(f.done()).toBe(true)
  })

  test("a custom error comes back with its name, message, own properties and cause", async () => {
    const error = (await client().submit(overQuota, 5).exception()) as Error & { code?: string; limit?: number }
    expect(error).toBeInstanceOf(TaskError)
    expect(error).not.toBeInstanceOf(QuotaError) // the class cannot cross the boundary
    expect(error.name).toBe("QuotaError")
    expect(error.message).toBe("quota of 5 exceeded")
    expect(error.code).toBe("E_QUOTA")
    expect(error.limit).toBe(5)
    expect(error.cause).toBeInstanceOf(TypeError)
    expect((error.cause as Error).message).toBe("inner cause")
    expect(error.stack).toMatch(/overQuota/)
  })

  test("traceback() gives the worker-side stack, undefined on success", async () => {
    const failing = client().submit(function divide(x: number) {
      if (x === 0) throw new RangeError("division by zero")
      return 1 / x
    }, 0)
    expect(await failing.traceback()).toMatch(/RangeError: division by zero[\s\S]*divide/)
    const fine = client().submit(inc, 1)
    expect(await fine.traceback()).toBeUndefined()
    expect(await fine.exception()).toBeUndefined()
  })

  test("a thrown non-Error value comes back as a TaskError carrying the value", async () => {
    const error = (await client()
      .submit(() => {
        throw "plain string"
      })
      .exception()) as TaskError & { value?: unknown }
    expect(error).toBeInstanceOf(TaskError)
    expect(error.message).toMatch(/plain string/)
    expect(error.value).toBe("plain string")
  })

  test("every dependent of an erred future fails with the root's error", async () => {
    const c = client()
    const bad = c.submit(overQuota, 1)
    const child = c.submit(inc, bad)
    const grandchild = c.submit(add, child, 1)
    const root = await bad.exception()
    await expect(child.result()).rejects.toBe(root)
    await expect(grandchild.result()).rejects.toBe(root)
    expect(grandchild.status).toBe("error")
  })

  test("resubmitting an erred pure call returns the same error without running again", async () => {
    const c = client()
    const log = runLog()
    const thrower = (path: string) => {
      throw new Error(`failed for ${path}`)
    }
    const first = c.submit(thrower, log)
    const error = await first.exception()
    const second = c.submit(thrower, log)
    expect(second.key).toBe(first.key)
    expect(second.status).toBe("error")
    await expect(second.result()).rejects.toBe(error)
    // The same holds for a registered task, counted by its own runs.
    const a = c.submit(countedInc, log, 1)
    await a.result()
    expect(runCount(log)).toBe(1)
  })

  test("an inline function using a free identifier fails with TaskDefinitionError naming it", async () => {
    const offset = 10
    const f = client().submit((x: number) => x + offset, 1)
    const error = await f.exception()
    expect(error).toBeInstanceOf(TaskDefinitionError)
    expect(error?.message).toMatch(/offset/)
    expect(error?.message).toMatch(/task\(import\.meta/)
    expect((error as TaskDefinitionError).details.identifier).toBe("offset")
  })
})
