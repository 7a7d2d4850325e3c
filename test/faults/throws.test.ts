/**
 * A task that throws (or rejects with) something that is not an Error: each fails its own future
 * with a `TaskError` that says what was thrown and carries it in `value`, its dependents fail with
 * that same error, and every other task runs as usual. Likewise an Error with a huge message, or
 * with fields that cannot be cloned. Same in this thread, in worker threads and in child processes.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { Client, TaskError } from "weft"
import { noStrayErrors, within } from "./fault-helpers.js"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"

noStrayErrors()

/** What a task throws, and what the error it comes back as must say. */
const cases: ReadonlyArray<{
  readonly name: string
  readonly thrown: unknown
  readonly message: string
  readonly value: unknown
}> = [
  { name: "a string", thrown: "disk full", message: "disk full", value: "disk full" },
  { name: "an empty string", thrown: "", message: "", value: "" },
  { name: "a number", thrown: 42, message: "42", value: 42 },
  { name: "NaN", thrown: Number.NaN, message: "NaN", value: Number.NaN },
  { name: "a boolean", thrown: false, message: "false", value: false },
  { name: "a bigint", thrown: 10n, message: "10n", value: 10n },
  { name: "null", thrown: null, message: "null", value: null },
  { name: "undefined", thrown: undefined, message: "undefined", value: undefined },
  {
    name: "a plain object",
    thrown: { code: "E_FULL", free: 0 },
    message: '{"code":"E_FULL","free":0}',
    value: { code: "E_FULL", free: 0 }
  },
  { name: "an array", thrown: [1, "two"], message: '[1,"two"]', value: [1, "two"] },
  {
    name: "an object shaped like an error",
    thrown: { name: "Fake", message: "not an Error" },
    message: '{"name":"Fake","message":"not an Error"}',
    value: { name: "Fake", message: "not an Error" }
  }
]

