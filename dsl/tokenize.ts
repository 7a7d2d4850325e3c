/**
 * Deterministic tokens of values: the `token` in a pure call's key `${name}-${token}` (spec
 * section 4) and in a scattered value's key `${typeName}-${token}`.
 *
 * How it works: one pass writes a compact, type-tagged, prefix-free encoding of the value into a
 * single string, which is hashed once with md5 (32 lowercase hex characters, as in Dask). Every
 * encoded form either has a fixed length, ends in a terminator its content cannot contain, or
 * carries its length up front, so no two different values share an encoding (`["a,b"]` and
 * `["a", "b"]` differ). Hashing is the dominant cost, so the encoder avoids JSON.stringify,
 * per-value hashing and per-value closures.
 *
 * Measured with Node 20.20 on the shared development container (`npx tsx`, 1e6 calls after
 * warm-up): `tokenize("<64 hex chars>", 1)` ≈ 1.0-1.1 µs and
 * `tokenize("<64 hex chars>", { a: 1, b: [1, 2] })` ≈ 1.5-1.7 µs, of which the md5 call itself is
 * ≈ 0.7-0.9 µs (the encoding of the small object ≈ 0.4 µs).
 *
 * Decisions worth knowing (each one is what a value that travels by structured clone needs):
 * - Plain objects are encoded by their sorted own enumerable string keys; symbol keys are ignored
 *   (structured clone drops them) and a null prototype counts as a plain object.
 * - Array holes encode as `undefined`, so `[, 1]` and `[undefined, 1]` tokenize alike, except in
 *   a sparse array (longer than 65,536 with fewer own elements than its length): it is encoded by
 *   its length and its own elements, so `a[1e8 - 1] = 1` costs one element, not 1e8.
 * - Map entries and Set elements are encoded one by one and sorted by their encodings (for a Map
 *   the key's encoding comes first, so this is "sorted by key, then by value"), which makes the
 *   token independent of insertion order.
 * - Every object is encoded once: met again (shared, or a cycle), it is written as a
 *   back-reference to the number of its first meeting (objects are numbered in the order the walk
 *   meets them, keys sorted), so `x = { l: x, r: x }` 25 times costs 26 objects, not 2^25, and
 *   cyclic values terminate. The same structure gives the same token (also after structured
 *   clone, which keeps sharing); `[x, x]` and `[x, copyOf(x)]` are different structures and may
 *   tokenize differently. Inside a Map or Set, whose parts are sorted, sharing between two parts is
 *   encoded in full, so that no number depends on insertion order.
 * - Typed arrays and DataViews are tokenized by their intrinsic kind (a Node `Buffer` counts as a
 *   `Uint8Array`, which is what it becomes after structured clone) and the bytes they view; an
 *   ArrayBuffer by its kind and all its bytes. More than 64 bytes are folded into their own md5.
 * - Functions are tokenized by name and source text; two bound or native functions of one name
 *   therefore tokenize alike.
 * - Symbols are tokenized by their registry key (`Symbol.for`) or, when unregistered, by their
 *   description: two distinct `Symbol("x")` tokenize alike.
 * - Errors are tokenized by name and message; class instances by constructor name and own
 *   enumerable properties (private fields are invisible: give such a class a
 *   `[tokenizeSymbol]()` method). Boxed primitives by their primitive value.
 * - WeakMap, WeakSet, WeakRef, Promise and FinalizationRegistry cannot be inspected, so each one
 *   gets a token of its identity: equal only to itself, and only within this process.
 * - Nesting depth is bounded by memory, not by the JavaScript stack: the walk keeps its own stack.
 *
 * @module
 */
import { ownIndices, sparseFrom } from "../core/walk.js"
import { digest, encLeaf, encObjectLeaf, typeName } from "./tokenize-leaf.js"

export { typeName } from "./tokenize-leaf.js"

/**
 * The method an object implements to choose its own token: `tokenize` encodes what
 * `value[tokenizeSymbol]()` returns instead of the object. Futures and Delayeds return
 * `["weft.Future", key]` (and, later, Delayeds likewise), so they tokenize by their key.
 */
