/**
 * The compiler proper, loaded by `compile()` (`./compile.ts`) when the build cache cannot answer:
 * it loads the project with ts-morph, checks every `@task` (`./tasks/`) and compiles every
 * `@graph` (`./build-graphs.ts`, `./graphs/`), and writes one module per annotated source file
 * (`x.ts` gives `x.weft.ts`, beside it or under `outDir`; the text: `./emit.ts`). See
 * `docs/compiler.md`.
 *
 * Output is deterministic: the same sources give byte-identical modules, and a module whose text
 * is already on disk is not written again (`changed: false`).
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { ts, type Project } from "ts-morph"
import { stampFiles, stampFolders, writeCache, type BuildInputs } from "./cache.js"
import { emitModule, emittedNameOf, emittedSuffix, type ModuleUnit } from "./emit.js"
import { checkLoaded } from "./check.js"
import { loadProject } from "./project.js"
import { relativeFileOf } from "./tasks/places.js"
import type { CompileOptions, CompileResult, EmittedFile } from "./types.js"

/** The project loaded, and (on disk) what the build cache records of its inputs. */
interface Loaded {
  readonly project: Project
  readonly rootDir: string
  /** The tsconfig, for a project on disk. */
  readonly tsconfig: string | undefined
  /** What the build read, for a project on disk. */
  readonly inputs: BuildInputs | undefined
}

/** The deepest folder that holds every path. */
const commonDir = (paths: ReadonlyArray<string>): string => {
  if (paths.length === 0) return "/"
  let dir = path.posix.dirname(paths[0])
  for (const p of paths)
    while (!(p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`))) dir = path.posix.dirname(dir)
  return dir
}

/**
 * Compiles the project: diagnostics, tasks, graphs, and (when there is no diagnostic and `write`
 * is not false and the project is on disk) the emitted modules written where they changed. The
 * build cache was checked by `compile()`; a full build of a project on disk records its inputs
 * and result for the next one. `options.project` is an existing tsconfig file here.
 */
export async function build(options: CompileOptions = {}): Promise<CompileResult> {
  const { project, rootDir, tsconfig, inputs } = load(options)
  const outDir = options.outDir === undefined ? undefined : path.resolve(rootDir, options.outDir)
  const write = options.write !== false && inputs !== undefined
  const arbitraries = options.arbitraries === true

  const { tasks, pass, diagnostics } = checkLoaded(project, rootDir, { arbitraries, onDisk: inputs !== undefined })
  const graphs = pass.graphs
  if (diagnostics.length > 0) return { diagnostics, files: [], graphs, tasks }

  const only = options.only === undefined ? undefined : new Set(options.only.map((p) => path.resolve(rootDir, p)))
  const emittedPathOf = (sourcePath: string): string =>
    outDir === undefined
      ? emittedNameOf(sourcePath)
      : path.join(outDir, emittedNameOf(path.relative(rootDir, sourcePath)))
  const files: EmittedFile[] = []
  const ordered = [...pass.units.values()].sort((a, b) => (a.sf.getFilePath() < b.sf.getFilePath() ? -1 : 1))
  for (const unit of ordered) {
    if (only !== undefined && !only.has(path.resolve(unit.sf.getFilePath()))) continue
    files.push(writeModule(unit, rootDir, emittedPathOf, write, inputs === undefined))
  }
  const result = { diagnostics, files, graphs, tasks }
  if (only === undefined && write && tsconfig !== undefined && inputs !== undefined)
    writeCache(tsconfig, outDir, arbitraries, inputs, result)
  return result
}

/** The project (in memory, or from its tsconfig), its root, and what the build cache records of it. */
function load(options: CompileOptions): Loaded {
  if (options.files !== undefined) {
    const project = loadProject({ files: options.files })
    const paths = Object.keys(options.files).map((f) => project.getSourceFileOrThrow(f).getFilePath())
    dropEmitted(project)
    return { project, rootDir: commonDir(paths), tsconfig: undefined, inputs: undefined }
  }
  const tsconfig = path.resolve(options.project ?? "tsconfig.json")
  const config = configInputs(tsconfig)
  const folders = stampFolders(config.folders) // before reading the project: a file added meanwhile is a miss next time
  const project = loadProject({ project: tsconfig })
  dropEmitted(project)
  const sources = project.getSourceFiles().map((sf) => ({ path: sf.getFilePath(), text: sf.getFullText() }))
  const inputs = { dirs: folders, files: stampFiles(config.files, sources) }
  return { project, rootDir: path.dirname(tsconfig), tsconfig, inputs }
}

/** Emitted modules are outputs, never inputs. */
export function dropEmitted(project: Project): void {
  for (const sf of project.getSourceFiles()) if (emittedSuffix.test(sf.getFilePath())) project.removeSourceFile(sf)
}

/** Emits one unit's module and writes it when `write` and its text changed. */
function writeModule(
  unit: ModuleUnit,
  rootDir: string,
  emittedOf: (source: string) => string,
  write: boolean,
  inMemory: boolean
): EmittedFile {
  const source = unit.sf.getFilePath()
  const out = emittedOf(source)
  const place = { relative: relativeFileOf(unit.sf, rootDir), outDirOfFile: path.dirname(out), rootDir, emittedOf }
  const text = emitModule(unit, place)
  const onDisk = !inMemory && existsSync(out) ? readFileSync(out, "utf8") : undefined
  const changed = onDisk !== text
  if (write && changed) {
    mkdirSync(path.dirname(out), { recursive: true })
    writeFileSync(out, text)
  }
  return { source, path: out, text, changed }
}

/**
 * The config files the tsconfig reads (itself and what it `extends`) and the folders its `include`
 * patterns search (`wildcardDirectories`, as `tsc --watch` watches them): the build cache's inputs
 * besides the source files.
 */
function configInputs(tsconfig: string): { files: string[]; folders: Array<{ dir: string; recursive: boolean }> } {
  const files: string[] = []
  const parsed = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    {
      ...ts.sys,
      readFile: (file) => {
        files.push(file)
        return ts.sys.readFile(file)
      },
      onUnRecoverableConfigFileDiagnostic: () => {} // loadProject reports it
    }
  )
  const folders = Object.entries(parsed?.wildcardDirectories ?? {}).map(([dir, flags]) => ({
    dir,
    recursive: (flags & ts.WatchDirectoryFlags.Recursive) !== 0
  }))
  return { files: files.length > 0 ? files : [tsconfig], folders }
}
