/**
 * Calls in a `@graph` body: a `@task` call (a `call` node, lazy), `.map` over a concrete array (a
 * `map` node whose body is the callback compiled to its own graph), `.map` over a task's result
 * or a read of one (a `fanout` node: the same body, expanded at run time once the list is known;
 * its elements are concrete in the body, its result is lazy), and any other call, reported as
 * WEFT1003 when a lazy value goes in, else WEFT1006.
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

/** `list.map((x) => ...)`: a `map` node over a concrete list, a `fanout` node over a lazy one. */
function mapCall(node: CallExpression, list: Expression, scope: Scope, cx: GraphContext): Val | undefined {
  const over = cx.expression(list, scope)
  if (over === undefined) return undefined
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
  // Over a task's result the elements are concrete values when the body runs (it runs once the list is known).
  const fanOut = overInfo.lazy
  const element = fanOut ? { lazy: false, deep: false } : { lazy: overInfo.deep, deep: overInfo.deep }
  const body = compileCallback(callback, param.getName(), scope, element, cx)
  if (body === undefined) return undefined
  if (fanOut)
    return { $node: scope.add({ kind: "fanout", over: overIndex, body: body.ir }, { lazy: true, deep: false }) }
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
