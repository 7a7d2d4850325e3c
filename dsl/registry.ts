/**
 * The process-wide table of registered tasks, shared by every copy of weft loaded in one thread.
 *
 * It lives on `globalThis` under a `Symbol.for` key, not in a module-local `Map`, because a
 * thread may load weft twice (the built package and a bundled copy, or two module instances under
 * a test runner) and both must see the same registrations (vercel/workflow #1373 hit this).
 *
 * @internal
 */

/** One registered task function. */
export interface RegistryEntry {
  readonly fn: (...args: never[]) => unknown
  /** The module's URL. */
  readonly module: string
  readonly name: string
  /** sha256 of the function's source, hex, first 16 characters. */
  readonly hash: string
  /** The `import.meta` object of the module evaluation that registered it. */
  readonly owner: object
  /** The order of its `task()` call in the module (0, 1, ...). */
  readonly index: number
}

const registryKey = Symbol.for("weft/registry")

/** The registry of this thread. */
export const registry = (): Map<string, RegistryEntry> => {
  const g = globalThis as { [registryKey]?: Map<string, RegistryEntry> }
  return (g[registryKey] ??= new Map())
}

/** The registry key of a task. */
export const registryKeyOf = (module: string, name: string): string => `${module}#${name}`

/** The second registry key of a task: its order among the module's registrations. */
export const registryIndexKeyOf = (module: string, index: number): string => `${module}##${index}`
