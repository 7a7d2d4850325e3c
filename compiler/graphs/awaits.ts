/**
 * The awaiting forms of a `@graph` body, so that a graph calling `async` tasks stays honest
 * TypeScript: `await task(x)`, `await` of a binding that holds a task's result, and
 * `Promise.all(list)` over an array literal or a `.map` (awaited or returned from an `async`
 * graph). None adds a node: a task's result is already awaited by the node that uses it, so the
 * IR is the one of the same body without `await`. Awaiting anything else is WEFT1009.
 *
 * @module
 */
import { Node, type AwaitExpression, type CallExpression, type Expression } from "ts-morph"
import { isIrRef } from "../../core/ir.js"
import { short, type GraphContext } from "./context.js"
import type { Scope, Val } from "./scope.js"

/** True for `Promise.all(...)` (unless a binding of the graph shadows `Promise`). */
export function isPromiseAll(node: CallExpression, scope: Scope): boolean {
  const callee = node.getExpression()
  return (
    Node.isPropertyAccessExpression(callee) &&
    callee.getName() === "all" &&
    Node.isIdentifier(callee.getExpression()) &&
    callee.getExpression().getText() === "Promise" &&
    scope.lookup("Promise") === undefined
  )
}

/** `Promise.all(list)`: the list itself, which must be an array literal or a `.map` of the graph. */
export function promiseAll(node: CallExpression, scope: Scope, cx: GraphContext): Val | undefined {
  const args = node.getArguments()
  if (args.length !== 1 || Node.isSpreadElement(args[0]))
    return cx.report(node, 1009, "Promise.all in a @graph body takes one array", hint)
  const list = args[0] as Expression
  const v = cx.expression(list, scope)
  if (v === undefined) return undefined
  if (
    Array.isArray(v) ||
    (isIrRef(v) && (scope.nodes[v.$node]?.kind === "map" || scope.nodes[v.$node]?.kind === "fanout"))
  )
    return v
  return cx.report(
    node,
    1009,
    `Promise.all over ${short(list)}, which is not an array literal or a .map in this @graph`,
    hint
  )
}

const hint =
  "await only @task calls (an async @task is fine): `await load(p)`, `await Promise.all(paths.map((p) => load(p)))`; move other awaits into a @task"

/** `await e`: `e` must be a task call, a binding holding a task's result, or `Promise.all(...)`. */
export function compileAwait(node: AwaitExpression, scope: Scope, cx: GraphContext): Val | undefined {
  let operand: Expression = node.getExpression()
  while (Node.isParenthesizedExpression(operand)) operand = operand.getExpression()
  if (Node.isCallExpression(operand) && !isPromiseAll(operand, scope) && !isTaskCall(operand, scope, cx)) {
    const before = cx.diagnostics.length
    let lazyArg = false
    for (const arg of isMapCall(operand) ? [] : operand.getArguments()) {
      if (Node.isSpreadElement(arg)) continue
      const v = cx.expression(arg as Expression, scope)
      if (v !== undefined && scope.involvesLazy(v)) lazyArg = true
    }
    if (cx.diagnostics.length > before) return undefined
    // A lazy value passed to a plain function is the first problem (WEFT1003, from the call itself).
    if (lazyArg) return cx.expression(operand, scope)
    const what = isMapCall(operand) ? "an array of promises (wrap the .map in Promise.all)" : "not a @task call"
    return cx.report(node, 1009, `await of ${short(operand)}, which is ${what}`, hint)
  }
  const v = cx.expression(operand, scope)
  if (v === undefined) return undefined
  if (Node.isCallExpression(operand) || scope.lazy(v)) return v
  return cx.report(node, 1009, `await of ${short(operand)}, which is not the result of a @task call`, hint)
}

/** A call of one of the graph's tasks (unless a binding shadows its name). */
export function isTaskCall(node: CallExpression, scope: Scope, cx: GraphContext): boolean {
  const callee = node.getExpression()
  return Node.isIdentifier(callee) && cx.tasks.has(callee.getText()) && scope.lookup(callee.getText()) === undefined
}

const isMapCall = (node: CallExpression): boolean => {
  const callee = node.getExpression()
  return Node.isPropertyAccessExpression(callee) && callee.getName() === "map"
}
