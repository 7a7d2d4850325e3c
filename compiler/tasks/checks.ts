/**
 * The checks of one `@task`, one function per diagnostic, run in the order of `taskChecks` (the
 * order matters only between diagnostics at the same place: the pass sorts them stably). WEFT2004
 * (two tasks with one id) looks at the whole project: `duplicateIds`, run by the pass at the end.
 *
 * @module
 */
import { Node } from "ts-morph"
import type { DiagnosticCode, WeftDiagnostic } from "../diagnostics.js"
import type { Annotated } from "../project.js"
import { uncloneable } from "./clone.js"
import { diagnosticAt, placeOf } from "./places.js"
import { impurityOf } from "./purity.js"
import { helpersOf, moduleReferences, mutableModuleVariable } from "./references.js"
import { parseTaskTag, type OptionProblem, type TaskTagOptions } from "./tag.js"

/** One `@task` under check: what the checks read, and where they report. */
export interface CheckedTask {
  readonly task: Annotated
  readonly rootDir: string
  /** The tag's problem (WEFT2006), if any, and where in the file its option starts. */
  readonly problem: { readonly at: number; readonly problem: OptionProblem } | undefined
  /** The tag's options (all defaults when the tag has a problem). */
  readonly options: TaskTagOptions
  /** The module-level functions the task uses, each with the identifier in the task that reaches it (computed once). */
  helpers(): ReadonlyMap<Node, Node>
  report(node: Node, code: DiagnosticCode, message: string, hint: string, pos?: number): void
}

/** One diagnostic check of a `@task`. */
export interface TaskCheck {
  readonly code: DiagnosticCode
  /** True: runs on a task declared inside a function too (the others need a module-level task). */
  readonly nested?: boolean
  readonly check: (task: CheckedTask) => void
}

/** The checks, in the order they report. */
export const taskChecks: ReadonlyArray<TaskCheck> = [
  { code: 2006, nested: true, check: checkOptions },
  { code: 2001, nested: true, check: checkModuleLevel },
  { code: 2007, check: checkExported },
  { code: 2002, check: checkMutableReads },
  { code: 2002, check: checkMutableReadsOfHelpers },
  { code: 2003, check: checkCloneableParameters },
  { code: 2003, check: checkCloneableResult },
  { code: 2005, check: checkPureBody },
  { code: 2005, check: checkPureHelpers }
]

/** Starts the check of `task`: its tag read, diagnostics pushed to `diagnostics`. */
export function checkedTask(task: Annotated, rootDir: string, diagnostics: WeftDiagnostic[]): CheckedTask {
  // Parse the tag's own text (JSDoc line continuations blanked out, offsets kept) so that a
  // problem points at its option.
  const tagStart = task.tag.getStart()
  const afterName = task.tag.getTagNameNode().getEnd() - tagStart
  const raw = task.tag
    .getText()
    .slice(afterName)
    .replace(/(\r?\n)\s*\*(?!\/)/g, (m) => " ".repeat(m.length))
  const parsed = parseTaskTag(raw)
  let helpers: ReadonlyMap<Node, Node> | undefined
  return {
    task,
    rootDir,
    problem:
      "problem" in parsed ? { at: tagStart + afterName + parsed.problem.offset, problem: parsed.problem } : undefined,
    options: "options" in parsed ? parsed.options : { impure: false },
    helpers: () => (helpers ??= helpersOf(task.fn, task.statement)),
    report: (node, code, message, hint, pos) => diagnostics.push(diagnosticAt(rootDir, node, code, message, hint, pos))
  }
}

/** WEFT2006: an option of the tag that cannot be read. */
function checkOptions({ task, problem, report }: CheckedTask): void {
  if (problem !== undefined) report(task.tag, 2006, problem.problem.message, problem.problem.hint, problem.at)
}

/** WEFT2001: a task declared inside a function or block (a worker imports it from its module). */
function checkModuleLevel({ task, report }: CheckedTask): void {
  if (task.moduleLevel) return
  report(
    task.nameNode,
    2001,
    `@task "${task.name}" is declared inside a function or block, not at module level`,
    "move it to the top level of the module (and export it); pass what it used from the enclosing scope as parameters"
  )
}

/** WEFT2007: the compiled module imports the task by its name. */
function checkExported({ task, report }: CheckedTask): void {
  const statement = task.statement
  if (Node.isExportable(statement) && statement.hasExportKeyword() && !statement.hasDefaultKeyword()) return
  report(
    task.nameNode,
    2007,
    `@task "${task.name}" is not exported, so its compiled module cannot import it`,
    `export it by name: \`export function ${task.name}(...)\` or \`export const ${task.name} = ...\``
  )
}

