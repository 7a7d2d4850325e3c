/**
 * What every part of the `@graph` compiler shares while it compiles one graph: the tasks it may
 * call, the file diagnostics name, the diagnostics found so far, and the expression compiler
 * (`./expressions.ts`), passed in by `compileGraph` so that statements, calls and `.map` callbacks
 * compile their expressions without importing that module back (the DSL nests: a callback's body
 * holds statements that hold expressions that hold calls).
 *
 * @module
 */
import type { Expression, Node } from "ts-morph"
import type { DiagnosticCode, WeftDiagnostic } from "../diagnostics.js"
import type { Scope, Val } from "./scope.js"

const hints = {
  1001: "move the logic into a @task, or map over the array",
  1002: "move it into a @task",
  1003: "make the function a @task, or move the call into a @task",
  1004: "a @graph body has const bindings, @task calls, array and object literals, property and index reads, .map await of task calls and return; move the rest into a @task",
  1005: "make the list a parameter of the graph, or map inside a task",
  1006: "call a @task (or .map over an array); move other calls into a @task",
  1009: "await only @task calls: `await load(p)`, `await Promise.all(paths.map((p) => load(p)))`"
} as const satisfies Partial<Record<DiagnosticCode, string>>

/** The codes a graph body reports. */
export type GraphCode = keyof typeof hints

/** Compiles an expression; `undefined` when it was reported (or depends on something that was). */
export type ExpressionCompiler = (node: Expression, scope: Scope) => Val | undefined

/** One graph's compilation: its inputs, its diagnostics, and how to compile an expression. */
export class GraphContext {
  readonly diagnostics: WeftDiagnostic[] = []

  constructor(
    /** The local names of the `@task` functions the body may call, to their task ids. */
    readonly tasks: ReadonlyMap<string, string>,
    /** The path diagnostics name. */
    readonly file: string,
    /** The `@graph`'s name (`.map` bodies are named after it). */
    readonly name: string,
    readonly expression: ExpressionCompiler
  ) {}

  /** Reports `message` at `node` (with the code's usual hint unless given); `undefined`, as a failed expression. */
  report(node: Node, code: GraphCode, message: string, hint: string = hints[code]): undefined {
    const { line, column } = node.getSourceFile().getLineAndColumnAtPos(node.getStart())
    this.diagnostics.push({ code, file: this.file, line, column, message, hint })
    return undefined
  }

  /** WEFT1004: `what` is not part of the DSL. */
  other(node: Node, what: string): undefined {
    return this.report(node, 1004, `${what} is not part of the @graph DSL`)
  }
}

/** The node's text on one line, cut at 40 characters, for messages. */
export const short = (node: Node): string => {
  const text = node.getText().replace(/\s+/g, " ")
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}