describe.each([
  { label: "in this thread (workers: 0)", options: { workers: 0 } },
  { label: "in worker threads", options: { workers: 2 } },
  { label: "in child processes", options: { workers: 2, isolation: "process" as const } }
])("a thrown non-Error value, $label", ({ options }) => {
  let client: Client
  beforeAll(async () => {
    client = await Client.local(options)
  })
  afterAll(async () => {
    await client.close()
  })

  test.each(cases)(
    "$name fails its own future with a TaskError that carries it",
    { timeout: 10_000 },
    async ({ thrown, message, value }) => {
      const f = client.with({ pure: false }).submit((v: unknown) => {
        throw v
      }, thrown)
      const error = (await within(f.exception(), 5_000, "the future")) as TaskError & { value?: unknown }
      expect(error).toBeInstanceOf(TaskError)
      expect(error.message).toBe(`Task threw a non-Error value: ${message}`)
      expect("value" in error).toBe(true)
      expect(error.value).toStrictEqual(value)
      expect(f.status).toBe("error")
      await expect(f.result()).rejects.toBe(error)
      const traceback = await f.traceback()
      expect(traceback === undefined || typeof traceback === "string").toBe(true)
    }
  )

  test("a plain object's fields are copied onto the error", { timeout: 10_000 }, async () => {
    const error = (await client
      .submit(() => {
        throw { code: "E_QUOTA", limit: 5 }
      })
      .exception()) as TaskError & { code?: string; limit?: number }
    expect(error.code).toBe("E_QUOTA")
    expect(error.limit).toBe(5)
  })

  test("a rejection with a non-Error value is the same as a throw", { timeout: 10_000 }, async () => {
    const rejected = (await client.submit(async () => Promise.reject("no luck")).exception()) as TaskError & {
      value?: unknown
    }
    expect(rejected).toBeInstanceOf(TaskError)
    expect(rejected.message).toBe("Task threw a non-Error value: no luck")
    expect(rejected.value).toBe("no luck")
    const empty = (await client.submit(async () => Promise.reject()).exception()) as TaskError & { value?: unknown }
    expect(empty.message).toBe("Task threw a non-Error value: undefined")
  })

  test(
    "a value that cannot be cloned (a symbol, a function) is described, and value is undefined",
    { timeout: 10_000 },
    async () => {
      const symbol = (await client
        .submit(() => {
          throw Symbol("odd")
        })
        .exception()) as TaskError & { value?: unknown }
      expect(symbol).toBeInstanceOf(TaskError)
      expect(symbol.message).toBe("Task threw a non-Error value: Symbol(odd)")
      expect(symbol.value).toBeUndefined()
      const fn = (await client
        .submit(() => {
          throw () => 1
        })
        .exception()) as TaskError & { value?: unknown }
      expect(fn.message).toMatch(/^Task threw a non-Error value: \[function/)
      expect(fn.value).toBeUndefined()
    }
  )

  test(
    "only the task that threw fails: its batch mates succeed, its dependents share its error",
    { timeout: 10_000 },
    async () => {
      const fs = client.map(
        (i: number) => {
          if (i === 3) throw `item ${i} is bad`
          if (i === 5) throw { item: i }
          return i * 10
        },
        [0, 1, 2, 3, 4, 5, 6, 7]
      )
      const outcomes = await within(Promise.allSettled(fs.map((f) => f.result())), 5_000, "the map")
      expect(outcomes.map((o) => (o.status === "fulfilled" ? o.value : "failed"))).toEqual([
        0,
        10,
        20,
        "failed",
        40,
        "failed",
        60,
        70
      ])
      const root = await fs[3].exception()
      expect(root?.message).toBe("Task threw a non-Error value: item 3 is bad")
      const child = client.submit((x: number) => x + 1, fs[3])
      const grandchild = client.submit((x: number) => x + 1, child)
      await expect(grandchild.result()).rejects.toBe(root)
      expect(await client.submit((x: number) => x + 1, fs[4]).result()).toBe(41)
    }
  )

  test(
    "an Error with a huge message and stack fails its own future, both cut at 20,000 characters with a note",
    { timeout: 10_000 },
    async () => {
      const f = client.submit(() => {
        const error = new Error("m".repeat(1_000_000))
        error.stack = `Error: ${"s".repeat(500_000)}`
        throw error
      })
      const neighbour = client.submit((x: number) => x * 2, 21)
      const error = await within(f.exception(), 5_000, "the future")
      expect(error?.message).toBe(`${"m".repeat(20_000)}… [weft cut 980000 characters]`)
      expect(error?.stack?.length).toBeLessThan(20_100)
      expect(error?.stack).toMatch(/… \[weft cut \d+ characters\]$/)
      expect(await neighbour.result()).toBe(42)
    }
  )

  test(
    "an Error carrying fields that cannot be cloned keeps its name, message and the fields that can",
    { timeout: 10_000 },
    async () => {
      const f = client.submit(() => {
        class QuotaError extends Error {
          override name = "QuotaError"
          code = "E_QUOTA"
          retry = () => "later"
          handle = new WeakMap()
        }
        throw new QuotaError("quota exceeded")
      })
      const error = (await within(f.exception(), 5_000, "the future")) as Error & Record<string, unknown>
      expect(error.name).toBe("QuotaError")
      expect(error.message).toBe("quota exceeded")
      expect(error.code).toBe("E_QUOTA")
      expect("retry" in error).toBe(false)
      expect("handle" in error).toBe(false)
      expect(await client.submit((x: number) => x + 1, 1).result()).toBe(2)
    }
  )

  test("a non-Error throw is a failure like any other: retries retry it", { timeout: 10_000 }, async () => {
    const f = client.with({ retries: 2 }).submit(() => {
      throw "always"
    })
    const error = await f.exception()
    expect(error).toBeInstanceOf(TaskError)
    expect(error?.message).toBe("Task threw a non-Error value: always")
    expect(engineOf(client).scheduler.get(f.key)?.attempts).toBe(3)
  })
})
