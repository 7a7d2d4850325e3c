/**
 * Reads a call's arguments once at submission: finds the Futures inside them (at any depth of
 * arrays and plain objects), refuses values that structured clone cannot carry, and builds the
 * template that the engine fills with the inputs' values when the task is dispatched.
 *
 * @internal
 */

/** Brand carried by every Future, so that this module needs no import of the Future class. */
export const futureBrand: unique symbol = Symbol.for("weft/Future") as never

/** Brand carried by every Delayed (a lazy call): an input like a Future, computed first. */
export const delayedBrand: unique symbol = Symbol.for("weft/Delayed") as never

/** A Future or a Delayed: what stands for a value that the cluster computes. */
export type Branded = { readonly [futureBrand]: true } | { readonly [delayedBrand]: true }

/** True for Futures and Delayeds. */
export const isInput = (value: object): value is Branded => futureBrand in value || delayedBrand in value

/** The place of an input's value in an argument template: `inputs[index]`. */
export class InputRef {
  constructor(readonly index: number) {}
}

/** What `scanArgs` found. */
export interface ScannedArgs {
  /** The arguments, with every Future replaced by an `InputRef`; the given array itself when there were none. */
  readonly template: ReadonlyArray<unknown>
  /** The distinct Futures found, in order of first appearance (`InputRef.index` points here). */
  readonly inputs: ReadonlyArray<Branded>
}

const noInputs: ReadonlyArray<Branded> = Object.freeze([])

const uncloneable = (where: string, path: string, what: string) =>
  new TypeError(
    `${where}: ${path} is ${what}, which cannot be sent to a worker (arguments must survive structured clone). ` +
      `Pass plain data (numbers, strings, arrays, plain objects, Maps, typed arrays, ...) or a Future of it.`
  )

class Scan {
  inputs: Branded[] | undefined
  seen: Set<object> | undefined
  /** Inside a Map, Set or class instance: containers whose Futures would not be replaced. */
  opaque = 0
  constructor(readonly where: string) {}

  input(future: Branded): InputRef {
    const inputs = (this.inputs ??= [])
    let index = inputs.indexOf(future)
    if (index < 0) index = inputs.push(future) - 1
    return new InputRef(index)
  }

  /** Returns `value`, or a copy with Futures replaced when it contains any. */
  value(value: unknown, path: string): unknown {
    const type = typeof value
    if (type !== "object") {
      if (type === "function") throw uncloneable(this.where, path, "a function")
      if (type === "symbol") throw uncloneable(this.where, path, "a symbol")
      return value
    }
    if (value === null) return value
    const object = value as object
    if (isInput(object)) {
      if (this.opaque > 0) {
        throw new TypeError(
          `${this.where}: ${path} is a Future or Delayed inside a Map, Set or class instance, where it would reach the task as it is. ` +
            `Put them in arrays or plain objects (they are replaced by their values there), or gather the value first.`
        )
      }
      return this.input(object as Branded)
    }
    const seen = (this.seen ??= new Set())
    if (seen.has(object)) return value // a cycle: structured clone keeps it, nothing to replace
    seen.add(object)
    try {
      if (Array.isArray(object)) return this.array(object, path)
      const proto = Object.getPrototypeOf(object)
      if (proto === Object.prototype || proto === null) return this.record(object as Record<string, unknown>, path)
      this.opaque++
      try {
        this.check(object, path)
      } finally {
        this.opaque--
      }
      return value
    } finally {
      seen.delete(object)
    }
  }

  array(array: ReadonlyArray<unknown>, path: string): unknown {
    let copy: unknown[] | undefined
    for (let i = 0; i < array.length; i++) {
      const item = array[i]
      const next = this.value(item, `${path}[${i}]`)
      if (copy === undefined && next !== item) copy = array.slice(0, i)
      if (copy !== undefined) copy.push(next)
    }
    return copy ?? array
  }

  record(object: Record<string, unknown>, path: string): unknown {
    let copy: Record<string, unknown> | undefined
    for (const key of Object.keys(object)) {
      const item = object[key]
      const next = this.value(item, `${path}.${key}`)
      if (copy === undefined && next !== item) copy = { ...object }
      if (copy !== undefined) copy[key] = next
    }
    return copy ?? object
  }

  /** Values kept as they are: only refuse what structured clone refuses. */
  check(object: object, path: string): void {
    if (object instanceof Promise) throw uncloneable(this.where, path, "a Promise (await it first, or pass a Future)")
    if (object instanceof WeakMap || object instanceof WeakSet || object instanceof WeakRef) {
      throw uncloneable(this.where, path, `a ${object.constructor.name}`)
    }
    // Cloneable only when transferred, which weft does not do for arguments.
    if (object instanceof MessagePort || (typeof ReadableStream !== "undefined" && object instanceof ReadableStream)) {
      throw uncloneable(this.where, path, `a ${object.constructor.name} (it can only be transferred, not copied)`)
    }
    if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer || object instanceof Date || object instanceof RegExp) return
    if (object instanceof Map) {
      let i = 0
      for (const [k, v] of object) {
        this.value(k, `${path}<key ${i}>`)
        this.value(v, `${path}.get(${i})`)
        i++
      }
      return
    }
    if (object instanceof Set) {
      let i = 0
      for (const v of object) this.value(v, `${path}<item ${i++}>`)
      return
    }
    for (const key of Object.keys(object)) this.value((object as Record<string, unknown>)[key], `${path}.${key}`)
  }
}

/**
 * Scans a call's arguments. Throws `TypeError` naming the argument path when one cannot be cloned.
 * `where` names the call in messages, e.g. `submit(inc)`.
 */
export function scanArgs(args: ReadonlyArray<unknown>, where: string): ScannedArgs {
  // Fast path: the common map/submit call has only primitive arguments.
  let primitive = true
  for (let i = 0; i < args.length; i++) {
    const type = typeof args[i]
    if (type === "object" || type === "function" || type === "symbol") {
      primitive = false
      break
    }
  }
  if (primitive) return { template: args, inputs: noInputs }
  const scan = new Scan(where)
  const template = scan.array(args, "args") as ReadonlyArray<unknown>
  return { template, inputs: scan.inputs ?? noInputs }
}

/** Fills a template with the inputs' values (a new structure; the template is kept for retries). */
export function fillTemplate(template: ReadonlyArray<unknown>, values: ReadonlyArray<unknown>): unknown[] {
  return fill(template, values) as unknown[]
}

/** Copy-on-write: containers without an `InputRef` inside come back as they are. */
function fill(value: unknown, values: ReadonlyArray<unknown>): unknown {
  if (typeof value !== "object" || value === null) return value
  if (value instanceof InputRef) return values[value.index]
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const item = value[i]
      const next = fill(item, values)
      if (copy === undefined && next !== item) copy = value.slice(0, i)
      if (copy !== undefined) copy.push(next)
    }
    return copy ?? value
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  let copy: Record<string, unknown> | undefined
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key]
    const next = fill(item, values)
    if (copy === undefined && next !== item) copy = { ...(value as Record<string, unknown>) }
    if (copy !== undefined) copy[key] = next
  }
  return copy ?? value
}
