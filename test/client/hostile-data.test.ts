/**
 * Bad and unusual data, end to end on every executor: every Future settles with the documented
 * error class, and the worker that met the data stays usable (issue 12, section 3).
 */
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest"
import { Client, type ClientOptions, TaskError, tokenizeSymbol } from "weft"

const modes: Array<[string, ClientOptions]> = [
  ["threads", { workers: 1 }],
  ["processes", { workers: 1, isolation: "process" }],
  ["in-process", { workers: 0 }]
]

/** Where a task ran: the same worker answers the same. */
const whereAmI = function whereAmI() {
  const { threadId } = process.getBuiltinModule("node:worker_threads")
  return `${process.pid}:${threadId}`
}

const linkedList = (n: number) => {
  let head: { value: number; next: unknown } | null = null
  for (let i = 0; i < n; i++) head = { value: i, next: head }
  return head
}
const nestedArray = (n: number) => {
  let a: unknown[] = []
  for (let i = 0; i < n; i++) a = [a]
  return a
}

describe.each(modes)("hostile data on %s", (_mode, options) => {
  let client: Client
  beforeAll(async () => {
    client = await Client.local(options)
  })
  afterAll(async () => {
    await client.close()
  })

  test("a result nested too deep fails with a TypeError that says why and how to fix it; the worker goes on", async () => {
    const before = await client.submit(whereAmI).result()
    const list = client.submit(function list(n: number) {
      let head: { value: number; next: unknown } | null = null
      for (let i = 0; i < n; i++) head = { value: i, next: head }
      return head
    }, 5000)
    const error = await list.exception()
    expect(error).toBeInstanceOf(TypeError)
    expect(error?.message).toMatch(
      /^result\.next\.next.*is nested more than 1,000 levels deep, which cannot be sent back from a worker .*Flatten it/s
    )
    const deep = await client
      .submit(function deep(n: number) {
        let a: unknown[] = []
        for (let i = 0; i < n; i++) a = [a]
        return a
      }, 5000)
      .exception()
    expect(deep).toBeInstanceOf(TypeError)
    expect(deep?.message).toMatch(/^result\[0\]\[0\].*nested more than 1,000 levels/)
    // 1,000 levels arrive, and the same worker runs the next task.
    const ok = await client
      .submit(function list(n: number) {
        let head: { value: number; next: unknown } | null = null
        for (let i = 0; i < n; i++) head = { value: i, next: head }
        return head
      }, 1000)
      .result()
    expect(ok).toStrictEqual(linkedList(1000))
    expect(await client.submit(whereAmI).result()).toBe(before)
  })

  test("an error whose field, cause or thrown value is nested too deep settles, without that part", async () => {
    const field = await client
      .submit(function deepField() {
        let head: unknown = null
        for (let i = 0; i < 5000; i++) head = { next: head }
        throw Object.assign(new RangeError("with a deep field"), { deep: head, code: "E_DEEP" })
      })
      .exception()
    expect(field).toBeInstanceOf(RangeError)
    expect(field).toMatchObject({ message: "with a deep field", code: "E_DEEP" })
    expect((field as { deep?: unknown }).deep).toBeUndefined()
    const thrown = await client
      .submit(function deepThrow() {
        let head: unknown = null
        for (let i = 0; i < 5000; i++) head = { next: head }
        throw head
      })
      .exception()
    expect(thrown).toBeInstanceOf(TaskError)
    expect(thrown?.message).toMatch(/^Task threw a non-Error value: /)
    const cause = await client
      .submit(function deepCause() {
        let head: unknown = null
        for (let i = 0; i < 5000; i++) head = { next: head }
        throw new Error("with a deep cause", { cause: head })
      })
      .exception()
    expect(cause?.message).toBe("with a deep cause")
  })

  test("an argument nested too deep is refused at the call with a TypeError, never a RangeError; 1,000 levels arrive", async () => {
    const length = (l: { next: unknown } | null) => {
      let n = 0
      for (let node = l; node !== null; node = node.next as { next: unknown } | null) n++
      return n
    }
    expect(() => client.submit(length, linkedList(2000))).toThrow(TypeError)
    expect(() => client.submit(length, linkedList(2000))).toThrow(
      /^submit\(length\): args\[0\]\.next\.next.* is nested more than 1,000 levels deep \(a worker could not receive it.*Flatten it/s
    )
    const depth = (a: unknown[]) => {
      let n = 0
      for (let x = a; x.length > 0; x = x[0] as unknown[]) n++
      return n
    }
    expect(() => client.submit(depth, nestedArray(5000))).toThrow(/args\[0\]\[0\]\[0\].*nested more than 1,000 levels/)
    expect(() => client.map(depth, [[], nestedArray(100_000)])).toThrow(/map\(depth\) item 1: .*nested more than/)
    expect(() => client.scatter(linkedList(2000))).toThrow(
      /^scatter: value\.next\.next.* is nested more than 1,000 levels deep/s
    )
    expect(() => client.scatterMany([1, linkedList(2000)])).toThrow(
      /^scatterMany: item 1: value\.next.* is nested more than/s
    )
    expect(await client.submit(length, client.scatter(linkedList(1000))).result()).toBe(1000)
    expect(await client.submit(length, linkedList(1000)).result()).toBe(1000)
    expect(await client.submit(depth, nestedArray(999)).result()).toBe(999) // 1,000 arrays
  })

  test("a result with a throwing getter or a MessagePort fails with a TypeError naming the path; no worker dies", async () => {
    const before = await client.submit(whereAmI).result()
    const getter = await client
      .submit(function withGetter() {
        return {
          items: [
            1,
            {
              get total(): number {
                throw new RangeError("not ready")
              }
            }
          ]
        }
      })
      .exception()
    expect(getter).toBeInstanceOf(TypeError)
    expect(getter?.message).toMatch(
      /^result\.items\[1\]\.total could not be read: its getter threw RangeError: not ready/
    )
    const port = await client
      .submit(function withPort() {
        const { MessageChannel } = process.getBuiltinModule("node:worker_threads")
        const { port1 } = new MessageChannel()
        port1.unref()
        return { port: port1 }
      })
      .exception()
    expect(port).toBeInstanceOf(TypeError)
    expect(port?.message).toMatch(/^result\.port is a MessagePort/)
    expect(await client.submit(whereAmI).result()).toBe(before)
  })

  test("shared sub-objects: a 26-object argument with 2^25 paths is submitted at once and arrives shared", async () => {
    let x: Record<string, unknown> = { leaf: 1 }
    for (let i = 0; i < 25; i++) x = { l: x, r: x }
    const countObjects = function countObjects(root: object) {
      const seen = new Set<object>()
      const stack = [root]
      while (stack.length > 0) {
        const o = stack.pop() as Record<string, unknown>
        if (seen.has(o)) continue
        seen.add(o)
        for (const v of Object.values(o)) if (typeof v === "object" && v !== null) stack.push(v)
      }
      return seen.size
    }
    const distinct = client.submit(countObjects, x)
    expect(await distinct.result()).toBe(26)
    // Pure: the same structure gives the same key.
    let y: Record<string, unknown> = { leaf: 1 }
    for (let i = 0; i < 25; i++) y = { l: y, r: y }
    expect(client.submit(countObjects, y).key).toBe(distinct.key)
  })

  test("a sparse array of length 1e8 is submitted at once and arrives sparse", async () => {
    const sparse: number[] = []
    sparse[1e8 - 1] = 7
    sparse[3] = 1
    const f = client.submit((a: number[]) => [a.length, Object.keys(a).join(","), a[1e8 - 1]], sparse)
    expect(await f.result()).toStrictEqual([1e8, "3,99999999", 7])
  })

  test("gather keeps an own __proto__ key as a key, and so does a task's argument", async () => {
    const f = client.scatter(5)
    const out = (await client.gather({ ["__proto__"]: f, other: f } as Record<string, unknown>)) as Record<
      string,
      unknown
    >
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.keys(out)).toStrictEqual(["__proto__", "other"])
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toBe(5)
    const arg = JSON.parse('{"__proto__": 0}') as Record<string, unknown>
    arg.__proto__ = f as never // an own key already: this assigns the key, not the prototype
    const keys = await client
      .submit(
        (o: Record<string, unknown>) => [
          Object.keys(o),
          Object.getOwnPropertyDescriptor(o, "__proto__")?.value,
          Object.getPrototypeOf(o) === Object.prototype
        ],
        arg
      )
      .result()
    expect(keys).toStrictEqual([["__proto__"], 5, true])
  })

  test("errors: an own constructor field cannot replace the class; a class without this.name keeps its class name", async () => {
    const withField = await client
      .submit(function throwsField() {
        const error = new Error("boom") as Error & { constructor: unknown }
        Object.defineProperty(error, "constructor", { value: "not a class", enumerable: true })
        throw error
      })
      .exception()
    expect(withField).toBeInstanceOf(Error)
    expect(typeof withField?.constructor).toBe("function")
    expect(withField?.message).toBe("boom")
    const quota = await client
      .submit(function throwsQuota() {
        class QuotaError extends Error {}
        throw new QuotaError("over quota")
      })
      .exception()
    expect(quota?.name).toBe("QuotaError")
    expect(quota).toBeInstanceOf(TaskError)
    expect(String(quota)).toBe("QuotaError: over quota")
    const typed = await client
      .submit(function throwsTyped() {
        class BadShape extends TypeError {}
        throw new BadShape("bad shape")
      })
      .exception()
    expect(typed).toBeInstanceOf(TypeError)
    expect(typed?.name).toBe("BadShape")
  })

  test("a class instance argument: a WEFT_CLASS_INSTANCE warning once per class, and the hint in a TypeError", async () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number
      ) {}
      norm() {
        return Math.hypot(this.x, this.y)
      }
    }
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on("warning", onWarning)
    try {
      const norm = (p: Point) => p.norm()
      const normAt = (o: { at: Point }) => o.at.norm()
      const f = client.submit(normAt, { at: new Point(3, 4) })
      client.submit(norm, new Point(1, 1)) // the same class: no second warning
      const error = await f.exception()
      expect(error).toBeInstanceOf(TypeError)
      expect(error?.message).toMatch(
        /o\.at\.norm is not a function\n\(weft: args\[0\]\.at is an instance of class Point: only its own fields reach the task/
      )
      // Still accepted: its fields cross; so do those of an object that chooses its own token.
      const fields = await client.submit((p: { x: number; y: number }) => p.x + p.y, new Point(2, 5)).result()
      expect(fields).toBe(7)
      class Tagged {
        constructor(readonly id: string) {}
        [tokenizeSymbol]() {
          return ["Tagged", this.id]
        }
      }
      const a = client.submit((t: { id: string }) => t.id, new Tagged("a"))
      expect(a.key).toBe(client.submit((t: { id: string }) => t.id, new Tagged("a")).key)
      expect(await a.result()).toBe("a")
      await vi.waitFor(() =>
        expect(warnings.filter((w) => (w as { code?: string }).code === "WEFT_CLASS_INSTANCE").length).toBeGreaterThan(
          0
        )
      )
      const ours = warnings.filter(
        (w) => (w as { code?: string }).code === "WEFT_CLASS_INSTANCE" && /class Point/.test(w.message)
      )
      expect(ours).toHaveLength(1)
      expect(ours[0].message).toMatch(
        /^submit\(normAt\): args\[0\]\.at is an instance of class Point: only its own fields reach the task/
      )
    } finally {
      process.off("warning", onWarning)
    }
  })
})
