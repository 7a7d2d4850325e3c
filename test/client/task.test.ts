import { describe, expect, test } from "vitest"
import { task, TaskDefinitionError } from "weft"
import { add, inc } from "../fixtures/client-tasks.js"
import { useClient } from "./helpers.js"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"

const client = useClient({ workers: 0 })

describe("task()", () => {
  test("a registered task is still an ordinary function in this process", () => {
    expect(inc(1)).toBe(2)
    expect(add(2, 3)).toBe(5)
  })

  test("two tasks of the same name in one module throw at registration", () => {
    task(import.meta, function sameName(x: number) {
      return x
    })
    expect(() =>
      task(import.meta, function sameName(x: number) {
        return x + 1
      })
    ).toThrow(TaskDefinitionError)
  })

  test("a task needs a named function: an anonymous arrow is refused", () => {
    expect(() => task(import.meta, (x: number) => x)).toThrow(/has no name/)
  })

  test("bad arguments to task() are refused with a clear error", () => {
    expect(() => task({} as ImportMeta, function f() {})).toThrow(/import\.meta/)
    expect(() => task(import.meta, 42 as never)).toThrow(/must be a function/)
    expect(() => task(import.meta, function g() {}, { retries: -1 })).toThrow(TypeError)
    expect(() => task(import.meta, function h() {}, { key: "k" })).toThrow(/per call only/)
  })

  test("a registered task's options apply to its calls, and call options override them", async () => {
    const flakyOnce = task(
      import.meta,
      function flakyOnce(x: number) {
        return x
      },
      { retries: 2, priority: 3 }
    )
    expect(await client().submit(flakyOnce, 4).result()).toBe(4)
    const record = engineOf(client()).scheduler.get(client().submit(flakyOnce, 5).key)
    expect(record?.priority).toBe(3)
    expect(record?.payload.options.retries?.times).toBe(2)
    const view = client().with({ priority: 9 }).submit(flakyOnce, 6)
    expect(engineOf(client()).scheduler.get(view.key)?.priority).toBe(9)
  })

  test("futures of one key share one state: cancelling one cancels the others", async () => {
    const slow = async (ms: number) => new Promise((r) => setTimeout(r, ms))
    const a = client().submit(slow, 10_000)
    const b = client().submit(slow, 10_000)
    expect(a.key).toBe(b.key)
    await a.cancel()
    expect(b.status).toBe("cancelled")
  })
})