export const tokenizeSymbol: unique symbol = Symbol.for("weft/tokenize")

/** An object that chooses its own token (see {@link tokenizeSymbol}). */
export interface Tokenizable {
  [tokenizeSymbol](): unknown
}

/**
 * A deterministic token of the given values: 32 lowercase hex characters (md5), equal for equal
 * values in every run and process, different for different values. `tokenize(a, b)` and
 * `tokenize([a, b])` differ. See the module comment for how each kind of value counts.
 */
export const tokenize = (...values: unknown[]): string => {
  let out = values.length + ":"
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    out += typeof v === "object" && v !== null ? encTree(v) : encLeaf(v)
  }
  return digest(out)
}

/**
 * `tokenize(identity, ...args)`, the token of a call, without the spread: the same token, key for
 * key. The encoding of `identity` (a function's, the same for all its calls: a `map` calls this
 * once per item) is kept for the next call, flattened, so that only the arguments are encoded.
 */
export const tokenizeCall = (identity: string, args: ReadonlyArray<unknown>): string => {
  let out = identity === lastIdentity && args.length === lastCount ? lastPrefix : callPrefix(identity, args.length)
  for (let i = 0; i < args.length; i++) {
    const v = args[i]
    out += typeof v === "object" && v !== null ? encArgument(v) : encLeaf(v)
  }
  return digest(out)
}

/**
 * `encTree(o)` for an argument, the same encoding. An object with a custom token that is a short
 * array of primitives (a Future's or Delayed's `[tag, key]`: every input of a graph's task) is
 * written here without the walk's frames and registry, which cost ~0.8 KB per such argument.
 */
const encArgument = (o: object): string => {
  const custom = (o as { [tokenizeSymbol]?: unknown })[tokenizeSymbol]
  if (typeof custom !== "function") return encTree(o)
  const token: unknown = custom.call(o)
  if (!Array.isArray(token) || token.length > 16 || Object.getPrototypeOf(token) !== Array.prototype)
    return "t" + encTree(token, o)
  let out = "ta" + token.length + ":"
  for (let i = 0; i < token.length; i++) {
    const item: unknown = token[i]
    if (typeof item === "object" && item !== null) return "t" + encTree(token, o)
    out += encLeaf(item)
  }
  return out
}

let lastIdentity: string | undefined
let lastCount = -1
let lastPrefix = ""

/** The start of `tokenize(identity, ...args)`'s encoding for `count` arguments, kept as the last one. */
const callPrefix = (identity: string, count: number): string => {
  // A flat string (not a rope of the parts), so that the hashing of each call's encoding does not walk the parts again.
  lastPrefix = (count + 1 + ":" + encLeaf(identity)).split("").join("")
  lastIdentity = identity
  lastCount = count
  return lastPrefix
}

/**
 * The encoding `tokenize` hashes, unhashed: for callers that need another hash of the same
 * encoding (the result cache's keys use sha256). Bytes beyond 64 of a binary value are folded into
 * their md5 inside it, as in `tokenize`.
 */
export const tokenEncoding = (...values: unknown[]): string => {
  let out = values.length + ":"
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    out += typeof v === "object" && v !== null ? encTree(v) : encLeaf(v)
  }
  return out
}

/** Encode `items[0..n)` in order (arrays, and a custom token's single value). */
const Items = 0
/** Encode each of `keys`, then its value in `o`. */
const Fields = 1
/** Encode `items` in groups of `group` (Set elements, Map key-value pairs) into sorted `parts`. */
const Collection = 2

/** An object being encoded: its place on the path from the root, and how far its encoding got. */
interface Frame {
  readonly o: object
  readonly kind: typeof Items | typeof Fields | typeof Collection
  readonly items: ArrayLike<unknown>
  readonly keys: readonly string[]
  readonly n: number
  i: number
  readonly group: number
  readonly parts: string[]
  /** For a collection, the encoding written before it, while its parts are encoded on their own. */
  readonly saved: string
  /** For a collection, the registry's length when it started: each part starts from there. */
  readonly mark: number
}

