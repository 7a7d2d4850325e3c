import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { descend, isPlainObject, omit, ownIndices, stop, walk, WalkError } from "./walk.js"

/** A stand-in for a Future: the walk replaces it. */
class Marker {
  constructor(readonly n: number) {}
}

const leaf = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 3 }),
  fc.constant(undefined),
  fc.constant(null),
  fc.integer().map((n) => new Marker(n))
)
const { value: tree } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom("__proto__", "1")), tie("value"), {
    maxKeys: 4,
    noNullPrototype: true
  })
}))

/** The recursive reference: what the walk must compute, for trees (no sharing). */
const reference = (value: unknown): unknown => {
  if (value instanceof Marker) return `m${value.n}`
  if (Array.isArray(value)) return value.map(reference)
  if (typeof value === "object" && value !== null) {
    const out = {}
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, {
        value: reference((value as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true
      })
    }
    return out
  }
  return value
}

const replaceMarkers = (value: unknown, copy?: "always") =>
  walk(value, {
    root: "v",
    ...(copy === undefined ? {} : { copy }),
    visit: (item) =>
      item instanceof Marker ? `m${item.n}` : Array.isArray(item) || isPlainObject(item as object) ? descend : item
  })

const containsMarker = (value: unknown): boolean =>
  value instanceof Marker ||
  (typeof value === "object" &&
    value !== null &&
    Object.keys(value).some((k) => containsMarker((value as Record<string, unknown>)[k])))

describe("walk", () => {
  test.prop([tree])("rebuilds like the recursive reference, copy on write or always", (value) => {
    const onWrite = replaceMarkers(value)
    expect(onWrite).toStrictEqual(reference(value))
    expect(replaceMarkers(value, "always")).toStrictEqual(reference(value))
    // Copy on write: a container with nothing replaced inside comes back as it is.
    if (!containsMarker(value)) expect(onWrite).toBe(value)
  })

  test.prop([tree])(
    "an own __proto__ key stays an own key of the copy, and no copy gets another prototype",
    (value) => {
      const out = { p: value }
      Object.defineProperty(out, "__proto__", {
        value: new Marker(1),
        enumerable: true,
        writable: true,
        configurable: true
      })
      const copy = replaceMarkers(out) as Record<string, unknown>
      expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
      expect(Object.keys(copy)).toContain("__proto__")
      expect(Object.getOwnPropertyDescriptor(copy, "__proto__")?.value).toBe("m1")
    }
  )

  test.prop([tree, fc.integer({ min: 1, max: 30 })])(
    "a shared sub-object is walked once, and shared in the copy",
    (value, levels) => {
      // x = { l: x, r: x }, `levels` times: 2^levels paths, `levels` objects.
      let x: unknown = [value, new Marker(0)]
      for (let i = 0; i < levels; i++) x = { l: x, r: x }
      for (const copy of ["on-write", "always"] as const) {
        let visits = 0
        const out = walk(x, {
          root: "x",
          copy,
          visit: (item) => {
            visits++
            return item instanceof Marker ? 0 : Array.isArray(item) || isPlainObject(item as object) ? descend : item
          }
        }) as { l: unknown; r: unknown }
        // Each container is visited from each of its (at most two) parents, and walked once.
        expect(visits).toBeLessThan(2 * (levels + 200))
        expect(out.l).toStrictEqual(out.r)
        if (copy === "always" || levels > 16) expect(out.l).toBe(out.r)
      }
    }
  )

  test("cycles: kept as the original on write, pointing at the copy when always copying", () => {
    const a: unknown[] = [new Marker(1)]
    a.push(a)
    const onWrite = replaceMarkers(a) as unknown[]
    expect(onWrite[0]).toBe("m1")
    expect(onWrite[1]).toBe(a)
    const always = replaceMarkers(a, "always") as unknown[]
    expect(always[1]).toBe(always)
  })

  test("depth is bounded by memory, not by the call stack; maxDepth turns it into a WalkError naming the path", () => {
    let deep: unknown = new Marker(7)
    for (let i = 0; i < 200_000; i++) deep = i % 2 === 0 ? [deep] : { next: deep }
    let inner = replaceMarkers(deep)
    for (let i = 0; i < 200_000; i++) inner = Array.isArray(inner) ? inner[0] : (inner as { next: unknown }).next
    expect(inner).toBe("m7")
    let error: unknown
    try {
      walk(deep, { root: "arg", maxDepth: 1000, visit: () => descend })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(WalkError)
    expect(error).toMatchObject({ reason: "depth", name: "TypeError" })
    expect((error as WalkError).path).toMatch(/^arg\.next\[0\]\.next\[0\]/)
    expect((error as WalkError).path.length).toBeLessThan(200)
  })

  test("a sparse array is walked by its own indices and stays sparse in the copy", () => {
    const sparse: unknown[] = []
    sparse[1e8 - 1] = new Marker(1)
    sparse[3] = 2
    let visits = 0
    const out = walk(sparse, {
      root: "a",
      visit: (item) => {
        visits++
        return item instanceof Marker ? "m" : Array.isArray(item) ? descend : item
      }
    }) as unknown[]
    expect(visits).toBe(2)
    expect(out.length).toBe(1e8)
    expect(Object.keys(out)).toStrictEqual(["3", "99999999"])
    expect(out[1e8 - 1]).toBe("m")
    expect(ownIndices(sparse)).toStrictEqual(["3", "99999999"])
    expect(ownIndices(new Array(100_000).fill(0))).toBeUndefined()
  })

  test("omit leaves an item out; stop ends the walk", () => {
    const visit = (item: unknown) =>
      item instanceof Marker
        ? item.n === 0
          ? omit
          : stop
        : Array.isArray(item) || isPlainObject(item as object)
          ? descend
          : item
    expect(walk([1, new Marker(0), 2, { a: new Marker(0), b: 1 }], { root: "v", copy: "always", visit })).toStrictEqual(
      [1, 2, { b: 1 }]
    )
    expect(walk([1, [new Marker(1)], 2], { root: "v", visit })).toBe(stop)
  })

  test("a throwing getter becomes a WalkError naming the path", () => {
    const value = {
      items: [
        1,
        {
          get bad(): number {
            throw new RangeError("no")
          }
        }
      ]
    }
    expect(() => walk(value, { root: "result", visit: (v) => (typeof v === "object" ? descend : v) })).toThrow(
      /result\.items\[1\]\.bad could not be read: its getter threw RangeError: no/
    )
    class Box {
      get size(): number {
        return 1
      }
      constructor() {
        Object.defineProperty(this, "inner", {
          enumerable: true,
          get: () => {
            throw new Error("boom")
          }
        })
      }
    }
    expect(() =>
      walk({ box: new Box() }, { root: "args", visit: (v) => (typeof v === "object" ? descend : v) })
    ).toThrow(/args\.box\.inner could not be read: its getter threw Error: boom/)
  })

  test("Map and Set contents are visited as opaque, with their own labels", () => {
    const paths: string[] = []
    walk([new Map([["k", new Marker(1)]]), new Set([new Marker(2)])], {
      root: "args",
      visit: (item, at) => {
        if (item instanceof Marker) paths.push(`${at.path()} ${at.opaque}`)
        return item instanceof Marker ? item : descend
      }
    })
    expect(paths).toStrictEqual(['args[0].get("k") true', "args[1].values()[0] true"])
  })
})
