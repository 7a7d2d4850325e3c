/**
 * Compiles the body of a `@graph` function (the dataflow DSL of spec section 10) to a `GraphIr`,
 * reporting every construct the DSL does not have as a WEFT10nn diagnostic. Read-only: it only
 * queries the AST.
 *
 * The parts: `./scope.ts` (the nodes and bindings of one graph, lazy values, captures),
 * `./statements.ts` (const and return), `./expressions.ts` (literals, reads, operators),
 * `./calls.ts` (task calls and `.map`), `./context.ts` (what they share: the tasks, the
 * diagnostics, the expression compiler).
 *
 * @module
 */
import { Node, SyntaxKind, type FunctionDeclaration } from "ts-morph"
import type { GraphIr } from "../../core/ir.js"
import type { WeftDiagnostic } from "../diagnostics.js"
import { GraphContext } from "./context.js"
import { compileExpression } from "./expressions.js"
import { poisoned, Scope } from "./scope.js"
import { compileStatements } from "./statements.js"

/** The result of `compileGraph`: the IR when the body has no error, and the diagnostics. */
export interface CompiledGraph {
  readonly ir: GraphIr | undefined
  readonly diagnostics: WeftDiagnostic[]
}

/**
 * Compiles `fn`, a `@graph` function. `tasks` maps the local names of the file's `@task` functions
 * to their task ids; `file` is the path diagnostics name. `ir` is `undefined` when there is any diagnostic.
 */
export function compileGraph(fn: FunctionDeclaration, tasks: ReadonlyMap<string, string>, file: string): CompiledGraph {
  const name = fn.getName() ?? "default"
  const cx: GraphContext = new GraphContext(tasks, file, name, (node, scope) => compileExpression(node, scope, cx))
  const scope = new Scope(undefined)
  const params = bindParameters(fn, scope, cx)
  if (fn.isGenerator()) cx.other(fn, "a generator function")
  const body = fn.getBody()
  const result =
    body !== undefined && Node.isBlock(body)
      ? compileStatements(body.getStatements(), scope, fn.getNameNode() ?? fn, cx)
      : cx.other(fn, "a @graph without a body")
  const diagnostics = cx.diagnostics
  if (result === undefined || params === undefined || diagnostics.length > 0) return { ir: undefined, diagnostics }
  const output = scope.materialize(result)
  return { ir: { version: 1, name, params, nodes: scope.nodes, output }, diagnostics }
}

/**
 * Binds the graph's parameters to `param` nodes; their names, or `undefined` when one was
 * reported (a destructured, default or rest parameter: its names are bound as `poisoned`).
 */
function bindParameters(fn: FunctionDeclaration, scope: Scope, cx: GraphContext): string[] | undefined {
  const params: string[] = []
  let ok = true
  for (const [index, param] of fn.getParameters().entries()) {
    const nameNode = param.getNameNode()
    if (!Node.isIdentifier(nameNode) || param.hasInitializer() || param.isRestParameter()) {
      cx.other(param, "a destructured, default or rest parameter")
      ok = false
      for (const id of nameNode.getDescendantsOfKind(SyntaxKind.Identifier)) scope.bindings.set(id.getText(), poisoned)
      if (Node.isIdentifier(nameNode)) scope.bindings.set(nameNode.getText(), poisoned)
      continue
    }
    params.push(nameNode.getText())
    scope.bindings.set(nameNode.getText(), {
      $node: scope.add({ kind: "param", name: nameNode.getText(), index }, { lazy: false, deep: false })
    })
  }
  return ok ? params : undefined
}