const noKeys: readonly string[] = []
const noItems: readonly unknown[] = []
const noParts: string[] = []

/** Beyond this many objects the registry gets a Map; scanning the list is cheaper until then. */
const mapFrom = 16

/**
 * The objects met so far that hold other objects, numbered in the order they were first met
 * (pre-order, keys sorted), so that such an object met again, by sharing or by a cycle, is written
 * as a back-reference to its number: it is encoded once. (An object that holds only primitives is
 * encoded in full each time: that costs its size per reference, never more, and keeps the common
 * case, a flat argument, free of bookkeeping.) Inside a Map or Set, whose parts are sorted after they are encoded,
 * what a part registers is forgotten after it (`truncate`), so that no number depends on the
 * insertion order: sharing between the parts of a collection is encoded in full.
 */
class Registry {
  readonly list: object[] = []
  map: Map<object, number> | undefined = undefined

  /** The number of `o`, or -1. */
  find(o: object): number {
    if (this.map !== undefined) return this.map.get(o) ?? -1
    const list = this.list
    for (let j = 0; j < list.length; j++) if (list[j] === o) return j
    return -1
  }

  /** Registers `o`, met for the first time. */
  add(o: object): void {
    const list = this.list
    if (this.map !== undefined) this.map.set(o, list.length)
    else if (list.length >= mapFrom) this.map = new Map(list.map((x, j) => [x, j])).set(o, list.length)
    list.push(o)
  }

  truncate(length: number): void {
    const list = this.list
    if (this.map !== undefined) for (let j = length; j < list.length; j++) this.map.delete(list[j])
    list.length = length
  }
}

/**
 * The encoding of an object, walked with an explicit stack of frames rather than recursion, so
 * that nesting depth is bounded by memory, not by the JavaScript stack. Objects met again are
 * back-references to their number in the `Registry`.
 *
 * Arrays and objects write their leading primitive children at once and get a frame only when
 * they reach an object child (a frame is needed only as an ancestor): most arguments are flat.
 *
 * One function over the size limit on purpose: it runs on every submit, and splitting the loop's
 * cases into calls costs per element (the keys are most of weft's per-task time; issue 18).
 */
