/**
 * The types of `compile()`'s options and result, in a module of their own so that `compile.ts`,
 * the compiler proper (`build.ts`, which `compile.ts` loads lazily), the build cache and the
 * command line all import them without importing each other.
 *
 * @module
 */
import type { GraphIr } from "../core/ir.js"
import type { WeftDiagnostic } from "./diagnostics.js"
import type { TaskInfo } from "./tasks/analyze.js"

/** What to compile, and where to write. */
export interface CompileOptions {
  /**
   * The tsconfig path, or the folder that holds a `tsconfig.json` (as `tsc -p`); default
   * `tsconfig.json` in `process.cwd()`. Ids and paths are relative to its folder.
   */
  readonly project?: string
  /** Where emitted modules go, mirroring the sources' folders under the project root; default: beside each source. */
  readonly outDir?: string
  /** Default true; false checks only (nothing is written, `files` still lists what would be). */
  readonly write?: boolean
  /** An in-memory project (absolute path -> source text), for tests; nothing is written. */
  readonly files?: Record<string, string>
  /** Emit (and write) only the modules of these source files (paths as given, or absolute), for `--watch`. */
  readonly only?: ReadonlyArray<string>
  /**
   * Also emit a fast-check arbitrary of each `@graph`'s parameters (`weft build --arbitraries`);
   * a parameter type with none is WEFT1008. Default false.
   */
  readonly arbitraries?: boolean
}

/** One emitted module. */
export interface EmittedFile {
  /** The source file's absolute path. */
  readonly source: string
  /** The emitted module's absolute path. */
  readonly path: string
  readonly text: string
  /** True when the text differs from what is on disk (so it was written, or would be). */
  readonly changed: boolean
}

/** One compiled `@graph`. */
export interface CompiledGraphInfo {
  /** `${file without extension}#${name}`, like task ids. */
  readonly id: string
  /** The source file, relative to the project root. */
  readonly file: string
  readonly name: string
  readonly ir: GraphIr
}

/** What `compile()` found and emitted. */
export interface CompileResult {
  /** Sorted by file, line, column. When not empty, nothing was written and `files` is empty. */
  readonly diagnostics: ReadonlyArray<WeftDiagnostic>
  readonly files: ReadonlyArray<EmittedFile>
  readonly graphs: ReadonlyArray<CompiledGraphInfo>
  readonly tasks: ReadonlyArray<TaskInfo>
}
