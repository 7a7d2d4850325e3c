import { describe, expect } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { tokenize, tokenizeCall, tokenizeSymbol, typeName, type Tokenizable } from "./tokenize.js"

// ---------------------------------------------------------------------------------------------
// Test values: what tasks take as arguments, plus the types tokenize must tell apart.

class Point {
  constructor(
    public x: number,
    public y: number
  ) {}
}

/** Same fields as Point, another class: must not tokenize like a Point. */
class Pair {
  constructor(
    public x: number,
    public y: number
  ) {}
}

/** Stands in for a Future: tokenizes by its key. */
class Keyed implements Tokenizable {
  constructor(readonly key: string) {}
  [tokenizeSymbol](): unknown {
    return ["Future", this.key]
  }
}

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max })

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, Number.NaN, Infinity, -Infinity, 1, "1", "", "a,b"),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: codeUnit, maxLength: 4 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.date({ noInvalidDate: false }),
  bytes(0, 8),
  bytes(60, 70), // across the 64-byte line where bytes are folded into their own md5
  fc.int8Array({ maxLength: 4 }),
  fc.uint16Array({ maxLength: 4 }),
  fc.float64Array({ maxLength: 3 }),
  fc.bigInt64Array({ maxLength: 2 }),
  bytes(0, 8).map((a) => a.slice().buffer),
  bytes(0, 8).map((a) => new DataView(a.slice().buffer)),
  bytes(1, 8).map((a) => new Uint8Array(a.slice().buffer, 1)), // a view with an offset
  fc
    .tuple(fc.constantFrom("a", "a+b", "\\d", "(?:)"), fc.subarray(["g", "i", "m", "s"]))
    .map(([source, flags]) => new RegExp(source, flags.join(""))),
  fc.string({ maxLength: 3 }).map((k) => Symbol.for(k)),
  fc.tuple(fc.constantFrom(Error, TypeError, RangeError), fc.string({ maxLength: 4 })).map(([E, m]) => new E(m)),
  fc.tuple(fc.integer({ min: -2, max: 2 }), fc.integer({ min: -2, max: 2 })).map(([x, y]) => new Point(x, y)),
  fc.tuple(fc.integer({ min: -2, max: 2 }), fc.integer({ min: -2, max: 2 })).map(([x, y]) => new Pair(x, y)),
  fc.string({ maxLength: 3 }).map((k) => new Keyed(k))
)

const { value: anyValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    tie("array"),
    tie("object"),
    tie("map"),
    tie("set")
  ),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(
    fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom("__proto__", "1", "10", "2")),
    tie("value"),
    {
      maxKeys: 4,
      noNullPrototype: false
    }
  ),
  map: fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 4 }).map((entries) => new Map(entries)),
  set: fc.array(tie("value"), { maxLength: 4 }).map((items) => new Set(items))
}))

/**
 * Values drawn from a small domain of look-alikes (0 and -0, 1 and "1" and 1n, bytes of several
 * types, ...) in small containers, so that a batch of them holds many near-misses: a collision in
 * the encoding shows up as two different values with one token.
 */
const lookAlikes: (() => unknown)[] = [
  () => 0,
  () => -0,
  () => Number.NaN,
  () => 1,
  () => 2,
  () => "1",
  () => "",
  () => "a",
  () => "a,b",
  () => "u",
  () => 1n,
  () => true,
  () => null,
  () => undefined,
  () => Symbol.for("1"),
  () => new Date(0),
  () => new Date(1),
  () => new Date(Number.NaN),
  () => /a/,
  () => /a/g,
  () => new Uint8Array([1]),
  () => new Int8Array([1]),
  () => new Uint8Array([1, 2]),
  () => new Uint8Array([1]).buffer,
  () => new DataView(new Uint8Array([1]).buffer),
  () => new Float64Array([0]),
  () => new Float64Array([-0]),
  () => new Error("1"),
  () => new TypeError("1"),
  () => new Point(1, 2),
  () => new Pair(1, 2),
  () => new Keyed("1"),
  () => new Keyed("a"),
  () => ["Future", "1"]
]

const { value: lookAlike } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(...lookAlikes).map((make) => make()),
    // strings of the encoding's own punctuation, to catch a boundary that is not length-prefixed
    fc.string({ unit: fc.constantFrom("a", "s", "1", ":", ";"), maxLength: 3 }),
    tie("array"),
    tie("object"),
    tie("map"),
    tie("set")
  ),
  array: fc.array(tie("value"), { maxLength: 3 }),
  object: fc.dictionary(fc.constantFrom("a", "b", "1", "a,b"), tie("value"), { maxKeys: 2 }),
  map: fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 2 }).map((entries) => new Map(entries)),
  set: fc.array(tie("value"), { maxLength: 3 }).map((items) => new Set(items))
}))

