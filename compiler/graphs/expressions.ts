/**
 * Expressions of a `@graph` body: literals, bindings, array and object literals, property and
 * index reads, calls (`./calls.ts`), and the operators the DSL does not have, each reported as
 * WEFT1001 (branching on a lazy value), WEFT1002 (computing with one) or WEFT1004 (not in the DSL).
 *
 * @module
 */
import {
  Node,
  SyntaxKind,
  type ArrayLiteralExpression,
  type BinaryExpression,
  type ConditionalExpression,
  type ElementAccessExpression,
  type Expression,
  type Identifier,
  type ObjectLiteralExpression,
  type PrefixUnaryExpression,
  type PropertyAccessExpression,
  type TemplateExpression
} from "ts-morph"
import { isIrRef } from "../../core/ir.js"
import { compileAwait } from "./awaits.js"
import { compileCall } from "./calls.js"
import { short, type GraphContext } from "./context.js"
import { poisoned, type Scope, type Val } from "./scope.js"

const arithmetic = new Set<SyntaxKind>([
  SyntaxKind.PlusToken,
  SyntaxKind.MinusToken,
  SyntaxKind.AsteriskToken,
  SyntaxKind.SlashToken,
  SyntaxKind.PercentToken,
  SyntaxKind.AsteriskAsteriskToken,
  SyntaxKind.LessThanToken,
  SyntaxKind.GreaterThanToken,
  SyntaxKind.LessThanEqualsToken,
  SyntaxKind.GreaterThanEqualsToken,
  SyntaxKind.EqualsEqualsToken,
  SyntaxKind.EqualsEqualsEqualsToken,
  SyntaxKind.ExclamationEqualsToken,
  SyntaxKind.ExclamationEqualsEqualsToken,
  SyntaxKind.AmpersandToken,
  SyntaxKind.BarToken,
  SyntaxKind.CaretToken,
  SyntaxKind.LessThanLessThanToken,
  SyntaxKind.GreaterThanGreaterThanToken,
  SyntaxKind.GreaterThanGreaterThanGreaterThanToken,
  SyntaxKind.InKeyword,
  SyntaxKind.InstanceOfKeyword
])
const logical = new Set<SyntaxKind>([
  SyntaxKind.AmpersandAmpersandToken,
  SyntaxKind.BarBarToken,
  SyntaxKind.QuestionQuestionToken
])

/** Compiles an expression; `undefined` when it was reported (or depends on something that was). */
export function compileExpression(node: Expression, scope: Scope, cx: GraphContext): Val | undefined {
  if (
    Node.isParenthesizedExpression(node) ||
    Node.isAsExpression(node) ||
    Node.isSatisfiesExpression(node) ||
    Node.isNonNullExpression(node)
  ) {
    return cx.expression(node.getExpression(), scope)
  }
  if (Node.isTypeAssertion(node)) return cx.expression(node.getExpression(), scope)
  if (Node.isNumericLiteral(node)) return node.getLiteralValue()
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return node.getLiteralValue()
  if (Node.isTrueLiteral(node)) return true
  if (Node.isFalseLiteral(node)) return false
  if (Node.isNullLiteral(node)) return null
  if (Node.isIdentifier(node)) return identifier(node, scope, cx)
  if (Node.isArrayLiteralExpression(node)) return arrayLiteral(node, scope, cx)
  if (Node.isObjectLiteralExpression(node)) return objectLiteral(node, scope, cx)
  if (Node.isPropertyAccessExpression(node) || Node.isElementAccessExpression(node)) return access(node, scope, cx)
  if (Node.isCallExpression(node)) return compileCall(node, scope, cx)
  if (Node.isBinaryExpression(node)) return binary(node, scope, cx)
  if (Node.isPrefixUnaryExpression(node)) return prefixUnary(node, scope, cx)
  if (Node.isConditionalExpression(node)) return conditional(node, scope, cx)
  if (Node.isTemplateExpression(node)) return template(node, scope, cx)
  if (Node.isAwaitExpression(node)) return compileAwait(node, scope, cx)
  if (Node.isNewExpression(node)) return cx.other(node, "new")
  if (Node.isArrowFunction(node) || Node.isFunctionExpression(node))
    return cx.other(node, "a function other than a .map callback")
  if (Node.isClassExpression(node)) return cx.other(node, "a class")
  return cx.other(node, `the expression ${short(node)}`)
}

