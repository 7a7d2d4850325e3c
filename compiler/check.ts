/**
 * Every check of a build on a loaded project, in one function: the `@task` pass, the `@graph`
 * pass and the module format (WEFT3001). `build()` (`./build.ts`) and the editor plugin
 * (`./plugin-checker.ts`) both call it, so `weft check` and the editor report the same
 * diagnostics: there is no second implementation.
 *
 * @module
 */
import type { Project, SourceFile } from "ts-morph"
import { compileGraphs, type GraphPass } from "./build-graphs.js"
import type { WeftDiagnostic } from "./diagnostics.js"
import { moduleFormatDiagnostics } from "./module-format.js"
import { findAnnotated, findAnnotatedIn } from "./project.js"
import { analyzeTasks, type TaskInfo } from "./tasks/analyze.js"
import { relativeFileOf } from "./tasks/places.js"

/** What the checks found: the tasks, the graph pass (graphs and units to emit), every diagnostic sorted by place. */
export interface Checked {
  readonly tasks: TaskInfo[]
  readonly pass: GraphPass
  readonly diagnostics: WeftDiagnostic[]
}

const byPlace = (a: WeftDiagnostic, b: WeftDiagnostic) =>
  a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column || a.code - b.code

/**
 * Which files a check covers (default: the whole project): `files` are read (their tasks can be
 * called by graphs, their task ids count for WEFT2004), but only the files of `reported` are
 * checked in full and have their diagnostics reported (tasks get no `sourceHash`: nothing is
 * emitted). The editor plugin checks one file this way, with the files it imports as `files`.
 */
export interface CheckScope {
  readonly files: ReadonlyArray<SourceFile>
  readonly reported: ReadonlySet<SourceFile>
}

/**
 * Checks `project` (emitted modules already dropped). `onDisk`: the project has a `package.json`
 * that decides module formats (WEFT3001 is only checked then); `arbitraries`: derive them (WEFT1008).
 */
export function checkLoaded(
  project: Project,
  rootDir: string,
  options: { readonly arbitraries: boolean; readonly onDisk: boolean; readonly scope?: CheckScope }
): Checked {
  const { scope } = options
  const all = scope === undefined ? findAnnotated(project) : findAnnotatedIn(scope.files)
  const annotated = scope === undefined ? all : all.filter((a) => scope.reported.has(a.sourceFile))
  const reported = new Set(annotated)
  const analysis = analyzeTasks(project, rootDir, {
    annotated: all,
    checked: (a) => reported.has(a),
    hashes: scope === undefined
  })
  const pass = compileGraphs(project, rootDir, annotated, analysis.tasks, options.arbitraries)
  const formats = options.onDisk ? moduleFormatDiagnostics(project, annotated, rootDir) : []
  let diagnostics = [...analysis.diagnostics, ...pass.diagnostics, ...formats].sort(byPlace)
  if (scope !== undefined) {
    const files = new Set([...scope.reported].map((sf) => relativeFileOf(sf, rootDir)))
    diagnostics = diagnostics.filter((d) => files.has(d.file))
  }
  return { tasks: analysis.tasks, pass, diagnostics }
}
