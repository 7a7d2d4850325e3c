/**
 * Inline task functions arrive as source text; this turns them back into functions, once per
 * thread and source (`ref.id`), and explains the one mistake users make with them: using a name
 * from the module they were written in.
 *
 * @internal
 */
import { TaskDefinitionError } from "../../core/errors.js"
import type { FnRef } from "../../core/protocol.js"

/** An inline function reference. */
export type InlineRef = Extract<FnRef, { kind: "inline" }>

/** Compiled functions of this thread by `ref.id`. Bounded so a stream of distinct lambdas cannot grow it forever. */
const cache = new Map<string, Function>()
const maxCached = 10_000

/**
 * What esbuild's `keepNames` (used by tsx) calls inside function bodies: `__name(fn, "fn")`. The
 * helper lives at the top of the module the function came from, so its source text refers to a
 * name the worker does not have. It is passed to the compiled code as a parameter rather than put
 * on `globalThis`, so that compiling on the main thread (the in-process executor) writes no global.
 */
const nameShim = (target: unknown, value: string): unknown => {
  try {
    Object.defineProperty(target, "name", { value, configurable: true })
  } catch {
    // A frozen target keeps its name; the call is only cosmetic.
  }
  return target
}

/**
 * Returns the function that `ref.source` denotes, compiled in this thread at most once.
 * Throws `TaskDefinitionError` when the source does not compile or is not a function.
 *
 * Accepts `function f() {}`, `async function`, generators, arrows, async arrows and method
 * shorthand (`inc(x) { ... }`, `async inc(x) { ... }`), which is what `Function.prototype.toString`
 * gives for a method of an object literal.
 */
export function compileInline(ref: InlineRef): Function {
  const cached = cache.get(ref.id)
  if (cached !== undefined) return cached
  const fn = compile(ref)
  if (cache.size >= maxCached) cache.delete(cache.keys().next().value as string)
  cache.set(ref.id, fn)
  return fn
}

/** Indirect eval: code runs in the global scope, as with `new Function`, and sees nothing of this module. */
const globalEval: (code: string) => unknown = eval

/**
 * The script name an inline function's frames show: `at divide (inline:divide:2:22)`, where 2:22
 * is the line and column in the function's own source text (its first line is line 1). Without
 * it V8 writes `eval at compile (.../worker/compile.js)`, a weft file the user has no use for.
 */
const scriptName = (ref: InlineRef): string => `inline:${ref.name.replace(/[^\w$.-]/g, "_") || "anonymous"}`

/**
 * Compiles `body` (the code of a factory taking the `__name` shim) with the function's source
 * starting on line 1 of the script, so that stack positions are those of the function's text.
 */
const compileFactory = (ref: InlineRef, body: string): Function =>
  globalEval(`"use strict";(function (__name) { ${body} })\n//# sourceURL=${scriptName(ref)}`) as Function

function compile(ref: InlineRef): Function {
  let factory: Function
  try {
    // Strict, like the ES module it was written in: a stray assignment fails instead of making a global.
    // Defined as a property named like the task, so that an anonymous arrow is named too and its
    // frames read `at inc (inline:inc:...)` rather than `at eval` (a named function keeps its name).
    const key = JSON.stringify(ref.name)
    factory = compileFactory(ref, `return ({ ${key}: (${ref.source}\n) })[${key}];`)
  } catch (expressionError) {
    try {
      // Method shorthand is not an expression; it is one inside an object literal.
      factory = compileFactory(ref, `const o = {${ref.source}\n};\nreturn o[Reflect.ownKeys(o)[0]];`)
    } catch {
      throw definitionFailure(ref, `its source does not compile: ${messageOf(expressionError)}`)
    }
  }
  let fn: unknown
  try {
    fn = factory(nameShim)
  } catch (error) {
    throw definitionFailure(ref, `evaluating its source threw: ${messageOf(error)}`)
  }
  if (typeof fn !== "function") throw definitionFailure(ref, `its source is not a function`)
  return fn
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

const definitionFailure = (ref: InlineRef, why: string): TaskDefinitionError =>
  new TaskDefinitionError(`Inline function "${ref.name}" cannot run in a worker: ${why}.`, { task: ref.name })

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * When `error` is the `ReferenceError` "X is not defined" and `X` occurs in the inline function's
 * source, returns the `TaskDefinitionError` that says why (inline functions travel as source text
 * and see only their parameters and globals) and how to fix it. Otherwise `undefined`.
 */
export function explainReferenceError(error: unknown, ref: InlineRef): TaskDefinitionError | undefined {
  if (!(error instanceof ReferenceError)) return undefined
  const match = /^(\S+) is not defined$/.exec(error.message)
  if (match === null) return undefined
  const identifier = match[1]
  if (!new RegExp(`(^|[^\\w$])${escapeRegExp(identifier)}($|[^\\w$])`).test(ref.source)) return undefined
  const failure = new TaskDefinitionError(
    `Inline function "${ref.name}" uses "${identifier}", which is not defined in the worker. ` +
      `Inline functions travel as source text and may use only their parameters and JavaScript/Node globals: ` +
      `pass ${identifier} as an argument, or make the function a registered task with task(import.meta, fn).`,
    { task: ref.name, identifier }
  )
  // Keep where it happened: the original error's stack is the useful traceback.
  Object.defineProperty(failure, "cause", { value: error, enumerable: false, writable: true, configurable: true })
  return failure
}