/** A binding (a parameter or const, captured from an enclosing graph when needed). */
function identifier(node: Identifier, scope: Scope, cx: GraphContext): Val | undefined {
  const text = node.getText()
  const found = scope.lookup(text)
  if (found === poisoned) return undefined
  if (found !== undefined) return found
  if (text === "undefined") return cx.report(node, 1004, "undefined is not a value a graph can hold", "use null")
  if (cx.tasks.has(text))
    return cx.report(node, 1004, `the @task ${text} used as a value`, "call it: a @graph body only calls tasks")
  return cx.report(
    node,
    1004,
    `${text} is not a parameter or const binding of this @graph`,
    "pass it as a parameter of the graph, or use it inside a @task"
  )
}

function arrayLiteral(node: ArrayLiteralExpression, scope: Scope, cx: GraphContext): Val | undefined {
  const out: Val[] = []
  let failed = false
  for (const element of node.getElements()) {
    if (Node.isSpreadElement(element) || Node.isOmittedExpression(element)) {
      cx.other(element, Node.isSpreadElement(element) ? "a spread element" : "a hole in an array literal")
      failed = true
      continue
    }
    const v = cx.expression(element, scope)
    if (v === undefined) failed = true
    else out.push(v)
  }
  return failed ? undefined : out
}

function objectLiteral(node: ObjectLiteralExpression, scope: Scope, cx: GraphContext): Val | undefined {
  const out: Record<string, Val> = {}
  let failed = false
  for (const property of node.getProperties()) {
    if (Node.isPropertyAssignment(property)) {
      const key = property.getNameNode()
      if (!(Node.isIdentifier(key) || Node.isStringLiteral(key) || Node.isNumericLiteral(key))) {
        cx.other(key, "a computed property name")
        failed = true
        continue
      }
      const v = cx.expression(property.getInitializerOrThrow(), scope)
      if (v === undefined) failed = true
      else out[Node.isIdentifier(key) ? key.getText() : String(key.getLiteralValue())] = v
    } else if (Node.isShorthandPropertyAssignment(property)) {
      const v = cx.expression(property.getNameNode(), scope)
      if (v === undefined) failed = true
      else out[property.getName()] = v
    } else {
      cx.other(
        property,
        Node.isSpreadAssignment(property)
          ? "a spread in an object literal"
          : "a method or accessor in an object literal"
      )
      failed = true
    }
  }
  return failed ? undefined : out
}

/** `a.b`, `a[0]`, `a["b"]`: resolved now on a literal of this body, else a `get` node. */
function access(
  node: PropertyAccessExpression | ElementAccessExpression,
  scope: Scope,
  cx: GraphContext
): Val | undefined {
  const base = cx.expression(node.getExpression(), scope)
  if (base === undefined) return undefined
  if (node.hasQuestionDotToken()) {
    return scope.involvesLazy(base)
      ? cx.report(node, 1001, `optional chaining on the lazy value ${short(node.getExpression())} branches on it`)
      : cx.other(node, "optional chaining")
  }
  const key = accessKey(node, scope, cx)
  if (key === undefined) return undefined
  // Reads of a literal written in this body resolve now.
  if (Array.isArray(base) && typeof key === "number" && Number.isInteger(key) && key >= 0 && key < base.length)
    return base[key]
  if (Array.isArray(base) && key === "length") return base.length
  if (
    typeof base === "object" &&
    base !== null &&
    !Array.isArray(base) &&
    !isIrRef(base) &&
    Object.hasOwn(base, String(key))
  )
    return (base as Record<string, Val>)[String(key)]
  const from = scope.materialize(base)
  const info = scope.info[from]
  const lazy = info.lazy || info.deep
  return { $node: scope.add({ kind: "get", from, key }, { lazy, deep: lazy }) }
}

