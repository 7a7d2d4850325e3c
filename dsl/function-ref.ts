/**
 * Turns a user function into what a worker needs to run it (`FnRef`) and what keys need to name
 * it (its identity), once per function object.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import { taskMetaOf, type TaskMeta } from "./task.js"
import { TaskDefinitionError } from "../core/errors.js"
import type { FnRef } from "../core/protocol.js"

/** A function described for the runtime. */
export interface FnInfo {
  readonly ref: FnRef
  /** The key prefix: the function's name, or `lambda`. */
  readonly name: string
  /** What `tokenize` hashes first in a pure key: an inline function's source text, or a registered task's `module#name@hash`. */
  readonly identity: string
  /** A registered task's options, when it is one. */
  readonly meta: TaskMeta | undefined
}

const cache = new WeakMap<Function, FnInfo>()

/** Strings, template literals and comments removed, so that a search for `this` sees code only. */
const codeOnly = (source: string): string =>
  source.replace(
    /\/\*[\s\S]*?\*\/|\/\/[^\n]*|`(?:\\[\s\S]|[^`\\])*`|'(?:\\[\s\S]|[^'\\])*'|"(?:\\[\s\S]|[^"\\])*"/g,
    " "
  )

/** Words before `(...) {` that open a block, not a function body. */
const blockKeywords = new Set(["if", "for", "while", "switch", "catch", "with"])

/**
 * Whether a non-arrow function's code (comments and strings blanked) uses its own `this`: outside
 * the bodies of the functions, methods and classes nested in it, which have a `this` of their own
 * (a class built and used inside the task is fine). A `{` opens such a body when it follows
 * `class ...`, or `name(...)` / `function(...)` / `[computed](...)` with no `=>` between; arrow
 * functions share the outer `this`. The outermost body is the function's own, at depth 1.
 */
export function usesOwnThis(code: string): boolean {
  if (!/\bthis\b/.test(code)) return false
  const braces: boolean[] = [] // per open `{`: does it open a function or class body?
  const parens: number[] = []
  let bodies = 0
  let lastClosed = -1 // index of the `(` matching the last `)`
  let classPending = false
  for (let i = 0; i < code.length; i++) {
    const c = code[i]
    if (c === "(") parens.push(i)
    else if (c === ")") lastClosed = parens.pop() ?? -1
    else if (c === "{") {
      let body = classPending
      classPending = false
      if (!body && lastClosed >= 0 && /\)\s*$/.test(code.slice(Math.max(0, i - 64), i))) {
        const before = /([\w$]+|\])\s*$/.exec(code.slice(Math.max(0, lastClosed - 64), lastClosed))
        body = before !== null && !blockKeywords.has(before[1])
      }
      braces.push(body)
      if (body) bodies++
    } else if (c === "}") {
      if (braces.pop() === true) bodies--
    } else if ((c === "t" || c === "c") && !/[\w$.]/.test(code[i - 1] ?? "")) {
      const word = /^[\w$]+/.exec(code.slice(i, i + 6))?.[0]
      if (word === "this" && bodies <= 1) return true
      if (word === "class") classPending = true
    }
  }
  return false
}

const refuse = (name: string, why: string) =>
  new TaskDefinitionError(
    `${name} cannot be sent to a worker: ${why}. Inline tasks travel as source text; ` +
      `wrap the call in a self-contained function (x => Math.max(x, 0)) or register the function with task(import.meta, fn).`,
    { task: name }
  )

/** Describes `fn`, or throws `TaskDefinitionError` when it has no usable source text. */
export function describeFunction(fn: Function): FnInfo {
  const cached = cache.get(fn)
  if (cached !== undefined) return cached
  const info = describeUncached(fn)
  cache.set(fn, info)
  return info
}

function describeUncached(fn: Function): FnInfo {
  const meta = taskMetaOf(fn)
  if (meta !== undefined) {
    const id = `${meta.module}#${meta.name}@${meta.hash}`
    return {
      ref: { kind: "registered", id, module: meta.module, name: meta.name, index: meta.index },
      name: meta.name,
      identity: id,
      meta
    }
  }
  const name = fn.name || "lambda"
  const source = Function.prototype.toString.call(fn)
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw refuse(name, `it has no source text (a built-in such as Math.max, or a bound function)`)
  }
  if (/^class\b/.test(source)) throw refuse(name, "it is a class")
  const isArrow = /^(async\s*)?(\([^)]*\)|[\w$]+)\s*=>/.test(source)
  if (!isArrow && usesOwnThis(codeOnly(source))) {
    throw refuse(name, "it uses `this`, which does not exist in a worker (a method of an object or class)")
  }
  if (/^(async\s*)?(function\s*)?\*|^async\s*\*/.test(source)) throw refuse(name, "it is a generator function")
  const id = createHash("sha256").update(source).digest("hex")
  return { ref: { kind: "inline", id, source, name }, name, identity: source, meta: undefined }
}
