/**
 * Reads a call's arguments once at submission: finds the Futures inside them (at any depth of
 * arrays and plain objects), refuses values that structured clone cannot carry, and builds the
 * template that the engine fills with the inputs' values when the task is dispatched.
 *
 * @internal
 */

import { types } from "node:util"
import { descend, isCloneLeaf, isPlainObject, walk, WalkError, type Place } from "./walk.js"
import { isInput, type Branded } from "./brand.js"

export { delayedBrand, futureBrand, isInput, type Branded } from "./brand.js"

const isProxy = types.isProxy

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

/** Containers nested deeper than this are refused: a worker could not receive them (see docs/failures.md). */
export const maxNesting = 1000

/**
 * Why 1,000: V8's structured clone (and Node's `advanced` IPC serialization, which uses the same
 * serializer) recurses once per nested object on the receiving thread's call stack, and a main
 * thread runs out of it at about 1,900 nested plain objects (3,200 nested arrays), measured on
 * Node 20. A message it cannot read is dropped by the receiver and its batch would never settle.
 * 1,000 leaves room for the few levels of the batch around the value; it is Python's default
 * recursion limit too, which is what pickling in Dask runs into.
 */
const nestingHelp =
  `(a worker could not receive it: structured clone runs out of stack at about 1,900 nested objects). ` +
  `Flatten it, e.g. a linked list into an array of values, or a tree into an array of nodes that refer to each other by index.`

/** Classes already named in a WEFT_CLASS_INSTANCE warning: it is emitted once per class. */
const warnedClasses = new WeakSet<object>()

/** The hints of templates that hold class instances, for the error of a task that fails with a TypeError. */
const classHints = new WeakMap<object, string>()

class Scan {
  inputs: Branded[] | undefined
  hint: string | undefined
  constructor(readonly where: string) {}

  input(future: Branded): InputRef {
    const inputs = (this.inputs ??= [])
    let index = inputs.indexOf(future)
    if (index < 0) index = inputs.push(future) - 1
    return new InputRef(index)
  }

  readonly visit = (value: unknown, at: Place): unknown => {
    const type = typeof value
    if (type === "function") throw uncloneable(this.where, at.path(), "a function")
    if (type === "symbol") throw uncloneable(this.where, at.path(), "a symbol")
    const object = value as object
    if (isInput(object)) {
      if (at.opaque) {
        throw new TypeError(
          `${this.where}: ${at.path()} is a Future or Delayed inside a Map, Set or class instance, where it would reach the task as it is. ` +
            `Put them in arrays or plain objects (they are replaced by their values there), or gather the value first.`
        )
      }
      return this.input(object as Branded)
    }
    if (isProxy(object)) throw uncloneable(this.where, at.path(), "a Proxy")
    if (Array.isArray(object) || isPlainObject(object)) return descend
    return this.check(object, at)
  }

  /** Objects kept as they are: refuses what structured clone refuses, looks inside the others. */
  check(object: object, at: Place): unknown {
    if (object instanceof Promise)
      throw uncloneable(this.where, at.path(), "a Promise (await it first, or pass a Future)")
    if (object instanceof WeakMap || object instanceof WeakSet || object instanceof WeakRef) {
      throw uncloneable(this.where, at.path(), `a ${object.constructor.name}`)
    }
    // Cloneable only when transferred, which weft does not do for arguments.
    if (object instanceof MessagePort || (typeof ReadableStream !== "undefined" && object instanceof ReadableStream)) {
      throw uncloneable(this.where, at.path(), `a ${object.constructor.name} (it can only be transferred, not copied)`)
    }
    if (isCloneLeaf(object)) return object
    if (!(object instanceof Map) && !(object instanceof Set)) this.classInstance(object, at)
    return descend
  }

  /** A class instance crosses as its own fields: say so once per class, and keep a hint for the task's error. */
  classInstance(object: object, at: Place): void {
    const proto = Object.getPrototypeOf(object) as { constructor?: unknown }
    const ctor = typeof proto.constructor === "function" ? proto.constructor : proto
    const warned = warnedClasses.has(ctor)
    // A map over many instances of one class: the path and text are built once, not per item.
    if (warned && this.hint !== undefined) return
    const name = typeof ctor === "function" && ctor.name !== "" ? `class ${ctor.name}` : "a class"
    const text =
      `${at.path()} is an instance of ${name}: only its own fields reach the task, as a plain object ` +
      `(its methods, getters and prototype stay behind).`
    this.hint ??= text
    if (warned) return
    warnedClasses.add(ctor)
    process.emitWarning(`${this.where}: ${text} Pass plain data, or rebuild the instance inside the task.`, {
      code: "WEFT_CLASS_INSTANCE",
      detail: "weft warns once per class."
    })
  }
}

