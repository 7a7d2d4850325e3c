/**
 * Finding a batch's functions in this thread: an inline function is compiled from its source
 * (`compile.ts`), a registered one is looked up in the registry once its module was imported. Each
 * function is found once per batch; a module is imported once per thread (a failed import is tried
 * again by a later batch). What cannot be found is an `EncodedError` in the function's place, so
 * that only the tasks that call it fail.
 *
 * @internal
 */
import { isMainThread } from "node:worker_threads"
import { registry, registryIndexKeyOf, registryKeyOf } from "../../dsl/registry.js"
import { TaskDefinitionError } from "../../core/errors.js"
import { workerState } from "../../core/worker-state.js"
import { encodeError } from "../../core/error-codec.js"
import type { EncodedError, FnRef } from "../../core/protocol.js"
import { compileInline } from "./compile.js"
import { splitTsxLoaders, tsxArgvPrefix } from "../../core/tsx-flags.js"

/** A function ready to call, or why it cannot be. */
export type Resolved = Function | EncodedError

/**
 * The functions `refs` name, index-aligned: at once when every module they need is loaded (the
 * usual case after a thread's first batch), else once the imports settled.
 */
export function findFunctions(refs: ReadonlyArray<FnRef>): Resolved[] | Promise<Resolved[]> {
  const resolved = new Array<Resolved>(refs.length)
  let loading: Array<Promise<void>> | undefined
  for (let f = 0; f < refs.length; f++) {
    const ref = refs[f]
    if (ref.kind === "inline") resolved[f] = resolveInline(ref)
    else if (loadedModules.has(ref.module)) resolved[f] = lookUp(ref)
    else {
      ;(loading ??= []).push(
        loadModule(ref.module).then(
          () => void (resolved[f] = lookUp(ref)),
          (error: unknown) => void (resolved[f] = importFailure(ref, error))
        )
      )
    }
  }
  return loading === undefined ? resolved : Promise.all(loading).then(() => resolved)
}

function resolveInline(ref: Extract<FnRef, { kind: "inline" }>): Resolved {
  try {
    return compileInline(ref)
  } catch (error) {
    return encodeError(error, "definition")
  }
}

/** Module URLs imported successfully in this thread: their tasks are looked up without awaiting. */
const loadedModules = new Set<string>()
/** One import per module URL at a time; a failed import is forgotten so a later batch tries again. */
const loadingModules = new Map<string, Promise<unknown>>()

function loadModule(url: string): Promise<unknown> {
  let loading = loadingModules.get(url)
  if (loading === undefined) {
    const ready = typeScriptReady(url)
    // Recorded while it loads, for the error of a client started by the module (worker-state.ts).
    const importing = workerState()?.loading
    importing?.push(url)
    const done = () => {
      loadingModules.delete(url)
      const at = importing?.indexOf(url) ?? -1
      if (at >= 0) importing!.splice(at, 1)
    }
    loading = (ready === undefined ? import(url) : ready.then(() => import(url))).then(
      (namespace: unknown) => {
        loadedModules.add(url)
        done()
        return namespace
      },
      (error: unknown) => {
        done()
        throw error
      }
    )
    loadingModules.set(url, loading)
  }
  return loading
}

/**
 * tsx registers its module hooks on the main thread only (tsx 4 checks `isMainThread`), so a worker
 * thread of an app started with `tsx app.ts` or `node --import tsx` cannot import the app's `.ts`
 * task modules, although it inherits the flag. Before the first such import, the worker registers
 * tsx itself: from the URL the parent's flag names (the tsx CLI passes `--import file:///.../tsx/dist/loader.mjs`),
 * else `tsx/esm/api` as resolved from weft. Processes need nothing: tsx registers itself there.
 */
function typeScriptReady(url: string): Promise<void> | undefined {
  if (isMainThread || !/\.[cm]?tsx?(?:[?#]|$)/.test(url)) return undefined
  if (typeScriptLoader === undefined && tsxFlags().length === 0) return undefined
  return registerTypeScriptLoader()
}

let typeScriptLoader: Promise<void> | undefined

/**
 * The module specifiers of tsx given to this process with `--import`/`--loader`, in `execArgv` or
 * `NODE_OPTIONS`, or passed on by the executor (`--weft-tsx=` in `process.argv`: worker threads
 * start without tsx, see `tinypoolOptions`).
 */
function tsxFlags(): string[] {
  const passedOn = process.argv
    .filter((arg) => arg.startsWith(tsxArgvPrefix))
    .map((arg) => arg.slice(tsxArgvPrefix.length))
  const own = splitTsxLoaders([...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)]).tsx
  return [...passedOn, ...own]
}

/** Registers tsx's ESM hooks (for `import`) and its CommonJS hooks (for `require` of `.ts`), as `--import tsx` does on a main thread. */
function registerTypeScriptLoader(): Promise<void> {
  return (typeScriptLoader ??= (async () => {
    const loaders = tsxFlags().filter((specifier) => specifier.startsWith("file:"))
    for (const api of ["esm", "cjs"]) {
      const candidates = loaders.map((loader) => new URL(`./${api}/api/index.mjs`, loader).href)
      candidates.push(`tsx/${api}/api`)
      for (const candidate of candidates) {
        try {
          const module = (await import(candidate)) as { register?: () => unknown }
          if (typeof module.register === "function") {
            module.register()
            break
          }
        } catch {
          // Try the next; if none works, the import itself reports the missing loader.
        }
      }
    }
  })())
}

function lookUp(ref: Extract<FnRef, { kind: "registered" }>): Resolved {
  const table = registry()
  const entry = table.get(registryKeyOf(ref.module, ref.name)) ?? table.get(registryIndexKeyOf(ref.module, ref.index))
  if (entry !== undefined) return entry.fn
  return encodeError(
    new TaskDefinitionError(
      `Task "${ref.name}" is not registered in ${ref.module}: export it with task(import.meta, fn) at module level`,
      { task: ref.name }
    ),
    "definition"
  )
}

function importFailure(ref: Extract<FnRef, { kind: "registered" }>, error: unknown): EncodedError {
  const message = error instanceof Error ? error.message : String(error)
  // A client started by the module (worker-state.ts) says what it was importing itself.
  const own = error instanceof Error && error.name === "TaskDefinitionError" && message.includes(ref.module)
  const failure = new TaskDefinitionError(
    `Task "${ref.name}" could not be loaded: ${own ? "" : `importing ${ref.module} threw: `}${message}`,
    {
      task: ref.name
    }
  )
  Object.defineProperty(failure, "cause", { value: error, enumerable: false, writable: true, configurable: true })
  return encodeError(failure, "definition")
}
