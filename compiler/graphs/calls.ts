/**
 * Calls in a `@graph` body: a `@task` call (a `call` node, lazy), `.map` over a concrete array (a
 * `map` node whose body is the callback compiled to its own graph), and any other call, reported
 * as WEFT1003 when a lazy value goes in, else WEFT1006. `.map` over a task's result is WEFT1005.
 *
 * @module
 */
import { Node, type ArrowFunction, type CallExpression, type Expression, type Identifier } from "ts-morph"
import type { GraphIr } from "../../core/ir.js"
import { isPromiseAll, isTaskCall, promiseAll } from "./awaits.js"
import { short, type GraphContext } from "./context.js"
import { Scope, type NodeInfo, type Val } from "./scope.js"
import { compileStatements } from "./statements.js"

/** Compiles a call expression (see the module's comment). */
export function compileCall(node: CallExpression, scope: Scope, cx: GraphContext): Val | undefined {
  const callee = node.getExpression()
  // A @task call (unless a local binding shadows the name).
  if (isTaskCall(node, scope, cx)) return taskCall(node, callee as Identifier, scope, cx)
  if (isPromiseAll(node, scope)) return promiseAll(node, scope, cx)
  if (Node.isPropertyAccessExpression(callee) && callee.getName() === "map" && !callee.hasQuestionDotToken())
    return mapCall(node, callee.getExpression(), scope, cx)
  return plainCall(node, scope, cx)
}

/** `task(a, b)`: a lazy `call` node. */
function taskCall(node: CallExpression, callee: Identifier, scope: Scope, cx: GraphContext): Val | undefined {
  const out: Val[] = []
  let failed = false
  for (const arg of node.getArguments()) {
    if (Node.isSpreadElement(arg)) {
      cx.other(arg, "a spread argument")
      failed = true
      continue
    }
    const v = cx.expression(arg as Expression, scope)
    if (v === undefined) failed = true
    else out.push(v)
  }
  if (failed) return undefined
  return {
    $node: scope.add({ kind: "call", task: cx.tasks.get(callee.getText())!, args: out }, { lazy: true, deep: false })
  }
}

/** `list.map((x) => ...)` over a concrete list: a `map` node. */
function mapCall(node: CallExpression, list: Expression, scope: Scope, cx: GraphContext): Val | undefined {
  const over = cx.expression(list, scope)
  if (over === undefined) return undefined
  if (scope.lazy(over)) {
    return cx.report(
      node,
      1005,
      `.map over ${short(list)}, which comes from a task: fan-out at run time is not supported yet`
    )
  }
  const args = node.getArguments()
  const callback = args[0]
  if (args.length !== 1 || !Node.isArrowFunction(callback)) {
    return cx.report(node, 1004, ".map takes one arrow function in a @graph body", "write .map((x) => ...)")
  }
  const params = callback.getParameters()
  const param = params[0]
  if (
    params.length !== 1 ||
    !Node.isIdentifier(param.getNameNode()) ||
    param.hasInitializer() ||
    param.isRestParameter()
  ) {
    return cx.report(
      callback,
      1004,
      "a .map callback in a @graph body takes exactly one parameter, the element",
      "write .map((x) => ...); pair elements with their index in a parameter of the graph"
    )
  }
  const overIndex = scope.materialize(over)
  const overInfo = scope.info[overIndex]
  const element = { lazy: overInfo.deep, deep: overInfo.deep }
  const body = compileCallback(callback, param.getName(), scope, element, cx)
  if (body === undefined) return undefined
  const out = body.scope.info[body.ir.output]
  return {
    $node: scope.add({ kind: "map", over: overIndex, body: body.ir }, { lazy: false, deep: out.lazy || out.deep })
  }
}

/** A `.map` callback's body, compiled to its own graph with one parameter (the element). */
function compileCallback(
  callback: ArrowFunction,
  paramName: string,
  parent: Scope,
  element: NodeInfo,
  cx: GraphContext
): { ir: GraphIr; scope: Scope } | undefined {
  const scope = new Scope(parent)
  scope.bindings.set(paramName, { $node: scope.add({ kind: "param", name: paramName, index: 0 }, element) })
  const body = callback.getBody()
  const result = Node.isBlock(body)
    ? compileStatements(body.getStatements(), scope, callback, cx)
    : cx.expression(body as Expression, scope)
  if (result === undefined) return undefined
  const output = scope.materialize(result)
  return { ir: { version: 1, name: `${cx.name}.map`, params: [paramName], nodes: scope.nodes, output }, scope }
}

/** Neither a task nor `.map`: WEFT1003 if a lazy value goes in, else WEFT1006. */
function plainCall(node: CallExpression, scope: Scope, cx: GraphContext): Val | undefined {
  let lazyArg: Node | undefined
  let failed = false
  for (const arg of node.getArguments()) {
    if (Node.isSpreadElement(arg)) continue
    const v = cx.expression(arg as Expression, scope)
    if (v === undefined) failed = true
    else if (lazyArg === undefined && scope.involvesLazy(v)) lazyArg = arg
  }
  const callee = node.getExpression()
  if (lazyArg !== undefined) {
    return cx.report(node, 1003, `the lazy value ${short(lazyArg)} is passed to ${short(callee)}, which is not a @task`)
  }
  if (failed) return undefined
  return cx.report(node, 1006, `${short(callee)} is neither a @task nor .map`)
}