/**
 * Few leaves in tiny containers of one kind: a batch holds the same leaves in many shapes
 * (`[[1], 1]` and `[[1, 1]]`, `["s", "ss"]` and `["ss", "s"]`), which collide if a size or a
 * length is missing from the encoding.
 */
const shapes = (
  container: (inner: fc.Arbitrary<unknown>) => fc.Arbitrary<unknown>,
  leaves: fc.Arbitrary<unknown> = fc.constantFrom(1, "a")
): fc.Arbitrary<unknown> =>
  fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small" }, leaves, tie("container")),
    container: container(tie("value"))
  })).value

/** Strings of the encoding's own punctuation. */
const punctuation = fc.string({ unit: fc.constantFrom("a", "s", "1", ":", ";"), maxLength: 3 })

const shapeDomains = [
  shapes((inner) => fc.array(inner, { maxLength: 3 })),
  shapes((inner) => fc.dictionary(fc.constantFrom("a", "b"), inner, { maxKeys: 2 })),
  shapes((inner) => fc.array(fc.tuple(inner, inner), { maxLength: 2 }).map((entries) => new Map(entries))),
  shapes((inner) => fc.array(inner, { maxLength: 3 }).map((items) => new Set(items))),
  shapes((inner) =>
    fc.oneof(
      fc.array(inner, { maxLength: 2 }),
      fc.dictionary(fc.constantFrom("a"), inner, { maxKeys: 1 }),
      fc.array(inner, { maxLength: 2 }).map((items) => new Set(items))
    )
  ),
  fc.array(punctuation, { maxLength: 3 }),
  fc.dictionary(punctuation, punctuation, { maxKeys: 2 })
]

// ---------------------------------------------------------------------------------------------
// A reference equality, written independently of the encoder: what "the same value" means.

const tag = (v: object): string => Object.prototype.toString.call(v)

const kindOf = (v: object): string => {
  if (typeof (v as { [tokenizeSymbol]?: unknown })[tokenizeSymbol] === "function") return "custom"
  if (Array.isArray(v)) return "array"
  if (ArrayBuffer.isView(v)) return `view ${v instanceof DataView ? "DataView" : tag(v)}`
  for (const C of [ArrayBuffer, Date, RegExp, Error, Map, Set] as const) if (v instanceof C) return C.name
  const proto: unknown = Object.getPrototypeOf(v)
  return proto === null || proto === Object.prototype ? "plain" : `class ${(proto as object).constructor.name}`
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

const viewBytes = (v: ArrayBufferView) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength)

/** Greedy matching is exact here because deepEqual is an equivalence relation. */
const sameMultiset = <T>(as: T[], bs: T[], eq: (a: T, b: T) => boolean): boolean => {
  if (as.length !== bs.length) return false
  const left = [...bs]
  return as.every((a) => {
    const i = left.findIndex((b) => eq(a, b))
    if (i < 0) return false
    left.splice(i, 1)
    return true
  })
}

