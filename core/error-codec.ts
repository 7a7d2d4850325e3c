/**
 * The one place where a thrown value becomes plain data (in the worker) and data becomes an error
 * again (on the client), after tRPC's `getTRPCErrorFromUnknown`.
 *
 * Why not let the structured clone carry errors: tinypool loses custom classes and every own field
 * (`code`, `_tag`, ...) of a thrown error, and a value that cannot be cloned kills the reply. So the
 * worker encodes every failure itself into an `EncodedError`, which always clones.
 *
 * Rules worth knowing:
 * - Own enumerable properties of an error travel when each can be structured-cloned, and is not
 *   nested deeper than the client can read (`maxNesting`); the others are dropped silently (a
 *   function, a socket, a 5,000-node linked list, ...). `_tag` travels even when inherited, because
 *   `Data.TaggedError` may keep it on the prototype.
 * - The `value` key is present exactly when what was thrown is not an Error. It holds the value
 *   when it can be cloned and `undefined` otherwise (the message then has its rendering).
 * - `cause` chains are followed to depth 8 and stop at a cycle; messages and stacks are cut at
 *   20,000 characters each. Stacks lose weft's and tinypool's frames first (`clean-stack.ts`). A cause that is not an Error and cannot be cloned comes back as the
 *   fields of it that can (a plain object) or as its rendering (anything else).
 *
 * @internal
 */
import { rebuiltClasses, TaskDefinitionError, TaskError, taskErrorMarker } from "./errors.js"
import { cleanStack } from "./clean-stack.js"
import type { EncodedError } from "./protocol.js"
import { maxNesting } from "./args.js"
import { descend, walk, WalkError } from "./walk.js"

/** Where a rebuilt error keeps the worker's stack; `Future.traceback()` reads it. */
export const tracebackSymbol: unique symbol = Symbol.for("weft/traceback") as never

/** Where a rebuilt error keeps its `EncodedError["kind"]` (`"typed"` tells an Effect's `E` from a defect). */
export const errorKindSymbol: unique symbol = Symbol.for("weft/errorKind") as never

/** Longest message or stack kept, in characters. */
export const maxTextLength = 20_000

/** How deep `cause` and `AggregateError.errors` are followed. */
const maxDepth = 8

/** Longest rendering of a non-string thrown value, in characters. */
const maxRenderLength = 1_000

type Builtin =
  "Error" | "TypeError" | "RangeError" | "SyntaxError" | "ReferenceError" | "EvalError" | "URIError" | "AggregateError"

const builtins: ReadonlySet<string> = new Set<Builtin>([
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ReferenceError",
  "EvalError",
  "URIError",
  "AggregateError"
])

/** Keys that `encodeError` carries in their own fields, so never in `props`. */
const ownFields: ReadonlySet<string> = new Set(["name", "message", "stack", "cause", "errors"])

const objectToString = Object.prototype.toString

/** True for Errors from this realm and from others (a `vm` context). */
const isError = (value: unknown): value is Error =>
  value instanceof Error ||
  (typeof value === "object" && value !== null && objectToString.call(value) === "[object Error]")

/** Reads a property that may be a throwing getter. */
const read = (target: object, key: PropertyKey): unknown => {
  try {
    return (target as Record<PropertyKey, unknown>)[key]
  } catch {
    return undefined
  }
}

const isCloneable = (value: unknown): boolean => {
  if (value === null || (typeof value !== "object" && typeof value !== "function" && typeof value !== "symbol"))
    return true
  try {
    structuredClone(value)
  } catch {
    return false
  }
  // A worker thread has more stack than the client: what it clones, the client may not read.
  return !nestedTooDeep(value as object)
}

/** True when `value` nests more than `maxNesting` containers (see docs/failures.md). */
const nestedTooDeep = (value: object): boolean => {
  try {
    walk(value, {
      root: "value",
      maxDepth: maxNesting,
      visit: (v) => (typeof v === "object" && v !== null && !ArrayBuffer.isView(v) ? descend : v)
    })
    return false
  } catch (error) {
    return error instanceof WalkError && error.reason === "depth"
  }
}

const cut = (text: string): { text: string; cut: boolean } =>
  text.length <= maxTextLength
    ? { text, cut: false }
    : { text: `${text.slice(0, maxTextLength)}… [weft cut ${text.length - maxTextLength} characters]`, cut: true }

/** A short readable rendering of any value, for messages. Never throws. */
export function renderValue(value: unknown): string {
  try {
    switch (typeof value) {
      case "string":
        return value
      case "bigint":
        return `${value}n`
      case "symbol":
        return value.toString()
      case "function":
        return `[function ${value.name || "anonymous"}]`
      case "object": {
        if (value === null) return "null"
        let json: string | undefined
        try {
          json = JSON.stringify(value)
        } catch {
          json = undefined
        }
        const kind = nameOfValue(value)
        const text =
          json === undefined
            ? objectToString.call(value)
            : kind === "Object" || kind === "Array"
              ? json
              : `${kind} ${json}`
        return text.length > maxRenderLength ? `${text.slice(0, maxRenderLength)}…` : text
      }
      default:
        return String(value)
    }
  } catch {
    return "[a value that cannot be rendered]"
  }
}

