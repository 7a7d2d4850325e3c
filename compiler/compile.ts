/**
 * `compile()`: the compiler as a function (spec section 10). It loads the project, checks every
 * `@task` and compiles every `@graph`, and writes one module per annotated source file
 * (`x.ts` gives `x.weft.ts`, beside it or under `outDir`). See `docs/compiler.md`.
 *
 * This module loads nothing heavy: it asks the build cache (`./cache.ts`, file system only) first,
 * and imports the compiler proper (`./build.ts`, ts-morph and TypeScript, 1-2 s to load from a
 * fresh process) only when the cache cannot answer.
 *
 * @module
 */
import { statSync } from "node:fs"
import * as path from "node:path"
import { readCache } from "./cache.js"
import type { CompileOptions, CompileResult } from "./types.js"

export type { CompiledGraphInfo, CompileOptions, CompileResult, EmittedFile } from "./types.js"

/**
 * The tsconfig that `project` names, absolute: the file itself, or `tsconfig.json` in the folder
 * it names (as `tsc -p`). Throws an `Error` that says what was missing when there is none.
 */
export function resolveTsconfig(project: string | undefined, cwd: string = process.cwd()): string {
  const given = path.resolve(cwd, project ?? "tsconfig.json")
  const stat = statSync(given, { throwIfNoEntry: false })
  if (stat?.isDirectory() === true) {
    const inside = path.join(given, "tsconfig.json")
    if (statSync(inside, { throwIfNoEntry: false })?.isFile() === true) return inside
    throw new Error(`no tsconfig.json in the folder ${given}`)
  }
  if (stat === undefined)
    throw new Error(project === undefined ? `no tsconfig.json in ${cwd}` : `no tsconfig at ${given}`)
  return given
}

/**
 * Compiles the project: diagnostics, tasks, graphs, and (when there is no diagnostic and `write`
 * is not false and the project is on disk) the emitted modules written where they changed.
 * Nothing changed since the last build (same sources and config, no new file, same outputs on
 * disk): the answer comes from the build cache, without loading ts-morph.
 */
export async function compile(options: CompileOptions = {}): Promise<CompileResult> {
  if (options.files !== undefined) return (await import("./build.js")).build(options)
  const tsconfig = resolveTsconfig(options.project)
  const rootDir = path.dirname(tsconfig)
  const outDir = options.outDir === undefined ? undefined : path.resolve(rootDir, options.outDir)
  const cached = readCache(tsconfig, outDir, options.arbitraries === true)
  if (cached !== undefined) return selectOnly(cached, options.only, rootDir)
  return (await import("./build.js")).build({ ...options, project: tsconfig })
}

/** A cached result narrowed to `only` (the files a watch rebuild asked for). */
function selectOnly(result: CompileResult, only: ReadonlyArray<string> | undefined, rootDir: string): CompileResult {
  if (only === undefined) return result
  const wanted = new Set(only.map((p) => path.resolve(rootDir, p)))
  return { ...result, files: result.files.filter((file) => wanted.has(path.resolve(file.source))) }
}
