/**
 * Registered tasks: `export const load = task(import.meta, async function load(path: string) {...})`.
 *
 * A registered task runs in a worker by importing its module (the worker evaluates the module,
 * which calls `task()` again and fills that thread's registry) and looking the function up by
 * name. So, unlike an inline function, it may close over module scope and use imports.
 *
 * @module
 */
import { createHash } from "node:crypto"
import { TaskDefinitionError } from "../core/errors.js"
import { validateTaskOptions, type TaskOptions, type NormalizedTaskOptions } from "./options.js"
import { registry, registryIndexKeyOf, registryKeyOf } from "./registry.js"

/** The symbol under which a registered task carries its identity. */
export const taskMeta: unique symbol = Symbol.for("weft/task") as never

/** What the runtime needs to know about a registered task. */
export interface TaskMeta {
  /** The module's URL. */
  readonly module: string
  /** The function's name, unique in its module. */
  readonly name: string
  /** sha256 of the function's source, hex, first 16 characters: keys change when the code changes. */
  readonly hash: string
  /** The options given to `task()`, validated. */
  readonly options: NormalizedTaskOptions
  /** The options as given, to merge call options onto. */
  readonly rawOptions: TaskOptions | undefined
  /** The order of this `task()` call among the module's registrations. */
  readonly index: number
  /** True when `hash` is the compiler's (`weft build`): it covers the module-level code the task uses. */
  readonly compiled: boolean
}

/** What a module compiled by `weft build` passes to `task()` besides the options. */
export interface CompiledTaskInfo {
  /** The compiler's source hash of the task: its text and the module-level code it uses. */
  readonly hash: string
}

/** How many tasks each module evaluation (its `import.meta` object) registered so far. */
const registered = new WeakMap<object, number>()

/** A function registered with `task()`: callable as it was, plus its identity. */
export type Task<F extends (...args: never[]) => unknown> = F & { readonly [taskMeta]: TaskMeta }

const duplicate = (name: string, module: string) =>
  `task(): two tasks named "${name}" in ${module}. Task names identify functions in workers: give one of them another name.`

/**
 * Registers `fn` as a task of the module whose `import.meta` is given, and returns a function
 * that behaves like `fn` and carries the task's identity (module URL, name, source hash, options).
 *
 * The function needs a name (`async function load(...)`, or `const load = task(import.meta, async (p) => ...)`
 * is not enough: the arrow has no name at that point); names are unique per module.
 *
 * `compiled` is for modules written by `weft build`: its `hash` (the compiler's hash of the
 * function and of the module-level code it uses) replaces the hash of the function's text, so
 * that keys also change when a helper the task uses changes.
 */
export function task<F extends (...args: never[]) => unknown>(
  meta: ImportMeta,
  fn: F,
  options?: TaskOptions,
  compiled?: CompiledTaskInfo
): Task<F> {
  if (typeof meta !== "object" || meta === null || typeof meta.url !== "string") {
    throw new TypeError(
      "task(): the first argument must be import.meta, e.g. task(import.meta, function load(path) {...})."
    )
  }
  if (typeof fn !== "function") {
    throw new TypeError(`task(): the second argument must be a function, got ${fn === null ? "null" : typeof fn}.`)
  }
  const name = fn.name
  if (!name) {
    throw new TaskDefinitionError(
      `task(): the function registered in ${meta.url} has no name. Workers find registered tasks by name: pass a named function, e.g. task(import.meta, function load(path) {...}).`
    )
  }
  const normalized = validateTaskOptions(
    options ?? {},
    `task(${name})`,
    `the "key" option is per call only; set it with client.with({ key }).submit(...).`
  )
  if (
    compiled !== undefined &&
    (typeof compiled !== "object" || compiled === null || typeof compiled.hash !== "string" || compiled.hash === "")
  ) {
    throw new TypeError(`task(${name}): the fourth argument must be { hash: string } (it is written by weft build).`)
  }
  const hash =
    compiled?.hash ?? createHash("sha256").update(Function.prototype.toString.call(fn)).digest("hex").slice(0, 16)
  const table = registry()
  const id = registryKeyOf(meta.url, name)
  const existing = table.get(id)
  // The same import.meta object means the same module evaluation registering a name twice: a bug.
  // A different one is the module evaluated again (a test runner, a reload): the newer wins.
  if (existing !== undefined && existing.owner === meta)
    throw new TaskDefinitionError(duplicate(name, meta.url), { task: name })
  const index = registered.get(meta) ?? 0
  registered.set(meta, index + 1)
  const entry = { fn: fn as never, module: meta.url, name, hash, owner: meta, index }
  table.set(id, entry)
  table.set(registryIndexKeyOf(meta.url, index), entry)

  const wrapper = function (this: unknown, ...args: Parameters<F>) {
    return fn.apply(this, args)
  } as unknown as Task<F>
  Object.defineProperty(wrapper, "name", { value: name })
  Object.defineProperty(wrapper, taskMeta, {
    value: {
      module: meta.url,
      name,
      hash,
      options: normalized,
      rawOptions: options,
      index,
      compiled: compiled !== undefined
    } satisfies TaskMeta
  })
  return wrapper
}

/** The identity of a registered task, or undefined for any other function. */
export const taskMetaOf = (fn: unknown): TaskMeta | undefined =>
  typeof fn === "function" ? (fn as { [taskMeta]?: TaskMeta })[taskMeta] : undefined
