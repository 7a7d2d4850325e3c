/**
 * The `@graph` pass of a build: for each `@graph`, its shape (WEFT1007), the tasks its body may
 * call (the file's own and those it imports from other project files), its body compiled to IR
 * (`./graphs/compile-graph.ts`) and, with `--arbitraries`, its parameters' arbitrary; and, per
 * annotated source file, the `ModuleUnit` its emitted module is written from.
 *
 * @module
 */
import * as path from "node:path"
import { Node, type FunctionDeclaration, type Project, type SourceFile } from "ts-morph"
import { graphArbitrary } from "./arbitraries.js"
import type { WeftDiagnostic } from "./diagnostics.js"
import { taskIdsOf, type ModuleUnit } from "./emit.js"
import { compileGraph } from "./graphs/compile-graph.js"
import type { Annotated } from "./project.js"
import type { TaskInfo } from "./tasks/analyze.js"
import { relativeFileOf } from "./tasks/places.js"
import type { CompiledGraphInfo } from "./types.js"

/** What the graph pass found: the compiled graphs, the units to emit (by source path), its diagnostics. */
export interface GraphPass {
  readonly graphs: CompiledGraphInfo[]
  readonly units: Map<string, ModuleUnit>
  readonly diagnostics: WeftDiagnostic[]
}

/** Compiles every `@graph` of `annotated`; `tasks` are the project's (every module-level one becomes part of a unit). */
export function compileGraphs(
  project: Project,
  rootDir: string,
  annotated: ReadonlyArray<Annotated>,
  tasks: ReadonlyArray<TaskInfo>,
  arbitraries: boolean
): GraphPass {
  const pass: GraphPass = { graphs: [], units: new Map(), diagnostics: [] }
  const taskByFile = tasksByFile(tasks)
  for (const t of tasks) unitOf(pass, project.getSourceFileOrThrow(path.join(rootDir, t.file))).tasks.push(t)
  for (const g of annotated) {
    if (g.kind !== "graph") continue
    const file = relativeFileOf(g.sourceFile, rootDir)
    const problem = graphShapeProblem(g)
    if (problem !== undefined) {
      pass.diagnostics.push(shapeDiagnostic(g, file, problem))
      continue
    }
    const { names, imported } = callableTasks(g.sourceFile, file, taskByFile, rootDir)
    const compiled = compileGraph(g.fn as FunctionDeclaration, names, file)
    pass.diagnostics.push(...compiled.diagnostics)
    if (compiled.ir === undefined) continue
    const id = `${file.replace(/\.[cm]?tsx?$/, "")}#${g.name}`
    pass.graphs.push({ id, file, name: g.name, ir: compiled.ir })
    // Laid out for its place in the emitted call: `  { arbitrary: (fc) => ...`.
    const derived = arbitraries
      ? graphArbitrary(g.fn as FunctionDeclaration, g.name, file, "  ", "  { arbitrary: ".length)
      : undefined
    if (derived !== undefined) pass.diagnostics.push(...derived.diagnostics)
    const unit = unitOf(pass, g.sourceFile)
    unit.graphs.push({ name: g.name, id, ir: compiled.ir, arbitrary: derived?.text })
    const used = taskIdsOf(compiled.ir)
    for (const [local, t] of imported) if (used.has(t.id)) unit.imported.set(local, t)
  }
  return pass
}

/** The unit of `sf`, created on first use. */
function unitOf(pass: GraphPass, sf: SourceFile): ModuleUnit {
  const key = sf.getFilePath()
  let unit = pass.units.get(key)
  if (unit === undefined) pass.units.set(key, (unit = { sf, tasks: [], graphs: [], imported: new Map() }))
  return unit
}

/** Tasks by source file (relative) and name. */
function tasksByFile(tasks: ReadonlyArray<TaskInfo>): Map<string, Map<string, TaskInfo>> {
  const taskByFile = new Map<string, Map<string, TaskInfo>>()
  for (const t of tasks) {
    const inFile = taskByFile.get(t.file) ?? new Map<string, TaskInfo>()
    inFile.set(t.name, t)
    taskByFile.set(t.file, inFile)
  }
  return taskByFile
}

/**
 * The tasks a body in `sf` may call: the file's own, and those imported (by value) from other
 * project files. `names`: local name -> task id; `imported`: local name -> the imported task.
 */
function callableTasks(
  sf: SourceFile,
  file: string,
  taskByFile: ReadonlyMap<string, ReadonlyMap<string, TaskInfo>>,
  rootDir: string
): { names: Map<string, string>; imported: Map<string, TaskInfo> } {
  const names = new Map<string, string>()
  const imported = new Map<string, TaskInfo>()
  for (const t of taskByFile.get(file)?.values() ?? []) names.set(t.name, t.id)
  for (const decl of sf.getImportDeclarations()) {
    if (decl.isTypeOnly()) continue
    const from = decl.getModuleSpecifierSourceFile()
    if (from === undefined) continue
    const inFile = taskByFile.get(relativeFileOf(from, rootDir))
    if (inFile === undefined) continue
    for (const spec of decl.getNamedImports()) {
      if (spec.isTypeOnly()) continue
      const t = inFile.get(spec.getName())
      if (t === undefined) continue
      const local = spec.getAliasNode()?.getText() ?? spec.getName()
      names.set(local, t.id)
      imported.set(local, t)
    }
  }
  return { names, imported }
}

/** Why a `@graph` cannot be compiled into an importable module, or undefined. */
function graphShapeProblem(g: Annotated): string | undefined {
  if (!Node.isFunctionDeclaration(g.fn)) return "is not a function declaration"
  if (!g.moduleLevel) return "is not declared at module level"
  if (!g.fn.hasExportKeyword() || g.fn.hasDefaultKeyword())
    return "is not exported (by name), so its compiled module cannot import its type"
  return undefined
}

/** WEFT1007 at the graph's name. */
function shapeDiagnostic(g: Annotated, file: string, problem: string): WeftDiagnostic {
  const { line, column } = g.sourceFile.getLineAndColumnAtPos(g.nameNode.getStart())
  return {
    code: 1007,
    file,
    line,
    column,
    message: `@graph "${g.name}" ${problem}`,
    hint: "write it as `export function name(...) { ... }` at the top level of the module"
  }
}
