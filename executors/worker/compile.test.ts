import { describe, expect, it } from "vitest"
import { compileInline, explainReferenceError, type InlineRef } from "./compile.js"
import { TaskDefinitionError } from "../../core/errors.js"

let ids = 0
const ref = (source: string, name = "task"): InlineRef => ({ kind: "inline", id: `test-${ids++}`, source, name })

/** What tsx (esbuild `keepNames`) emits for a function with named inner functions. */
const tsxSource =
  'function scale(values,factor){const times=__name(v=>v*factor,"times");function label(v){return`${v}`}' +
  '__name(label,"label");return values.map(times).map(label).join(",")+"|"+times.name+","+label.name}'

describe("compileInline", () => {
  it.each([
    ["function inc(x) { return x + 1 }", 2],
    ["function (x) { return x + 1 }", 2],
    ["async function inc(x) { return x + 1 }", 2],
    ["x => x + 1", 2],
    ["(x) => { return x + 1 }", 2],
    ["async (x) => x + 1", 2],
    ["inc(x) { return x + 1 }", 2],
    ["async inc(x) { return x + 1 }", 2],
    ['"add one"(x) { return x + 1 }', 2],
    ["function inc(x) { return x + 1 } // trailing comment", 2]
  ])("compiles %s", async (source, expected) => {
    const fn = compileInline(ref(source))
    expect(typeof fn).toBe("function")
    expect(await fn(1)).toBe(expected)
  })

  it("compiles generator methods", () => {
    const fn = compileInline(ref("*count(n) { for (let i = 0; i < n; i++) yield i }"))
    expect([...fn(3)]).toEqual([0, 1, 2])
  })

  it("caches by id", () => {
    const r = ref("x => x * 2")
    expect(compileInline(r)).toBe(compileInline({ ...r }))
    expect(compileInline(ref(r.source))).not.toBe(compileInline(r))
  })

  it("runs source compiled by tsx (it calls __name) without writing a global", () => {
    const fn = compileInline(ref(tsxSource, "scale"))
    expect(fn([1, 2], 3)).toBe("3,6|times,label")
    expect("__name" in globalThis).toBe(false)
  })

  it("compiles in strict mode, like the module the function came from", () => {
    const fn = compileInline(ref("function f() { return this }"))
    expect(fn()).toBeUndefined()
  })

  it("refuses source that does not compile, naming the function", () => {
    expect(() => compileInline(ref("(x) => { return x +", "broken"))).toThrow(TaskDefinitionError)
    expect(() => compileInline(ref("(x) => { return x +", "broken"))).toThrow(/"broken".*does not compile/)
  })

  it("refuses source that is not a function", () => {
    expect(() => compileInline(ref("42", "answer"))).toThrow(/"answer".*not a function/)
  })
})

describe("explainReferenceError", () => {
  it("names a free identifier and says how to fix it", () => {
    const r = ref("(x) => x + offset", "addOffset")
    let thrown: unknown
    try {
      compileInline(r)(1)
    } catch (e) {
      thrown = e
    }
    const explained = explainReferenceError(thrown, r)
    expect(explained).toBeInstanceOf(TaskDefinitionError)
    expect(explained?.details).toEqual({ task: "addOffset", identifier: "offset" })
    expect(explained?.message).toContain('uses "offset"')
    expect(explained?.message).toContain("pass offset as an argument")
    expect(explained?.message).toContain("task(import.meta, fn)")
    expect(explained?.cause).toBe(thrown)
  })

  it("catches assignments to undeclared names too (strict mode)", () => {
    const r = ref("(x) => { total = x; return x }")
    let thrown: unknown
    try {
      compileInline(r)(1)
    } catch (e) {
      thrown = e
    }
    expect(explainReferenceError(thrown, r)?.details.identifier).toBe("total")
  })

  it("leaves other errors alone", () => {
    const r = ref("(x) => x")
    expect(explainReferenceError(new ReferenceError("elsewhere is not defined"), r)).toBeUndefined()
    expect(explainReferenceError(new ReferenceError("Cannot access 'x' before initialization"), r)).toBeUndefined()
    expect(explainReferenceError(new TypeError("x is not defined"), r)).toBeUndefined()
    // "offsetX" in the source does not make "offset" appear in it.
    expect(
      explainReferenceError(new ReferenceError("offset is not defined"), ref("(offsetX) => offsetX"))
    ).toBeUndefined()
  })
})