/** WEFT2002: the task reads a mutable module-level variable (each worker has its own copy). */
function checkMutableReads({ task, report }: CheckedTask): void {
  const reported = new Set<string>()
  for (const { id, decl } of moduleReferences(task.fn)) {
    if (!mutableModuleVariable(decl)) continue
    const name = id.getText()
    if (reported.has(name)) continue
    reported.add(name)
    report(
      id,
      2002,
      `@task "${task.name}" reads "${name}", a mutable module-level variable (let/var): each worker has its own copy`,
      `pass "${name}" as a parameter, or declare it with const`
    )
  }
}

/** WEFT2002 through a helper: a module-level function the task uses reads one (reported at the task's use). */
function checkMutableReadsOfHelpers({ task, rootDir, helpers, report }: CheckedTask): void {
  const reported = new Set<string>()
  for (const [helper, via] of helpers()) {
    for (const { id, decl } of moduleReferences(helper)) {
      if (!mutableModuleVariable(decl)) continue
      const name = id.getText()
      const key = `${via.getStart()}:${name}`
      if (reported.has(key)) continue
      reported.add(key)
      report(
        via,
        2002,
        `@task "${task.name}" uses "${via.getText()}", which reads "${name}" (${placeOf(id, rootDir)}), a mutable module-level variable (let/var): each worker has its own copy`,
        `pass "${name}" as a parameter, or declare it with const`
      )
    }
  }
}

/** WEFT2003: a parameter type structured clone cannot carry. */
function checkCloneableParameters({ task, report }: CheckedTask): void {
  for (const param of task.fn.getParameters()) {
    const why = uncloneable(param.getType(), false)
    if (why === undefined) continue
    report(
      param,
      2003,
      `parameter "${param.getName()}" of @task "${task.name}" has type "${param.getType().getText(param)}", ${why}, which structured clone cannot carry`,
      `change the parameter to plain data (objects, arrays, primitives, Map, Set, Date, typed arrays) and rebuild anything else inside the task`
    )
  }
}

/** WEFT2003: a result type structured clone cannot carry (a Promise of a cloneable value is fine). */
function checkCloneableResult({ task, report }: CheckedTask): void {
  const returnType = task.fn.getReturnType()
  const why = uncloneable(returnType, true)
  if (why === undefined) return
  report(
    task.fn.getReturnTypeNode() ?? task.nameNode,
    2003,
    `the result of @task "${task.name}" has type "${returnType.getText(task.fn)}", ${why}, which structured clone cannot carry`,
    "return plain data (objects, arrays, primitives, Map, Set, Date, typed arrays) instead"
  )
}

/** WEFT2005: a pure task whose body calls what is not pure (equal calls would share one result). */
function checkPureBody({ task, options, report }: CheckedTask): void {
  if (options.impure) return
  task.fn.getBody()?.forEachDescendant((node) => {
    const what = impurityOf(node)
    if (what === undefined) return
    report(
      node,
      2005,
      `pure @task "${task.name}" calls ${what}, which is not pure: equal calls would share one result`,
      `mark it /** @task impure */, or pass the value as a parameter`
    )
  })
}

/** WEFT2005 through a helper: the first impure call of each helper, reported at the task's use of it. */
function checkPureHelpers({ task, rootDir, options, helpers, report }: CheckedTask): void {
  if (options.impure) return
  const reported = new Set<string>()
  for (const [helper, via] of helpers()) {
    helper.forEachDescendant((node, traversal) => {
      const what = impurityOf(node)
      if (what === undefined) return
      traversal.stop()
      const key = `${via.getStart()}:${what}`
      if (reported.has(key)) return
      reported.add(key)
      report(
        via,
        2005,
        `pure @task "${task.name}" uses "${via.getText()}", which calls ${what} (${placeOf(node, rootDir)}), which is not pure: equal calls would share one result`,
        `mark it /** @task impure */, or pass the value as a parameter`
      )
    })
  }
}

/** Where a task that passed its checks is: its id, `file:line`, and its name's node. */
export interface PlacedTask {
  readonly id: string
  readonly file: string
  readonly line: number
  readonly nameNode: Node
}

/** WEFT2004: two tasks with one id, one diagnostic per id at its second declaration. */
export function duplicateIds(tasks: ReadonlyArray<PlacedTask>, rootDir: string): WeftDiagnostic[] {
  const byId = new Map<string, PlacedTask[]>()
  for (const task of tasks) byId.set(task.id, [...(byId.get(task.id) ?? []), task])
  const diagnostics: WeftDiagnostic[] = []
  for (const [id, same] of byId) {
    if (same.length < 2) continue
    const where = same.map((t) => `${t.file}:${t.line}`).join(", ")
    diagnostics.push(
      diagnosticAt(
        rootDir,
        same[1].nameNode,
        2004,
        `two tasks with the id "${id}": ${where}`,
        `rename one of them: task names must be unique in a module`
      )
    )
  }
  return diagnostics
}
