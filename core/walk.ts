/**
 * The one walk over "arrays and plain objects at any depth", for every place that looks inside a
 * user's value: the argument scan and the template fill (args.ts), gather, and the worker's result
 * check and in-batch linking (run-batch.ts). Imports nothing of weft.
 *
 * What it guarantees, whoever calls it:
 * - It iterates with its own stack of frames: nesting depth is bounded by memory (or by
 *   `maxDepth`), never by the JavaScript call stack.
 * - A plain object is one whose prototype is `Object.prototype` or `null` (`isPlainObject`);
 *   arrays and plain objects are rebuilt, any other object is kept as it is unless `visit` asks
 *   to look inside it (a Map's keys and values, a Set's values, a class instance's own fields).
 * - A sub-object reached twice is walked once: its second occurrence gets the first one's result
 *   (so `x = { l: x, r: x }` 25 times costs 26 visits, not 2^25), and a cycle gets the original
 *   (copy on write) or the copy being built (`copy: "always"`, whose copy keeps all sharing, as
 *   structured clone would). Copy on write, a value of up to 16 containers is walked without
 *   that bookkeeping (its cost), so a small sub-object shared twice is walked, and copied, twice.
 * - A sparse array (longer than 65,536 with fewer own elements than its length) is walked by its
 *   own indices only, so `arr[1e8 - 1] = 1` costs one visit, and stays sparse in a copy.
 * - An own `__proto__` key stays an own key in a copy (defined, never assigned).
 * - A getter that throws becomes a `WalkError` naming the path (`reason: "getter"`).
 *
 * @internal
 */