/** The key of a read: a name, or a number or string literal; anything else is reported (`undefined`). */
function accessKey(
  node: PropertyAccessExpression | ElementAccessExpression,
  scope: Scope,
  cx: GraphContext
): string | number | undefined {
  if (Node.isPropertyAccessExpression(node)) return node.getName()
  const arg = node.getArgumentExpressionOrThrow()
  if (Node.isNumericLiteral(arg) || Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg))
    return arg.getLiteralValue()
  const k = cx.expression(arg, scope)
  if (k === undefined) return undefined
  return scope.involvesLazy(k)
    ? cx.report(arg, 1002, `indexing with the lazy value ${short(arg)}`)
    : cx.other(arg, "an index that is not a number or string literal")
}

function binary(node: BinaryExpression, scope: Scope, cx: GraphContext): Val | undefined {
  const op = node.getOperatorToken().getKind()
  const kind = logical.has(op) ? "logic" : arithmetic.has(op) ? "arith" : "other"
  if (kind === "other") return cx.other(node, op === SyntaxKind.CommaToken ? "the comma operator" : "an assignment")
  const left = cx.expression(node.getLeft(), scope)
  const right = cx.expression(node.getRight(), scope)
  if (left === undefined || right === undefined) return undefined
  if (scope.involvesLazy(left) || scope.involvesLazy(right)) {
    const opText = node.getOperatorToken().getText()
    return kind === "logic"
      ? cx.report(node, 1001, `${opText} branches on a lazy value (${short(node)})`)
      : cx.report(node, 1002, `${opText} on a lazy value (${short(node)})`)
  }
  return cx.other(
    node,
    kind === "logic" ? `the operator ${node.getOperatorToken().getText()}` : `arithmetic or comparison (${short(node)})`
  )
}

function prefixUnary(node: PrefixUnaryExpression, scope: Scope, cx: GraphContext): Val | undefined {
  const op = node.getOperatorToken()
  const operand = node.getOperand()
  if (op === SyntaxKind.MinusToken && Node.isNumericLiteral(operand)) return -operand.getLiteralValue()
  if (op === SyntaxKind.PlusPlusToken || op === SyntaxKind.MinusMinusToken)
    return cx.other(node, "an increment or decrement")
  const v = cx.expression(operand, scope)
  if (v === undefined) return undefined
  if (scope.involvesLazy(v)) {
    return op === SyntaxKind.ExclamationToken
      ? cx.report(node, 1001, `! branches on the lazy value ${short(operand)}`)
      : cx.report(node, 1002, `arithmetic on the lazy value ${short(operand)}`)
  }
  return cx.other(node, `the operator in ${short(node)}`)
}

function conditional(node: ConditionalExpression, scope: Scope, cx: GraphContext): Val | undefined {
  const condition = cx.expression(node.getCondition(), scope)
  if (condition === undefined) return undefined
  if (scope.involvesLazy(condition))
    return cx.report(node, 1001, `?: branches on the lazy value ${short(node.getCondition())}`)
  return cx.other(node, "a conditional expression")
}

function template(node: TemplateExpression, scope: Scope, cx: GraphContext): Val | undefined {
  let lazy = false
  for (const span of node.getTemplateSpans()) {
    const v = cx.expression(span.getExpression(), scope)
    if (v === undefined) return undefined
    if (scope.involvesLazy(v)) lazy = true
  }
  return lazy
    ? cx.report(node, 1002, `a template literal on a lazy value`)
    : cx.other(node, "a template literal with substitutions")
}
