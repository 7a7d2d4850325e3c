/**
 * The `@task` pass: finds `/** @task ... *\/` functions, reads their options, checks them
 * (WEFT2001-2007, see `docs/compiler-diagnostics.md`; one function per check in `./checks.ts`)
 * and computes each task's id and source hash.
 *
 * @module
 */
import { createHash } from "node:crypto"
import type { Project } from "ts-morph"
import type { WeftDiagnostic } from "../diagnostics.js"
import { findAnnotated, type Annotated } from "../project.js"
import { checkedTask, duplicateIds, taskChecks, type PlacedTask } from "./checks.js"
import { relativeFileOf, taskIdOf } from "./places.js"
import { hashedText } from "./references.js"
import type { TaskTagOptions } from "./tag.js"

export type { TaskTagOptions } from "./tag.js"

/** What the compiler knows about one module-level `@task` whose options are well formed. */
export interface TaskInfo {
  /** `${module path relative to the root, without extension}#${name}`, e.g. `src/io#load`. */
  readonly id: string
  readonly name: string
  /** The module's path relative to the root, `/`-separated, with its extension. */
  readonly file: string
  /** 1-based line of the declaration. */
  readonly line: number
  readonly options: TaskTagOptions
  /** sha256 (hex) of the function's text and of the module-level declarations it uses, transitively. */
  readonly sourceHash: string
}

/** The result of the pass. */
export interface TaskAnalysis {
  readonly tasks: TaskInfo[]
  readonly diagnostics: WeftDiagnostic[]
}

/** Which tasks the pass reads: `annotated` (default: the whole project's); `checked` says which of them get every check. */
export interface TaskScope {
  readonly annotated: ReadonlyArray<Annotated>
  /** False: only the tag is read (enough to list the task for the graphs that call it), the other checks are skipped. */
  readonly checked: (task: Annotated) => boolean
  /** False: `sourceHash` is left empty (the editor plugin emits nothing, and hashing reads every declaration a task uses). */
  readonly hashes: boolean
}

/**
 * Checks every `@task` of the project and describes the module-level ones with well-formed
 * options. `rootDir` is what ids and diagnostic paths are relative to. Tasks with a diagnostic
 * other than WEFT2006/2001 are still listed (the build refuses the project anyway).
 */
export function analyzeTasks(project: Project, rootDir: string, scope?: TaskScope): TaskAnalysis {
  const diagnostics: WeftDiagnostic[] = []
  const tasks: TaskInfo[] = []
  const placed: PlacedTask[] = []
  for (const task of scope?.annotated ?? findAnnotated(project)) {
    if (task.kind !== "task") continue
    const checked = checkedTask(task, rootDir, diagnostics)
    if (scope === undefined || scope.checked(task))
      for (const { nested, check } of taskChecks) if (task.moduleLevel || nested === true) check(checked)
    if (!task.moduleLevel || checked.problem !== undefined) continue
    const info = describeTask(task, rootDir, checked.options, scope?.hashes ?? true)
    tasks.push(info)
    placed.push({ id: info.id, file: info.file, line: info.line, nameNode: task.nameNode })
  }
  diagnostics.push(...duplicateIds(placed, rootDir))
  diagnostics.sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column || a.code - b.code
  )
  return { tasks, diagnostics }
}

/** A module-level task's id, place, options and source hash (empty without `hash`: a scoped check emits nothing). */
function describeTask(task: Annotated, rootDir: string, options: TaskTagOptions, hash: boolean): TaskInfo {
  const sf = task.sourceFile
  const file = relativeFileOf(sf, rootDir)
  return {
    id: taskIdOf(file, task.name),
    name: task.name,
    file,
    line: sf.getLineAndColumnAtPos(task.statement.getStart()).line,
    options,
    sourceHash: hash ? createHash("sha256").update(hashedText(task.statement, rootDir)).digest("hex") : ""
  }
}