// eslint-disable-next-line max-lines-per-function -- the key's hot loop, kept whole (see above)
const encTree = (root: unknown, custom?: object): string => {
  const frames: Frame[] = []
  const registry = new Registry()
  // `root` is what `custom`'s token method returned: `custom` is object number 0, as in the walk.
  if (custom !== undefined) registry.add(custom)
  let out = ""
  let v: unknown = root
  for (;;) {
    // Encode v. A container that reaches an object child pushes its frame, makes that child the
    // next v and continues; everything else falls through to find the next value.
    if (typeof v !== "object" || v === null) {
      out += encLeaf(v)
    } else {
      const at = registry.find(v)
      if (at >= 0) {
        out += "r" + at + ";"
      } else {
        const o: object = v
        const custom = (o as { [tokenizeSymbol]?: unknown })[tokenizeSymbol]
        if (typeof custom === "function") {
          out += "t"
          v = custom.call(o)
          registry.add(o)
          frames.push(itemsFrame(o, noItems, 0))
          continue
        }
        const sparse = Array.isArray(o) && o.length > sparseFrom ? ownIndices(o) : undefined
        if (Array.isArray(o) && sparse === undefined) {
          if (Object.getPrototypeOf(o) !== Array.prototype) out += named("c", o)
          const n = o.length
          out += "a" + n + ":"
          let i = 0
          for (; i < n; i++) {
            const item: unknown = o[i]
            if (typeof item === "object" && item !== null) {
              v = item
              break
            }
            out += encLeaf(item)
          }
          if (i < n) {
            registry.add(o)
            frames.push(itemsFrame(o, o, i + 1))
            continue
          }
        } else {
          const proto: unknown = Object.getPrototypeOf(o)
          let fieldsTag: string | undefined
          if (sparse !== undefined) {
            // A sparse array: its length, then its own elements as index-value fields.
            fieldsTag = (proto === Array.prototype ? "" : named("c", o)) + "A" + (o as unknown[]).length + ":"
          } else if (proto === Object.prototype || proto === null) fieldsTag = "o"
          else if (o instanceof Map) {
            const items: unknown[] = []
            for (const [key, value] of o) items.push(key, value)
            registry.add(o)
            frames.push(collectionFrame(o, items, 2, out + "M", registry.list.length))
          } else if (o instanceof Set) {
            registry.add(o)
            frames.push(collectionFrame(o, [...o], 1, out + "S", registry.list.length))
          } else {
            const leaf = encObjectLeaf(o)
            if (leaf !== undefined) out += leaf
            else fieldsTag = named("C", o)
          }
          if (fieldsTag !== undefined) {
            const keys = sparse ?? sortedKeys(o)
            const n = keys.length
            out += fieldsTag + n + ":"
            let i = 0
            for (; i < n; i++) {
              const k = keys[i]
              const value = (o as Record<string, unknown>)[k]
              out += k.length + ":" + k
              if (typeof value === "object" && value !== null) {
                v = value
                break
              }
              out += encLeaf(value)
            }
            if (i < n) {
              registry.add(o)
              frames.push(fieldsFrame(o, keys, i + 1))
              continue
            }
          }
        }
      }
    }

    // Find the next value to encode: the next child of the innermost unfinished frame.
    for (;;) {
      // Test the length first: reading frames[-1] would take V8's slow path.
      if (frames.length === 0) return out
      const f = frames[frames.length - 1]
      if (f.kind === Items) {
        if (f.i < f.n) {
          v = f.items[f.i++]
          break
        }
      } else if (f.kind === Fields) {
        if (f.i < f.n) {
          const k = f.keys[f.i++]
          out += k.length + ":" + k
          v = (f.o as Record<string, unknown>)[k]
          break
        }
      } else if (f.i % f.group !== 0) {
        v = f.items[f.i++]
        break
      } else {
        if (f.i > 0) f.parts.push(out)
        registry.truncate(f.mark)
        if (f.i < f.n) {
          out = ""
          v = f.items[f.i++]
          break
        }
        f.parts.sort()
        out = f.saved + f.parts.length + ":" + f.parts.join("")
      }
      frames.pop()
    }
  }
}

/** An object's own enumerable string keys, sorted by UTF-16 code units. */
const sortedKeys = (o: object): string[] => {
  const keys = Object.keys(o)
  // Array.prototype.sort costs ~40 ns per call before comparing anything; an insertion sort is
  // several times faster for the handful of keys that arguments usually have (and free when the
  // keys are in order already, as literals often are).
  if (keys.length > 16) return keys.sort()
  for (let j = 1; j < keys.length; j++) {
    const k = keys[j]
    let i = j - 1
    while (i >= 0 && keys[i] > k) {
      keys[i + 1] = keys[i]
      i--
    }
    keys[i + 1] = k
  }
  return keys
}

/** A frame whose children `items[i..)` are still to be encoded (`v` holds the one before). */
const itemsFrame = (o: object, items: ArrayLike<unknown>, i: number): Frame => ({
  o,
  kind: Items,
  items,
  keys: noKeys,
  n: items.length,
  i,
  group: 1,
  parts: noParts,
  saved: "",
  mark: 0
})

/** A frame whose fields `keys[i..)` are still to be encoded (`v` holds the one before). */
const fieldsFrame = (o: object, keys: string[], i: number): Frame => ({
  o,
  kind: Fields,
  items: noItems,
  keys,
  n: keys.length,
  i,
  group: 1,
  parts: noParts,
  saved: "",
  mark: 0
})

const collectionFrame = (o: object, items: unknown[], group: number, saved: string, mark: number): Frame => ({
  o,
  kind: Collection,
  items,
  keys: noKeys,
  n: items.length,
  i: 0,
  group,
  parts: [],
  saved,
  mark
})

const named = (tag: string, o: object): string => {
  const name = typeName(o)
  return tag + name.length + ":" + name
}