/** The name a non-Error value is reported under: `typeof`, `"null"`, or its class name for objects. */
const nameOfValue = (value: unknown): string => {
  if (value === null) return "null"
  if (typeof value !== "object") return typeof value
  if (Array.isArray(value)) return "Array"
  const ctor = read(value, "constructor")
  const name = typeof ctor === "function" ? read(ctor, "name") : undefined
  return typeof name === "string" && name !== "" ? name : "Object"
}

/** The global class to rebuild `error` with, when it is one (exactly, or a subclass that kept its name). */
const builtinOf = (error: Error, name: string): Builtin | undefined => {
  const ctor = read(error, "constructor")
  const ctorName = typeof ctor === "function" ? read(ctor, "name") : undefined
  if (typeof ctorName === "string" && builtins.has(ctorName)) return ctorName as Builtin
  // Node's own errors (`ERR_INVALID_ARG_TYPE`) are subclasses named like the built-in.
  if (builtins.has(name)) {
    const global = (globalThis as Record<string, unknown>)[name]
    if (typeof global === "function" && error instanceof global) return name as Builtin
  }
  return undefined
}

/**
 * The name an error is reported under: its `name`, or its class's name when `name` is the default
 * it inherits from a built-in class (`class QuotaError extends Error {}` never sets `this.name`;
 * Dask keeps the exception's type, so weft keeps the class name).
 */
const className = (error: Error, name: string): string => {
  if (!builtins.has(name) || Object.prototype.hasOwnProperty.call(error, "name")) return name
  const ctor = read(error, "constructor")
  const ctorName = typeof ctor === "function" ? read(ctor, "name") : undefined
  return typeof ctorName === "string" && ctorName !== "" ? ctorName : name
}

/** The own enumerable properties of `source` that clone, except `skip`. */
const cloneableProps = (source: object, skip: ReadonlySet<string>): Record<string, unknown> => {
  const props: Record<string, unknown> = {}
  let keys: string[]
  try {
    keys = Object.keys(source)
  } catch {
    return props
  }
  for (const key of keys) {
    if (skip.has(key)) continue
    const value = read(source, key)
    if (isCloneable(value))
      Object.defineProperty(props, key, { value, enumerable: true, writable: true, configurable: true })
  }
  return props
}

const noFields: ReadonlySet<string> = new Set()
const isPlainObject = (value: unknown): value is object => {
  if (typeof value !== "object" || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Turns anything a task threw into cloneable data. Used in the worker; never throws.
 *
 * `kind` says how it failed (default `"thrown"`): `"typed"` for an Effect's error channel,
 * `"definition"` when the function could not be found or compiled, `"interrupted"`.
 */
export function encodeError(thrown: unknown, kind: EncodedError["kind"] = "thrown"): EncodedError {
  try {
    return encode(thrown, kind, 0, new Set())
  } catch {
    // Only a hostile value (a Proxy throwing from every trap) gets here.
    return { kind, name: "Error", message: "weft could not read the error the task threw", props: {} }
  }
}

function encode(thrown: unknown, kind: EncodedError["kind"], depth: number, seen: Set<unknown>): EncodedError {
  if (!isError(thrown)) return encodeValue(thrown, kind)
  seen.add(thrown)
  const rawName = read(thrown, "name")
  const inherited = typeof rawName === "string" && rawName !== "" ? rawName : "Error"
  const name = className(thrown, inherited)
  const rawMessage = read(thrown, "message")
  const message = cut(typeof rawMessage === "string" ? rawMessage : renderValue(rawMessage))
  const rawStack = read(thrown, "stack")
  // Without weft's and tinypool's frames: the user's traceback shows the user's code (clean-stack.ts).
  const stack = typeof rawStack === "string" ? cut(cleanStack(rawStack)) : undefined
  const props = cloneableProps(thrown, ownFields)
  if (!("_tag" in props)) {
    const tag = read(thrown, "_tag")
    if (typeof tag === "string") props._tag = tag
  }
  // A subclass of TypeError (say) is rebuilt as a TypeError under its own name; of Error, like any named class.
  const inheritedBuiltin = builtinOf(thrown, inherited)
  const builtin = name !== inherited && inheritedBuiltin === "Error" ? undefined : inheritedBuiltin

  let cause: EncodedError["cause"]
  const rawCause = read(thrown, "cause")
  if (rawCause !== undefined && depth < maxDepth && !seen.has(rawCause)) {
    cause = isError(rawCause)
      ? encode(rawCause, "thrown", depth + 1, seen)
      : {
          value: isCloneable(rawCause)
            ? rawCause
            : isPlainObject(rawCause)
              ? cloneableProps(rawCause, noFields)
              : renderValue(rawCause)
        }
  }

  let errors: EncodedError[] | undefined
  const rawErrors = read(thrown, "errors")
  if (
    Array.isArray(rawErrors) &&
    (builtin === "AggregateError" || thrown instanceof AggregateError) &&
    depth < maxDepth
  ) {
    errors = []
    for (const inner of rawErrors) if (!seen.has(inner)) errors.push(encode(inner, "thrown", depth + 1, seen))
  } else if (rawErrors !== undefined && isCloneable(rawErrors)) props.errors = rawErrors

  const encoded: { -readonly [K in keyof EncodedError]: EncodedError[K] } = { kind, name, message: message.text, props }
  if (stack !== undefined) encoded.stack = stack.text
  if (builtin !== undefined) encoded.builtin = builtin
  if (cause !== undefined) encoded.cause = cause
  if (errors !== undefined) encoded.errors = errors
  if (message.cut || stack?.cut) encoded.truncated = true
  return encoded
}

function encodeValue(thrown: unknown, kind: EncodedError["kind"]): EncodedError {
  const message = cut(renderValue(thrown))
  const cloneable = isCloneable(thrown)
  const props =
    typeof thrown === "object" && thrown !== null && !Array.isArray(thrown) ? cloneableProps(thrown, ownFields) : {}
  const encoded: { -readonly [K in keyof EncodedError]: EncodedError[K] } = {
    kind,
    name: nameOfValue(thrown),
    message: message.text,
    props,
    value: cloneable ? thrown : undefined
  }
  if (message.cut) encoded.truncated = true
  return encoded
}

const hidden = (target: object, key: PropertyKey, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: false, writable: true, configurable: true })
}

