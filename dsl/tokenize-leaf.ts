/**
 * The leaves of `tokenize`'s encoding (tokenize.ts): values that hold no references (primitives,
 * functions, dates, binary data, errors, boxed primitives, opaque built-ins), the type name of a
 * value, and the md5 digest of a finished encoding. Split from tokenize.ts, which walks the
 * containers; the encoding itself is described there.
 *
 * @module
 */
import * as nodeCrypto from "node:crypto"

/**
 * The type name that prefixes a scattered value's key (`${typeName(x)}-${tokenize(x)}`, like
 * Dask's `type(x).__name__`): `typeof` for primitives and functions (`number`, `string`,
 * `undefined`, ...), `null`, and the constructor name for objects (`Array`, `Object`, `Map`,
 * `Uint8Array`, a class's name; `Object` for a null prototype or an anonymous class).
 */
export const typeName = (value: unknown): string => {
  if (value === null) return "null"
  if (typeof value !== "object") return typeof value
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === null || proto === Object.prototype) return "Object"
  const ctor = (proto as { constructor?: unknown }).constructor
  return typeof ctor === "function" && ctor.name !== "" ? ctor.name : "Object"
}

export const md5: (data: string | Buffer) => string =
  typeof nodeCrypto.hash === "function"
    ? (data) => nodeCrypto.hash("md5", data, "hex")
    : (data) => nodeCrypto.createHash("md5").update(data).digest("hex")

/**
 * UTF-8 cannot encode a lone surrogate (it would become U+FFFD and collide), so such an encoding
 * is hashed as UTF-16LE instead. The two byte streams cannot coincide: an encoding starts with two
 * ASCII characters (a digit, then a digit or ':'), so in UTF-8 its second byte is never 0, while
 * in UTF-16LE it always is.
 */
export const digest = (encoding: string): string =>
  (encoding as unknown as { isWellFormed(): boolean }).isWellFormed()
    ? md5(encoding)
    : md5(Buffer.from(encoding, "utf16le"))

/*
 * Tags: u undefined, n null, T/F booleans, d number, b bigint, s string, Y/y symbol, f function,
 * r back-reference, t custom token, a array, c array subclass, o plain object, C class instance,
 * M map, S set, D date, R regexp, E error, x binary data, P boxed primitive, I identity.
 */

/** The encoding of a value that cannot hold references: a primitive or a function. */
export const encLeaf = (v: unknown): string => {
  switch (typeof v) {
    case "string":
      return "s" + v.length + ":" + v
    case "number":
      return v === 0 && 1 / v < 0 ? "d-0;" : "d" + v + ";"
    case "boolean":
      return v ? "T" : "F"
    case "undefined":
      return "u"
    case "bigint":
      return "b" + v + ";"
    case "symbol": {
      const key = Symbol.keyFor(v)
      if (key !== undefined) return "Y" + key.length + ":" + key
      return v.description === undefined ? "y-" : "y" + v.description.length + ":" + v.description
    }
    case "function": {
      const source = Function.prototype.toString.call(v)
      const name = String(v.name) // a class may declare a static `name` that is not a string
      return "f" + name.length + ":" + name + source.length + ":" + source
    }
    default:
      return "n"
  }
}

/** The getter that tells a typed array's intrinsic kind (`undefined` for anything else). */
const typedArrayKind = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype) as object,
  Symbol.toStringTag
)!.get! as (this: unknown) => string | undefined

const inlineBytes = 64

const encBytes = (kind: string, buffer: ArrayBufferLike, offset: number, length: number): string => {
  const bytes = Buffer.from(buffer, offset, length)
  return "x" + kind + ";" + length + (length <= inlineBytes ? ":" + bytes.toString("hex") : "#" + md5(bytes))
}

const opaque = new WeakMap<object, string>()
const opaqueRun: string = nodeCrypto.randomBytes(8).toString("hex")
let opaqueCount = 0

/** The encoding of a built-in object that holds no references, or `undefined` for anything else. */
export const encObjectLeaf = (o: object): string | undefined => {
  if (ArrayBuffer.isView(o)) return encBytes(typedArrayKind.call(o) ?? "DataView", o.buffer, o.byteOffset, o.byteLength)
  if (o instanceof ArrayBuffer) return encBytes("ArrayBuffer", o, 0, o.byteLength)
  if (typeof SharedArrayBuffer === "function" && o instanceof SharedArrayBuffer) {
    return encBytes("SharedArrayBuffer", o, 0, o.byteLength)
  }
  if (o instanceof Date) return "D" + encLeaf(o.getTime())
  if (o instanceof RegExp) return "R" + o.source.length + ":" + o.source + o.flags.length + ":" + o.flags
  if (o instanceof Error) {
    const name = String(o.name)
    const message = String(o.message)
    return "E" + name.length + ":" + name + message.length + ":" + message
  }
  if (
    o instanceof Number ||
    o instanceof String ||
    o instanceof Boolean ||
    o instanceof BigInt ||
    o instanceof Symbol
  ) {
    return "P" + encLeaf(o.valueOf())
  }
  if (
    o instanceof WeakMap ||
    o instanceof WeakSet ||
    o instanceof WeakRef ||
    o instanceof Promise ||
    o instanceof FinalizationRegistry
  ) {
    let id = opaque.get(o)
    if (id === undefined) opaque.set(o, (id = opaqueRun + (opaqueCount++).toString(36)))
    return "I" + id + ";"
  }
  return undefined
}