/** The error for a value nested deeper than `maxNesting` (the same for arguments and scattered values). */
const tooDeep = (where: string, path: string): TypeError =>
  new TypeError(`${where}: ${path} is nested more than ${maxNesting.toLocaleString("en")} levels deep ${nestingHelp}`)

/**
 * Throws a `TypeError` when `value` nests more than `maxNesting` containers (a scattered value:
 * `where` names the call, `path` the value). Getters are not this check's business.
 */
export function assertNesting(value: unknown, where: string, path: string): void {
  if (typeof value !== "object" || value === null) return
  try {
    walk(value, {
      root: path,
      maxDepth: maxNesting,
      visit: (v) => (typeof v === "object" && v !== null && !ArrayBuffer.isView(v) ? descend : v)
    })
  } catch (error) {
    if (error instanceof WalkError && error.reason === "depth") {
      throw tooDeep(where, error.path)
    }
  }
}

/** `error` with the class-instance hint of `template` added to its message, when it is a TypeError and there is one. */
export function withClassHint<E extends Error>(error: E, template: ReadonlyArray<unknown>): E {
  const hint = classHints.get(template)
  if (hint === undefined || error.name !== "TypeError" || typeof error.message !== "string") return error
  Object.defineProperty(error, "message", {
    value: `${error.message}\n(weft: ${hint})`,
    enumerable: false,
    writable: true,
    configurable: true
  })
  return error
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
  const flat = scanFlat(args)
  if (flat !== undefined) return flat
  const scan = new Scan(where)
  let template: ReadonlyArray<unknown>
  try {
    template = walk(args, { root: "args", visit: scan.visit, maxDepth: maxNesting + 1 }) as ReadonlyArray<unknown>
  } catch (error) {
    if (!(error instanceof WalkError)) throw error
    if (error.reason === "depth") throw tooDeep(where, error.path)
    throw new TypeError(`${where}: ${error.message}. Pass plain data, or read the value first.`, { cause: error.cause })
  }
  if (scan.hint !== undefined) classHints.set(template, scan.hint)
  return { template, inputs: scan.inputs ?? noInputs }
}

/**
 * `scanArgs` of arguments that are primitives and Futures/Delayeds only (a graph's task: `add(x, y)`),
 * without the walk: the same template (each input an `InputRef`, in a new array) and inputs.
 * Undefined when another object, a function, a symbol or a hole is among them.
 */
function scanFlat(args: ReadonlyArray<unknown>): ScannedArgs | undefined {
  const n = args.length
  let found = 0
  for (let i = 0; i < n; i++) {
    const value = args[i]
    const type = typeof value
    if (type === "function" || type === "symbol" || (value === undefined && !(i in args))) return undefined
    if (type !== "object" || value === null) continue
    if (!isInput(value as object)) return undefined
    found++
  }
  if (found === 0) return undefined
  // An array of the right size at once (a push would grow it to 17 slots): a graph task has one or two inputs.
  const inputs: Branded[] = new Array(found)
  let distinct = 0
  const template: unknown[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const value = args[i]
    if (typeof value !== "object" || value === null) {
      template[i] = value
      continue
    }
    let index = 0
    while (index < distinct && inputs[index] !== value) index++
    if (index === distinct) inputs[distinct++] = value as Branded
    template[i] = sharedRef(index)
  }
  inputs.length = distinct
  return { template, inputs }
}

/** `InputRef(index)`, one object per index for every template (an InputRef is never changed). */
const sharedRefs: InputRef[] = []
const sharedRef = (index: number): InputRef => (sharedRefs[index] ??= new InputRef(index))

/** Fills a template with the inputs' values (a new structure; the template is kept for retries). */
export function fillTemplate(template: ReadonlyArray<unknown>, values: ReadonlyArray<unknown>): unknown[] {
  return fill(template, values) as unknown[]
}

/** Copy-on-write: containers without an `InputRef` inside come back as they are. */
function fill(template: ReadonlyArray<unknown>, values: ReadonlyArray<unknown>): unknown {
  // Fast path: the arguments themselves are primitives and Futures, as in `submit(inc, x)`.
  let flat = true
  for (let i = 0; i < template.length; i++) {
    const item = template[i]
    if (typeof item === "object" && item !== null && !(item instanceof InputRef)) {
      flat = false
      break
    }
  }
  if (flat) {
    const out = new Array<unknown>(template.length)
    for (let i = 0; i < template.length; i++) {
      const item = template[i]
      out[i] = item instanceof InputRef ? values[item.index] : item
    }
    return out
  }
  return walk(template, {
    root: "args",
    visit: (value) => {
      if (value instanceof InputRef) return values[value.index]
      return typeof value === "object" && value !== null && (Array.isArray(value) || isPlainObject(value))
        ? descend
        : value
    }
  })
}
