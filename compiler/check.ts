/**
 * Every check of a build on a loaded project, in one function: the `@task` pass, the `@graph`
 * pass and the module format (WEFT3001). `build()` (`./build.ts`) and the editor plugin
 * (`./plugin-checker.ts`) both call it, so `weft check` and the editor report the same
 * diagnostics: there is no second implementation.
 *
 * @module
 */
import type { Project } from "ts-morph"
import { compileGraphs, type GraphPass } from "./build-graphs.js"
import type { WeftDiagnostic } from "./diagnostics.js"
import { moduleFormatDiagnostics } from "./module-format.js"
import { findAnnotated } from "./project.js"
import { analyzeTasks, type TaskInfo } from "./tasks/analyze.js"

/** What the checks found: the tasks, the graph pass (graphs and units to emit), every diagnostic sorted by place. */
export interface Checked {
  readonly tasks: TaskInfo[]
  readonly pass: GraphPass
  readonly diagnostics: WeftDiagnostic[]
}

const byPlace = (a: WeftDiagnostic, b: WeftDiagnostic) =>
  a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column || a.code - b.code

/**
 * Checks `project` (emitted modules already dropped). `onDisk`: the project has a `package.json`
 * that decides module formats (WEFT3001 is only checked then); `arbitraries`: derive them (WEFT1008).
 */
export function checkLoaded(
  project: Project,
  rootDir: string,
  options: { readonly arbitraries: boolean; readonly onDisk: boolean }
): Checked {
  const analysis = analyzeTasks(project, rootDir)
  const annotated = findAnnotated(project)
  const pass = compileGraphs(project, rootDir, annotated, analysis.tasks, options.arbitraries)
  const formats = options.onDisk ? moduleFormatDiagnostics(project, annotated, rootDir) : []
  const diagnostics = [...analysis.diagnostics, ...pass.diagnostics, ...formats].sort(byPlace)
  return { tasks: analysis.tasks, pass, diagnostics }
}