const deepEqual = (a: unknown, b: unknown): boolean => {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return Object.is(a, b)
  const kind = kindOf(a)
  if (kind !== kindOf(b)) return false
  switch (kind) {
    case "custom":
      return deepEqual((a as Tokenizable)[tokenizeSymbol](), (b as Tokenizable)[tokenizeSymbol]())
    case "array": {
      const x = a as unknown[]
      const y = b as unknown[]
      return x.length === y.length && Array.from(x).every((item, i) => deepEqual(item, y[i]))
    }
    case "ArrayBuffer":
      return sameBytes(new Uint8Array(a as ArrayBuffer), new Uint8Array(b as ArrayBuffer))
    case "Date":
      return Object.is((a as Date).getTime(), (b as Date).getTime())
    case "RegExp":
      return (a as RegExp).source === (b as RegExp).source && (a as RegExp).flags === (b as RegExp).flags
    case "Error":
      return (a as Error).name === (b as Error).name && (a as Error).message === (b as Error).message
    case "Map":
      return sameMultiset([...(a as Map<unknown, unknown>)], [...(b as Map<unknown, unknown>)], (p, q) =>
        deepEqual(p, q)
      )
    case "Set":
      return sameMultiset([...(a as Set<unknown>)], [...(b as Set<unknown>)], deepEqual)
    default: {
      if (kind.startsWith("view ")) return sameBytes(viewBytes(a as ArrayBufferView), viewBytes(b as ArrayBufferView))
      const ka = Object.keys(a).sort()
      const kb = Object.keys(b).sort()
      return (
        ka.length === kb.length &&
        ka.every(
          (k, i) => k === kb[i] && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
        )
      )
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Copies of a value built in another insertion order.

/** mulberry32: a seeded generator, so that fast-check can replay a failing shuffle. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const shuffled = <T>(items: T[], rand: () => number): T[] => {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

const withFields = (proto: object | null, entries: [string, unknown][]): object => {
  const o = Object.create(proto) as object
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  return o
}

/** A deep copy whose objects, Maps and Sets get their entries in a shuffled insertion order. */
const reordered = (v: unknown, rand: () => number): unknown => {
  if (typeof v !== "object" || v === null) return v
  const copy = (x: unknown) => reordered(x, rand)
  switch (kindOf(v)) {
    case "custom":
      return new Keyed((v as Keyed).key)
    case "array":
      return (v as unknown[]).map(copy)
    case "ArrayBuffer":
      return (v as ArrayBuffer).slice(0)
    case "Date":
      return new Date((v as Date).getTime())
    case "RegExp":
      return new RegExp(v as RegExp)
    case "Error":
      return new (v.constructor as ErrorConstructor)((v as Error).message)
    case "Map":
      return new Map(shuffled([...(v as Map<unknown, unknown>)], rand).map(([k, x]) => [copy(k), copy(x)]))
    case "Set":
      return new Set(shuffled([...(v as Set<unknown>)], rand).map(copy))
    case "view DataView": {
      const d = v as DataView
      return new DataView(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength))
    }
    default:
      if (ArrayBuffer.isView(v)) return (v as Uint8Array).slice()
      return withFields(
        Object.getPrototypeOf(v) as object | null,
        shuffled(Object.entries(v), rand).map(([k, x]) => [k, copy(x)])
      )
  }
}

/** A copy of `v` with the `n`-th node (in depth-first order, wrapping) replaced by `by`. */
const replaceNode = (v: unknown, n: number, by: unknown): unknown => {
  let left = n
  const walk = (x: unknown): unknown => {
    if (left-- === 0) return by
    if (typeof x !== "object" || x === null) return x
    switch (kindOf(x)) {
      case "array":
        return (x as unknown[]).map(walk)
      case "Map":
        return new Map([...(x as Map<unknown, unknown>)].map(([k, y]) => [walk(k), walk(y)]))
      case "Set":
        return new Set([...(x as Set<unknown>)].map(walk))
      case "plain":
        return withFields(
          Object.getPrototypeOf(x) as object | null,
          Object.entries(x).map(([k, y]) => [k, walk(y)])
        )
      default:
        return x
    }
  }
  return walk(v)
}

// ---------------------------------------------------------------------------------------------

const hex32 = /^[0-9a-f]{32}$/

/** An object whose token is `token`. */
const tokenizable = (token: unknown): Tokenizable => ({ [tokenizeSymbol]: () => token })

describe("tokenize properties", () => {
  test.prop(
    [
      fc.array(fc.tuple(fc.constantFrom("f1", "f2", "s3:x"), fc.array(anyValue, { maxLength: 3 })), {
        minLength: 1,
        maxLength: 6
      })
    ],
    { numRuns: 300 }
  )("tokenizeCall(identity, args) is tokenize(identity, ...args), call after call of any functions", (calls) => {
    for (const [identity, args] of calls) expect(tokenizeCall(identity, args)).toBe(tokenize(identity, ...args))
  })

  // tokenizeCall writes an argument whose custom token is a short flat array (a Future's, a
  // Delayed's) without the walk: the same encoding as the walk's for any token, flat or not.
  test.prop(
    [
      fc.array(
        fc.oneof(
          anyValue,
          fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 20 }).map(tokenizable),
          anyValue.map(tokenizable),
          fc.constant("self").map(() => {
            const o: Tokenizable = { [tokenizeSymbol]: () => [o, 1] }
            return o
          })
        ),
        { maxLength: 4 }
      )
    ],
    { numRuns: 300 }
  )("tokenizeCall of arguments with custom tokens is tokenize(identity, ...args)", (args) => {
    expect(tokenizeCall("(a, b) => a + b", args)).toBe(tokenize("(a, b) => a + b", ...args))
  })

  test.prop([anyValue], { numRuns: 300 })("is 32 lowercase hex characters and repeatable", (v) => {
    const token = tokenize(v)
    expect(token).toMatch(hex32)
    expect(tokenize(v)).toBe(token)
  })

  test.prop([anyValue, fc.integer()], { numRuns: 300 })(
    "equal values give equal tokens, whatever the insertion order of objects, Maps and Sets",
    (v, seed) => {
      const copy = reordered(v, random(seed))
      expect(deepEqual(v, copy)).toBe(true)
      expect(tokenize(copy)).toBe(tokenize(v))
    }
  )

  test.prop([anyValue, anyValue], { numRuns: 500 })("values that are not deep-equal give different tokens", (a, b) => {
    fc.pre(!deepEqual(a, b))
    expect(tokenize(a)).not.toBe(tokenize(b))
  })

  /** Each batch draws from one domain, so that its values resemble each other. */
  const batch = fc.oneof(
    fc.array(lookAlike, { minLength: 20, maxLength: 60 }),
    ...shapeDomains.map((domain) => fc.array(domain, { minLength: 40, maxLength: 80 }))
  )

  test.prop([batch], { numRuns: 300 })(
    "in a batch of look-alike values or shapes, two tokens are equal exactly when the values are deep-equal",
    (values) => {
      const tokens = values.map((v) => tokenize(v))
      // One value per distinct token; every value must be deep-equal to its token's representative,
      // and representatives must differ pairwise.
      const representatives = new Map<string, unknown>()
      const wrong: string[] = []
      values.forEach((v, i) => {
        const token = tokens[i]
        if (!representatives.has(token)) representatives.set(token, v)
        else if (!deepEqual(representatives.get(token), v))
          wrong.push(`value ${i} shares a token with a different value`)
      })
      const distinct = [...representatives.values()]
      for (let i = 0; i < distinct.length; i++) {
        for (let j = i + 1; j < distinct.length; j++) {
          if (deepEqual(distinct[i], distinct[j])) wrong.push(`two deep-equal values got different tokens`)
        }
      }
      expect(wrong).toEqual([])
    }
  )

  test.prop([anyValue, fc.nat({ max: 50 }), leaf], { numRuns: 500 })(
    "a value and a copy with one node replaced differ unless they are deep-equal",
    (v, n, by) => {
      const changed = replaceNode(v, n, by)
      if (deepEqual(v, changed)) expect(tokenize(changed)).toBe(tokenize(v))
      else expect(tokenize(changed)).not.toBe(tokenize(v))
    }
  )

  test.prop([fc.array(anyValue, { maxLength: 3 }), fc.array(anyValue, { maxLength: 3 })], { numRuns: 200 })(
    "argument lists are told apart like arrays",
    (a, b) => {
      if (deepEqual(a, b)) expect(tokenize(...a)).toBe(tokenize(...b))
      else expect(tokenize(...a)).not.toBe(tokenize(...b))
    }
  )

  /** A random graph: node i is a container whose children are other nodes or small leaves. */
  const graph = fc.integer({ min: 1, max: 6 }).chain((n) =>
    fc.tuple(
      fc.array(fc.constantFrom("array", "object", "map", "set"), { minLength: n, maxLength: n }),
      fc.array(
        fc.array(
          fc.oneof(
            fc.nat({ max: n - 1 }).map((i) => ({ node: i })),
            fc.integer({ min: 0, max: 3 })
          ),
          { maxLength: 4 }
        ),
        { minLength: n, maxLength: n }
      )
    )
  )

  type Graph = [string[], ({ node: number } | number)[][]]

  const build = ([kinds, children]: Graph, rand?: () => number): unknown => {
    const nodes = kinds.map((k) => (k === "array" ? [] : k === "object" ? {} : k === "map" ? new Map() : new Set()))
    const order = <T>(items: T[]) => (rand === undefined ? items : shuffled(items, rand))
    kinds.forEach((kind, i) => {
      const values = children[i].map((c) => (typeof c === "number" ? c : nodes[c.node]))
      const node = nodes[i]
      if (kind === "array") (node as unknown[]).push(...values)
      else if (kind === "object") {
        for (const [j, v] of order([...values.entries()])) (node as Record<string, unknown>)[`k${j}`] = v
      } else if (kind === "map") {
        for (const [j, v] of order([...values.entries()]))
          (node as Map<unknown, unknown>).set(j % 2 === 0 ? `k${j}` : v, v)
      } else for (const v of order(values)) (node as Set<unknown>).add(v)
    })
    return nodes[0]
  }

  /** A random DAG: node i's children are leaves or nodes after it, so sub-objects are shared but nothing is cyclic. */
  const dag = fc.integer({ min: 1, max: 8 }).chain((n) =>
    fc.array(
      fc.array(
        fc.oneof(
          fc.nat({ max: n }).map((d) => ({ ahead: d })),
          fc.integer({ min: 0, max: 3 })
        ),
        { maxLength: 3 }
      ),
      { minLength: n, maxLength: n }
    )
  )
  const buildDag = (children: ({ ahead: number } | number)[][]): unknown => {
    const nodes: unknown[] = new Array(children.length)
    for (let i = children.length - 1; i >= 0; i--) {
      nodes[i] = children[i].map((c) =>
        typeof c === "number" ? c : i + 1 + c.ahead < children.length ? nodes[i + 1 + c.ahead] : c.ahead
      )
    }
    return nodes[0]
  }

  test.prop([dag], { numRuns: 300 })(
    "shared sub-objects: the same structure gives the same token, also after structured clone",
    (g) => {
      const token = tokenize(buildDag(g))
      expect(tokenize(buildDag(g))).toBe(token)
      expect(tokenize(structuredClone(buildDag(g)))).toBe(token)
      expect(tokenize({ in: buildDag(g) })).toBe(tokenize({ in: buildDag(g) }))
    }
  )

  test.prop([graph, fc.integer()], { numRuns: 300 })(
    "cyclic graphs terminate, and rebuilding one in another insertion order gives the same token",
    (g, seed) => {
      const token = tokenize(build(g))
      expect(token).toMatch(hex32)
      expect(tokenize(build(g))).toBe(token)
      expect(tokenize(build(g, random(seed)))).toBe(token)
    }
  )
})

