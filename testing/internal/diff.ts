/**
 * Deep comparison that names the first difference: what `checkTask` and `checkGraph` report when
 * two results differ. Stricter than `===` on values and stricter than JSON: prototypes count (a
 * `Point` that comes back as a plain object differs), `-0` is not `0`, `NaN` equals `NaN`, Maps
 * and Sets compare by content, errors by name and message.
 *
 * @internal
 */
import { types } from "node:util"

/** Where two values first differ, and how. */
export interface Difference {
  /** A path such as `result.rows[2].amount`. */
  readonly path: string
  readonly expected: string
  readonly actual: string
  /** Why they differ when it is not plain inequality (a lost prototype, a missing key). */
  readonly note?: string
}

const maxShown = 120

/** A short, readable rendering of a value for messages. */
export function show(value: unknown): string {
  let text: string
  if (typeof value === "string") text = JSON.stringify(value)
  else if (typeof value === "bigint") text = `${value}n`
  else if (Object.is(value, -0)) text = "-0"
  else if (typeof value !== "object" || value === null) text = String(value)
  else {
    try {
      text = `${className(value)} ${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))}`
    } catch {
      text = className(value)
    }
  }
  return text.length > maxShown ? `${text.slice(0, maxShown)}...` : text
}

/** `Point`, `Object`, `Array`, or `null-prototype object`. */
export function className(value: object): string {
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null
  if (proto === null) return "null-prototype object"
  return proto.constructor?.name || "anonymous class"
}

const isPlainProto = (proto: unknown): boolean => proto === Object.prototype || proto === null

/** The first difference between `expected` and `actual`, or `undefined` when they are deeply equal. */
export function diff(expected: unknown, actual: unknown, path = "result"): Difference | undefined {
  return compare(expected, actual, path, new Map())
}

function compare(a: unknown, b: unknown, path: string, seen: Map<object, object>): Difference | undefined {
  if (Object.is(a, b)) return undefined
  const at = (note?: string): Difference => ({
    path,
    expected: show(a),
    actual: show(b),
    ...(note === undefined ? {} : { note })
  })
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
    if (typeof a === "function" || typeof b === "function") return at("a function cannot travel to or from a worker")
    return at()
  }
  if (seen.get(a) === b) return undefined // a cycle already being compared
  seen.set(a, b)
  const protoA = Object.getPrototypeOf(a) as object | null
  const protoB = Object.getPrototypeOf(b) as object | null
  if (protoA !== protoB && !(isPlainProto(protoA) && isPlainProto(protoB))) {
    // Prototypes of two realms (a worker's Error, this thread's Error) count as equal by name.
    if (className(a) !== className(b) || !(a instanceof Error || types.isNativeError(a))) {
      return at(
        `it was ${article(className(a))}, it is ${article(className(b))}: the prototype did not survive; a structured clone keeps plain data, arrays, Maps, Sets, Dates, RegExps, typed arrays and errors only`
      )
    }
  }
  const special = compareSpecial(a, b, path, seen, at)
  if (special !== notSpecial) return special
  if (Array.isArray(a) !== Array.isArray(b)) return at()
  if (Array.isArray(a)) {
    const ab = b as unknown[]
    if (a.length !== ab.length) return at(`length ${a.length}, now ${ab.length}`)
    for (let i = 0; i < a.length; i++) {
      const d = compare(a[i], ab[i], `${path}[${i}]`, seen)
      if (d !== undefined) return d
    }
    return undefined
  }
  const keysA = Object.keys(a)
  const keysB = new Set(Object.keys(b))
  for (const k of keysA) {
    const sub = /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`
    if (!keysB.has(k))
      return {
        path: sub,
        expected: show((a as Record<string, unknown>)[k]),
        actual: "missing",
        note: "the property is gone (a getter, a symbol key or a non-enumerable property does not survive a structured clone)"
      }
    const d = compare((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], sub, seen)
    if (d !== undefined) return d
    keysB.delete(k)
  }
  for (const k of keysB)
    return { path: `${path}.${k}`, expected: "missing", actual: show((b as Record<string, unknown>)[k]) }
  return undefined
}

const article = (name: string) => (/^[AEIOU]/.test(name) ? `an ${name}` : `a ${name}`)

/** One line for a message: `at result.x: expected 1, got 2 (note)`. */
export function describeDifference(d: Difference): string {
  return `at ${d.path}: expected ${d.expected}, got ${d.actual}${d.note === undefined ? "" : ` (${d.note})`}`
}

const notSpecial = Symbol("not special")

/** Errors, Dates, RegExps, binary data, Maps and Sets: their difference, or `notSpecial` for anything else. */
function compareSpecial(
  a: object,
  b: object,
  path: string,
  seen: Map<object, object>,
  at: (note?: string) => Difference
): Difference | undefined | typeof notSpecial {
  if (a instanceof Error || types.isNativeError(a)) {
    const ea = a as Error
    const eb = b as Error
    if (ea.name !== eb.name || ea.message !== eb.message)
      return { path, expected: `${ea.name}: ${ea.message}`, actual: `${eb.name}: ${eb.message}` }
    return undefined
  }
  if (a instanceof Date)
    return a.getTime() === (b as Date).getTime() || (Number.isNaN(a.getTime()) && Number.isNaN((b as Date).getTime()))
      ? undefined
      : at()
  if (a instanceof RegExp) return String(a) === String(b) ? undefined : at()
  if (ArrayBuffer.isView(a) || a instanceof ArrayBuffer) {
    const bytes = (x: object) =>
      x instanceof ArrayBuffer
        ? new Uint8Array(x)
        : new Uint8Array(
            (x as ArrayBufferView).buffer,
            (x as ArrayBufferView).byteOffset,
            (x as ArrayBufferView).byteLength
          )
    return Buffer.compare(bytes(a), bytes(b)) === 0 ? undefined : at("the bytes differ")
  }
  if (a instanceof Map) {
    const mb = b as Map<unknown, unknown>
    if (a.size !== mb.size) return at(`${a.size} entries, now ${mb.size}`)
    for (const [k, v] of a) {
      if (!mb.has(k)) return at(`the key ${show(k)} is missing`)
      const d = compare(v, mb.get(k), `${path}.get(${show(k)})`, seen)
      if (d !== undefined) return d
    }
    return undefined
  }
  if (a instanceof Set) {
    const sb = b as Set<unknown>
    if (a.size !== sb.size) return at(`${a.size} members, now ${sb.size}`)
    for (const v of a) if (!sb.has(v) && (typeof v !== "object" || v === null)) return at(`${show(v)} is missing`)
    return undefined
  }
  return notSpecial
}
