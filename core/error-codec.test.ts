import { readFile } from "node:fs/promises"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decodeError, encodeError, errorKindSymbol, maxTextLength, tracebackSymbol } from "./error-codec.js"
import type { EncodedError } from "./protocol.js"
import { TaskDefinitionError, TaskError } from "./errors.js"

/** What the client sees: encoded in the worker, cloned across, decoded. */
const roundTrip = (thrown: unknown, kind?: EncodedError["kind"]): Error & Record<string, unknown> =>
  decodeError(structuredClone(encodeError(thrown, kind))) as Error & Record<string, unknown>

describe("encodeError / decodeError", () => {
  it("keeps name, message, stack, own fields and cause", () => {
    const cause = new Error("root")
    const thrown = Object.assign(new Error("outer", { cause }), { code: "E_X", retryable: false, at: new Date(0) })
    // Thrown by a user's task: a frame in this file (inside weft's core/) is weft's own, and cleanStack drops it.
    thrown.stack = "Error: outer\n    at job (/app/src/job.ts:3:9)\n    at main (/app/src/main.ts:7:3)"
    const error = roundTrip(thrown)
    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(TaskError)
    expect(error.message).toBe("outer")
    expect(error.code).toBe("E_X")
    expect(error.retryable).toBe(false)
    expect(error.at).toEqual(new Date(0))
    expect(error.stack).toBe(thrown.stack)
    expect((error as unknown as Record<symbol, unknown>)[tracebackSymbol]).toBe(thrown.stack)
    expect((error as unknown as Record<symbol, unknown>)[errorKindSymbol]).toBe("thrown")
    expect((error.cause as Error).message).toBe("root")
    expect(error.cause).toBeInstanceOf(TaskError)
    // Like a native error: the fields are enumerable, cause and stack are not.
    expect(Object.keys(error).sort()).toEqual(["at", "code", "retryable"])
  })

  it.each([TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, Error])("restores %o", (Ctor) => {
    const error = roundTrip(new Ctor("boom"))
    expect(error.constructor).toBe(Ctor)
    expect(error).toBeInstanceOf(Ctor)
    expect(error).toBeInstanceOf(TaskError)
    expect(error.name).toBe(Ctor.name)
    expect(error.message).toBe("boom")
  })

  it("restores AggregateError with its inner errors", () => {
    const error = roundTrip(new AggregateError([new TypeError("a"), "b"], "both")) as unknown as AggregateError
    expect(error).toBeInstanceOf(AggregateError)
    expect(error.message).toBe("both")
    expect(error.errors[0]).toBeInstanceOf(TypeError)
    expect(error.errors[1].message).toBe("Task threw a non-Error value: b")
  })

  it("gives a custom class back as a TaskError with the original name and fields, _tag included", () => {
    class Base extends Error {}
    ;(Base.prototype as unknown as { _tag: string })._tag = "Quota"
    class QuotaExceeded extends Base {
      override name = "QuotaExceeded"
      constructor(readonly limit: number) {
        super(`over ${limit}`)
      }
    }
    const error = roundTrip(new QuotaExceeded(3))
    expect(error).toBeInstanceOf(TaskError)
    expect(error.name).toBe("QuotaExceeded")
    expect(error.limit).toBe(3)
    expect(error._tag).toBe("Quota")
    expect(error.stack).toContain("QuotaExceeded: over 3")
  })

  it("keeps the class and fields of Node's own errors", async () => {
    const enoent = await readFile("/does/not/exist").catch((e: unknown) => e)
    const error = roundTrip(enoent)
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ code: "ENOENT", syscall: "open", path: "/does/not/exist" })
    let invalid: unknown
    try {
      Buffer.from(42 as never)
    } catch (e) {
      invalid = e
    }
    const typeError = roundTrip(invalid)
    expect(typeError).toBeInstanceOf(TypeError)
    expect(typeError.code).toBe("ERR_INVALID_ARG_TYPE")
  })

  it.each([
    ["a string", "a string", "a string"],
    [42, "42", 42],
    [12n, "12n", 12n],
    [null, "null", null],
    [undefined, "undefined", undefined],
    [{ code: "E_PLAIN", n: 1 }, '{"code":"E_PLAIN","n":1}', { code: "E_PLAIN", n: 1 }]
  ])("reports a thrown %o as a TaskError with its value", (thrown, rendering, value) => {
    const error = roundTrip(thrown)
    expect(error).toBeInstanceOf(TaskError)
    expect(error.name).toBe("TaskError")
    expect(error.message).toBe(`Task threw a non-Error value: ${rendering}`)
    expect(error.value).toEqual(value)
    expect("value" in error).toBe(true)
  })

  it("copies the fields of a thrown plain object onto the error", () => {
    expect(roundTrip({ _tag: "NotFound", id: 3 })).toMatchObject({ _tag: "NotFound", id: 3 })
  })

  it("renders a thrown value that cannot be cloned", () => {
    const error = roundTrip(function secret() {})
    expect(error.message).toBe("Task threw a non-Error value: [function secret]")
    expect(error.value).toBeUndefined()
    expect(roundTrip(Symbol("s")).message).toBe("Task threw a non-Error value: Symbol(s)")
  })

  it("drops fields that cannot be cloned and survives throwing getters", () => {
    const thrown = Object.assign(new Error("x"), { ok: 1, callback: () => 1, socket: new WeakMap() })
    Object.defineProperty(thrown, "broken", {
      enumerable: true,
      get() {
        throw new Error("getter")
      }
    })
    const error = roundTrip(thrown)
    expect(error.ok).toBe(1)
    expect("callback" in error).toBe(false)
    expect("socket" in error).toBe(false)
  })

  it("stops at cycles and at depth 8", () => {
    const self = new Error("self")
    self.cause = self
    expect(roundTrip(self).cause).toBeUndefined()
    const a = new Error("a")
    const b = new Error("b", { cause: a })
    a.cause = b
    expect((roundTrip(a).cause as Error).message).toBe("b")
    let chain = new Error("0")
    for (let i = 1; i < 20; i++) chain = new Error(String(i), { cause: chain })
    let depth = 0
    for (let e: unknown = roundTrip(chain); e instanceof Error; e = e.cause) depth++
    expect(depth).toBe(9)
  })

  it("keeps a cause that is not an Error as its value", () => {
    expect(roundTrip(new Error("x", { cause: { reason: 1 } })).cause).toEqual({ reason: 1 })
  })

  it("keeps the fields of a plain-object cause that clone, and renders any other cause that does not", () => {
    expect(roundTrip(new Error("x", { cause: { reason: 1, retry: () => 2 } })).cause).toStrictEqual({ reason: 1 })
    expect(roundTrip(new Error("x", { cause: Symbol("why") })).cause).toBe("Symbol(why)")
  })

  it("cuts long messages and stacks", () => {
    const thrown = new Error("m".repeat(maxTextLength + 123))
    thrown.stack = "s".repeat(maxTextLength + 7)
    const encoded = encodeError(thrown)
    expect(encoded.truncated).toBe(true)
    expect(encoded.message).toBe(`${"m".repeat(maxTextLength)}… [weft cut 123 characters]`)
    expect(encoded.stack).toBe(`${"s".repeat(maxTextLength)}… [weft cut 7 characters]`)
    expect(encodeError(new Error("short")).truncated).toBeUndefined()
  })

  it("decodes kind definition as a TaskDefinitionError with its details", () => {
    const error = roundTrip(new TaskDefinitionError("no", { task: "inc", identifier: "offset" }), "definition")
    expect(error).toBeInstanceOf(TaskDefinitionError)
    expect(error).toBeInstanceOf(TaskError)
    expect((error as unknown as TaskDefinitionError).details).toEqual({ task: "inc", identifier: "offset" })
    expect(error._tag).toBe("TaskDefinitionError")
    expect((error as unknown as Record<symbol, unknown>)[errorKindSymbol]).toBe("definition")
  })

  it("never throws, always gives cloneable data, and always decodes to a TaskError", () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("get")
        },
        ownKeys() {
          throw new Error("keys")
        },
        getPrototypeOf() {
          throw new Error("proto")
        }
      }
    )
    const thrownValues = fc.oneof(
      fc.anything({
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withTypedArray: true,
        withNullPrototype: true
      }),
      fc
        .tuple(fc.string(), fc.dictionary(fc.string(), fc.anything()))
        .map(([message, fields]) => Object.assign(new Error(message), fields)),
      fc.constant(hostile),
      fc.func(fc.anything())
    )
    fc.assert(
      fc.property(thrownValues, (thrown) => {
        const encoded = encodeError(thrown)
        const error = decodeError(structuredClone(encoded))
        expect(error).toBeInstanceOf(TaskError)
        expect(typeof error.message).toBe("string")
      }),
      { numRuns: 300 }
    )
  })
})