/** True for objects whose prototype is `Object.prototype` or `null`: the one definition of a plain object. */
export const isPlainObject = (value: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** The kinds of objects that structured clone copies as they are, without looking at their fields. */
export const isCloneLeaf = (object: object): boolean =>
  ArrayBuffer.isView(object) ||
  object instanceof ArrayBuffer ||
  object instanceof Date ||
  object instanceof RegExp ||
  object instanceof Error ||
  object instanceof Number ||
  object instanceof String ||
  object instanceof Boolean ||
  (typeof SharedArrayBuffer === "function" && object instanceof SharedArrayBuffer)

/** Arrays up to this length are walked index by index, holes included (read as `undefined`). */
export const sparseFrom = 65_536

const canonicalIndex = /^(?:0|[1-9]\d*)$/

/**
 * The own indices of a sparse array (ascending, as strings), or `undefined` when it is walked
 * index by index: up to `sparseFrom` elements, or when every index is an own element.
 */
export function ownIndices(array: ArrayLike<unknown>): string[] | undefined {
  const n = array.length
  if (n <= sparseFrom) return undefined
  const keys = Object.keys(array)
  // Object.keys lists the integer indices first, in ascending order, then the other keys.
  let count = 0
  while (count < keys.length && canonicalIndex.test(keys[count]) && Number(keys[count]) < n) count++
  if (count === n) return undefined
  keys.length = count
  return keys
}

/** Sets `target[key] = value` as an own data property, also when `key` is `"__proto__"`. */
export function setOwn(target: object, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  else (target as Record<string, unknown>)[key] = value
}

const identifier = /^[A-Za-z_$][\w$]*$/

/** `path.key`, or `path["a key"]` when the key is not an identifier. */
export const keyPath = (path: string, key: string): string =>
  identifier.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`

/** What `visit` returns to have the walk look inside the value (rebuilding arrays and plain objects). */
export const descend: unique symbol = Symbol("weft/walk.descend") as never
/** What `visit` returns to leave the value out of the rebuilt container (a hole in a sparse array). */
export const omit: unique symbol = Symbol("weft/walk.omit") as never
/** What `visit` returns to end the walk at once: `walk` then returns `stop`. */
export const stop: unique symbol = Symbol("weft/walk.stop") as never

/** Where `visit` is: the path of the value (computed only when asked) and whether a kept container holds it. */
export interface Place {
  /** Inside a container that is kept as it is (a Map, a Set, a class instance): a replacement would be lost. */
  readonly opaque: boolean
  /** How many containers hold the value. */
  readonly depth: number
  /** The value's path from the root, such as `args[0].items[3]` (long paths are shortened in the middle). */
  path(): string
}

/** A value the walk could not go through: nested deeper than `maxDepth`, or a getter that threw. */
export class WalkError extends TypeError {
  constructor(
    message: string,
    /** The path of the value (shortened in the middle when long). */
    readonly path: string,
    readonly reason: "depth" | "getter",
    cause?: unknown
  ) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = "TypeError"
  }
}

/** How to walk. */
export interface WalkOptions {
  /** The root's name in paths (`args`, `result`). */
  readonly root: string
  /**
   * `"on-write"` (default): a container comes back as it is unless something inside it was
   * replaced. `"always"`: arrays and plain objects are always copied.
   */
  readonly copy?: "on-write" | "always"
  /** Containers nested deeper than this throw a `WalkError` (`reason: "depth"`). */
  readonly maxDepth?: number
  /**
   * Called for every object, function and symbol (primitives are kept as they are). Returns
   * `descend`, `omit`, `stop`, or the value to put in its place (the value itself to keep it).
   * A container met again (shared, or a cycle) is visited again, but not descended into again.
   */
  readonly visit: (value: unknown, at: Place) => unknown
}

const DenseArray = 0
const SparseArray = 1
const Record = 2
const Entries = 3

interface Frame {
  readonly source: object
  readonly kind: typeof DenseArray | typeof SparseArray | typeof Record | typeof Entries
  /** Sparse indices, record keys; undefined for a dense array and for entries. */
  readonly keys: readonly string[] | undefined
  /** Entries: the children to look at (a Map's keys and values, a Set's values, own fields). */
  readonly items: readonly unknown[] | undefined
  /** Entries: the label of child i in paths. */
  readonly label: ((i: number) => string) | undefined
  readonly n: number
  /** The child being walked is `i - 1`. */
  i: number
  /** The copy, once one is needed. */
  out: unknown[] | Record<string, unknown> | undefined
  readonly opaque: boolean
}

/** Runs `options.visit` over `root` and the containers it descends into; returns the rebuilt root (or `stop`). */
export function walk(root: unknown, options: WalkOptions): unknown {
  return new Walk(options).run(root)
}

class Walk implements Place {
  readonly frames: Frame[] = []
  /**
   * Containers descended into: their result once done, their copy (or themselves) while in
   * progress. Made on the 17th container (at once when always copying, so that a copy keeps all
   * sharing): until then, cycles are found on the path of frames, and a small value shared twice
   * is simply walked twice, which costs less than the Map.
   */
  results: Map<object, unknown> | undefined
  opened = 0
  readonly always: boolean
  readonly maxDepth: number
  opaque = false

  constructor(readonly options: WalkOptions) {
    this.always = options.copy === "always"
    this.maxDepth = options.maxDepth ?? Infinity
    if (this.always) this.results = new Map()
  }

  /** The result of a container met before (shared or a cycle), or `notFound`. */
  known(o: object): unknown {
    const results = this.results
    if (results !== undefined) return results.has(o) ? results.get(o) : notFound
    const frames = this.frames
    // Only copy on write gets here: a cycle keeps the original (its copy may not have started).
    for (let j = 0; j < frames.length; j++) if (frames[j].source === o) return o
    return notFound
  }

  get depth(): number {
    return this.frames.length
  }

  path(): string {
    let path = this.options.root
    for (const frame of this.frames) path += childLabel(frame)
    return path.length <= 200 ? path : `${path.slice(0, 90)}…${path.slice(-90)}`
  }

  run(root: unknown): unknown {
    const frames = this.frames
    const visit = this.options.visit
    let v = root
    for (;;) {
      let r: unknown = v
      const type = typeof v
      if ((type === "object" && v !== null) || type === "function" || type === "symbol") {
        r = visit(v, this)
        if (r === stop) return stop
        if (r === descend) {
          r = this.known(v as object)
          if (r === notFound) {
            const frame = this.open(v as object)
            if (frame.n > 0) {
              v = this.child(frame)
              continue
            }
            r = this.close(frame)
          }
        }
      }
      // Hand r to the parent; close the frames that are done.
      for (;;) {
        if (frames.length === 0) return r
        const frame = frames[frames.length - 1]
        if (frame.kind !== Entries) this.accept(frame, v, r)
        if (frame.i < frame.n) {
          v = this.child(frame)
          break
        }
        r = this.close(frame)
        v = frame.source
      }
    }
  }

  open(source: object): Frame {
    const frames = this.frames
    if (frames.length >= this.maxDepth) {
      throw new WalkError(`${this.path()} is nested more than ${this.maxDepth} levels deep`, this.path(), "depth")
    }
    let frame: Frame
    const opaque = this.opaque
    if (Array.isArray(source)) {
      const keys = ownIndices(source)
      frame = {
        source,
        kind: keys === undefined ? DenseArray : SparseArray,
        keys,
        items: undefined,
        label: undefined,
        n: keys?.length ?? source.length,
        i: 0,
        out: undefined,
        opaque
      }
      if (this.always) frame.out = newArray(frame)
    } else if (isPlainObject(source)) {
      const keys = Object.keys(source)
      frame = {
        source,
        kind: Record,
        keys,
        items: undefined,
        label: undefined,
        n: keys.length,
        i: 0,
        out: undefined,
        opaque
      }
      if (this.always) frame.out = {}
    } else {
      let entries: { items: unknown[]; label: (i: number) => string }
      try {
        entries = entriesOf(source)
      } catch (error) {
        if (!(error instanceof GetterError)) throw error
        const path = keyPath(this.path(), error.key)
        throw new WalkError(`${path} could not be read: its getter threw ${error.detail}`, path, "getter", error.error)
      }
      const { items, label } = entries
      frame = {
        source,
        kind: Entries,
        keys: undefined,
        items,
        label,
        n: items.length,
        i: 0,
        out: undefined,
        opaque: true
      }
    }
    frames.push(frame)
    this.opaque = frame.opaque
    if (this.results !== undefined) this.results.set(source, frame.out ?? source)
    else if (++this.opened > 16) this.results = new Map(frames.map((f) => [f.source, f.out ?? f.source]))
    return frame
  }

  /** Reads the frame's next child. */
  child(frame: Frame): unknown {
    const i = frame.i++
    if (frame.kind === Entries) return frame.items![i]
    const key = frame.kind === DenseArray ? i : frame.keys![i]
    try {
      return (frame.source as Record<string | number, unknown>)[key]
    } catch (error) {
      const path = this.path()
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      throw new WalkError(`${path} could not be read: its getter threw ${detail}`, path, "getter", error)
    }
  }

  /** Puts the result `r` of child `frame.i - 1` (whose value was `v`) into the frame's copy. */
  accept(frame: Frame, v: unknown, r: unknown): void {
    if (frame.out === undefined) {
      if (r === v) return
      frame.out = this.copyUpTo(frame)
    }
    if (r === omit) return
    const out = frame.out
    if (frame.kind === DenseArray) (out as unknown[]).push(r)
    else if (frame.kind === SparseArray) (out as unknown[])[Number(frame.keys![frame.i - 1])] = r
    else setOwn(out, frame.keys![frame.i - 1], r)
  }

  /** A copy holding the children before the current one, which came back unchanged. */
  copyUpTo(frame: Frame): unknown[] | Record<string, unknown> {
    const source = frame.source as Record<string, unknown>
    const before = frame.i - 1
    if (frame.kind === DenseArray) return (source as unknown as unknown[]).slice(0, before)
    const out = frame.kind === SparseArray ? newArray(frame) : {}
    for (let j = 0; j < before; j++) {
      const key = frame.keys![j]
      if (frame.kind === SparseArray) (out as unknown[])[Number(key)] = source[key]
      else setOwn(out, key, source[key])
    }
    return out
  }

  close(frame: Frame): unknown {
    this.frames.pop()
    const top = this.frames[this.frames.length - 1]
    this.opaque = top !== undefined && top.opaque
    const result = frame.out ?? frame.source
    this.results?.set(frame.source, result)
    return result
  }
}

const notFound: unique symbol = Symbol("notFound")

function newArray(frame: Frame): unknown[] {
  const out: unknown[] = []
  if (frame.kind === SparseArray) out.length = (frame.source as unknown[]).length
  return out
}

/** The label of the child a frame is walking, in paths. */
function childLabel(frame: Frame): string {
  const i = frame.i - 1
  if (frame.kind === DenseArray) return `[${i}]`
  if (frame.kind === SparseArray) return `[${frame.keys![i]}]`
  if (frame.kind === Record) return keyPath("", frame.keys![i])
  return frame.label!(i)
}

/** What a kept container holds, for `visit` to look at: a Map's keys and values, a Set's values, own fields. */
function entriesOf(source: object): { items: unknown[]; label: (i: number) => string } {
  if (source instanceof Map) {
    const items: unknown[] = []
    for (const [k, v] of source) items.push(k, v)
    return {
      items,
      label: (i) => {
        const key = items[i - (i % 2)]
        const name = typeof key === "string" || typeof key === "number" ? JSON.stringify(key) : `<key ${i >> 1}>`
        return i % 2 === 0 ? `.keys()[${i >> 1}]` : `.get(${name})`
      }
    }
  }
  if (source instanceof Set) return { items: [...source], label: (i) => `.values()[${i}]` }
  const keys = Object.keys(source)
  const items = new Array<unknown>(keys.length)
  for (let i = 0; i < keys.length; i++) {
    try {
      items[i] = (source as Record<string, unknown>)[keys[i]]
    } catch (error) {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      // Reported like a getter of a plain object: the path of the field.
      throw new GetterError(keys[i], detail, error)
    }
  }
  return { items, label: (i) => keyPath("", keys[i]) }
}

/** A getter of a kept container threw while its fields were listed; `open` turns it into a `WalkError`. */
class GetterError {
  constructor(
    readonly key: string,
    readonly detail: string,
    readonly error: unknown
  ) {}
}