describe("tokenize examples", () => {
  test("-0 and 0 differ; NaN is stable", () => {
    expect(tokenize(-0)).not.toBe(tokenize(0))
    expect(tokenize(Number.NaN)).toBe(tokenize(0 / 0))
    expect(tokenize(Number.NaN)).not.toBe(tokenize("NaN"))
    expect(tokenize([-0])).not.toBe(tokenize([0]))
  })

  test('strings and numbers differ: "1" vs 1', () => {
    expect(tokenize("1")).not.toBe(tokenize(1))
    expect(tokenize({ a: "1" })).not.toBe(tokenize({ a: 1 }))
  })

  test("null and undefined differ, and missing keys differ from undefined values", () => {
    expect(tokenize(null)).not.toBe(tokenize(undefined))
    expect(tokenize({ a: undefined })).not.toBe(tokenize({}))
    expect(tokenize()).not.toBe(tokenize(undefined))
  })

  test("booleans, bigints and numbers are told apart", () => {
    expect(tokenize(true)).not.toBe(tokenize(false))
    expect(tokenize(true)).not.toBe(tokenize(1))
    expect(tokenize(1n)).not.toBe(tokenize(1))
    expect(tokenize(1n)).not.toBe(tokenize("1"))
    expect(tokenize(2n ** 100n)).toBe(tokenize(2n ** 100n))
  })

  test("strings are length-prefixed, so separators inside them cannot fake a boundary", () => {
    expect(tokenize(["a,b"])).not.toBe(tokenize(["a", "b"]))
    expect(tokenize("ab", "c")).not.toBe(tokenize("a", "bc"))
    expect(tokenize({ "a:1": 2 })).not.toBe(tokenize({ a: "1:2" }))
    expect(tokenize({ a: "", "as0:b": "" })).not.toBe(tokenize({ "as0:a": "", b: "" }))
  })

  test("strings with lone surrogates differ from each other and from U+FFFD", () => {
    const tokens = ["\uD800", "\uDC00", "\uFFFD", "\uD800\uDC00", "\u{10000}".slice(0, 1)].map((s) => tokenize(s))
    expect(new Set(tokens.slice(0, 4)).size).toBe(4)
    expect(tokens[4]).toBe(tokens[0])
  })

  test("tokenize(a, b) differs from tokenize([a, b])", () => {
    expect(tokenize(1, 2)).not.toBe(tokenize([1, 2]))
  })

  test("typed arrays, DataView and ArrayBuffer tokenize by their bytes and their type", () => {
    const tokens = [
      tokenize(new Uint8Array([1])),
      tokenize(new Int8Array([1])),
      tokenize(new Uint8ClampedArray([1])),
      tokenize(new Uint8Array([1]).buffer),
      tokenize(new DataView(new Uint8Array([1]).buffer)),
      tokenize(new Uint8Array([2])),
      tokenize([1])
    ]
    expect(new Set(tokens).size).toBe(tokens.length)
    expect(tokenize(new Uint8Array([1, 2]))).toBe(tokenize(Uint8Array.from([1, 2])))
    expect(tokenize(new Float64Array([0]))).not.toBe(tokenize(new Float64Array([-0])))
  })

  test("a view tokenizes by the bytes it views, not the whole buffer", () => {
    const buffer = new Uint8Array([9, 1, 2, 9]).buffer
    expect(tokenize(new Uint8Array(buffer, 1, 2))).toBe(tokenize(new Uint8Array([1, 2])))
    expect(tokenize(new DataView(buffer, 1, 2))).toBe(tokenize(new DataView(new Uint8Array([1, 2]).buffer)))
  })

  test("a Buffer tokenizes as the Uint8Array it becomes after structured clone", () => {
    expect(tokenize(Buffer.from([1, 2, 3]))).toBe(tokenize(new Uint8Array([1, 2, 3])))
  })

  test("large binary data is still sensitive to every byte", () => {
    const a = new Uint8Array(100_000).fill(7)
    const b = a.slice()
    b[99_999] = 8
    expect(tokenize(a)).toBe(tokenize(a.slice()))
    expect(tokenize(a)).not.toBe(tokenize(b))
    expect(tokenize(a)).not.toBe(tokenize(new Int8Array(a.buffer)))
  })

  test("an object with [tokenizeSymbol]() tokenizes by what the method returns", () => {
    expect(tokenize(new Keyed("inc-1"))).toBe(tokenize(new Keyed("inc-1")))
    expect(tokenize(new Keyed("inc-1"))).not.toBe(tokenize(new Keyed("inc-2")))
    const custom = { [tokenizeSymbol]: () => ["Future", "inc-1"], ignored: Math.random() }
    expect(tokenize(custom)).toBe(tokenize(new Keyed("inc-1")))
    // Tagged, so a Future is not mistaken for the plain array it returns.
    expect(tokenize(new Keyed("inc-1"))).not.toBe(tokenize(["Future", "inc-1"]))
    expect(tokenize([new Keyed("a"), { x: new Keyed("b") }])).toBe(tokenize([new Keyed("a"), { x: new Keyed("b") }]))
  })

  test("a [tokenizeSymbol]() result that refers back to its object terminates", () => {
    const self: Tokenizable = {
      [tokenizeSymbol]() {
        return { me: self }
      }
    }
    expect(tokenize(self)).toMatch(hex32)
  })

  test("plain objects tokenize by sorted keys", () => {
    expect(tokenize({ a: 1, b: 2 })).toBe(tokenize({ b: 2, a: 1 }))
    expect(tokenize({ a: 1, b: 2 })).not.toBe(tokenize({ a: 2, b: 1 }))
    expect(tokenize(Object.assign(Object.create(null) as object, { a: 1 }))).toBe(tokenize({ a: 1 }))
  })

  test("Map order does not matter; keys and values do", () => {
    const a = new Map<unknown, unknown>([
      ["x", 1],
      [2, "y"],
      [{ k: 1 }, [1]]
    ])
    const b = new Map<unknown, unknown>([
      [{ k: 1 }, [1]],
      [2, "y"],
      ["x", 1]
    ])
    expect(tokenize(a)).toBe(tokenize(b))
    expect(tokenize(new Map([["x", 1]]))).not.toBe(tokenize(new Map([["x", 2]])))
    expect(tokenize(new Map([["x", 1]]))).not.toBe(tokenize(new Map([["y", 1]])))
    expect(tokenize(new Map([[1, 2]]))).not.toBe(tokenize(new Map([[2, 1]])))
    expect(tokenize(new Map([["x", 1]]))).not.toBe(tokenize({ x: 1 }))
  })

  test("Set order does not matter; elements do", () => {
    expect(tokenize(new Set([1, "a", null, [2]]))).toBe(tokenize(new Set([[2], null, "a", 1])))
    expect(tokenize(new Set([1, 2]))).not.toBe(tokenize(new Set([1, 3])))
    expect(tokenize(new Set([1, 2]))).not.toBe(tokenize([1, 2]))
    expect(tokenize(new Set([1]))).not.toBe(tokenize(new Map([[1, 1]])))
  })

  test("Dates tokenize by time value; an invalid Date is stable", () => {
    expect(tokenize(new Date(1_700_000_000_000))).toBe(tokenize(new Date(1_700_000_000_000)))
    expect(tokenize(new Date(1_700_000_000_000))).not.toBe(tokenize(new Date(1_700_000_000_001)))
    expect(tokenize(new Date(Number.NaN))).toBe(tokenize(new Date("not a date")))
    expect(tokenize(new Date(0))).not.toBe(tokenize(0))
  })

  test("RegExps tokenize by source and flags", () => {
    expect(tokenize(/a+/g)).toBe(tokenize(new RegExp("a+", "g")))
    expect(tokenize(/a+/g)).not.toBe(tokenize(/a+/i))
    expect(tokenize(/a+/g)).not.toBe(tokenize(/a*/g))
    expect(tokenize(/a/)).not.toBe(tokenize("/a/"))
  })

  test("Errors tokenize by name and message", () => {
    expect(tokenize(new Error("x"))).toBe(tokenize(new Error("x")))
    expect(tokenize(new Error("x"))).not.toBe(tokenize(new Error("y")))
    expect(tokenize(new Error("x"))).not.toBe(tokenize(new TypeError("x")))
  })

  test("class instances tokenize by constructor name and own fields", () => {
    expect(tokenize(new Point(1, 2))).toBe(tokenize(new Point(1, 2)))
    expect(tokenize(new Point(1, 2))).not.toBe(tokenize(new Point(2, 1)))
    expect(tokenize(new Point(1, 2))).not.toBe(tokenize(new Pair(1, 2)))
    expect(tokenize(new Point(1, 2))).not.toBe(tokenize({ x: 1, y: 2 }))
  })

  test("boxed primitives differ from their primitives and from each other", () => {
    expect(tokenize(Object(1))).not.toBe(tokenize(1))
    expect(tokenize(Object("1"))).not.toBe(tokenize(Object(1)))
    expect(tokenize(Object(1))).toBe(tokenize(Object(1)))
  })

  test("functions tokenize by name and source text", () => {
    expect(tokenize((x: number) => x + 1)).toBe(tokenize((x: number) => x + 1))
    expect(tokenize((x: number) => x + 1)).not.toBe(tokenize((x: number) => x + 2))
    const f = function inc(x: number) {
      return x + 1
    }
    const g = function dec(x: number) {
      return x + 1
    }
    expect(tokenize(f)).not.toBe(tokenize(g))
  })

  test("symbols tokenize by registry key or description (documented: Symbol('x') twice is equal)", () => {
    expect(tokenize(Symbol.for("x"))).toBe(tokenize(Symbol.for("x")))
    expect(tokenize(Symbol.for("x"))).not.toBe(tokenize(Symbol.for("y")))
    expect(tokenize(Symbol("x"))).toBe(tokenize(Symbol("x")))
    expect(tokenize(Symbol("x"))).not.toBe(tokenize(Symbol.for("x")))
    expect(tokenize(Symbol())).not.toBe(tokenize(Symbol("")))
    expect(tokenize(Symbol.for("x"))).not.toBe(tokenize("x"))
  })

  test("array holes count as undefined (documented)", () => {
    expect(tokenize([, 1])).toBe(tokenize([undefined, 1]))
    expect(tokenize([1])).not.toBe(tokenize([1, undefined]))
  })

  test("a shared sub-object is encoded once, as a back-reference: 60 levels of x = { l: x, r: x } tokenize at once", () => {
    const dag = (levels: number, leafValue: unknown) => {
      let x: unknown = { leaf: leafValue }
      for (let i = 0; i < levels; i++) x = { l: x, r: x }
      return x
    }
    // 2^60 paths: encoded in full, this would never end.
    expect(tokenize(dag(60, 1))).toBe(tokenize(dag(60, 1)))
    expect(tokenize(dag(60, 1))).not.toBe(tokenize(dag(60, 2)))
    expect(tokenize(dag(60, 1))).not.toBe(tokenize(dag(59, 1)))
    // Structured clone keeps sharing, so a shared value and its clone tokenize alike; a copy
    // without the sharing is another structure (documented: it may tokenize differently).
    const x = { a: [1] }
    expect(tokenize(structuredClone([x, x]))).toBe(tokenize([x, x]))
    expect(tokenize([x, x])).not.toBe(tokenize([x, { a: [1] }]))
  })

  test("a sparse array is encoded by its own elements: length 1e8 tokenizes at once", () => {
    const sparse = (entries: Array<[number, unknown]>, length = 1e8) => {
      const a: unknown[] = []
      a.length = length
      for (const [i, v] of entries) a[i] = v
      return a
    }
    expect(
      tokenize(
        sparse([
          [5, 1],
          [1e8 - 1, "z"]
        ])
      )
    ).toBe(
      tokenize(
        sparse([
          [1e8 - 1, "z"],
          [5, 1]
        ])
      )
    )
    expect(tokenize(sparse([[5, 1]]))).not.toBe(tokenize(sparse([[6, 1]])))
    expect(tokenize(sparse([[5, 1]]))).not.toBe(tokenize(sparse([[5, 1]], 1e8 + 1)))
    expect(tokenize(sparse([[5, 1]]))).not.toBe(tokenize(sparse([[5, 2]])))
    expect(tokenize({ a: sparse([[5, [1]]]) })).toBe(tokenize({ a: sparse([[5, [1]]]) }))
  })

  test("an own __proto__ key is data: it counts, and differs from other keys", () => {
    const own = JSON.parse('{"__proto__": 1}') as object
    expect(tokenize(own)).not.toBe(tokenize({}))
    expect(tokenize(own)).toBe(tokenize(JSON.parse('{"__proto__": 1}')))
    expect(tokenize(own)).not.toBe(tokenize(JSON.parse('{"__proto__": 2}')))
    expect(tokenize(own)).not.toBe(tokenize({ proto: 1 }))
  })

  test("WeakMaps and Promises tokenize by identity, within this process", () => {
    const w = new WeakMap()
    expect(tokenize(w)).toBe(tokenize(w))
    expect(tokenize(w)).not.toBe(tokenize(new WeakMap()))
    const p = Promise.resolve(1)
    expect(tokenize(p)).toBe(tokenize(p))
    expect(tokenize(p)).not.toBe(tokenize(Promise.resolve(1)))
  })

  test("cycles terminate and encode the back-reference by its position on the path", () => {
    const a: unknown[] = []
    a.push(a)
    const b: unknown[] = []
    b.push(b)
    expect(tokenize(a)).toBe(tokenize(b))
    const nested: unknown[] = [[]]
    ;(nested[0] as unknown[]).push(nested)
    expect(tokenize(a)).not.toBe(tokenize(nested))
    expect(tokenize(a)).not.toBe(tokenize([[]]))

    const o: Record<string, unknown> = { name: "o" }
    o.self = o
    o.list = [o, new Map([[o, new Set([o])]])]
    expect(tokenize(o)).toMatch(hex32)
    const p: Record<string, unknown> = { name: "o" }
    p.list = [p, new Map([[p, new Set([p])]])]
    p.self = p
    expect(tokenize(p)).toBe(tokenize(o))
  })

  test("10,000 and 200,000 nested arrays do not overflow the stack", () => {
    const nest = (depth: number, leafValue: unknown) => {
      let v: unknown = leafValue
      for (let i = 0; i < depth; i++) v = [v]
      return v
    }
    expect(tokenize(nest(10_000, 1))).toMatch(hex32)
    expect(tokenize(nest(10_000, 1))).toBe(tokenize(nest(10_000, 1)))
    expect(tokenize(nest(10_000, 1))).not.toBe(tokenize(nest(10_000, 2)))
    expect(tokenize(nest(10_000, 1))).not.toBe(tokenize(nest(10_001, 1)))
    expect(tokenize(nest(200_000, 1))).toMatch(hex32)

    let deepObject: Record<string, unknown> = {}
    for (let i = 0; i < 10_000; i++) deepObject = { next: deepObject, m: new Map([[i, i]]) }
    expect(tokenize(deepObject)).toMatch(hex32)
  })

  test("a long cyclic chain (path index in a Map) stays deterministic", () => {
    const chain = () => {
      const first: Record<string, unknown> = {}
      let node = first
      for (let i = 0; i < 1000; i++) {
        const next: Record<string, unknown> = { i, back: i % 10 === 0 ? first : node }
        node.next = next
        node = next
      }
      node.next = first
      return first
    }
    expect(tokenize(chain())).toBe(tokenize(chain()))
  })

  test("golden tokens of calls on Delayeds: the keys of a graph's tasks stay what they were", () => {
    const d = (key: string): Tokenizable => ({ [tokenizeSymbol]: () => ["weft.Delayed", key] })
    expect(tokenizeCall("(a, b) => a + b", [d("inc-0123"), d("inc-4567")])).toBe("2c6807bee8480073ef84099a75cc370d")
    const self: Tokenizable = {
      [tokenizeSymbol]() {
        return [this, 1]
      }
    }
    expect(tokenizeCall("f", [self, [d("x"), 2], "s"])).toBe("881c0ca63f6de74ca3af10a43d1a9cc9")
  })

  test("golden tokens: stable across processes and runs (change them only on purpose)", () => {
    // Computed once; a change here changes every pure key and breaks caches keyed by them.
    expect(tokenize()).toBe("9a1c7ee2c7ce38d4bbbaf29ab9f2ac1e")
    expect(tokenize("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1)).toBe(
      "b3c4e6c2bc9fe41edf0fad444c506f0e"
    )
    expect(tokenize({ a: 1, b: [1, 2] })).toBe("639096e83ef8ecddb612e49052076875")
    expect(
      tokenize(
        new Map<unknown, unknown>([["k", new Set([1n, -0, Number.NaN])]]),
        new Date(0),
        /x/g,
        new Uint8Array([1, 2]),
        null,
        undefined,
        "é😀"
      )
    ).toBe("1ec0b1b58ae7558acddd9e63b08fb613")
  })
})

describe("typeName", () => {
  test("names primitives by typeof and objects by constructor", () => {
    expect(typeName(1)).toBe("number")
    expect(typeName("a")).toBe("string")
    expect(typeName(true)).toBe("boolean")
    expect(typeName(1n)).toBe("bigint")
    expect(typeName(undefined)).toBe("undefined")
    expect(typeName(null)).toBe("null")
    expect(typeName([])).toBe("Array")
    expect(typeName({})).toBe("Object")
    expect(typeName(Object.create(null))).toBe("Object")
    expect(typeName(new Map())).toBe("Map")
    expect(typeName(new Set())).toBe("Set")
    expect(typeName(new Date())).toBe("Date")
    expect(typeName(new Uint8Array())).toBe("Uint8Array")
    expect(typeName(new Float64Array())).toBe("Float64Array")
    expect(typeName(new Point(1, 2))).toBe("Point")
    expect(typeName(new (class {})())).toBe("Object")
    expect(typeName(() => 1)).toBe("function")
  })
})