/**
 * Rebuilds the error a task threw, on the client. Never throws.
 *
 * - `kind: "definition"` gives a `TaskDefinitionError`;
 * - a built-in class (`TypeError`, ...) gives that class;
 * - any other class gives a `TaskError` whose `name` is the original name;
 * - a thrown non-Error value gives a `TaskError` ("Task threw a non-Error value: ...") with `value`.
 *
 * Then own properties, `cause`, `errors` and the worker's `stack` are put back, and every result is
 * `instanceof TaskError`. The worker stack is also kept under `tracebackSymbol`.
 */
export function decodeError(encoded: EncodedError): Error {
  return decode(encoded, 0)
}

function decode(encoded: EncodedError, depth: number): Error {
  const isValue = "value" in encoded
  const props: Record<string, unknown> = encoded.props ?? {}
  let error: Error
  if (encoded.kind === "definition") {
    const details = (typeof props.details === "object" && props.details !== null ? props.details : props) as Record<
      string,
      unknown
    >
    error = new TaskDefinitionError(encoded.message, {
      ...(typeof details.task === "string" ? { task: details.task } : {}),
      ...(typeof details.identifier === "string" ? { identifier: details.identifier } : {})
    })
  } else if (isValue) {
    error = new TaskError(`Task threw a non-Error value: ${encoded.message}`)
    hidden(error, "name", "TaskError")
  } else if (encoded.builtin !== undefined && builtins.has(encoded.builtin)) {
    if (encoded.builtin === "AggregateError") {
      const inner = depth < maxDepth ? (encoded.errors ?? []).map((e) => decode(e, depth + 1)) : []
      error = new AggregateError(inner, encoded.message)
    } else {
      const Ctor = (globalThis as unknown as Record<string, new (message: string) => Error>)[encoded.builtin]
      error = new Ctor(encoded.message)
    }
    if (error.name !== encoded.name) hidden(error, "name", encoded.name)
  } else {
    error = new TaskError(encoded.message)
    hidden(error, "name", encoded.name)
    // One of weft's own errors raised in a worker (LostResultError, ClusterMemoryError, ...): its class.
    const own = typeof props._tag === "string" ? rebuiltClasses[props._tag] : undefined
    if (own !== undefined && own.name === encoded.name) Object.setPrototypeOf(error, own.prototype)
  }

  for (const key of Object.keys(props)) {
    // `details` is already in the TaskDefinitionError; never touch a prototype through `__proto__`.
    // An own `constructor` field would replace the real one: rebuilt errors always keep their class's.
    if (key === "__proto__" || key === "constructor" || (encoded.kind === "definition" && key === "details")) continue
    Object.defineProperty(error, key, { value: props[key], enumerable: true, writable: true, configurable: true })
  }
  if (isValue)
    Object.defineProperty(error, "value", {
      value: encoded.value,
      enumerable: true,
      writable: true,
      configurable: true
    })
  if (encoded.cause !== undefined) {
    const cause = encoded.cause
    hidden(
      error,
      "cause",
      "kind" in cause && depth < maxDepth
        ? decode(cause as EncodedError, depth + 1)
        : (cause as { value: unknown }).value
    )
  }
  if (encoded.errors !== undefined && encoded.builtin !== "AggregateError" && depth < maxDepth) {
    hidden(
      error,
      "errors",
      encoded.errors.map((e) => decode(e, depth + 1))
    )
  }
  // The local stack would point at this decoder; the worker's is the one that helps.
  hidden(error, "stack", encoded.stack ?? `${error.name}: ${error.message}`)
  // TaskError's constructor already set it (non-configurable); the other classes need it.
  if (!(taskErrorMarker in error)) hidden(error, taskErrorMarker, true)
  hidden(error, tracebackSymbol, encoded.stack)
  hidden(error, errorKindSymbol, encoded.kind)
  return error
}
